"""Containers: the seed's functions, the open-once reader and the streaming writer."""

from __future__ import annotations

import os
import threading
from typing import Iterable, Iterator

from . import _errors
from ._ffi import ContainerInfo, FrameEntry, Handle, ImageInfo, WriterOptions, byref, lib
from ._image import (
    USE_COMPRESSION,
    PathLike,
    _Verify,
    as_buffer,
    as_pixels,
    configuration_of,
    finish,
    fs_path,
    image_shape,
    info_dict,
    make_params,
    numpy_or_none,
    pointer,
)

AUDIO_WAVE = 0x57415645
AUDIO_MPEG = 0x4D504547
AUDIO_OGG = 0x4F474758
AUDIO_FLAC = 0x464C4143

_AUDIO_NAMES = {AUDIO_WAVE: "WAVE", AUDIO_MPEG: "MPEG", AUDIO_OGG: "OGG", AUDIO_FLAC: "FLAC"}
_AUDIO_ALIASES = {
    "WAVE": AUDIO_WAVE, "WAV": AUDIO_WAVE,
    "MPEG": AUDIO_MPEG, "MP3": AUDIO_MPEG,
    "OGG": AUDIO_OGG, "OGGX": AUDIO_OGG,
    "FLAC": AUDIO_FLAC,
}

# A key frame every 30 frames when inter-frame delta is on: on the static-camera
# video of the corpus the file is 5 % larger than with no key frames while a
# random access decodes at most 30 frames (bench/keyframes.py, docs/python-api.md).
DEFAULT_KEYFRAME_INTERVAL = 30

_WRITER_NO_SYNC = 1


def _stored_tag(audio: bytes | None, audio_format) -> int:
    """The tag written beside the audio: 0 without audio (Q12), but an unknown
    format name is refused either way."""
    tag = audio_tag(audio_format) if audio or audio_format is not None else 0
    return tag if audio else 0


def audio_tag(audio_format) -> int:
    """The tag integer for 'WAVE', 'MPEG', 'OGG' or 'FLAC' (any case; 'WAV',
    'MP3', 'OGGX', a leading dot and the integer tags are accepted too)."""
    if isinstance(audio_format, int) and not isinstance(audio_format, bool):
        if audio_format in _AUDIO_NAMES:
            return audio_format
    elif isinstance(audio_format, (str, bytes)):
        name = audio_format.decode("ascii", "replace") if isinstance(audio_format, bytes) else audio_format
        tag = _AUDIO_ALIASES.get(name.strip().lstrip(".").upper())
        if tag is not None:
            return tag
    msg = f"audio_format must be 'WAVE', 'MPEG', 'OGG' or 'FLAC', not {audio_format!r}"
    raise ValueError(msg)


def audio_name(tag: int) -> str:
    """'WAVE', 'MPEG', 'OGG' or 'FLAC'; another file's unknown tag as its four characters."""
    if tag in _AUDIO_NAMES:
        return _AUDIO_NAMES[tag]
    return tag.to_bytes(4, "big").decode("latin-1")


def _blob_bytes(data, what: str) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, str):
        return data.encode("utf-8")
    try:
        return bytes(memoryview(data))
    except TypeError:
        msg = f"{what} must be bytes or str, not {type(data).__name__}"
        raise TypeError(msg) from None


class _Handle:
    """A native container shared by threads: close() frees it once the last
    read in progress has finished, so a close never pulls memory from under a read."""

    def __init__(self, ptr: Handle):
        self._ptr = ptr
        self._lock = threading.Lock()
        self._users = 0
        self.memory: bytes | None = None  # the buffer of a container opened from memory

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def acquire(self) -> Handle:
        with self._lock:
            if self._ptr is None:
                msg = "I/O operation on a closed PZP container"
                raise ValueError(msg)
            self._users += 1
            return self._ptr

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._closing:
                self._free()

    _closing = False

    def close(self) -> None:
        with self._lock:
            if self._ptr is None:
                return
            self._closing = True
            if self._users == 0:
                self._free()

    def _free(self) -> None:
        lib.pzp_container_close(self._ptr)
        self._ptr = None

    def __del__(self):
        if getattr(self, "_ptr", None) is not None:
            lib.pzp_container_close(self._ptr)
            self._ptr = None


