"""Trying PZP flag settings on real frames: size, ratio, speed, exactness.

    results = sweep(frames)               # every meaningful setting
    best = min(results, key=lambda r: r.bytes)
    pzp.write("x.pzp", frame, **best.candidate.options())

Used by the napari "PZP flag tuner" dock widget and the notebook FlagTuner.
Pure functions: no widgets, no threads.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

import pzp

LEVELS = (None, 5, 19)  # None: the library's default (1, or 19 with a palette)
PALETTE_DEFAULT_LEVEL = 19
# Key-frame intervals tried with inter-frame delta, besides 0 (none after frame 0).
# An interval shows only when the run measured holds a second key frame (run >
# interval); otherwise it writes the same file as 0. SEQUENCE_RUN, the frames
# sampled from a sequence by default, fits the shortest: K4 keys frames 0 and 4.
KEYFRAME_INTERVALS = (4, 30)
SEQUENCE_RUN = 5


@dataclass(frozen=True)
class Candidate:
    """One setting of the PZP flags."""

    use_rle: bool = False
    use_palette: bool = False
    use_lz4: bool = False
    use_inter_delta: bool = False
    level: int | None = None
    predictor: str | None = None  # 16-bit with use_rle: "gradient", "left", or None (chosen per image)
    keyframe_interval: int = pzp.DEFAULT_KEYFRAME_INTERVAL

    def options(self, channels: int = 1) -> dict:
        """Keyword arguments for pzp.write / pzp.encode / pzp.ContainerWriter."""
        opts: dict = {"use_rle": self.use_rle, "use_palette": self.use_palette, "use_lz4": self.use_lz4}
        if self.level is not None and not self.use_lz4:
            opts["level"] = self.level
        if self.predictor == "gradient":
            opts["groups"] = ",".join(["u16:gradient"] * channels)
        elif self.predictor == "left":
            opts["groups"] = f"u8x{2 * channels}:left"
        return opts

    def container_options(self, channels: int = 1) -> dict:
        opts = self.options(channels)
        opts["use_inter_delta"] = self.use_inter_delta
        if self.use_inter_delta:
            opts["keyframe_interval"] = self.keyframe_interval
        return opts

    @property
    def label(self) -> str:
        parts = [name for name, on in (("rle", self.use_rle), ("palette", self.use_palette), ("lz4", self.use_lz4))
                 if on]
        if self.predictor:
            parts.append(self.predictor)
        if self.use_inter_delta:
            parts.append(f"delta/K{self.keyframe_interval}" if self.keyframe_interval else "delta")
        label = "+".join(parts) or "plain"
        return label + (f" L{self.level}" if self.level is not None and not self.use_lz4 else "")


@dataclass
class Result:
    candidate: Candidate
    bytes: int
    raw_bytes: int
    encode_s: float
    decode_s: float
    exact: bool
    png_bytes: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Raw size / compressed size."""
        return self.raw_bytes / self.bytes

    @property
    def vs_png(self) -> float | None:
        """Compressed size / PNG size (below 1 = smaller than PNG)."""
        return self.bytes / self.png_bytes if self.png_bytes else None

    @property
    def encode_mb_s(self) -> float:
        return self.raw_bytes / self.encode_s / 1e6 if self.encode_s else float("inf")

    @property
    def decode_mb_s(self) -> float:
        return self.raw_bytes / self.decode_s / 1e6 if self.decode_s else float("inf")

    def row(self) -> dict:
        """A table row (plain values)."""
        return {"flags": self.candidate.label, "bytes": self.bytes, "ratio": round(self.ratio, 3),
                "vs_png": None if self.vs_png is None else round(self.vs_png, 3),
                "encode_mb_s": round(self.encode_mb_s, 1), "decode_mb_s": round(self.decode_mb_s, 1),
                "exact": self.exact}


def channels_of(frame: np.ndarray) -> int:
    return frame.shape[2] if frame.ndim == 3 else 1


def candidates(frame: np.ndarray, sequence: bool = False, levels: Sequence = LEVELS,
               run: int | None = None) -> list:
    """Every meaningful setting for frames like this one, no two writing the
    same file: the left filter, palette (when the format allows it) and codec;
    zstd levels (a palette's default level is 19, so it is tried as L19); for
    16-bit data with the filter, the gradient and the left predictor (the
    library's per-image default picks one of them, so it adds no file).

    For sequences (``sequence``), inter-frame delta with no key frame after
    frame 0 at every level, and with each of KEYFRAME_INTERVALS that fits the
    ``run`` of consecutive frames measured (None: a long run), at the fastest
    level only (the level barely changes what a key frame costs; this keeps
    the sweep short)."""
    byte_channels = channels_of(frame) * frame.dtype.itemsize
    palettes = (False, True) if byte_channels <= 8 else (False,)
    intervals = [k for k in KEYFRAME_INTERVALS if run is None or k < run]
    found = []
    for rle, palette, lz4 in itertools.product((False, True), palettes, (False, True)):
        predictors = [None]
        if rle and frame.dtype == np.uint16 and not palette:
            predictors = ["gradient", "left"]
        if lz4:
            tried = [None]  # lz4 has no level
        else:
            tried = list(dict.fromkeys(PALETTE_DEFAULT_LEVEL if palette and level is None else level
                                       for level in levels))
        fastest = min(tried, key=lambda level: 1 if level is None else level)
        for predictor in predictors:
            for level in tried:
                found.append(Candidate(rle, palette, lz4, False, level, predictor))
                if sequence:
                    found.append(Candidate(rle, palette, lz4, True, level, predictor, 0))
            if sequence:
                found += [Candidate(rle, palette, lz4, True, fastest, predictor, k) for k in intervals]
    return found


