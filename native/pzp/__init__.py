"""pzp: the PZP lossless image format (Portable Zipped PNM) for Python.

Single images::

    img = pzp.read("image.pzp")            # numpy (H, W[, C]) uint8 / uint16
    pzp.write("image.pzp", img, use_rle=True)
    data = pzp.encode(img); img = pzp.decode(data)

Containers (animations, sequences)::

    pzp.write_container("seq.pzp", frames, delays=[40] * len(frames))
    with pzp.open("seq.pzp") as c:         # header and index read once
        frame = c[10]
    with pzp.ContainerWriter("big.pzp", use_inter_delta=True) as w:
        for frame in source:
            w.append(frame, delay_ms=40)

The codec is libpzp (C), called through ctypes with the GIL released, so
threads decode in parallel. Errors raise :class:`PZPError` subclasses.
"""

from __future__ import annotations

from ._container import (
    AUDIO_FLAC,
    AUDIO_MPEG,
    AUDIO_OGG,
    AUDIO_WAVE,
    DEFAULT_KEYFRAME_INTERVAL,
    Container,
    ContainerWriter,
    frame_count,
    get_audio,
    get_delays,
    get_loop_count,
    get_metadata,
    open,
    read_frame,
    read_frames,
    write_container,
)
from ._errors import (
    NotPZPError,
    PZPChecksumError,
    PZPCorruptError,
    PZPError,
    PZPFileNotFoundError,
    PZPFormatError,
    PZPFrameIndexError,
    PZPIOError,
    PZPLimitError,
    PZPMemoryError,
    PZPTooLargeError,
    PZPTruncatedError,
    PZPUnsupportedError,
    PZPValueError,
)
from ._ffi import Limits as _Limits
from ._ffi import byref as _byref
from ._ffi import lib as _lib
from ._ffi import version_string as library_version
from ._many import read_many
from ._image import (
    USE_COMPRESSION,
    USE_INTER_DELTA,
    USE_LZ4,
    USE_PALETTE,
    USE_RLE,
    decode,
    encode,
    encode_frame,
    info,
    parse_groups,
    read,
    write,
)

__version__ = "1.0.0"

_LIMIT_NAMES = ("max_pixels", "max_frames", "max_metadata_bytes", "max_audio_bytes", "max_alloc_bytes")


def thread_init(worker_id: int | None = None) -> None:
    """Creates the calling thread's codec contexts now (optional: they are made
    on first use and freed at thread exit). Takes an optional worker id so it
    can be passed as ``DataLoader(worker_init_fn=pzp.thread_init)``."""
    _lib.pzp_thread_init()


def thread_cleanup() -> None:
    """Frees the calling thread's codec contexts (they are recreated if needed)."""
    _lib.pzp_thread_cleanup()


def get_limits() -> dict:
    """The limits checked before any allocation that depends on input
    (0 = no limit beyond the format's)."""
    limits = _Limits()
    _lib.pzp_get_limits(_byref(limits))
    return {name: getattr(limits, name) for name in _LIMIT_NAMES}


def set_limits(**limits: int) -> dict:
    """Changes limits for every thread (``max_pixels``, ``max_frames``,
    ``max_metadata_bytes``, ``max_audio_bytes``, ``max_alloc_bytes``); returns
    the previous ones, so ``pzp.set_limits(**old)`` restores them. With no
    argument, restores the defaults."""
    previous = get_limits()
    values = _Limits()
    if limits:
        for name, value in {**previous, **limits}.items():
            if name not in _LIMIT_NAMES:
                msg = f"unknown limit {name!r}; known: {', '.join(_LIMIT_NAMES)}"
                raise TypeError(msg)
            if not isinstance(value, int) or value < 0:
                msg = f"{name} must be a non-negative int, not {value!r}"
                raise ValueError(msg)
            setattr(values, name, value)
    else:
        _lib.pzp_default_limits(_byref(values))
    _lib.pzp_set_limits(_byref(values))
    return previous


__all__ = [
    "AUDIO_FLAC",
    "AUDIO_MPEG",
    "AUDIO_OGG",
    "AUDIO_WAVE",
    "DEFAULT_KEYFRAME_INTERVAL",
    "USE_COMPRESSION",
    "USE_INTER_DELTA",
    "USE_LZ4",
    "USE_PALETTE",
    "USE_RLE",
    "Container",
    "ContainerWriter",
    "NotPZPError",
    "PZPChecksumError",
    "PZPCorruptError",
    "PZPError",
    "PZPFileNotFoundError",
    "PZPFormatError",
    "PZPFrameIndexError",
    "PZPIOError",
    "PZPLimitError",
    "PZPMemoryError",
    "PZPTooLargeError",
    "PZPTruncatedError",
    "PZPUnsupportedError",
    "PZPValueError",
    "__version__",
    "decode",
    "encode",
    "encode_frame",
    "frame_count",
    "get_audio",
    "get_delays",
    "get_limits",
    "get_loop_count",
    "get_metadata",
    "info",
    "library_version",
    "open",
    "parse_groups",
    "read",
    "read_frame",
    "read_frames",
    "read_many",
    "set_limits",
    "thread_cleanup",
    "thread_init",
    "write",
    "write_container",
]
