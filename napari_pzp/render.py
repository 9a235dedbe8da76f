"""Turning frames into display images, fast: contrast windows as lookup
tables, colormaps, a histogram picture, PNG and JPEG encoding.

A 16-bit frame goes through one 65,536-entry lookup table that maps every
sample value straight to display bytes (grey or RGB), so windowing and colour
cost one gather per pixel; the table is rebuilt only when the window or the
colormap changes. No matplotlib, no custom front-end code.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

# Colormaps as (position, (r, g, b)) control points, interpolated to 256 entries.
_CONTROL = {
    "gray": [(0.0, (0, 0, 0)), (1.0, (255, 255, 255))],
    "viridis": [(0.0, (68, 1, 84)), (0.13, (71, 44, 122)), (0.25, (59, 81, 139)), (0.38, (44, 113, 142)),
                (0.5, (33, 144, 141)), (0.63, (39, 173, 129)), (0.75, (92, 200, 99)), (0.88, (170, 220, 50)),
                (1.0, (253, 231, 37))],
    "turbo": [(0.0, (48, 18, 59)), (0.1, (70, 107, 227)), (0.2, (40, 170, 250)), (0.3, (26, 228, 182)),
              (0.4, (114, 254, 94)), (0.5, (190, 243, 52)), (0.6, (246, 197, 57)), (0.7, (253, 137, 38)),
              (0.8, (228, 75, 14)), (0.9, (177, 25, 1)), (1.0, (122, 4, 3))],
}
INVALID_COLOR = (255, 0, 255)  # "turbo (zeros apart)": invalid zero samples in magenta
COLORMAPS = ("gray", "viridis", "turbo", "turbo (zeros apart)")


@lru_cache(maxsize=None)
def colormap_table(name: str) -> np.ndarray:
    """256 x 3 uint8 colours of a colormap."""
    base = "turbo" if name == "turbo (zeros apart)" else name
    if base not in _CONTROL:
        msg = f"unknown colormap {name!r}; known: {', '.join(COLORMAPS)}"
        raise ValueError(msg)
    points = _CONTROL[base]
    x = np.linspace(0, 1, 256)
    positions = [p for p, _ in points]
    table = np.stack([np.interp(x, positions, [c[k] for _, c in points]) for k in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


def window_table(lo: float, hi: float, levels: int) -> np.ndarray:
    """uint8 display level for every sample value 0..levels-1 under window [lo, hi]."""
    hi = max(hi, lo + 1e-9)
    values = np.arange(levels, dtype=np.float32)
    return np.clip((values - lo) * (255.0 / (hi - lo)) + 0.5, 0, 255).astype(np.uint8)


def display_table(dtype: np.dtype, lo: float, hi: float, colormap: str) -> np.ndarray:
    """One lookup from sample value to display: uint8 grey levels, or for colour
    RGBA packed in one uint32 per value (one 4-byte gather per pixel is ~20x
    faster than gathering 3-byte rows)."""
    levels = 256 if np.dtype(dtype) == np.uint8 else 65536
    table = window_table(lo, hi, levels)
    if colormap == "gray":
        return table
    rgba = np.empty((levels, 4), np.uint8)
    rgba[:, :3] = colormap_table(colormap)[table]
    rgba[:, 3] = 255
    if colormap == "turbo (zeros apart)":
        rgba[0, :3] = INVALID_COLOR
    return rgba.view(np.uint32).ravel()


def to_display(frame: np.ndarray, table: np.ndarray | None) -> np.ndarray:
    """A frame as uint8 grey (H, W) or RGB(A) (H, W, 3|4) for the screen.
    RGB(A) 8-bit frames pass through; one-channel frames go through the table."""
    if frame.ndim == 3 and frame.dtype == np.uint8 and frame.shape[2] in (3, 4):
        return frame
    if frame.ndim == 3:
        frame = frame[..., 0]  # other multi-channel data: its first channel
    if table is None:
        msg = "a one-channel frame needs a display table"
        raise ValueError(msg)
    shown = table[frame]
    return shown.view(np.uint8).reshape(frame.shape + (4,)) if shown.dtype == np.uint32 else shown


def encode(image: np.ndarray, fmt: str = "png", quality: int = 85) -> bytes:
    """PNG (lossless, slower) or JPEG (for playback) bytes of a uint8 grey/RGB(A) image.
    OpenCV when installed (fastest measured), else Pillow."""
    fmt = fmt.lower()
    if fmt not in ("png", "jpeg"):
        msg = f"format must be 'png' or 'jpeg', not {fmt!r}"
        raise ValueError(msg)
    opaque = image.ndim == 3 and image.shape[2] == 4 and (fmt == "jpeg" or bool(np.all(image[0, :, 3] == 255)))
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        bgr = np.ascontiguousarray(image)
        if image.ndim == 3:
            code = (cv2.COLOR_RGBA2BGR if opaque else cv2.COLOR_RGBA2BGRA) if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
            bgr = cv2.cvtColor(bgr, code)
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1] if fmt == "png" else [cv2.IMWRITE_JPEG_QUALITY, quality]
        ok, data = cv2.imencode(".png" if fmt == "png" else ".jpg", bgr, params)
        if ok:
            return data.tobytes()
    from PIL import Image

    if opaque:
        image = image[..., :3]
    buffer = io.BytesIO()
    if fmt == "png":
        Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    else:
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def histogram_image(frame: np.ndarray, lo: float, hi: float, top: int, width: int = 256,
                    height: int = 72, start: int = 0) -> np.ndarray:
    """A small RGB bar chart of the frame's values over [start, top] (log
    counts), the contrast window shaded, zeros (invalid in depth maps) left out."""
    values = frame[..., 0] if frame.ndim == 3 else frame
    counts = np.bincount(values.ravel(), minlength=top + 1)[max(start, 1) : top + 1]
    bins = np.add.reduceat(counts, np.linspace(0, counts.size, width, endpoint=False).astype(np.int64)) \
        if counts.size >= width else counts[np.arange(width) * counts.size // width]  # narrow range: wide bars
    heights = np.log1p(bins.astype(np.float64))
    heights = np.round(heights / heights.max() * (height - 2)).astype(int) if heights.max() > 0 else \
        np.zeros(width, int)
    image = np.full((height, width, 3), 250, np.uint8)
    x_lo, x_hi = (np.clip((np.array([lo, hi]) - start) / max(top - start, 1) * width, 0, width - 1)).astype(int)
    image[:, x_lo : x_hi + 1] = (220, 232, 250)
    rows = np.arange(height)[:, None]
    bars = rows >= (height - 1 - heights[None, :])
    image[bars] = (60, 90, 160)
    image[:, [x_lo, x_hi]] = (200, 40, 40)
    return image


def frame_statistics(frame: np.ndarray, invalid: int | None = 0) -> dict:
    """min, max, mean of the valid samples and the fraction of invalid ones."""
    values = frame[..., 0] if frame.ndim == 3 and not (frame.dtype == np.uint8 and frame.shape[2] in (3, 4)) else frame
    flat = values.ravel()
    valid = flat if invalid is None else flat[flat != invalid]
    if valid.size == 0:
        return {"min": None, "max": None, "mean": None, "invalid": 1.0 if flat.size else 0.0}
    return {"min": valid.min().item(), "max": valid.max().item(), "mean": float(valid.mean(dtype=np.float64)),
            "invalid": 0.0 if invalid is None else 1.0 - valid.size / flat.size}
