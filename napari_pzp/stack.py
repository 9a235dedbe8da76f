"""PZPStack: a lazy, numpy-like array over the frames of a PZP container or of
a folder of PZP images, and its dask view.

    stack = PZPStack("depth.pzp")        # (T, H, W) uint16; reads headers only
    frame = stack[10]                    # decodes exactly one frame -> numpy
    view = stack[::2, 100:200]           # lazy: nothing decoded yet
    np.asarray(view)                     # decodes the selected frames
    stack.to_dask()                      # one chunk per frame, for whole-stack work

Browsing (napari, notebooks) should index the stack itself: ``stack[i]`` is a
direct decode, while ``stack.to_dask()[i].compute()`` adds dask's scheduling
cost to every frame. Use the dask view for computations over many frames.

The stack holds only picklable state (the path and the header), so it can go
into dask graphs and to other processes: each process reopens the file when it
first reads from it. Any number of threads may read at once.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import pzp


def natural_key(path: str) -> list:
    """Sort key putting frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", os.fsdecode(path))]


def pzp_files(folder: str | os.PathLike) -> list:
    """The .pzp files of a folder, in natural order."""
    found = [str(p) for p in Path(folder).iterdir() if p.suffix.lower() == ".pzp" and p.is_file()]
    return sorted(found, key=natural_key)


class _Source:
    """Where frames come from: one container, or one image per file. Views
    that pick part of each frame (e.g. the channels napari splits into layers)
    keep the last decoded frame here, so they decode a frame once between them."""

    def __init__(self, path: str | None = None, files: Sequence[str] | None = None):
        self.path = path
        self.files = tuple(files) if files is not None else None
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._container: pzp.Container | None = None
        self._last: tuple | None = None  # (frame index, array)

    def __getstate__(self) -> dict:
        return {"path": self.path, "files": self.files}

    def __setstate__(self, state: dict) -> None:
        self.path, self.files = state["path"], state["files"]
        self._init_runtime()

    def __len__(self) -> int:
        return len(self.files) if self.files is not None else len(self.container())

    def container(self) -> pzp.Container:
        with self._lock:
            if self._container is None or self._container.closed:
                self._container = pzp.open(self.path)
            return self._container

    def frame(self, index: int, keep: bool) -> np.ndarray:
        """Frame index, decoded or from the cache; keep=True caches it (read-only)."""
        last = self._last
        if last is not None and last[0] == index:
            return last[1]
        if self.files is not None:
            array = pzp.read(self.files[index])
        else:
            array = self.container().read(index)
        if keep:
            array.flags.writeable = False  # shared by the views that read it
            self._last = (index, array)
        return array

    def close(self) -> None:
        with self._lock:
            if self._container is not None:
                self._container.close()
            self._last = None

    def token(self) -> tuple:
        """Identifies the data: paths with their size and modification time."""
        paths = self.files if self.files is not None else (self.path,)
        stamps = []
        for p in paths:
            st = os.stat(p)
            stamps.append((os.fsdecode(p), st.st_size, st.st_mtime_ns))
        return tuple(stamps)


def _shape_of(index: Any, shape: tuple) -> tuple:
    """The shape numpy gives shape[index], without allocating anything."""
    return np.broadcast_to(np.empty((), dtype=bool), shape)[index].shape


