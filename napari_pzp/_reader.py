"""The napari reader: .pzp files (single images and containers) and folders of them.

``get_reader`` only looks at the name and the first bytes, and never raises.
The reader returns one layer: small files as numpy arrays, larger ones as a
lazy :class:`~napari_pzp.PZPStack` (the eager-load threshold and the contrast
mode are plugin settings). 16-bit and other single-channel data get contrast
limits without decoding the stack when our writer stored statistics, else from
a few sampled frames.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

import pzp

from . import _metadata
from .stack import PZPStack, pzp_files

PLUGIN = "napari-pzp"
DEFAULT_EAGER_MB = 256
CONTRAST_MODES = ("stored", "sampled", "range")
SAMPLED_FRAMES = 7
FLAG_NAMES = {pzp.USE_RLE: "rle", pzp.USE_PALETTE: "palette", pzp.USE_INTER_DELTA: "inter_delta", pzp.USE_LZ4: "lz4"}


def settings() -> tuple:
    """(eager threshold in bytes, contrast mode) from napari's plugin settings,
    or the defaults when napari's settings are not available."""
    eager_mb, mode = DEFAULT_EAGER_MB, "stored"
    try:
        from napari.settings import get_plugin_settings

        reader = get_plugin_settings(PLUGIN).reader
        eager_mb, mode = int(reader.eager_threshold_mb), str(reader.contrast_mode)
    except Exception:  # noqa: BLE001 - no napari, or settings not registered: defaults
        pass
    return eager_mb * 1024 * 1024, mode if mode in CONTRAST_MODES else "stored"


def is_pzp_file(path: str | os.PathLike) -> bool:
    """A .pzp file starting with the container magic, or a legacy bare frame."""
    p = Path(path)
    if p.suffix.lower() != ".pzp" or not p.is_file():
        return False
    with open(p, "rb") as f:
        head = f.read(4)
    if head == b"0PZP":
        return True
    try:  # legacy bare frame: only its header tells
        pzp.info(p)
    except pzp.PZPError:
        return False
    return True


def get_reader(path: Any) -> Callable | None:
    """napari's reader getter: a reader for .pzp files or folders holding them, else None."""
    try:
        paths = path if isinstance(path, (list, tuple)) else [path]
        if not paths:
            return None
        if len(paths) == 1 and os.path.isdir(paths[0]):
            return read if pzp_files(paths[0]) else None
        if all(isinstance(p, (str, os.PathLike)) and is_pzp_file(p) for p in paths):
            return read
    except Exception:  # noqa: BLE001 - a getter must never raise
        return None
    return None


def read(path: Any) -> list:
    """Layer data for a .pzp file, a folder of .pzp images, or a list of them (stacked)."""
    if isinstance(path, (list, tuple)):
        if len(path) == 1:
            return read(path[0])
        files = [os.fspath(p) for p in path]
        name = Path(files[0]).parent.name or "stack"
        if all(pzp.frame_count(f) == 1 for f in files):
            return [stack_layer(files, name)]
        return [stacked_containers(files, name)]
    if os.path.isdir(path):
        return [stack_layer(pzp_files(path), name=Path(path).name)]
    return container_layers(os.fspath(path))


def container_layers(path: str) -> list:
    name = Path(path).stem
    with pzp.open(path) as c:
        try:
            blob = c.metadata
        except pzp.PZPError as e:  # frames may still be fine
            warnings.warn(f"{path}: metadata unreadable ({e}); opening without it", stacklevel=2)
            blob = None
        user, ours = _metadata.split_blob(blob)
        shape = c.shape  # first: one call reads every frame's header, which pzp_metadata then looks at
        info = pzp_metadata(c, path, user, ours)
        if shape is None:  # frames differ in shape: one layer per frame
            layers = []
            for k, frame_data in enumerate(c):
                channels = frame_data.shape[2] if frame_data.ndim == 3 else None
                layers.append((frame_data, layer_kwargs(f"{name} [{k}]", frame_data, info, ours, channels), "image"))
            return layers
        frame = c.frame_info(0)
    layer_type = "labels" if ours.get("layer_type") == "labels" else "image"
    frame_shape = tuple(shape[1:])
    count = len(info["delays"])
    stored_shape = tuple(ours.get("shape") or ())
    leading = stored_shape[: len(stored_shape) - len(frame_shape)]
    if stored_shape[len(leading) :] != frame_shape or int(np.prod(leading)) != count:
        leading = (count,) if count > 1 else ()  # no (usable) layout stored: one axis of frames
    dtype = np.dtype(ours["dtype"]) if ours.get("dtype") else np.dtype(frame["dtype"])
    eager_bytes, _ = settings()
    if not leading:
        data: Any = PZPStack(path, dtype=dtype)[0]  # a single image
    else:
        stack = PZPStack(path, leading_shape=leading, dtype=dtype)
        data = np.asarray(stack) if stack.nbytes <= eager_bytes else stack
    channels_last = frame_shape[-1] if len(frame_shape) == 3 else None
    kwargs = layer_kwargs(name, data, info, ours, channels_last, layer_type)
    return [(data, kwargs, layer_type)]


def stack_layer(files: list, name: str) -> tuple:
    stack = PZPStack(files)
    eager_bytes, _ = settings()
    data = np.asarray(stack) if stack.nbytes <= eager_bytes else stack
    info = {"source": os.path.dirname(files[0]), "files": files, "frames": len(files)}
    frame_shape = stack.shape[1:]
    return (data, layer_kwargs(name, data, info, {}, frame_shape[-1] if len(frame_shape) == 3 else None), "image")