class Container:
    """A PZP file opened once: header and index are read and validated at open;
    frames are decoded on demand, from any number of threads.

    ``c[i]`` (negative indices too) decodes one frame; slices and lists of
    indices return a stacked array when the frames agree in shape and dtype,
    else a list. Frames stored as inter-frame deltas cost one decode each when
    read in order (the calling thread keeps the last frame it decoded); random
    access decodes back to the nearest key frame only. Pickles as its path.
    """

    def __init__(self, path: PathLike, *, _memory: bytes | None = None):
        self._path = path
        self._memory = _memory
        self._shape_cache: tuple | None = None
        self._infos: dict = {}
        native_path = fs_path(path) if _memory is None else None
        ptr = Handle()
        try:
            if _memory is None:
                lib.pzp_container_open(native_path, byref(ptr))
            else:
                lib.pzp_container_open_memory(_memory, len(_memory), byref(ptr))
            info = ContainerInfo()
            lib.pzp_container_get_info(ptr, byref(info))
            entries = (FrameEntry * info.frame_count)()
            lib.pzp_container_get_entries(ptr, 0, info.frame_count, entries)
        except _errors.PZPError as e:
            if ptr.value:
                lib.pzp_container_close(ptr)
            raise _errors.name_file(e, "open", path) from None
        self._handle = _Handle(ptr)
        self._handle.memory = _memory  # libpzp reads from it until the handle is freed
        self._info = info
        self._entries = entries

    @classmethod
    def from_bytes(cls, data, name: str = "<memory>") -> Container:
        """Opens a PZP file held in memory (bytes, bytearray, memoryview; kept
        as an immutable copy). ``name`` stands for the path in error messages."""
        try:
            memory = bytes(memoryview(data))
        except TypeError:
            msg = f"a bytes-like object is required, not {type(data).__name__}"
            raise TypeError(msg) from None
        return cls(name, _memory=memory)

    # -- pickling: the path (or the bytes), reopened on the other side
    def __reduce__(self):
        if self._memory is not None:
            return (Container.from_bytes, (self._memory, self._path))
        return (Container, (self._path,))

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self)} frames"
        return f"<pzp.Container {os.fsdecode(self._path)!r} {state}>"

    # -- lifetime
    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        """Releases the file; reads in progress on other threads finish first."""
        self._handle.close()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what the header and index say
    @property
    def path(self):
        return self._path

    def __len__(self) -> int:
        return self._info.frame_count

    @property
    def loop_count(self) -> int:
        """Times to play; 0 = forever."""
        return self._info.loop_count

    @property
    def delays(self) -> list:
        """Per-frame display durations in milliseconds (0 = application default)."""
        return [e.delay_ms for e in self._entries]

    @property
    def file_bytes(self) -> int:
        return self._info.file_bytes

    @property
    def is_bare_frame(self) -> bool:
        """True for a legacy (v0.01) bare frame, read as a 1-frame container."""
        return bool(self._info.is_bare_frame)

    @property
    def metadata(self) -> bytes | None:
        """The metadata blob, or None."""
        size = self._info.metadata_bytes
        if not size:
            return None
        return self._read_blob("read metadata of", lib.pzp_container_read_metadata, size)

    @property
    def audio_format(self) -> str | None:
        return audio_name(self._info.audio_format) if self._info.audio_bytes else None

    @property
    def audio(self) -> tuple:
        """``(bytes, 'WAVE'|'MPEG'|'OGG'|'FLAC')``, or ``(None, None)``."""
        size = self._info.audio_bytes
        if not size:
            return (None, None)
        return (self._read_blob("read audio of", lib.pzp_container_read_audio, size), audio_name(self._info.audio_format))

    def _read_blob(self, operation: str, read, size: int) -> bytes:
        """Metadata or audio of the declared size. A first call with no room
        reports a blob past the end of the file or over its limit before
        anything of the size the file claims (up to 4 GiB) is allocated."""
        probe = bytearray(1)
        try:
            self._call(operation, lambda c: read(c, as_buffer(probe)[0], 0))
        except _errors.PZPError as e:
            if e.code != _errors.E_BUFFER_TOO_SMALL:
                raise
        out = bytearray(size)
        self._call(operation, lambda c: read(c, as_buffer(out)[0], size))
        return bytes(out)

    def _call(self, operation: str, call):
        """call(native container) with the container kept open during the call."""
        ptr = self._handle.acquire()
        try:
            return call(ptr)
        except _errors.PZPError as e:
            raise _errors.name_file(e, operation, self._path) from None
        finally:
            self._handle.release()

    def _index(self, index) -> int:
        try:
            i = int(index.__index__())
        except AttributeError:
            msg = f"frame indices must be integers, not {type(index).__name__}"
            raise TypeError(msg) from None
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            msg = f"frame index {index} out of range for a {n}-frame container"
            raise _errors.PZPFrameIndexError(msg, _errors.E_OUT_OF_RANGE, "frame index out of range", msg, self._path)
        return i

    def frame_info(self, index: int) -> dict:
        """One frame's description from its headers (no pixel decode): size,
        channels, depth, flags, codec, whether it is a delta frame, its
        compressed size, offset, bytes in the file (``file_bytes``) and delay."""
        i = self._index(index)
        info = self._infos.get(i)
        if info is None:
            info = ImageInfo()
            self._call("inspect", lambda c: lib.pzp_container_frame_info(None, c, i, byref(info)))
            self._infos[i] = info
        entry = self._entries[i]
        result = info_dict(info)
        result.update(index=i, delay_ms=entry.delay_ms, offset=entry.offset, file_bytes=entry.size)
        return result

    @property
    def shape(self) -> tuple | None:
        """(T, H, W) or (T, H, W, C) when every frame has the same shape and
        dtype, else None. Reads each frame's header once, in one library call."""
        if self._shape_cache is None:
            n = len(self)
            infos = (ImageInfo * n)()
            self._call("inspect", lambda c: lib.pzp_container_scan(None, c, 0, n, infos))
            layouts = {(i.height, i.width, i.channels, i.bpp) for i in infos}
            self._infos.update(enumerate(infos))
            self._shape_cache = ((n,) + image_shape(infos[0]),) if len(layouts) == 1 else (None,)
        return self._shape_cache[0]

    @property
    def dtype(self):
        """numpy dtype of the frames when they all agree, else None."""
        if self.shape is None:
            return None
        np = numpy_or_none()
        name = self.frame_info(0)["dtype"]
        return np.dtype(name) if np is not None else name

    @property
    def ndim(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    # -- frames
    def read(self, index: int, *, out=None, return_flags: bool = False, verify: bool = False):
        """Decodes frame ``index`` (into ``out`` if given); see :func:`pzp.read`."""
        i = self._index(index)
        ptr = self._handle.acquire()
        try:
            info = ImageInfo()
            with _Verify(verify):
                lib.pzp_container_decode_frame_begin(None, ptr, i, byref(info))
            image = finish(info, out)
        except _errors.PZPError as e:
            raise _errors.name_file(e, "read", self._path) from None
        finally:
            self._handle.release()
        return (image, info.configuration) if return_flags else image

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._stack(range(*key.indices(len(self))))
        np = numpy_or_none()
        if isinstance(key, (list, tuple)) or (np is not None and isinstance(key, np.ndarray)):
            return self._stack([self._index(k) for k in key])
        return self.read(key)

    def _stack(self, indices):
        return self.read_many(indices)

    def read_many(self, indices=None, *, threads: int = 1):
        """Frames ``indices`` (default: all) on ``threads`` threads: one array
        when they agree in shape and dtype (each frame decoded straight into
        its slice), else a list. Each thread decodes a contiguous run that
        starts at a key frame, so no delta chain is decoded twice."""
        from ._many import read_frames

        return read_frames(self, indices, threads)

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self.read(i)


def open(path: PathLike) -> Container:  # noqa: A001 - the module's reader, as in gzip.open
    """Opens a PZP file (container or single image) for reading: see :class:`Container`."""
    return Container(path)


# ---- the seed's one-call functions -------------------------------------------


def frame_count(path: PathLike) -> int:
    """Number of frames (1 for a single image or a legacy bare frame)."""
    with Container(path) as c:
        return len(c)


def get_loop_count(path: PathLike) -> int:
    """Loop count (0 = forever). Raises on error, unlike the reference's 1."""
    with Container(path) as c:
        return c.loop_count


def get_delays(path: PathLike) -> list:
    """Per-frame delays in milliseconds."""
    with Container(path) as c:
        return c.delays


def read_frame(path: PathLike, index: int = 0, *, return_flags: bool = False, out=None, verify: bool = False):
    """Decodes one frame (random access; same return types as :func:`pzp.read`)."""
    with Container(path) as c:
        return c.read(index, out=out, return_flags=return_flags, verify=verify)


def read_frames(path: PathLike, *, return_flags: bool = False) -> list:
    """Decodes every frame in one pass; a list of arrays (or ``(array, flags)``)."""
    with Container(path) as c:
        return [c.read(i, return_flags=return_flags) for i in range(len(c))]


def get_metadata(path: PathLike) -> bytes | None:
    with Container(path) as c:
        return c.metadata


def get_audio(path: PathLike) -> tuple:
    """``(bytes, format)`` with format 'WAVE', 'MPEG', 'OGG' or 'FLAC', or ``(None, None)``."""
    with Container(path) as c:
        return c.audio


# ---- writing -------------------------------------------------------------------


class ContainerWriter:
    """Streams frames into a new container, one at a time.

    Memory holds one frame (two with inter-frame delta: the previous one is
    kept). The file appears at ``path`` only when :meth:`close` succeeds (the
    ``with`` block ends without an exception); until then an existing file is
    untouched, and an aborted or crashed write leaves nothing behind.

    Options are those of :func:`write_container`, plus ``keyframe_interval``
    (with ``use_inter_delta``: a key frame every N frames so random access is
    bounded; 0 = never, as the reference), ``level``, ``groups``,
    ``expected_frames`` (when right, no data is moved on close),
    ``allow_large`` and ``durable`` (flush to disk before the rename).
    """

    def __init__(self, path: PathLike, *, loop_count: int = 0, use_rle: bool = False, use_palette: bool = False,
                 use_inter_delta: bool = False, use_lz4: bool = False, configuration: int = USE_COMPRESSION,
                 level: int | None = None, groups=None, metadata=None, audio=None, audio_format="WAVE",
                 keyframe_interval: int = DEFAULT_KEYFRAME_INTERVAL, expected_frames: int = 0,
                 allow_large: bool = False, durable: bool = True):
        self._path = path
        self._configuration = configuration_of(configuration, use_rle, use_palette, use_lz4, use_inter_delta)
        self._level = level
        self._groups = groups
        self._allow_large = allow_large
        self._lock = threading.Lock()
        for name, value in (("loop_count", loop_count), ("keyframe_interval", keyframe_interval),
                            ("expected_frames", expected_frames)):
            if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
                msg = f"{name} must be an int from 0 to 2**32-1, not {value!r}"
                raise ValueError(msg)
        metadata_bytes = _blob_bytes(metadata, "metadata")
        audio_bytes = _blob_bytes(audio, "audio")
        tag = _stored_tag(audio_bytes, audio_format)
        options = WriterOptions(loop_count, keyframe_interval, expected_frames, 0 if durable else _WRITER_NO_SYNC)
        ptr = Handle()
        try:
            lib.pzp_writer_open(fs_path(path), byref(options), byref(ptr))
        except _errors.PZPError as e:
            raise _errors.name_file(e, "write", path) from None
        self._ptr = ptr
        try:
            if metadata_bytes:
                self.set_metadata(metadata_bytes)
            if audio_bytes:
                self.set_audio(audio_bytes, tag)
        except BaseException:
            self.abort()
            raise

    def _writer(self) -> Handle:
        if self._ptr is None:
            msg = "the PZP writer is closed"
            raise ValueError(msg)
        return self._ptr

    def _call(self, func, *args):
        with self._lock:
            try:
                return func(self._writer(), *args)
            except _errors.PZPError as e:
                raise _errors.name_file(e, "write", self._path) from None

    def append(self, frame, delay_ms: int = 0) -> None:
        """Encodes and appends one frame: a uint8/uint16 array (H, W) or (H, W, C),
        or a ``(bytes, width, height, bpp, channels)`` tuple."""
        if isinstance(frame, tuple):
            pixels, w, h, bpp, c = as_pixels(*frame)
        else:
            pixels, w, h, bpp, c = as_pixels(frame)
        if not isinstance(delay_ms, int) or not 0 <= delay_ms <= 0xFFFFFFFF:
            msg = f"delay_ms must be an int from 0 to 2**32-1, not {delay_ms!r}"
            raise ValueError(msg)
        params = make_params(w, h, bpp, c, self._configuration, self._level, self._groups, self._allow_large, pixels)
        ptr, size = pointer(pixels)
        self._call(lib.pzp_writer_add_frame, byref(params), ptr, size, delay_ms)

    def append_encoded(self, blob, delay_ms: int = 0) -> None:
        """Appends an already encoded frame blob unchanged (e.g. copied from
        another container); the next appended frame is a key frame."""
        buf, size = as_buffer(blob)
        self._call(lib.pzp_writer_add_blob, buf, size, delay_ms)

    def set_metadata(self, metadata) -> None:
        data = _blob_bytes(metadata, "metadata") or b""
        self._call(lib.pzp_writer_set_metadata, data, len(data))

    def set_audio(self, audio, audio_format="WAVE") -> None:
        data = _blob_bytes(audio, "audio") or b""
        self._call(lib.pzp_writer_set_audio, data, len(data), _stored_tag(data, audio_format))

    @property
    def frame_count(self) -> int:
        with self._lock:
            return lib.pzp_writer_frame_count(self._ptr) if self._ptr is not None else 0

    def close(self) -> None:
        """Finishes the file and moves it into place (no-op if already closed)."""
        with self._lock:
            if self._ptr is None:
                return
            ptr, self._ptr = self._ptr, None
            try:
                lib.pzp_writer_close(ptr)  # frees the writer, also on failure
            except _errors.PZPError as e:
                raise _errors.name_file(e, "write", self._path) from None

    def abort(self) -> None:
        """Discards everything written; nothing appears at the path."""
        with self._lock:
            if self._ptr is not None:
                lib.pzp_writer_abort(self._ptr)
                self._ptr = None

    def __enter__(self) -> ContainerWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self):
        if getattr(self, "_ptr", None) is not None:
            lib.pzp_writer_abort(self._ptr)
            self._ptr = None


