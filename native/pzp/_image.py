"""Single images: read, info, write, decode, encode."""

from __future__ import annotations

import array
import os
import sys
from typing import Any, Union

from . import _errors
from ._ffi import EncodeParams, ImageInfo, SizeOut, U64Out, array_address, byref, lib, writable_view

USE_COMPRESSION = 1
USE_RLE = 2
USE_PALETTE = 4
USE_INTER_DELTA = 8
USE_LZ4 = 16

CODEC_NAMES = ("zstd", "lz4")
PREDICTORS = {"none": 0, "left": 1, "gradient": 2}
PREDICTOR_NAMES = {v: k for k, v in PREDICTORS.items()}

_ENCODE_ALLOW_LARGE = 1
_DECODE_VERIFY_CHECKSUM = 1

PathLike = Union[str, bytes, "os.PathLike[str]"]

_numpy: Any = None


def numpy_or_none():
    """numpy if it can be imported (imported on first use), else None."""
    global _numpy
    if _numpy is None:
        try:
            import numpy
        except ImportError:
            _numpy = False
        else:
            _numpy = numpy
    return _numpy or None


def fs_path(path: PathLike) -> bytes:
    if not isinstance(path, (str, bytes, os.PathLike)):
        msg = f"path must be str, bytes or os.PathLike, not {type(path).__name__}"
        raise TypeError(msg)
    encoded = os.fsencode(path)
    if b"\0" in encoded:  # C would stop at the NUL and use another file
        msg = f"embedded null byte in path {path!r}"
        raise ValueError(msg)
    return encoded


# ---- decoding ----------------------------------------------------------------


def image_shape(info: ImageInfo) -> tuple:
    if info.channels == 1:
        return (info.height, info.width)
    return (info.height, info.width, info.channels)


def allocate(info: ImageInfo, out=None):
    """The array a staged frame decodes into: out (validated) or a new one."""
    np = numpy_or_none()
    dtype = np.uint16 if info.bpp == 16 else np.uint8
    shape = image_shape(info)
    if out is None:
        return np.empty(shape, dtype)
    if not isinstance(out, np.ndarray):
        msg = f"out must be a numpy array, not {type(out).__name__}"
        raise TypeError(msg)
    if out.dtype != dtype or out.shape != shape:
        msg = f"out must be a {shape} {np.dtype(dtype).name} array, got {out.shape} {out.dtype.name}"
        raise ValueError(msg)
    if not (out.flags.c_contiguous and out.flags.writeable):
        msg = "out must be C-contiguous and writeable"
        raise ValueError(msg)
    return out


def finish(info: ImageInfo, out=None):
    """Writes the staged frame into a numpy array, or (without numpy) returns
    the reference's dict with big-endian 16-bit samples."""
    if numpy_or_none() is not None:
        result = allocate(info, out)
        lib.pzp_decode_finish(None, array_address(result), result.nbytes)
        return result
    data = bytearray(info.decoded_bytes)
    buf = writable_view(data, len(data))
    lib.pzp_decode_finish(None, buf, len(data))
    if info.bpp == 16 and sys.byteorder == "little":
        samples = array.array("H", bytes(data))
        samples.byteswap()
        data = bytearray(samples.tobytes())
    return {
        "data": bytes(data),
        "width": info.width,
        "height": info.height,
        "channels": info.channels,
        "bpp": info.bpp,
        "configuration": info.configuration,
    }


