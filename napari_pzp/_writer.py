"""The napari writers: image and labels layers to .pzp.

A 2-D layer (or 2-D RGB/RGBA) becomes a single image; anything with more axes
becomes a container over the leading axes, streamed one frame at a time (dask
data is computed frame by frame, never as a whole). What the layer's
``metadata["pzp"]`` holds (delays, loop count, flags, the user's metadata blob,
the audio of the file it came from) is written back, so open -> save -> open
loses nothing. The file is re-read and checked frame by frame before the path
is returned (and removed if it does not read back as written).
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import numpy as np

import pzp

from . import _metadata

TIME_UNITS_MS = {"second": 1000.0, "s": 1000.0, "millisecond": 1.0, "ms": 1.0}
FLAG_OPTIONS = ("use_rle", "use_palette", "use_lz4", "use_inter_delta")


def write_image(path: str, data: Any, attributes: dict) -> list:
    """npe2 single-layer writer for image layers."""
    return write_layer(path, data, attributes, "image")


def write_labels(path: str, data: Any, attributes: dict) -> list:
    """npe2 single-layer writer for labels layers."""
    return write_layer(path, data, attributes, "labels")


def storage_dtype(dtype: np.dtype) -> np.dtype:
    """uint8 and uint16 are stored as they are; bool as uint8; other integers as
    uint16 when their values fit (checked frame by frame). Floats are refused."""
    dtype = np.dtype(dtype)
    if dtype in (np.uint8, np.uint16):
        return dtype
    if dtype == np.bool_:
        return np.dtype(np.uint8)
    if dtype.kind in "ui":
        return np.dtype(np.uint16)
    msg = (f"PZP stores 8- or 16-bit unsigned integers; this layer is {dtype}. Convert it first "
           "(e.g. layer.data.astype(np.uint16) after scaling).")
    raise TypeError(msg)


def to_storage(frame: np.ndarray, stored: np.dtype, index: tuple) -> np.ndarray:
    if frame.dtype == stored:
        return frame
    if frame.size and frame.dtype.kind in "iu" and (frame.min() < 0 or frame.max() > np.iinfo(stored).max):
        msg = (f"frame {index} has values from {frame.min()} to {frame.max()}: PZP stores 0 to "
               f"{np.iinfo(stored).max} in {stored}")
        raise ValueError(msg)
    return frame.astype(stored)


def default_flags(layer_type: str, stored: np.dtype) -> dict:
    """Labels: the palette alone (few distinct values; 10-17 % smaller than with
    the left delta on every label map and label volume of the corpus, and
    faster to decode); others: the left delta, which for 16-bit data means the
    better of the gradient and the left predictor (see pzp.write)."""
    if layer_type == "labels":
        return {"use_palette": True}
    return {"use_rle": True}


def flags_from(pzp_meta: dict, layer_type: str, stored: np.dtype, options: dict) -> dict:
    """Explicit options, else the flags the file was read with, else the content's defaults."""
    if any(k in options for k in FLAG_OPTIONS):
        return {k: bool(options.get(k, False)) for k in FLAG_OPTIONS}
    chosen = pzp_meta.get("write_options")
    if isinstance(chosen, dict):
        return {k: bool(chosen.get(k, False)) for k in FLAG_OPTIONS}
    config = pzp_meta.get("configuration")
    if isinstance(config, int):
        return {"use_rle": bool(config & pzp.USE_RLE), "use_palette": bool(config & pzp.USE_PALETTE),
                "use_lz4": bool(config & pzp.USE_LZ4), "use_inter_delta": bool(config & pzp.USE_INTER_DELTA)}
    return default_flags(layer_type, stored)


def delays_for(frames: int, leading: tuple, pzp_meta: dict, attributes: dict) -> list:
    """The delays the layer came with, else one from a time scale on the first axis, else 0."""
    delays = pzp_meta.get("delays")
    if isinstance(delays, list) and len(delays) == frames:
        return [int(d) for d in delays]
    units = attributes.get("units") or ()
    scale = attributes.get("scale") or ()
    if len(leading) == 1 and units and scale and str(units[0]) in TIME_UNITS_MS:
        return [max(0, round(float(scale[0]) * TIME_UNITS_MS[str(units[0])]))] * frames
    return [0] * frames