def stacked_containers(files: list, name: str) -> tuple:
    """Several containers stacked along a new first axis (napari's "stack" open)."""
    import dask.array as da

    stacks = [PZPStack(f) for f in files]
    if len({(s.shape, s.dtype) for s in stacks}) != 1:
        msg = "containers opened as one stack must have the same shape and dtype: " + ", ".join(
            f"{f} {s.shape} {s.dtype}" for f, s in zip(files, stacks))
        raise ValueError(msg)
    data = da.stack([s.to_dask() for s in stacks])
    info = {"source": os.path.dirname(os.path.abspath(files[0])), "files": files, "frames": len(stacks[0])}
    frame_shape = stacks[0].shape[1:]
    channels = frame_shape[-1] if len(frame_shape) == 3 else None
    return (data, layer_kwargs(name, data, info, {}, channels), "image")


def pzp_metadata(c: pzp.Container, path: str, user: Any, ours: dict) -> dict:
    """What the layer's metadata["pzp"] says about its file."""
    first = c.frame_info(0)
    config = first["configuration"]
    # key frames of an inter-delta stream do not carry the flag: the delta frames do
    if any(c.frame_info(k)["configuration"] & pzp.USE_INTER_DELTA for k in range(1, len(c))):
        config |= pzp.USE_INTER_DELTA
    info = {
        "source": os.path.abspath(path),
        "frames": len(c),
        "delays": c.delays,
        "loop_count": c.loop_count,
        "configuration": config,
        "flags": [n for bit, n in FLAG_NAMES.items() if config & bit],
        "codec": first["codec"],
        "file_bytes": c.file_bytes,
        "audio_format": c.audio_format,
        "audio_bytes": c._info.audio_bytes,
        "metadata": user,
    }
    if ours.get("stats"):
        info["stats"] = ours["stats"]
    return info


def layer_kwargs(name: str, data: Any, info: dict, ours: dict, channels_last: int | None,
                 layer_type: str = "image") -> dict:
    """add_image / add_labels keywords: name, metadata, rgb, contrast limits, scale, units."""
    ndim = data.ndim
    kwargs: dict = {"name": ours.get("name") or name, "metadata": {"pzp": info}}
    rgb = layer_type == "image" and channels_last in (3, 4) and np.dtype(data.dtype) == np.uint8
    image_ndim = 3 if channels_last else 2
    leading = ndim - image_ndim
    scale, units, labels = [1.0] * (ndim - (1 if rgb else 0)), ["pixel"] * (ndim - (1 if rgb else 0)), None
    delays = info.get("delays") or []
    if leading == 1 and delays and len(set(delays)) == 1 and delays[0] > 0:
        scale[0], units[0] = delays[0] / 1000.0, "second"
        labels = ["t", "y", "x"]
    for key, value in (("scale", scale), ("units", units), ("axis_labels", labels)):
        stored = ours.get(key)
        if stored is not None and len(stored) == len(scale):
            value = stored
        if value is not None:
            kwargs[key] = tuple(value)
    if layer_type == "labels":
        return kwargs
    if channels_last and not rgb:
        kwargs["channel_axis"] = ndim - 1
        names = [f"{kwargs['name']} [{c}]" for c in range(channels_last)]
        kwargs["name"] = names
        kwargs["contrast_limits"] = [contrast_limits(data, info, c, image_ndim) for c in range(channels_last)]
        for key in ("scale", "units", "axis_labels"):
            if key in kwargs:
                kwargs[key] = kwargs[key][:-1]
        return kwargs
    kwargs["rgb"] = rgb
    if not rgb:
        kwargs["contrast_limits"] = contrast_limits(data, info, None, image_ndim)
    return kwargs


def contrast_limits(data: Any, info: dict, channel: int | None, image_ndim: int = 2) -> list:
    """A fixed window for the whole stack: stored statistics, else the 0.5/99.5
    percentiles of the non-zero samples of a few evenly spaced frames, else the
    dtype's range. Never lo == hi."""
    _, mode = settings()
    dtype = np.dtype(data.dtype)
    full = [0.0, float(np.iinfo(dtype).max)] if dtype.kind in "ui" else [0.0, 1.0]
    if mode == "range":
        return full
    stats = info.get("stats")
    if mode == "stored" and stats:
        found = _metadata.window(stats, channel if channel is not None else None)
        if found:
            return list(found)
    frames = sample_frames(data, image_ndim)
    per_frame = [_metadata.frame_stats(f[..., channel] if channel is not None else f, channels_last=False)
                 for f in frames]
    found = _metadata.window(_metadata.merge_stats(per_frame)) if per_frame else None
    return list(found) if found else full


def sample_frames(data: Any, image_axes: int, count: int = SAMPLED_FRAMES) -> list:
    """Up to count evenly spaced frames (image_axes trailing axes per frame;
    the whole image for a single image)."""
    if data.ndim <= image_axes:
        return [np.asarray(data)]
    leading = data.shape[: data.ndim - image_axes]
    total = int(np.prod(leading))
    picks = sorted({round(k * (total - 1) / max(1, count - 1)) for k in range(min(count, total))})
    frames = []
    for flat in picks:
        frame = data[np.unravel_index(flat, leading)]
        frames.append(np.asarray(frame))
    return [f for f in frames if np.dtype(f.dtype).kind in "ui"]