def write_container(path: PathLike, frames: Iterable, delays=None, loop_count: int = 0, use_rle: bool = False,
                    use_palette: bool = False, use_inter_delta: bool = False, use_lz4: bool = False,
                    configuration: int = USE_COMPRESSION, metadata=None, audio=None, audio_format="WAVE",
                    **options) -> None:
    """Writes frames (arrays or ``(bytes, w, h, bpp, c)`` tuples) as one container,
    streamed through :class:`ContainerWriter` (which also takes ``options``:
    keyframe_interval, level, groups, allow_large, durable).

    ``delays``: ms per frame (default all 0); ``loop_count``: 0 = forever;
    ``metadata``: bytes or str; ``audio``: the bytes of an audio file, with
    ``audio_format`` 'WAVE', 'MPEG', 'OGG' or 'FLAC'.
    """
    if hasattr(frames, "__len__"):
        count = len(frames)
        if count == 0:
            msg = "write_container needs at least one frame"
            raise ValueError(msg)
        options.setdefault("expected_frames", min(count, 0xFFFFFFFF))
    if delays is not None:
        delays = list(delays)
        if hasattr(frames, "__len__") and len(delays) != len(frames):
            msg = f"{len(delays)} delays for {len(frames)} frames"
            raise ValueError(msg)
    if audio is not None or audio_format is not None:
        audio_tag(audio_format)  # reject an unknown format before writing anything
    with ContainerWriter(path, loop_count=loop_count, use_rle=use_rle, use_palette=use_palette,
                         use_inter_delta=use_inter_delta, use_lz4=use_lz4, configuration=configuration,
                         metadata=metadata, audio=audio, audio_format=audio_format, **options) as writer:
        n = 0
        for n, frame in enumerate(frames, 1):
            if delays is not None and n > len(delays):
                msg = f"more frames than the {len(delays)} delays given"
                raise ValueError(msg)
            writer.append(frame, delays[n - 1] if delays is not None else 0)
        if n == 0:
            msg = "write_container needs at least one frame"
            raise ValueError(msg)
        if delays is not None and n != len(delays):
            msg = f"{len(delays)} delays for {n} frames"
            raise ValueError(msg)


__all__ = [
    "AUDIO_FLAC",
    "AUDIO_MPEG",
    "AUDIO_OGG",
    "AUDIO_WAVE",
    "Container",
    "ContainerWriter",
    "frame_count",
    "get_audio",
    "get_delays",
    "get_loop_count",
    "get_metadata",
    "open",
    "read_frame",
    "read_frames",
    "write_container",
]
