"""read_many: decode a list of files, or many frames of a container, on several threads.

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
_decode_frame = lib.pzp_container_decode_frame


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


def _runs(indices: list, is_delta, threads: int) -> list:
    """Splits positions 0..len(indices) into at most ``threads`` contiguous
    runs, each starting where no delta chain crosses into it: at a key frame,
    or where the indices jump (a random access pays its chain anyway). A cut
    that would land inside a chain moves to the nearer such start, so every
    chain is decoded once; with no key frame to cut at (delta frames without
    key frames) the chain is serial and one run takes it all."""
    n = len(indices)
    starts = [p for p in range(1, n) if indices[p] != indices[p - 1] + 1 or not is_delta(indices[p])]
    cuts: list = [0]
    for k in range(1, threads):
        target = n * k // threads
        if not starts:
            break
        near = min(starts, key=lambda p: (abs(p - target), p))
        if near > cuts[-1]:
            cuts.append(near)
    return [(a, b) for a, b in zip(cuts, cuts[1:] + [n]) if b > a]


def read_frames(container, indices=None, threads: int = 1):
    """Frames ``indices`` (default all) of an open :class:`pzp.Container`:
    one stacked array when they agree in shape and dtype (each frame decoded
    straight into its slice), else a list. With ``threads`` > 1 each worker
    decodes a contiguous run of frames, so delta chains are decoded once."""
    np = numpy_or_none()
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        msg = f"threads must be a positive int, not {threads!r}"
        raise ValueError(msg)
    if indices is None:
        indices = list(range(len(container)))
    else:
        indices = [container._index(i) for i in indices]
    container.shape  # noqa: B018 - one scan of every header: layouts and kinds
    infos = container._infos
    layouts = {(infos[i].height, infos[i].width, infos[i].channels, infos[i].bpp) for i in indices}
    if np is None or len(layouts) > 1:
        out = None
        results: list = [None] * len(indices)
    elif not indices:
        shape = container.shape
        return np.empty((0,) + shape[1:], container.dtype) if shape is not None else []
    else:
        first = infos[indices[0]]
        out = np.empty((len(indices),) + image_shape(first), np.uint16 if first.bpp == 16 else np.uint8)
        frame_bytes = out[0].nbytes
        base = out.__array_interface__["data"][0]
    failures: list = []

    def work(run) -> None:
        a, b = run
        try:
            if out is None:
                for p in range(a, b):
                    if failures:
                        return
                    results[p] = container.read(indices[p])
                return
            ptr = container._handle.acquire()
            try:
                for p in range(a, b):
                    if failures:
                        return
                    _decode_frame(None, ptr, indices[p], base + p * frame_bytes, frame_bytes, None)
            finally:
                container._handle.release()
        except _errors.PZPError as e:
            failures.append(e if out is None else _errors.name_file(e, "read", container.path))
        except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
            failures.append(e)

    runs = _runs(indices, lambda i: bool(infos[i].is_delta), threads)
    # The caller takes the first run itself: one hand-off fewer, and one
    # worker fewer to wake.
    tasks = [_pool(threads).submit(work, run) for run in runs[1:]]
    if runs:
        work(runs[0])
    for task in tasks:
        task.result()
    if failures:
        raise failures[0]
    return out if out is not None else results


__all__ = ["read_frames", "read_many"]
