"""read_many: decode a list of files on several threads.

Each worker runs its own loop over the list (taking the next index from a
shared counter) and calls libpzp directly: the decode releases the GIL, and
between two decodes a thread only allocates the output array. That is less
Python per file than a thread pool of :func:`pzp.read` (no futures, no
per-call keyword handling), so two threads get close to twice one.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from . import _errors
from ._ffi import ImageInfo, byref, lib
from ._image import PathLike, fs_path, image_shape, numpy_or_none

_begin = lib.pzp_decode_file_begin
_finish = lib.pzp_decode_finish


_pool_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool(threads: int) -> ThreadPoolExecutor:
    """Long-lived worker threads, grown to the largest count asked for. Kept
    rather than started per call: a new thread starts with a cold malloc heap
    (every output array faults its pages in, and page faults of two threads
    contend on the process's memory map) and a new decoding context. Even
    threads=1 decodes on a worker: the main thread's heap returns freed arrays
    to the system, so 1 and N threads are compared on equal terms."""
    global _executor
    with _pool_lock:
        if _executor is None or _executor._max_workers < threads:
            old, _executor = _executor, ThreadPoolExecutor(max(threads, 2), thread_name_prefix="pzp.read_many")
            if old is not None:
                old.shutdown(wait=False)
        return _executor


def read_many(paths: Iterable[PathLike], *, threads: int = 1) -> list:
    """Decodes the image of every file in ``paths`` (as :func:`pzp.read` does)
    on ``threads`` threads; returns the arrays in the order of ``paths``.

    The first failure is raised (naming its file) once every thread has
    stopped; the other results are then dropped.
    """
    np = numpy_or_none()
    if np is None:
        msg = "read_many needs numpy"
        raise ImportError(msg)
    if not isinstance(threads, int) or threads < 1:
        msg = f"threads must be a positive int, not {threads!r}"
        raise ValueError(msg)
    paths = list(paths)
    names = [fs_path(p) for p in paths]
    results: list = [None] * len(names)
    failures: list = []
    counter = itertools.count()  # next() is atomic under the GIL
    uint8, uint16 = np.dtype(np.uint8), np.dtype(np.uint16)

    def work() -> None:
        info = ImageInfo()
        info_ref = byref(info)
        try:
            for i in iter(counter.__next__, None):
                if i >= len(names) or failures:
                    return
                _begin(None, names[i], info_ref)
                image = np.empty(image_shape(info), uint16 if info.bpp == 16 else uint8)
                _finish(None, image.__array_interface__["data"][0], image.nbytes)
                results[i] = image
        except _errors.PZPError as e:
            failures.append(_errors.name_file(e, "read", paths[i]))
        except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
            failures.append(e)

    for task in [_pool(threads).submit(work) for _ in range(min(threads, len(names)))]:
        task.result()
    if failures:
        raise failures[0]
    return results


__all__ = ["read_many"]
