"""Whole-sequence analysis on dask: what notebooks need, built from dask's own
pieces (map_blocks, compute, its progress bars) rather than reimplemented.

    from napari_pzp.analysis import frame_statistics
    stats = frame_statistics("depth.pzp")          # a table of per-frame values
    stats["mean"], stats["invalid"]                # numpy arrays, one value per frame

Runs on whatever scheduler is active: dask's local threads (decoding releases
the GIL, so frames decode in parallel), or a dask.distributed cluster.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .stack import PZPStack, expand

COLUMNS = ("min", "max", "mean", "invalid")


def as_dask(source: Any):
    """A dask array for a path, a glob, a PZPStack, a numpy or a dask array."""
    import dask.array as da

    if isinstance(source, (str, os.PathLike, list, tuple)):
        source = PZPStack(expand(source))
    if isinstance(source, PZPStack):
        return source.to_dask()
    if isinstance(source, da.Array):
        return source
    return da.from_array(np.asarray(source), chunks=(1,) + tuple(np.asarray(source).shape[1:]))


def _block_statistics(block: np.ndarray, invalid: int | None) -> np.ndarray:
    """(frames in the block, 4): min, max, mean of the valid samples, invalid fraction."""
    out = np.full((block.shape[0], len(COLUMNS)), np.nan)
    for k, frame in enumerate(block):
        flat = frame.ravel()
        valid = flat if invalid is None else flat[flat != invalid]
        out[k, 3] = 0.0 if invalid is None else 1.0 - valid.size / max(flat.size, 1)
        if valid.size:
            out[k, 0], out[k, 1], out[k, 2] = valid.min(), valid.max(), valid.mean(dtype=np.float64)
    return out


def frame_statistics_lazy(source: Any, invalid: int | None = 0):
    """A lazy (T, 4) dask array of per-frame min, max, mean (valid samples only)
    and fraction of invalid samples (``invalid`` = the value meaning "no data",
    0 for depth maps; None counts every sample as valid)."""
    darr = as_dask(source)
    frame_axes = list(range(1, darr.ndim))
    darr = darr.rechunk({axis: -1 for axis in frame_axes})  # whole frames per block
    return darr.map_blocks(_block_statistics, invalid, drop_axis=frame_axes[1:],
                           chunks=(darr.chunks[0], (len(COLUMNS),)), dtype=np.float64,
                           meta=np.empty((0, 0), np.float64))


def frame_statistics(source: Any, invalid: int | None = 0, progress: bool = True) -> dict:
    """Per-frame statistics of a whole sequence, computed in parallel; returns
    ``{"min", "max", "mean", "invalid"}`` -> numpy arrays of one value per frame.
    ``progress`` shows dask's progress bar (distributed's when a client is active)."""
    lazy = frame_statistics_lazy(source, invalid)
    result = compute_with_progress(lazy, progress)
    return {name: result[:, k] for k, name in enumerate(COLUMNS)}


def compute_with_progress(lazy: Any, progress: bool = True) -> np.ndarray:
    """lazy.compute(), showing a progress bar suited to the scheduler in use."""
    try:
        from distributed import default_client, progress as distributed_progress

        client = default_client()
    except (ImportError, ValueError):
        client = None
    if client is not None:
        future = client.compute(lazy)
        if progress:
            bar = distributed_progress(future)  # in a notebook a widget, shown only when displayed
            if bar is not None:
                from IPython.display import display

                display(bar)
        return np.asarray(future.result())
    if progress:
        from dask.diagnostics import ProgressBar

        with ProgressBar():  # shown however short the computation: a notebook's bar then reads 100%
            return np.asarray(lazy.compute())
    return np.asarray(lazy.compute())


__all__ = ["COLUMNS", "as_dask", "compute_with_progress", "frame_statistics", "frame_statistics_lazy"]