def source_audio(pzp_meta: dict) -> tuple:
    """The audio of the file the layer was read from, if it is still there."""
    source, size = pzp_meta.get("source"), pzp_meta.get("audio_bytes")
    if not source or not size or not os.path.isfile(source):
        return None, None
    audio, fmt = pzp.get_audio(source)
    return (audio, fmt) if audio is not None and len(audio) == size else (None, None)


def write_layer(path: str, data: Any, attributes: dict, layer_type: str = "image", **options: Any) -> list:
    """Writes one layer's data; returns ``[path]``. ``options``: pzp flags
    (use_rle, use_palette, use_lz4, use_inter_delta), level, keyframe_interval,
    groups, overriding those the layer's metadata and its content suggest."""
    attributes = attributes or {}
    pzp_meta = dict((attributes.get("metadata") or {}).get("pzp") or {})
    rgb = bool(attributes.get("rgb", False)) and layer_type == "image"
    frame_ndim = 3 if rgb else 2
    shape = tuple(int(n) for n in data.shape)
    if len(shape) < frame_ndim or 0 in shape:
        msg = f"cannot store a layer of shape {shape} as images"
        raise ValueError(msg)
    leading = shape[:-frame_ndim]
    stored = storage_dtype(data.dtype)
    frames = int(np.prod(leading)) if leading else 1
    flags = flags_from(pzp_meta, layer_type, stored, options)
    extra = {k: options[k] for k in ("level", "keyframe_interval", "groups") if k in options}
    delays = delays_for(frames, leading, pzp_meta, attributes)
    audio, audio_format = source_audio(pzp_meta)
    loop = int(pzp_meta.get("loop_count", 1 if not leading else 0))
    per_frame, checksums = [], []
    # Written and verified under a hidden name first: a file that does not read
    # back as written never replaces what was at the path.
    folder, name = os.path.split(os.path.abspath(path))
    staging = os.path.join(folder, f".{name}.{os.getpid()}.unverified")
    try:
        with pzp.ContainerWriter(staging, loop_count=loop, expected_frames=frames, audio=audio,
                                 audio_format=audio_format or "WAVE", **flags, **extra) as writer:
            for k, index in enumerate(np.ndindex(*leading) if leading else [()]):
                frame = to_storage(np.ascontiguousarray(np.asarray(data[index])), stored, index)
                per_frame.append(_metadata.frame_stats(frame, channels_last=frame.ndim == 3))
                checksums.append(zlib.crc32(frame))
                writer.append(frame, delay_ms=delays[k])
            ours = {
                "layer_type": layer_type,
                "shape": list(shape),
                "name": attributes.get("name"),
                "stats": _metadata.merge_stats(per_frame),
            }
            if np.dtype(data.dtype) != stored:
                ours["dtype"] = np.dtype(data.dtype).name
            for key in ("scale", "units", "axis_labels"):
                value = attributes.get(key)
                if value is not None:
                    ours[key] = [float(v) if key == "scale" else str(v) for v in value]
            blob = _metadata.join_blob(pzp_meta.get("metadata"), ours)
            if blob:
                writer.set_metadata(blob)
        verify(staging, checksums, shown=path)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return [path]


def verify(path: str, checksums: list, shown: str | None = None) -> None:
    """Re-reads every frame and compares it with what was written; errors name
    ``shown`` (the user's path) when given."""
    shown = shown or path
    with pzp.open(path) as c:
        if len(c) != len(checksums):
            msg = f"{shown}: wrote {len(checksums)} frames, read back {len(c)}"
            raise OSError(msg)
        for k, expected in enumerate(checksums):
            if zlib.crc32(c[k]) != expected:
                msg = f"{shown}: frame {k} does not read back as written"
                raise OSError(msg)