class _Verify:
    """Turns frame checksum verification on for the calling thread's context."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        if self.on:
            lib.pzp_dctx_set_options(None, _DECODE_VERIFY_CHECKSUM)

    def __exit__(self, *exc):
        if self.on:
            lib.pzp_dctx_set_options(None, 0)


def read(path: PathLike, *, return_flags: bool = False, out=None, verify: bool = False):
    """Decodes the image of a PZP file (frame 0 of a container).

    Returns a numpy array of shape (H, W) or (H, W, C), uint8 or native-order
    uint16, decoded straight into the array (into ``out`` if given). Without
    numpy, returns the reference's dict (``data`` holds 16-bit samples
    big-endian). ``return_flags=True`` returns ``(image, configuration)``.
    ``verify=True`` also checks the frame checksum.
    """
    name = fs_path(path)
    info = ImageInfo()
    try:
        with _Verify(verify):
            lib.pzp_decode_file_begin(None, name, byref(info))
        image = finish(info, out)
    except _errors.PZPError as e:
        raise _errors.name_file(e, "read", path) from None
    return (image, info.configuration) if return_flags else image


def info_dict(info: ImageInfo) -> dict:
    groups = [
        {"channels": g[0], "bits": g[1], "predictor": PREDICTOR_NAMES.get(g[2], str(g[2]))}
        for g in info.groups[: info.group_count]
    ]
    return {
        "width": info.width,
        "height": info.height,
        "bpp": info.bpp,
        "channels": info.channels,
        "configuration": info.configuration,
        "bpp_internal": 8,
        "ch_internal": info.channels_internal,
        "codec": CODEC_NAMES[info.codec] if info.codec < 2 else str(info.codec),
        "frame_version": info.frame_version,
        "groups": groups,
        "palette_bytes": info.palette_bytes,
        "checksum": info.checksum,
        "is_delta": bool(info.is_delta),
        "payload_bytes": info.payload_bytes,
        "compressed_bytes": info.blob_bytes,
        "decoded_bytes": info.decoded_bytes,
        "shape": image_shape(info),
        "dtype": "uint16" if info.bpp == 16 else "uint8",
    }


def info(path: PathLike) -> dict:
    """Describes the image of a PZP file from its headers (no pixel decode):
    width, height, bpp, channels, configuration, bpp_internal, ch_internal,
    codec, groups, palette_bytes, sizes, shape and dtype."""
    name = fs_path(path)
    result = ImageInfo()
    try:
        lib.pzp_info_file(None, name, byref(result))
    except _errors.PZPError as e:
        raise _errors.name_file(e, "inspect", path) from None
    return info_dict(result)


def as_buffer(data) -> tuple:
    """(pointer-compatible object, size) for a bytes-like object, without copying
    when possible. The object must be kept alive during the call."""
    if isinstance(data, bytes):
        return data, len(data)
    try:
        view = memoryview(data)
    except TypeError:
        msg = f"a bytes-like object is required, not {type(data).__name__}"
        raise TypeError(msg) from None
    if not view.c_contiguous:
        msg = "the buffer must be C-contiguous"
        raise ValueError(msg)
    view = view.cast("B") if view.format != "B" or view.ndim != 1 else view
    if view.readonly:
        return bytes(view), view.nbytes
    return writable_view(view, view.nbytes), view.nbytes


def decode(data, *, return_flags: bool = False, out=None, verify: bool = False):
    """Decodes the image of a PZP file held in memory (bytes, bytearray,
    memoryview or any buffer); same results as :func:`read`."""
    buf, size = as_buffer(data)
    info = ImageInfo()
    with _Verify(verify):
        lib.pzp_decode_begin(None, buf, size, byref(info))
    image = finish(info, out)
    return (image, info.configuration) if return_flags else image


# ---- encoding ----------------------------------------------------------------


def parse_groups(spec) -> list:
    """Parses a channel-group spec such as ``"u8x3:left"``, ``"u16:gradient"`` or
    ``"u8:left,u16:gradient"`` into ``[(byte_channels, bits, predictor), ...]``.
    A ``u16`` group covers one 16-bit channel (two byte channels). Lists of
    tuples pass through unchanged."""
    if spec is None:
        return []
    if not isinstance(spec, str):
        groups = [tuple(int(v) for v in g) for g in spec]
        for g in groups:
            if len(g) != 3:
                msg = f"a group is (byte_channels, bits, predictor), got {g}"
                raise ValueError(msg)
        return groups
    groups = []
    for part in spec.replace(" ", "").split(","):
        kind, sep, predictor = part.partition(":")
        count = 1
        if "x" in kind:
            kind, _, n = kind.partition("x")
            if not n.isdigit() or int(n) < 1:
                msg = f"bad channel count in group spec {part!r}"
                raise ValueError(msg)
            count = int(n)
        if not sep or kind not in ("u8", "u16") or predictor not in PREDICTORS:
            msg = f"bad group spec {part!r}: expected u8[xN]:none|left or u16:gradient"
            raise ValueError(msg)
        if kind == "u8":
            groups.append((count, 8, PREDICTORS[predictor]))
        else:
            groups.extend([(2, 16, PREDICTORS[predictor])] * count)
    if not groups or len(groups) > 8:
        msg = f"group spec {spec!r} must give 1 to 8 groups"
        raise ValueError(msg)
    return groups


def sample_rows(image, fraction: float = 0.1, band: int = 16):
    """Evenly spaced bands of rows, about ``fraction`` of the image (2 to 8
    bands; all of an image shorter than two bands)."""
    height = image.shape[0]
    if height <= 2 * band:
        return image
    count = min(8, max(2, round(fraction * height / band)))
    starts = [(height - band) * k // (count - 1) for k in range(count)]
    np = numpy_or_none()
    return np.ascontiguousarray(np.concatenate([image[s : s + band] for s in starts]))


def default_groups(pixels, bpp: int, channels: int, configuration: int) -> list:
    """The predictor a frame gets when the caller names none.

    16-bit images with ``use_rle`` get whichever of two predictors compresses a
    sample of their rows better: the gradient predictor on real 16-bit values
    (one ``u16:gradient`` group per channel; 3-37 % smaller on the 16-bit depth,
    elevation, medical and thermal images of our corpus) or the reference's
    byte-wise left delta (smaller on 16-bit label maps, which are piecewise
    constant). Everything else keeps the reference's default group.
    """
    if bpp != 16 or not configuration & USE_RLE or configuration & USE_PALETTE or channels > 8:
        return []
    gradient = [(2, 16, PREDICTORS["gradient"])] * channels
    np = numpy_or_none()
    if np is None or not isinstance(pixels, np.ndarray):
        return gradient
    sample = sample_rows(pixels)
    sizes = []
    for groups in (gradient, []):
        params = make_params(sample.shape[1], sample.shape[0], 16, channels, USE_RLE, 1, groups)
        sizes.append(len(encode_params(sample, params)))
    return gradient if sizes[0] <= sizes[1] else []


def as_pixels(data, width=0, height=0, bpp=0, channels=0) -> tuple:
    """(contiguous pixel buffer, width, height, bpp, channels) from a numpy
    array or from raw bytes with all four sizes (16-bit raw bytes big-endian,
    as the reference)."""
    np = numpy_or_none()
    if np is not None and isinstance(data, np.ndarray):
        if data.dtype == np.uint8:
            bits = 8
        elif data.dtype.kind == "u" and data.dtype.itemsize == 2:
            bits = 16
        else:
            msg = f"PZP stores uint8 or uint16 samples, not {data.dtype}; convert with .astype(np.uint8 or np.uint16)"
            raise TypeError(msg)
        if data.ndim == 2:
            h, w = data.shape
            c = 1
        elif data.ndim == 3:
            h, w, c = data.shape
        else:
            msg = f"an image is (H, W) or (H, W, C), got shape {data.shape}"
            raise ValueError(msg)
        if h == 0 or w == 0 or c == 0:
            msg = f"empty image of shape {data.shape}"
            raise ValueError(msg)
        pixels = np.ascontiguousarray(data, dtype=np.uint16 if bits == 16 else np.uint8)
        return pixels, w, h, bits, c
    if not (width and height and bpp and channels):
        msg = "raw pixel bytes need width, height, bpp and channels"
        raise ValueError(msg)
    for name, value in (("width", width), ("height", height), ("channels", channels)):
        if not isinstance(value, int) or not 0 < value < 1 << 32:
            msg = f"{name} must be an int from 1 to 2**32 - 1, not {value!r}"
            raise ValueError(msg)
    if bpp not in (8, 16):
        msg = f"bpp must be 8 or 16, not {bpp}"
        raise ValueError(msg)
    buf, size = as_buffer(data)
    expected = width * height * channels * bpp // 8
    if size != expected:
        msg = f"{size} bytes given for a {width}x{height}x{channels} {bpp}-bit image ({expected} bytes)"
        raise ValueError(msg)
    if bpp == 16 and sys.byteorder == "little":
        samples = array.array("H", bytes(buf) if not isinstance(buf, bytes) else buf)
        samples.byteswap()
        buf = samples.tobytes()
    return buf, width, height, bpp, channels


def pointer(pixels):
    np = numpy_or_none()
    if np is not None and isinstance(pixels, np.ndarray):
        return array_address(pixels), pixels.nbytes
    if isinstance(pixels, bytes):
        return pixels, len(pixels)
    return pixels, len(pixels) if pixels is not None else 0


def make_params(width, height, bpp, channels, configuration, level=None, groups=None, allow_large=False,
                pixels=None) -> EncodeParams:
    params = EncodeParams()
    params.width, params.height, params.bpp, params.channels = width, height, bpp, channels
    params.configuration = configuration | USE_COMPRESSION
    if level is not None:
        if not isinstance(level, int) or level == 0 or not -(1 << 31) <= level < 1 << 31:
            msg = f"level must be a non-zero 32-bit int (a zstd level), not {level!r}"
            raise ValueError(msg)
        params.level = level
    chosen = parse_groups(groups) if groups is not None else default_groups(pixels, bpp, channels,
                                                                             params.configuration)
    if len(chosen) > 8:
        msg = "at most 8 channel groups"
        raise ValueError(msg)
    params.group_count = len(chosen)
    for group in chosen:
        if not all(0 <= v < 256 for v in group):  # the C fields are bytes: nothing may wrap
            msg = f"a group is (byte_channels, bits, predictor), each 0-255, got {group}"
            raise ValueError(msg)
    for i, (n, bits, predictor) in enumerate(chosen):
        params.groups[i][0], params.groups[i][1], params.groups[i][2] = n, bits, predictor
    params.options = _ENCODE_ALLOW_LARGE if allow_large else 0
    return params


def configuration_of(configuration, use_rle=False, use_palette=False, use_lz4=False, use_inter_delta=False) -> int:
    if not isinstance(configuration, int) or not 0 <= configuration < 1 << 32:
        msg = f"configuration must be a 32-bit flag word (1, 2, 4, 8, 16), not {configuration!r}"
        raise ValueError(msg)
    return (
        configuration
        | USE_COMPRESSION
        | (USE_RLE if use_rle else 0)
        | (USE_PALETTE if use_palette else 0)
        | (USE_LZ4 if use_lz4 else 0)
        | (USE_INTER_DELTA if use_inter_delta else 0)
    )


def _prepare(data, width, height, bpp, channels, use_rle, use_palette, use_lz4, groups, configuration, level,
             allow_large):
    pixels, w, h, bits, c = as_pixels(data, width, height, bpp, channels)
    config = configuration_of(configuration, use_rle, use_palette, use_lz4)
    params = make_params(w, h, bits, c, config, level, groups, allow_large, pixels)
    return pixels, params


def write(path: PathLike, data, *, width: int = 0, height: int = 0, bpp: int = 0, channels: int = 0,
          use_rle: bool = False, use_palette: bool = False, use_lz4: bool = False, groups=None,
          configuration: int = USE_COMPRESSION, level: int | None = None, allow_large: bool = False) -> None:
    """Writes one image as a PZP file, atomically (a temporary file in the same
    folder renamed over ``path``; on failure an existing file is untouched).

    ``data``: a uint8/uint16 numpy array (H, W) or (H, W, C), or raw bytes with
    ``width``, ``height``, ``bpp`` and ``channels`` (16-bit samples big-endian).
    Flags are OR-ed into ``configuration``. ``groups``: a channel-group spec
    (see :func:`parse_groups`); by default 16-bit images with ``use_rle`` use
    the gradient predictor. ``level``: zstd level (default: 1, or with a palette
    19 tuned to decode faster, see pzp.h). ``allow_large``: permit payloads above the reference
    reader's 100,000,000-byte limit.
    """
    name = fs_path(path)
    pixels, params = _prepare(data, width, height, bpp, channels, use_rle, use_palette, use_lz4, groups,
                              configuration, level, allow_large)
    ptr, size = pointer(pixels)
    try:
        lib.pzp_write_file(None, byref(params), ptr, size, name)
    except _errors.PZPError as e:
        raise _errors.name_file(e, "write", path) from None


def encode(data, *, width: int = 0, height: int = 0, bpp: int = 0, channels: int = 0, use_rle: bool = False,
           use_palette: bool = False, use_lz4: bool = False, groups=None, configuration: int = USE_COMPRESSION,
           level: int | None = None, allow_large: bool = False) -> bytes:
    """Encodes one image to the bytes of a PZP file (same options as :func:`write`)."""
    pixels, params = _prepare(data, width, height, bpp, channels, use_rle, use_palette, use_lz4, groups,
                              configuration, level, allow_large)
    return encode_params(pixels, params)


def encode_params(pixels, params: EncodeParams) -> bytes:
    """The bytes of a single-image file for prepared pixels and parameters."""
    bound = U64Out()
    lib.pzp_encode_bound(byref(params), byref(bound), None)
    ptr, size = pointer(pixels)
    return _encoded(bound.value, lambda out, cap, written: lib.pzp_encode(None, byref(params), ptr, size, out, cap,
                                                                          written))


def _encoded(bound: int, encode) -> bytes:
    """Runs encode(out, capacity, byref(written)) into a buffer of bound bytes
    (uninitialised with numpy: the encoder writes what is kept); its bytes."""
    written = SizeOut()
    np = numpy_or_none()
    if np is not None:
        out = np.empty(bound, np.uint8)
        encode(array_address(out), out.size, byref(written))
        return out[: written.value].tobytes()
    buffer = bytearray(bound)
    encode(writable_view(buffer, len(buffer)), len(buffer), byref(written))
    return bytes(memoryview(buffer)[: written.value])


def encode_frame(data, previous=None, *, use_rle: bool = False, use_palette: bool = False, use_lz4: bool = False,
                 groups=None, configuration: int = USE_COMPRESSION, level: int | None = None,
                 allow_large: bool = False) -> bytes:
    """Encodes one frame to a frame blob (size prefix + payload), the unit
    :meth:`pzp.ContainerWriter.append_encoded` appends, so frames can be
    encoded on several threads and appended in order.

    ``previous``: the previous frame's pixels (same shape and dtype) to store
    this frame as an inter-frame delta to it; None for a key frame. Other
    options are those of :func:`write`. The result is byte for byte what
    :class:`pzp.ContainerWriter` writes for the same frame and previous frame.
    """
    pixels, params = _prepare(data, 0, 0, 0, 0, use_rle, use_palette, use_lz4, groups, configuration, level,
                              allow_large)
    reference = None
    if previous is not None:
        reference, w, h, bits, c = as_pixels(previous)
        if (w, h, bits, c) != (params.width, params.height, params.bpp, params.channels):
            msg = (f"previous frame is {w}x{h}x{c} {bits}-bit, the frame {params.width}x{params.height}x"
                   f"{params.channels} {params.bpp}-bit: a delta needs the same layout")
            raise ValueError(msg)
        params.configuration |= USE_INTER_DELTA
    else:
        params.configuration &= ~USE_INTER_DELTA
    bound = U64Out()
    lib.pzp_encode_bound(byref(params), None, byref(bound))
    ptr, size = pointer(pixels)
    previous_ptr = pointer(reference)[0] if reference is not None else None
    return _encoded(bound.value, lambda out, cap, written: lib.pzp_encode_frame(None, byref(params), ptr, size,
                                                                                previous_ptr, out, cap, written))