class PZPStack:
    """A lazy array over PZP frames: shape ``leading + (H, W[, C])``.

    ``source``: a container file, a folder of .pzp images, or a list of .pzp
    image files (one frame each, all the same shape). ``leading_shape``: how
    the frames are laid out (default ``(frame_count,)``; e.g. ``(Z, T)`` for
    a stack written from a 4-D layer). ``dtype``: cast frames to it (the
    stored dtype by default).

    Indexing that picks one frame decodes it (once: the last frame is kept)
    and returns a numpy array; other selections return lazy views; frame axes
    take any numpy index, applied to each decoded frame.
    """

    def __init__(self, source: str | os.PathLike | Sequence, *, leading_shape: Sequence[int] | None = None,
                 dtype: Any = None):
        if isinstance(source, (str, os.PathLike)) and not os.path.isdir(source):
            self._source = _Source(path=os.fspath(source))
            with pzp.open(source) as c:
                shape, stored, count = c.shape, c.dtype, len(c)
            if shape is None:
                msg = f"{os.fspath(source)}: its frames differ in shape or dtype; read them one by one with pzp.open"
                raise ValueError(msg)
            frame_shape = shape[1:]
        else:
            files = pzp_files(source) if isinstance(source, (str, os.PathLike)) else [os.fspath(f) for f in source]
            if not files:
                msg = f"no .pzp files in {os.fspath(source) if isinstance(source, (str, os.PathLike)) else source!r}"
                raise ValueError(msg)
            frame_shape, stored = _common_shape(files)
            count = len(files)
            self._source = _Source(files=files)
        leading = tuple(leading_shape) if leading_shape is not None else (count,)
        if int(np.prod(leading)) != count:
            msg = f"leading shape {leading} does not hold the {count} frames"
            raise ValueError(msg)
        self._frames = np.arange(count).reshape(leading)
        self._posts: tuple = ()
        self._frame_shape = tuple(frame_shape)
        self._stored = np.dtype(stored)
        self._dtype = np.dtype(dtype) if dtype is not None else self._stored

    # ---- array-like
    @property
    def shape(self) -> tuple:
        return self._frames.shape + self._frame_shape

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        return self.size * self._dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        where = self._source.path or f"{len(self._source.files)} files"
        return f"<PZPStack {where!r} shape={self.shape} dtype={self.dtype}>"

    @property
    def path(self) -> str | None:
        """The container file (None for a stack of files)."""
        return self._source.path

    @property
    def files(self) -> tuple | None:
        """The image files (None for a container)."""
        return self._source.files

    def _read(self, index: int, posts: tuple) -> np.ndarray:
        """Frame index with the views' frame indices applied: an owned, writeable array."""
        frame = self._source.frame(int(index), keep=bool(posts))
        for post in posts:
            frame = frame[post]
        if frame.dtype != self._dtype:
            return frame.astype(self._dtype)
        return frame if frame.flags.writeable and frame.flags.owndata else np.array(frame)

    def __getitem__(self, key) -> Any:
        if not isinstance(key, tuple):
            key = (key,)
        if any(k is None for k in key):
            msg = "PZPStack does not support np.newaxis; index np.asarray(stack) instead"
            raise IndexError(msg)
        ellipses = [i for i, k in enumerate(key) if k is Ellipsis]  # identity: arrays in keys compare elementwise
        if len(ellipses) > 1:
            msg = "an index can only have a single ellipsis"
            raise IndexError(msg)
        if ellipses:
            at = ellipses[0]
            fill = self.ndim - (len(key) - 1)
            key = key[:at] + (slice(None),) * fill + key[at + 1 :]
        if len(key) > self.ndim:
            msg = f"too many indices for an array of {self.ndim} dimensions"
            raise IndexError(msg)
        lead = self._frames.ndim
        key = key + (slice(None),) * (self.ndim - len(key))
        frames = self._frames[key[:lead]]
        rest = key[lead:]
        trivial = all(isinstance(k, slice) and k == slice(None) for k in rest)
        posts = self._posts if trivial else self._posts + (rest,)
        if frames.ndim == 0:  # one frame: decode it now
            return self._read(int(frames), posts)
        view = object.__new__(PZPStack)
        view._source = self._source
        view._frames = frames
        view._posts = posts
        view._frame_shape = _shape_of(rest, self._frame_shape) if not trivial else self._frame_shape
        view._stored = self._stored
        view._dtype = self._dtype
        return view

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, dtype=self._dtype)
        flat_out = out.reshape((-1,) + self._frame_shape)
        for k, index in enumerate(self._frames.ravel()):
            flat_out[k] = self._read(index, self._posts)
        return out.astype(dtype, copy=False) if dtype is not None else out

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    # ---- metadata of a container
    @property
    def delays(self) -> list | None:
        """Per-frame delays (ms) of a container stack; None for files."""
        return self._source.container().delays if self._source.path else None

    # ---- dask, pickling, lifetime
    def to_dask(self):
        """A dask array with one chunk per frame (built without decoding anything)."""
        import dask.array as da
        from dask.base import tokenize

        lead = self._frames.ndim
        chunks = tuple((1,) * n for n in self._frames.shape) + tuple((n,) for n in self._frame_shape)
        name = "pzp-" + tokenize(self._source.token(), self._frames, repr(self._posts), str(self._dtype))
        return da.map_blocks(_read_block, self, lead, chunks=chunks, dtype=self._dtype,
                             meta=np.empty((0,) * self.ndim, self._dtype), name=name)

    def __dask_tokenize__(self):
        return ("PZPStack", self._source.token(), self._frames.tobytes(), repr(self._posts), str(self._dtype))

    def close(self) -> None:
        """Closes the file (it is reopened if the stack is read again)."""
        self._source.close()


def _read_block(stack: PZPStack, lead: int, block_id=None) -> np.ndarray:
    frame = stack[block_id[:lead]]
    return frame.reshape((1,) * lead + frame.shape)


def _common_shape(files: Sequence[str]) -> tuple:
    """(frame shape, dtype) shared by all files; ValueError naming the first that differs."""
    first = pzp.info(files[0])
    for f in files[1:]:
        other = pzp.info(f)
        if (other["shape"], other["dtype"]) != (first["shape"], first["dtype"]):
            msg = (f"{f} is {other['shape']} {other['dtype']} but {files[0]} is {first['shape']} {first['dtype']}: "
                   "a stack needs frames of one shape")
            raise ValueError(msg)
    return tuple(first["shape"]), first["dtype"]


def expand(path_or_glob: str | os.PathLike | Sequence) -> str | list:
    """A container path stays a path; a folder or a glob becomes its sorted files."""
    if isinstance(path_or_glob, (list, tuple)):
        return [os.fspath(p) for p in path_or_glob]
    text = os.fspath(path_or_glob)
    if os.path.isdir(text):
        return pzp_files(text)
    if any(ch in text for ch in "*?[") and not os.path.exists(text):
        found = sorted(glob.glob(text), key=natural_key)
        if not found:
            msg = f"no files match {text!r}"
            raise FileNotFoundError(msg)
        return found
    return text


def imread(path_or_glob: str | os.PathLike | Sequence, **kwargs):
    """A dask array ``(T, H, W[, C])`` over a container, a folder of .pzp
    images, a glob of them, or a list of paths (one chunk per frame; nothing is
    decoded until computed). kwargs go to :class:`PZPStack`."""
    return PZPStack(expand(path_or_glob), **kwargs).to_dask()


__all__ = ["PZPStack", "imread", "natural_key", "pzp_files"]
