"""Exceptions. Each also inherits the builtin it resembles, so callers that
catch ``ValueError``, ``OSError``, ``MemoryError`` or ``IndexError`` keep working."""

from __future__ import annotations

import errno as _errno
import os
from typing import Any

# Error codes of pzp.h (pinned).
OK = 0
E_NOT_PZP = 1
E_TRUNCATED = 2
E_CORRUPT = 3
E_CHECKSUM = 4
E_UNSUPPORTED = 5
E_INVALID_ARGUMENT = 6
E_TOO_LARGE = 7
E_LIMIT = 8
E_NO_MEMORY = 9
E_IO = 10
E_BUFFER_TOO_SMALL = 11
E_OUT_OF_RANGE = 12
E_BAD_STATE = 13
E_CODEC = 14


class PZPError(Exception):
    """A libpzp failure. ``code`` is the library's error code, ``reason`` its
    phrase for the code, ``detail`` the library's message and ``filename`` the
    file concerned (when there is one)."""

    def __init__(self, message: str, code: int = 0, reason: str = "", detail: str = "", filename: Any = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.detail = detail
        self.filename = filename

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class PZPFormatError(PZPError, ValueError):
    """The data is not valid PZP (damaged, truncated, not PZP, or unsupported)."""


class NotPZPError(PZPFormatError):
    """The data is not a PZP file at all."""


class PZPCorruptError(PZPFormatError):
    """Damaged PZP data."""


class PZPTruncatedError(PZPCorruptError):
    """PZP data that ends before the structure it declares."""


class PZPChecksumError(PZPCorruptError):
    """A stored checksum does not match the data."""


class PZPUnsupportedError(PZPFormatError):
    """A well-formed file using a version or feature this build does not read."""


class PZPValueError(PZPError, ValueError):
    """An argument the library refused."""


class PZPTooLargeError(PZPValueError):
    """More than the PZP format (or the reference reader) can hold."""


class PZPLimitError(PZPError):
    """Over a configured limit (see :func:`pzp.set_limits`)."""


class PZPMemoryError(PZPError, MemoryError):
    """An allocation failed."""


class PZPIOError(PZPError, OSError):
    """The operating system refused a file operation."""

    def __init__(self, message: str, code: int = E_IO, reason: str = "", detail: str = "", filename: Any = None,
                 os_errno: int = 0):
        PZPError.__init__(self, message, code, reason, detail, filename)
        self.errno = os_errno or None
        self.strerror = os.strerror(os_errno) if os_errno else detail


class PZPFileNotFoundError(PZPIOError, FileNotFoundError):
    """The file does not exist."""


class PZPFrameIndexError(PZPError, IndexError):
    """A frame index past the end of a container."""


_CLASSES = {
    E_NOT_PZP: NotPZPError,
    E_TRUNCATED: PZPTruncatedError,
    E_CORRUPT: PZPCorruptError,
    E_CHECKSUM: PZPChecksumError,
    E_UNSUPPORTED: PZPUnsupportedError,
    E_INVALID_ARGUMENT: PZPValueError,
    E_TOO_LARGE: PZPTooLargeError,
    E_LIMIT: PZPLimitError,
    E_NO_MEMORY: PZPMemoryError,
    E_IO: PZPIOError,
    E_BUFFER_TOO_SMALL: PZPValueError,
    E_OUT_OF_RANGE: PZPFrameIndexError,
}


def from_code(code: int, detail: str, reason: str, os_errno: int = 0) -> PZPError:
    """The exception for a library error code."""
    message = f"{detail} ({reason})" if detail else reason
    cls = _CLASSES.get(code, PZPError)
    if cls is PZPIOError:
        if os_errno == _errno.ENOENT:
            cls = PZPFileNotFoundError
        return cls(message, code, reason, detail, os_errno=os_errno)
    return cls(message, code, reason, detail)


def name_file(error: PZPError, operation: str, filename: Any) -> PZPError:
    """Rewrites error's message to say what was being done to which file."""
    name = os.fsdecode(filename) if isinstance(filename, (str, bytes, os.PathLike)) else str(filename)
    error.filename = name
    message = error.args[0] if error.args else ""
    if name and name not in message:
        message = f"{name}: {message}"
    error.args = (f"cannot {operation} {message}" if operation else message,)
    return error


__all__ = [
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
]