def png_size(frame: np.ndarray) -> int | None:
    """Bytes of the frame as PNG (OpenCV's default settings; Pillow if no OpenCV)."""
    try:
        import cv2

        image = frame
        if frame.ndim == 3 and frame.shape[2] in (3, 4):
            image = frame[..., [2, 1, 0, 3][: frame.shape[2]]]
        ok, data = cv2.imencode(".png", np.ascontiguousarray(image))
        return len(data) if ok else None
    except ImportError:
        pass
    try:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG")
        return buffer.tell()
    except (ImportError, TypeError, ValueError):
        return None


def _best_time(fn: Callable, repeat: int, budget: float = 0.3) -> float:
    """The best of up to ``repeat`` calls; stops once the calls took ``budget``
    seconds in all (a slow call times steadily, and slow encodes dominate a sweep)."""
    best = spent = 0.0
    for k in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best = took if k == 0 else min(best, took)
        spent += took
        if spent > budget:
            break
    return best


def measure(frames: Sequence[np.ndarray], candidate: Candidate, repeat: int = 3,
            png_bytes: int | None = None) -> Result:
    """Encodes the frames with a setting and decodes them back: one image, or
    (for several frames) a container, so inter-frame delta counts."""
    frames = [np.ascontiguousarray(f) for f in frames]
    raw = sum(f.nbytes for f in frames)
    channels = channels_of(frames[0])
    if len(frames) == 1:
        opts = candidate.options(channels)
        encoded = [b""]

        def encode():
            encoded[0] = pzp.encode(frames[0], **opts)

        encode_s = _best_time(encode, repeat)  # the timed encodes give the bytes too
        data = encoded[0]
        decoded = pzp.decode(data)
        decode_s = _best_time(lambda: pzp.decode(data), repeat)
        exact = decoded.dtype == frames[0].dtype and np.array_equal(decoded, frames[0])
        return Result(candidate, len(data), raw, encode_s, decode_s, exact, png_bytes)
    opts = candidate.container_options(channels)
    fd, path = tempfile.mkstemp(suffix=".pzp")
    os.close(fd)
    try:
        encode_s = _best_time(lambda: pzp.write_container(path, frames, durable=False, **opts), repeat)
        size = os.path.getsize(path)
        with pzp.open(path) as c:
            decoded = [c[k] for k in range(len(c))]

            def read_all():
                pzp.thread_cleanup()  # no previous frame cached: a cold sequential read
                for k in range(len(c)):
                    c[k]

            decode_s = _best_time(read_all, repeat)
        exact = all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(decoded, frames))
    finally:
        os.unlink(path)
    return Result(candidate, size, raw, encode_s, decode_s, exact, png_bytes)


def sample(frames: Sequence, count: int = SEQUENCE_RUN) -> list:
    """A run of count consecutive frames from the middle of a sequence (all of
    a shorter one): inter-frame delta and key frames need neighbours."""
    n = len(frames)
    if n <= count:
        return [np.asarray(frames[k]) for k in range(n)]
    start = (n - count) // 2
    return [np.asarray(frames[k]) for k in range(start, start + count)]


def sweep(frames: Sequence[np.ndarray], settings: Sequence[Candidate] | None = None, repeat: int = 3,
          progress: Callable[[int, int, Result], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> list:
    """Measures every setting (default: :func:`candidates`) on the frames.
    ``progress(done, total, result)`` is called after each; ``cancelled()``
    stops early. Results come in the order of the settings."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        msg = "sweep needs at least one frame"
        raise ValueError(msg)
    if settings is None:
        settings = candidates(frames[0], sequence=len(frames) > 1, run=len(frames))
    settings = list(settings)
    png = sum(p for p in (png_size(f) for f in frames) if p) or None
    results = []
    for k, candidate in enumerate(settings):
        if cancelled is not None and cancelled():
            break
        try:
            result = measure(frames, candidate, repeat, png)
        except pzp.PZPValueError as e:  # a setting the format refuses for these frames
            result = Result(candidate, 0, sum(f.nbytes for f in frames), 0.0, 0.0, False, png, {"error": str(e)})
        results.append(result)
        if progress is not None:
            progress(k + 1, len(settings), result)
    return results


def valid(results: Sequence[Result]) -> list:
    return [r for r in results if r.exact and r.bytes > 0]


def smallest(results: Sequence[Result]) -> Result:
    return min(valid(results), key=lambda r: r.bytes)


def fastest_within(results: Sequence[Result], slack: float = 0.10) -> Result:
    """The fastest to decode among those at most ``slack`` larger than the smallest."""
    limit = smallest(results).bytes * (1 + slack)
    return max((r for r in valid(results) if r.bytes <= limit), key=lambda r: r.decode_mb_s)
