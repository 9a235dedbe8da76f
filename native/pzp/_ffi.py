"""The ctypes binding of libpzp: the only module that imports ctypes.

The library is loaded with ``ctypes.CDLL``, which releases the GIL for the
duration of every call, so threads decode in parallel. Every function that
returns an error code is declared with an ``errcheck`` that raises the matching
:class:`~pzp.PZPError`, so no call site checks codes by hand.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_size_t, c_uint, c_uint8, c_uint32, c_uint64, c_void_p
from pathlib import Path

from . import _errors

EXPECTED_VERSION = 10000  # PZP_VERSION_NUMBER this binding was written for
MAX_GROUPS = 8


class ImageInfo(ctypes.Structure):
    _fields_ = [
        ("width", c_uint32),
        ("height", c_uint32),
        ("bpp", c_uint32),
        ("channels", c_uint32),
        ("channels_internal", c_uint32),
        ("configuration", c_uint32),
        ("codec", c_uint32),
        ("frame_version", c_uint32),
        ("group_count", c_uint32),
        ("groups", (c_uint8 * 4) * MAX_GROUPS),
        ("palette_bytes", c_uint32),
        ("checksum", c_uint32),
        ("is_delta", c_uint32),
        ("reserved", c_uint32),
        ("payload_bytes", c_uint64),
        ("blob_bytes", c_uint64),
        ("decoded_bytes", c_uint64),
    ]


class EncodeParams(ctypes.Structure):
    _fields_ = [
        ("width", c_uint32),
        ("height", c_uint32),
        ("bpp", c_uint32),
        ("channels", c_uint32),
        ("configuration", c_uint32),
        ("level", c_int32),
        ("group_count", c_uint32),
        ("groups", (c_uint8 * 4) * MAX_GROUPS),
        ("options", c_uint32),
    ]


class Limits(ctypes.Structure):
    _fields_ = [
        ("max_pixels", c_uint64),
        ("max_frames", c_uint64),
        ("max_metadata_bytes", c_uint64),
        ("max_audio_bytes", c_uint64),
        ("max_alloc_bytes", c_uint64),
    ]


class ContainerInfo(ctypes.Structure):
    _fields_ = [
        ("frame_count", c_uint32),
        ("loop_count", c_uint32),
        ("flags", c_uint32),
        ("audio_format", c_uint32),
        ("metadata_bytes", c_uint64),
        ("audio_bytes", c_uint64),
        ("file_bytes", c_uint64),
        ("is_bare_frame", c_uint32),
        ("header_checksum", c_uint32),
    ]


class FrameEntry(ctypes.Structure):
    _fields_ = [
        ("offset", c_uint64),
        ("size", c_uint64),
        ("delay_ms", c_uint32),
        ("valid", c_uint32),
    ]


class WriterOptions(ctypes.Structure):
    _fields_ = [
        ("loop_count", c_uint32),
        ("keyframe_interval", c_uint32),
        ("expected_frames", c_uint32),
        ("flags", c_uint32),
    ]


def _library_path() -> str:
    override = os.environ.get("PZP_LIBRARY")
    if override:
        return override
    # Every folder of the package: in an editable install the Python files and
    # the built library live in different folders of the same package.
    from . import __path__ as package_path

    for folder in package_path:
        candidate = Path(folder) / "libpzp.so"
        if candidate.is_file():
            return str(candidate)
    msg = (
        "libpzp.so was not found next to the pzp package "
        f"(searched {list(package_path)}); reinstall napari-pzp or set PZP_LIBRARY"
    )
    raise ImportError(msg)


lib = ctypes.CDLL(_library_path())

lib.pzp_version_number.restype = c_uint
lib.pzp_version_number.argtypes = []
if lib.pzp_version_number() // 100 != EXPECTED_VERSION // 100:
    msg = f"libpzp version {lib.pzp_version_number()} does not match the pzp package ({EXPECTED_VERSION})"
    raise ImportError(msg)


def _errcheck(result: int, func, args):
    if result != 0:
        message = lib.pzp_last_error().decode("utf-8", "replace")
        raise _errors.from_code(result, message, lib.pzp_strerror(result).decode(), lib.pzp_last_os_error())
    return result


_P = c_void_p  # context, container and writer handles
_INFO = POINTER(ImageInfo)

# name: (restype, argtypes); functions returning int codes get _errcheck.
_SIGNATURES = {
    "pzp_version_string": (c_char_p, []),
    "pzp_strerror": (c_char_p, [c_int]),
    "pzp_last_error": (c_char_p, []),
    "pzp_last_os_error": (c_int, []),
    "pzp_default_limits": (None, [POINTER(Limits)]),
    "pzp_get_limits": (None, [POINTER(Limits)]),
    "pzp_set_limits": (c_int, [POINTER(Limits)]),
    "pzp_dctx_set_options": (c_int, [_P, c_uint32]),
    "pzp_dctx_decode_count": (c_uint64, [_P]),
    "pzp_info": (c_int, [_P, c_void_p, c_size_t, _INFO]),
    "pzp_decode_begin": (c_int, [_P, c_void_p, c_size_t, _INFO]),
    "pzp_decode_finish": (c_int, [_P, c_void_p, c_size_t]),
    "pzp_info_file": (c_int, [_P, c_char_p, _INFO]),
    "pzp_decode_file_begin": (c_int, [_P, c_char_p, _INFO]),
    "pzp_encode_bound": (c_int, [POINTER(EncodeParams), POINTER(c_uint64), POINTER(c_uint64)]),
    "pzp_encode_frame": (
        c_int,
        [_P, POINTER(EncodeParams), c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, POINTER(c_size_t)],
    ),
    "pzp_encode": (c_int, [_P, POINTER(EncodeParams), c_void_p, c_size_t, c_void_p, c_size_t, POINTER(c_size_t)]),
    "pzp_write_file": (c_int, [_P, POINTER(EncodeParams), c_void_p, c_size_t, c_char_p]),
    "pzp_container_open": (c_int, [c_char_p, POINTER(c_void_p)]),
    "pzp_container_open_memory": (c_int, [c_void_p, c_size_t, POINTER(c_void_p)]),
    "pzp_container_close": (None, [_P]),
    "pzp_container_get_info": (c_int, [_P, POINTER(ContainerInfo)]),
    "pzp_container_get_entries": (c_int, [_P, c_uint32, c_uint32, POINTER(FrameEntry)]),
    "pzp_container_frame_info": (c_int, [_P, _P, c_uint32, _INFO]),
    "pzp_container_decode_frame_begin": (c_int, [_P, _P, c_uint32, _INFO]),
    "pzp_container_decode_frame": (c_int, [_P, _P, c_uint32, c_void_p, c_size_t, _INFO]),
    "pzp_container_scan": (c_int, [_P, _P, c_uint32, c_uint32, _INFO]),
    "pzp_container_read_metadata": (c_int, [_P, c_void_p, c_size_t]),
    "pzp_container_read_audio": (c_int, [_P, c_void_p, c_size_t]),
    "pzp_container_read_blob": (c_int, [_P, c_uint32, c_void_p, c_size_t]),
    "pzp_writer_open": (c_int, [c_char_p, POINTER(WriterOptions), POINTER(c_void_p)]),
    "pzp_writer_add_frame": (c_int, [_P, POINTER(EncodeParams), c_void_p, c_size_t, c_uint32]),
    "pzp_writer_add_blob": (c_int, [_P, c_void_p, c_size_t, c_uint32]),
    "pzp_writer_set_metadata": (c_int, [_P, c_void_p, c_size_t]),
    "pzp_writer_set_audio": (c_int, [_P, c_void_p, c_size_t, c_uint32]),
    "pzp_writer_frame_count": (c_uint32, [_P]),
    "pzp_writer_close": (c_int, [_P]),
    "pzp_writer_abort": (None, [_P]),
    "pzp_checksum": (c_uint32, [c_void_p, c_size_t]),
    "pzp_thread_init": (c_int, []),
    "pzp_thread_cleanup": (None, []),
}

_NO_ERRCHECK = {"pzp_strerror", "pzp_last_error", "pzp_last_os_error"}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _func = getattr(lib, _name)
    _func.restype = _restype
    _func.argtypes = _argtypes
    if _restype is c_int and _name not in _NO_ERRCHECK:
        _func.errcheck = _errcheck

version_string = lib.pzp_version_string().decode()

Handle = c_void_p  # a pzp_container* or pzp_writer*
SizeOut = c_size_t
U64Out = c_uint64


def writable_view(buffer, size: int):
    """A ctypes view of a writable buffer (no copy), or None when empty."""
    return (ctypes.c_char * size).from_buffer(buffer) if size else None


def array_address(array):
    """A pointer argument to a numpy array's data: through the buffer protocol
    for writable arrays (0.6 us cheaper per call than array.ctypes.data)."""
    if array.flags.writeable and array.flags.c_contiguous and array.size:
        return byref(ctypes.c_char.from_buffer(array))
    return array.ctypes.data


__all__ = [
    "array_address",
    "ContainerInfo",
    "Handle",
    "SizeOut",
    "U64Out",
    "writable_view",
    "EncodeParams",
    "FrameEntry",
    "ImageInfo",
    "Limits",
    "WriterOptions",
    "byref",
    "lib",
    "version_string",
]
