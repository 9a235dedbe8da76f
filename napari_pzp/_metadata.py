"""What napari-pzp stores in a container's metadata blob, and frame statistics.

A container written by our writer carries a JSON object as its metadata blob.
Our part sits under the key ``"napari_pzp"``: the layer type, the layer's shape
and dtype (a stack of more than one leading axis is stored frame by frame),
scale/units/axis labels, and per-frame statistics (min, max, low and high
percentiles of the non-zero samples, fraction of zeros) so a reader can set a
contrast window without decoding anything. The user's own metadata keeps the
other keys; a blob that is not a JSON object is kept byte for byte and then
carries nothing of ours.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

KEY = "napari_pzp"
VERSION = 1
PERCENTILES = (0.5, 99.5)  # of non-zero samples: zeros are "no data" in depth maps


def split_blob(blob: bytes | None) -> tuple[Any, dict]:
    """(the user's metadata, our part) from a container's metadata blob.

    The user's part is a dict (JSON object minus our key), other JSON, a str
    (UTF-8 text), bytes, or None without a blob."""
    if blob is None:
        return None, {}
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        return blob, {}
    try:
        value = json.loads(text)
    except ValueError:
        return text, {}
    if isinstance(value, dict) and isinstance(value.get(KEY), dict):
        ours = value.pop(KEY)
        return (value or None), ours
    return value, {}


def join_blob(user: Any, ours: dict) -> bytes | None:
    """The metadata blob for the user's metadata plus our part.

    bytes and non-JSON text are written unchanged (our part is then dropped:
    the user's blob wins); dicts and other JSON values carry our part."""
    if isinstance(user, (bytes, bytearray, memoryview)):
        return bytes(user)
    if isinstance(user, str):
        try:
            parsed = json.loads(user)
        except ValueError:
            return user.encode("utf-8")
        user = parsed
    if user is None:
        user = {}
    if not isinstance(user, dict):
        user = {"metadata": user}
    if not ours:
        return json.dumps(user).encode("utf-8") if user else None
    return json.dumps({**user, KEY: {"version": VERSION, **ours}}, separators=(",", ":")).encode("utf-8")


def frame_stats(frame: np.ndarray, channels_last: bool) -> dict:
    """min, max, low/high percentiles of the non-zero samples and the fraction
    of zeros, per channel (lists of one value for one channel). Histograms,
    not sorting: cheap enough to run on every frame a writer streams."""
    channels = frame.shape[-1] if channels_last else 1
    planes = [frame[..., c] for c in range(channels)] if channels_last else [frame]
    stats: dict = {"min": [], "max": [], "low": [], "high": [], "zeros": []}
    for plane in planes:
        counts = np.bincount(plane.ravel(), minlength=256 if plane.dtype == np.uint8 else 65536)
        nonzero = np.flatnonzero(counts)
        stats["min"].append(int(nonzero[0]) if nonzero.size else 0)
        stats["max"].append(int(nonzero[-1]) if nonzero.size else 0)
        stats["zeros"].append(round(float(counts[0]) / plane.size, 6) if plane.size else 0.0)
        valid = counts[1:].cumsum()
        total = int(valid[-1]) if valid.size else 0
        if total == 0:
            stats["low"].append(0)
            stats["high"].append(0)
            continue
        for name, q in zip(("low", "high"), PERCENTILES):
            stats[name].append(int(np.searchsorted(valid, q / 100 * total, side="left")) + 1)
    return stats


def merge_stats(per_frame: list) -> dict:
    """Per-frame statistics gathered into lists over frames: {"min": [[c0, c1..], ...], ...}."""
    keys = ("min", "max", "low", "high", "zeros")
    return {k: [s[k] for s in per_frame] for k in keys}


def window(stats: dict, channel: int | None = None) -> tuple | None:
    """A contrast window (lo, hi) from per-frame statistics: the lowest low
    percentile and the highest high percentile over frames that hold data
    (one channel, or all). lo < hi always; None without usable statistics."""
    lows, highs = [], []
    for low, high, top in zip(stats.get("low", []), stats.get("high", []), stats.get("max", [])):
        picked = range(len(low)) if channel is None else [channel]
        for c in picked:
            if c < len(top) and top[c] > 0:
                lows.append(low[c])
                highs.append(high[c])
    if not lows:
        return None
    lo, hi = float(min(lows)), float(max(highs))
    return (lo, hi if hi > lo else lo + 1.0)


__all__ = ["KEY", "PERCENTILES", "frame_stats", "join_blob", "merge_stats", "split_blob", "window"]
