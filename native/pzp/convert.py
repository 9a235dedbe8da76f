"""pzp-convert: other formats to PZP and back, with a progress bar.

    pzp-convert frames/ movie.pzp --rle --delta --fps 25     # a folder of images -> one container
    pzp-convert clip.mp4 clip.pzp --auto                     # a video, its sound kept
    pzp-convert movie.pzp frames/                            # a container -> a folder of PNGs
    pzp-convert scans/ out/ --each --auto                    # one .pzp per image, same tree

Inputs: images (PNG, TIFF, JPEG, BMP, PNM, GIF/APNG/WebP animations), folders
and globs of them (natural order), multi-page TIFF, videos, .npy arrays and .pzp
files, in any number and mix: their frames go into the output in order.
Outputs by the output's name: .pzp, a folder (PNGs; .pzp files with --each),
.tif/.tiff, .npy, .gif, .png/.apng, .mkv (FFV1, lossless) and .mp4 (H.264).

All PZP work goes through the pzp package; every foreign format goes through a
well-kept library (the ``convert`` extra). Frames are read and encoded on a
thread pool (the codec releases the GIL) and appended in input order by a
streaming writer, so memory holds a few frames. Results are atomic: nothing
appears at the output unless the whole conversion succeeds.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator

from . import _foreign
from ._container import DEFAULT_KEYFRAME_INTERVAL, Container, ContainerWriter
from ._errors import PZPError
from ._image import encode_frame, sample_rows

PROG = "pzp-convert"
AUTO_SAMPLE_FRAMES = 4  # of a stream: its first frames
AUTO_SAMPLE_RUNS = 3  # of a folder of images: pairs of neighbours spread over it
AUTO_SAMPLE_PIXELS = 512 * 512  # larger frames are sampled by bands of rows
FAST_TOLERANCE = 1.10  # --fast: the fastest to decode within 10 % of the smallest


class ConvertError(Exception):
    """A conversion failure, naming the file concerned."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, (_foreign.ForeignFormatError, PZPError, ConvertError)):
        return text
    return f"{text} ({type(error).__name__})"


# ---- inputs ---------------------------------------------------------------------------


def natural_key(text: str) -> list:
    """Sort key that orders 'frame2' before 'frame10'."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", text)]


@dataclass
class InputFile:
    path: str
    rel: str  # path relative to the folder or glob it came from (mirrored by --each)

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.path)[1].lower()


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _glob_base(pattern: str) -> str:
    parts = []
    for part in pattern.split(os.sep):
        if _is_glob(part):
            break
        parts.append(part)
    return os.sep.join(parts) or "."


def expand_inputs(arguments: list) -> list:
    """Files from the input arguments, in order: a file as given, a folder's
    images recursively and a glob's matches, each in natural order."""
    files: list = []
    for argument in arguments:
        if os.path.isdir(argument):
            found = []
            for root, dirs, names in os.walk(argument):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in names:
                    if not name.startswith(".") and os.path.splitext(name)[1].lower() in _foreign.INPUT_SUFFIXES:
                        path = os.path.join(root, name)
                        found.append(InputFile(path, os.path.relpath(path, argument)))
            if not found:
                raise ConvertError(argument, "no images in this folder")
            files.extend(sorted(found, key=lambda f: natural_key(f.rel)))
        elif _is_glob(argument) and not os.path.exists(argument):
            base = _glob_base(argument)
            matches = [p for p in glob.glob(argument, recursive=True) if os.path.isfile(p)]
            if not matches:
                raise ConvertError(argument, "no file matches this pattern")
            found = [InputFile(p, os.path.relpath(p, base)) for p in matches]
            files.extend(sorted(found, key=lambda f: natural_key(f.rel)))
        elif os.path.isfile(argument):
            files.append(InputFile(argument, os.path.basename(argument)))
        else:
            raise ConvertError(argument, "no such file or folder")
    return files


@dataclass
class Job:
    """Frames of the input in order: ``load()`` returns [(pixels, delay_ms or None)]
    and runs on the pool when ``parallel``; ``error`` is a failure met while
    reading the input sequentially, reported in its place in the order."""

    source: str
    load: Callable[[], list] | None = None
    parallel: bool = False
    error: BaseException | None = None


class Source:
    """The frames of every input, in order, and what the inputs tell about the
    whole: frame count, audio, metadata and loop count of .pzp inputs, bytes."""

    def __init__(self, files: list, args, skipped: list, want_audio: bool):
        self.files: list = []
        self.counts: dict = {}
        self.input_bytes = 0
        self.audio: tuple | None = None
        self.metadata: bytes | None = None
        self.loop: int | None = None
        self.stills = 0  # inputs that are single still images
        self._args = args
        self._want_audio = want_audio and args.audio is None
        for item in files:
            try:
                count = self._probe(item)
            except _foreign.MissingExtraError:
                raise
            except Exception as e:  # noqa: BLE001 - any failure of a foreign reader names the file
                if not args.keep_going:
                    raise ConvertError(item.path, describe(e)) from None
                skipped.append((item.path, describe(e)))
                continue
            self.files.append(item)
            self.counts[item.path] = count
            self.input_bytes += os.path.getsize(item.path)

    @property
    def total_frames(self) -> int | None:
        counts = list(self.counts.values())
        return None if any(c is None for c in counts) else sum(counts)

    def _probe(self, item: InputFile) -> int | None:
        """Frame count of one input (None if unknown) and its audio/metadata."""
        suffix = item.suffix
        if suffix == ".pzp":
            with Container(item.path) as c:
                if self.audio is None and self._want_audio and c.audio_format is not None:
                    self.audio = c.audio
                if self.metadata is None:
                    self.metadata = c.metadata
                if self.loop is None:
                    self.loop = c.loop_count
                if len(c) == 1 and c.loop_count == 1:
                    self.stills += 1
                return len(c)
        if suffix == ".npy":
            return _foreign.npy_frames(item.path, count_only=True)
        if suffix in _foreign.TIFF_SUFFIXES:
            pages = _foreign.tiff_page_count(item.path)
            self.stills += pages == 1
            return pages
        if suffix in _foreign.VIDEO_SUFFIXES:
            video = _foreign.VideoInput(item.path)
            try:
                count = video.estimated_frames()
            finally:
                video.close()
            if self.audio is None and self._want_audio:
                self.audio = _foreign.extract_audio(item.path)
            return count
        self.stills += 1
        return 1  # a still image, or an animation counted when read

    def _is_still_file(self, item: InputFile) -> bool:
        return item.suffix in _foreign.PILLOW_SUFFIXES or (item.suffix in _foreign.TIFF_SUFFIXES
                                                            and self.counts[item.path] == 1)

    @property
    def random_access(self) -> bool:
        """Every input is one image file, so any frame can be read on its own."""
        return all(self._is_still_file(item) for item in self.files)

    def sample_runs(self) -> list:
        """Pairs of neighbouring images spread over the inputs (for --auto);
        unreadable ones are left out (the conversion reports them)."""
        runs = []
        for pair in sample_positions(len(self.files)):
            run = []
            for index in pair:
                item = self.files[index]
                try:
                    run.append(_still_loader(item.path, item.suffix, self._args.indices)()[0][0])
                except _foreign.MissingExtraError:
                    raise
                except Exception:  # noqa: BLE001, S112 - reported when the frame is converted
                    continue
            runs.append(run)
        return runs

    def jobs(self) -> Iterator[Job]:
        threads = self._args.threads
        for item in self.files:
            path, suffix = item.path, item.suffix
            if self._is_still_file(item):
                yield Job(path, load=_still_loader(path, suffix, self._args.indices), parallel=True)
                continue
            if suffix == ".pzp":
                frames = _pzp_frames(path)
            elif suffix == ".npy":
                frames = ((f, None) for f in _foreign.npy_frames(path))
            elif suffix in _foreign.TIFF_SUFFIXES:
                frames = ((f, None) for f in _foreign.tiff_frames(path))
            else:
                frames = _video_frames(path, threads)
            yield from _sequential_jobs(path, frames)


def _still_loader(path: str, suffix: str, keep_indices: bool) -> Callable[[], list]:
    if suffix in _foreign.TIFF_SUFFIXES:
        return lambda: [(f, None) for f in _foreign.tiff_frames(path)]
    return lambda: _foreign.read_pillow(path, keep_indices)


def _pzp_frames(path: str) -> Iterator:
    with Container(path) as c:
        delays = c.delays
        for i in range(len(c)):
            yield c.read(i), delays[i]


def _video_frames(path: str, threads: int) -> Iterator:
    video = _foreign.VideoInput(path, threads)
    try:
        yield from video.frames()
    finally:
        video.close()


def _sequential_jobs(path: str, frames: Iterator) -> Iterator[Job]:
    """One job per frame of an input read in order; a failure becomes an error job."""
    try:
        for item in frames:
            yield Job(path, load=lambda item=item: [item])
    except _foreign.MissingExtraError:
        raise
    except Exception as e:  # noqa: BLE001 - reported in order, naming the file
        yield Job(path, error=e)


# ---- frame delays ---------------------------------------------------------------------------


class Delays:
    """--delay-ms / --fps for every frame (cumulative rounding for --fps so the
    total matches the rate), else each frame's own delay, else 0."""

    def __init__(self, delay_ms: int | None, fps: float | None):
        self._delay_ms = delay_ms
        self._fps = fps
        self._frames = 0

    def next(self, own: int | None) -> int:
        n = self._frames
        self._frames += 1
        if self._delay_ms is not None:
            return self._delay_ms
        if self._fps is not None:
            return round((n + 1) * 1000 / self._fps) - round(n * 1000 / self._fps)
        return int(own) if own is not None else 0


# ---- choosing flags (--auto) ------------------------------------------------------------------

FLAG_NAMES = ("rle", "palette", "lz4", "delta")


def flag_label(flags: dict) -> str:
    names = [name for name in FLAG_NAMES if flags.get(name)]
    return "+".join(names) if names else "none"


def channels_internal(frame) -> int:
    channels = 1 if frame.ndim == 2 else frame.shape[2]
    return channels * frame.dtype.itemsize


def candidate_flag_sets(sample: list, sequence: bool) -> list:
    """The flag sets --auto tries: {none, rle} x {no palette, palette} x {zstd, lz4},
    each with and without inter-frame delta for sequences of one layout."""
    palette_ok = all(channels_internal(f) <= 8 for f in sample)
    same_layout = all(f.shape == sample[0].shape and f.dtype == sample[0].dtype for f in sample)
    deltas = (False, True) if sequence and same_layout else (False,)
    sets = []
    for delta in deltas:
        for lz4 in (False, True):
            for palette in (False, True) if palette_ok else (False,):
                for rle in (False, True):
                    sets.append({"rle": rle, "palette": palette, "lz4": lz4, "delta": delta})
    return sets


def auto_sample(runs: list) -> list:
    """Runs of consecutive frames cut to AUTO_SAMPLE_FRAMES; frames over
    AUTO_SAMPLE_PIXELS reduced to the same evenly spaced bands of rows (so
    deltas between neighbours stay real)."""
    return [[sample_rows(f) if f.shape[0] * f.shape[1] > AUTO_SAMPLE_PIXELS else f for f in run[:AUTO_SAMPLE_FRAMES]]
            for run in runs if run]


def sample_positions(count: int) -> list:
    """Indices of AUTO_SAMPLE_RUNS pairs of neighbours spread over ``count``
    frames (the first frames of a volume or a video are often blank)."""
    starts = sorted({min(count - 2, count * k // (AUTO_SAMPLE_RUNS + 1)) for k in range(1, AUTO_SAMPLE_RUNS + 1)})
    return [(start, start + 1) for start in starts]


@dataclass
class Trial:
    flags: dict
    bytes: int
    decode_seconds: float | None = None


@dataclass
class AutoChoice:
    flags: dict
    trials: list = field(default_factory=list)


class FrameEncoder:
    """Encodes frames with one flag set, choosing key and delta frames exactly as
    ContainerWriter does, so parallel encoding gives the same bytes as a serial writer."""

    def __init__(self, flags: dict, level: int | None, keyframe_interval: int):
        self.flags = dict(flags)
        self.level = level
        self.keyframe_interval = keyframe_interval
        self._previous = None
        self._since_key = 0

    def reference_for(self, pixels):
        """The frame to encode ``pixels`` against (None for a key frame); call in frame order."""
        if not self.flags.get("delta"):
            return None
        previous = self._previous
        delta = (previous is not None and previous.shape == pixels.shape and previous.dtype == pixels.dtype
                 and (self.keyframe_interval == 0 or self._since_key + 1 < self.keyframe_interval))
        self._since_key = self._since_key + 1 if delta else 0
        self._previous = pixels
        return previous if delta else None

    def encode(self, pixels, reference) -> bytes:
        return encode_frame(pixels, reference, use_rle=bool(self.flags.get("rle")),
                            use_palette=bool(self.flags.get("palette")), use_lz4=bool(self.flags.get("lz4")),
                            level=self.level)


def _decode_seconds(blobs: list) -> float:
    """Best of three times to decode the blobs from a container (as a reader would)."""
    with tempfile.TemporaryDirectory(prefix="pzp-auto-") as folder:
        path = os.path.join(folder, "sample.pzp")
        with ContainerWriter(path, durable=False) as writer:
            for blob in blobs:
                writer.append_encoded(blob)
        best = float("inf")
        with Container(path) as c:
            for _ in range(3):
                start = time.perf_counter()
                for i in range(len(c)):
                    c.read(i)
                best = min(best, time.perf_counter() - start)
        return best


def choose_flags(runs: list, *, fast: bool = False, level: int | None = None,
                 keyframe_interval: int = DEFAULT_KEYFRAME_INTERVAL) -> AutoChoice:
    """Tries every candidate flag set on a sample of ``runs`` (lists of
    consecutive frames; ``[[image]]`` for one image) and keeps the smallest,
    or with ``fast`` the fastest to decode within 10 % of the smallest."""
    sample = auto_sample(runs)
    frames = [f for run in sample for f in run]
    trials = []
    for flags in candidate_flag_sets(frames, sequence=any(len(run) > 1 for run in sample)):
        blobs = []
        for run in sample:  # each run starts with a key frame
            encoder = FrameEncoder(flags, level, keyframe_interval)
            blobs.extend(encoder.encode(f, encoder.reference_for(f)) for f in run)
        trial = Trial(flags, sum(len(b) for b in blobs))
        if fast:
            trial.decode_seconds = _decode_seconds(blobs)
        trials.append(trial)
    smallest = min(t.bytes for t in trials)
    if fast:
        eligible = [t for t in trials if t.bytes <= smallest * FAST_TOLERANCE]
        best = min(eligible, key=lambda t: (t.decode_seconds, t.bytes))
    else:
        best = min(trials, key=lambda t: t.bytes)
    return AutoChoice(best.flags, trials)


# ---- progress -------------------------------------------------------------------------------


class Progress:
    """A tqdm bar on stderr with frames/s and MB/s of pixels (plain lines without tqdm)."""

    def __init__(self, total: int | None, quiet: bool, unit: str = "frame"):
        self.frames = 0
        self.raw_bytes = 0
        self.start = time.perf_counter()
        self._quiet = quiet
        self._bar = None
        self._last_print = self.start
        self._last_postfix = 0.0
        if quiet:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                         desc=PROG, leave=True)

    def update(self, frames: int, raw_bytes: int) -> None:
        self.frames += frames
        self.raw_bytes += raw_bytes
        if self._quiet:
            return
        now = time.perf_counter()
        elapsed = max(now - self.start, 1e-9)
        if self._bar is not None:
            self._bar.update(frames)
            if now - self._last_postfix > 0.25:
                self._bar.set_postfix_str(f"{self.raw_bytes / elapsed / 1e6:.1f} MB/s", refresh=False)
                self._last_postfix = now
        elif now - self._last_print >= 2.0:
            self._last_print = now
            print(f"{PROG}: {self.frames} frames, {self.frames / elapsed:.1f} frames/s, "
                  f"{self.raw_bytes / elapsed / 1e6:.1f} MB/s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            elapsed = max(time.perf_counter() - self.start, 1e-9)
            self._bar.set_postfix_str(f"{self.raw_bytes / elapsed / 1e6:.1f} MB/s", refresh=True)
            self._bar.close()
            self._bar = None


# ---- outputs --------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temporary_beside(path: str, folder: bool = False) -> str:
    """A hidden temporary file or folder in the output's folder (renamed into
    place at the end), with the permissions a new file or folder gets."""
    parent = os.path.dirname(os.path.abspath(path)) or "."
    base = os.path.basename(os.path.normpath(path))
    if folder:
        name = tempfile.mkdtemp(prefix=f".{base}.partial-", dir=parent)
        os.chmod(name, 0o777 & ~_umask())
        return name
    fd, name = tempfile.mkstemp(prefix=f".{base}.partial-", suffix=os.path.splitext(base)[1], dir=parent)
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())
    return name


def _remove(path: str | None) -> None:
    if path is None:
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _check_folder_output(path: str) -> None:
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise ConvertError(path, "the output folder exists and is not empty (remove it or choose another)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ConvertError(path, f"the folder {parent} does not exist")


def _place_folder(staging: str, path: str) -> None:
    if os.path.isdir(path):
        os.rmdir(path)  # checked empty before the run
    os.rename(staging, path)


class Sink:
    """Where frames go. ``prepare`` runs on the pool (thread-safe work on one
    frame), ``commit`` in the main thread in frame order. ``sample_frames``:
    frames to hand ``configure`` before anything is prepared (--auto)."""

    sample_frames = 0

    def configure(self, runs: list) -> None:
        pass

    def reference_for(self, pixels):
        return None

    def prepare(self, index: int, pixels, reference):
        return pixels

    def commit(self, index: int, prepared, pixels, delay_ms: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def output_bytes(self) -> int:
        return os.path.getsize(self.path)


class PzpSink(Sink):
    """One container (a single image keeps the reference's single-image layout)."""

    def __init__(self, path: str, args, source: Source, audio: tuple | None, metadata, loop: int):
        self.path = path
        self._args = args
        self._auto = args.auto
        self.sample_frames = AUTO_SAMPLE_FRAMES if args.auto else 0
        self.choice: AutoChoice | None = None
        flags = {name: getattr(args, name) for name in FLAG_NAMES}
        self._encoder = FrameEncoder(flags, args.level, args.keyframe_interval)
        total = source.total_frames
        self._writer = ContainerWriter(path, loop_count=loop, keyframe_interval=args.keyframe_interval,
                                       expected_frames=total if total and total <= 0xFFFFFFFF else 0,
                                       metadata=metadata, audio=audio[0] if audio else None,
                                       audio_format=audio[1] if audio else "WAVE")

    def configure(self, runs: list) -> None:
        """--auto: the flags from the sample ``runs`` (lists of consecutive frames)."""
        if self._auto and any(runs):
            self.choice = choose_flags(runs, fast=self._args.fast, level=self._args.level,
                                       keyframe_interval=self._args.keyframe_interval)
            self._encoder = FrameEncoder(self.choice.flags, self._args.level, self._args.keyframe_interval)

    def reference_for(self, pixels):
        return self._encoder.reference_for(pixels)

    def prepare(self, index: int, pixels, reference) -> bytes:
        return self._encoder.encode(pixels, reference)

    def commit(self, index: int, prepared, pixels, delay_ms: int) -> None:
        self._writer.append_encoded(prepared, delay_ms)

    def close(self) -> None:
        self._writer.close()

    def abort(self) -> None:
        self._writer.abort()


class PngFolderSink(Sink):
    """A folder of numbered PNGs, written on the pool into a hidden staging folder."""

    def __init__(self, path: str, total: int | None):
        _check_folder_output(path)
        self.path = path
        self._digits = max(5, len(str(total - 1))) if total else 6
        self._staging = _temporary_beside(path, folder=True)

    def prepare(self, index: int, pixels, reference) -> str:
        name = os.path.join(self._staging, f"{index:0{self._digits}d}.png")
        _foreign.write_png(name, pixels)
        return name

    def commit(self, index: int, prepared, pixels, delay_ms: int) -> None:
        pass

    def close(self) -> None:
        _place_folder(self._staging, self.path)
        self._staging = None

    def abort(self) -> None:
        _remove(self._staging)
        self._staging = None

    def output_bytes(self) -> int:
        return sum(os.path.getsize(os.path.join(self.path, n)) for n in os.listdir(self.path))


class FileSink(Sink):
    """A sink writing one foreign file through a hidden temporary beside it."""

    def __init__(self, path: str):
        self.path = path
        self._temporary = _temporary_beside(path)

    def finish(self) -> None:
        os.replace(self._temporary, self.path)
        self._temporary = None

    def abort(self) -> None:
        _remove(self._temporary)
        self._temporary = None


class TiffFileSink(FileSink):
    def __init__(self, path: str, expected_bytes: int | None):
        super().__init__(path)
        try:
            self._tiff = _foreign.TiffSink(self._temporary, expected_bytes)
        except BaseException:
            super().abort()
            raise

    def commit(self, index, prepared, pixels, delay_ms) -> None:
        self._tiff.add(pixels)

    def close(self) -> None:
        self._tiff.close()
        self.finish()

    def abort(self) -> None:
        try:
            self._tiff.close()
        finally:
            super().abort()


class NpySink(FileSink):
    """A .npy array: (H, W[, C]) for one frame, (T, H, W[, C]) for several;
    frames are streamed after a header slot filled in at the end."""

    HEADER_BYTES = 256

    def __init__(self, path: str):
        super().__init__(path)
        self._file = open(self._temporary, "wb")  # noqa: SIM115 - closed in close/abort
        self._file.write(b"\0" * self.HEADER_BYTES)
        self._layout = None
        self._count = 0

    def commit(self, index, prepared, pixels, delay_ms) -> None:
        layout = (pixels.shape, pixels.dtype)
        if self._layout is None:
            self._layout = layout
        elif layout != self._layout:
            raise ConvertError(self.path, f"frame {index} is {pixels.shape} {pixels.dtype}, the first "
                                          f"{self._layout[0]} {self._layout[1]}: one .npy array needs one layout")
        self._file.write(pixels.tobytes())
        self._count += 1

    def close(self) -> None:
        shape = self._layout[0] if self._count == 1 else (self._count,) + self._layout[0]
        descr = _foreign.numpy().lib.format.dtype_to_descr(self._layout[1])
        header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
        prefix = b"\x93NUMPY\x01\x00"
        padding = self.HEADER_BYTES - len(prefix) - 2 - len(header) - 1
        if padding < 0:
            raise ConvertError(self.path, f"array shape {shape} too long for the header")
        text = (header + " " * padding + "\n").encode("latin-1")
        self._file.seek(0)
        self._file.write(prefix + len(text).to_bytes(2, "little") + text)
        self._file.close()
        self.finish()

    def abort(self) -> None:
        self._file.close()
        super().abort()


class AnimationSink(FileSink):
    """GIF or APNG through Pillow: frames are held (Pillow writes them at the
    end); 16-bit frames are scaled to 8 bits by the sequence's maximum. A .png
    with a single frame is a plain PNG."""

    def __init__(self, path: str, kind: str, loop: int):
        super().__init__(path)
        self._kind = kind
        self._loop = loop
        self._frames: list = []
        self._delays: list = []

    def commit(self, index, prepared, pixels, delay_ms) -> None:
        self._frames.append(pixels)
        self._delays.append(delay_ms)

    def close(self) -> None:
        if not self._frames:
            raise ConvertError(self.path, "no frames")
        if self._kind == "png" and len(self._frames) == 1:
            _foreign.write_png(self._temporary, self._frames[0])
        else:
            scale = max(int(f.max()) for f in self._frames) if self._frames[0].dtype.itemsize == 2 else 255
            frames = (_foreign.to_8bit(f, scale) for f in self._frames)
            kind = "gif" if self._kind == "gif" else "apng"
            _foreign.write_animation(self._temporary, kind, frames, self._delays, self._loop)
        self._frames.clear()
        self.finish()


class VideoFileSink(FileSink):
    def __init__(self, path: str, kind: str, audio: tuple | None, scale_max: int):
        super().__init__(path)
        self._kind = kind
        self._audio = audio
        self._scale_max = scale_max
        self._video = None

    def commit(self, index, prepared, pixels, delay_ms) -> None:
        if self._video is None:
            self._video = _foreign.VideoSink(self._temporary, self._kind, pixels, self._audio, self._scale_max)
        self._video.add(pixels, delay_ms)

    def close(self) -> None:
        if self._video is None:
            raise ConvertError(self.path, "no frames")
        self._video.close()
        self.finish()

    def abort(self) -> None:
        if self._video is not None:
            self._video.abort()
        super().abort()


# ---- the pipeline ----------------------------------------------------------------------------


@dataclass
class Stats:
    files: int = 0
    frames: int = 0
    raw_bytes: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    seconds: float = 0.0
    skipped: list = field(default_factory=list)
    choice: AutoChoice | None = None


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def run_frames(jobs: Iterator[Job], sink: Sink, pool: ThreadPoolExecutor, threads: int, delays: Delays,
               progress: Progress, keep_going: bool, skipped: list) -> None:
    """Loads frames (on the pool), prepares them (on the pool) and commits them
    in input order, with at most a few frames per thread in flight."""
    window = 2 * threads + 2
    loads: deque = deque()  # (job, future of [(pixels, delay)])
    prepared: deque = deque()  # (source, future, pixels, delay)
    sample: list | None = [] if sink.sample_frames else None
    index = 0

    def fail(source: str, error: BaseException) -> None:
        if isinstance(error, (_foreign.MissingExtraError, KeyboardInterrupt)):
            raise error
        if not keep_going:
            raise ConvertError(source, describe(error)) from error
        skipped.append((source, describe(error)))

    def submit(source: str, pixels, own_delay) -> None:
        nonlocal index
        reference = sink.reference_for(pixels)
        future = pool.submit(sink.prepare, index, pixels, reference)
        prepared.append((source, future, pixels, delays.next(own_delay), index))
        index += 1

    def configure_with_sample() -> None:
        nonlocal sample
        frames, sample = sample, None
        sink.configure([[f[1] for f in frames]])
        for source, pixels, own_delay in frames:
            submit(source, pixels, own_delay)

    def take_load() -> None:
        job, future = loads.popleft()
        try:
            items = future.result()
        except Exception as e:  # noqa: BLE001 - named and reported in order
            fail(job.source, e)
            return
        for pixels, own_delay in items:
            if sample is not None:
                sample.append((job.source, pixels, own_delay))
                if len(sample) >= sink.sample_frames:
                    configure_with_sample()
            else:
                submit(job.source, pixels, own_delay)

    def commit_one() -> None:
        source, future, pixels, delay, i = prepared.popleft()
        try:
            result = future.result()
        except Exception as e:  # noqa: BLE001
            fail(source, e)
            return
        sink.commit(i, result, pixels, delay)
        progress.update(1, pixels.nbytes)

    def step() -> None:
        if prepared and (not loads or prepared[0][1].done() or len(prepared) >= threads):
            commit_one()
        else:
            take_load()

    for job in jobs:
        if job.error is not None:
            while loads or prepared:  # everything before it first, in order
                step()
            fail(job.source, job.error)
            continue
        loads.append((job, pool.submit(job.load) if job.parallel else _done(job.load())))
        while len(loads) + len(prepared) >= window:
            step()
    while loads:
        take_load()
    if sample is not None:
        configure_with_sample()
    while prepared:
        commit_one()


def _interruptible():
    """Turns SIGTERM into KeyboardInterrupt while converting, so both clean up."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def output_kind(path: str, each: bool) -> str:
    if each:
        return "each"
    suffix = os.path.splitext(path)[1].lower()
    kinds = {".pzp": "pzp", ".tif": "tiff", ".tiff": "tiff", ".npy": "npy", ".gif": "gif", ".apng": "apng",
             ".png": "png", ".mkv": "mkv", ".mp4": "mp4", ".m4v": "mp4"}
    if suffix in kinds:
        return kinds[suffix]
    if suffix == "" or path.endswith(os.sep) or os.path.isdir(path):
        return "folder"
    raise ConvertError(path, f"unknown output type {suffix!r}: use .pzp, a folder, .tif, .npy, .gif, .png, "
                             ".apng, .mkv or .mp4")


def _scale_max_for_video(source: Source) -> int:
    """The largest sample over every frame (for showing 16-bit data in 8-bit MP4)."""
    largest = 0
    for job in source.jobs():
        if job.error is not None:
            continue
        for pixels, _ in job.load():
            if pixels.dtype.itemsize == 1:
                return 255
            largest = max(largest, int(pixels.max()))
    return largest or 255


def convert(args) -> Stats:
    """Runs one conversion described by parsed arguments; raises ConvertError."""
    stats = Stats()
    start = time.perf_counter()
    kind = output_kind(args.output, args.each)
    files = expand_inputs(args.inputs)
    if kind == "each":
        return convert_each(files, args, stats, start)
    source = Source(files, args, stats.skipped, want_audio=kind in ("pzp", "mkv", "mp4"))
    if not source.files:
        raise ConvertError(args.inputs[0], "no readable input")
    audio = read_audio_option(args.audio) if args.audio else source.audio
    metadata = load_metadata(args.metadata) if args.metadata is not None else source.metadata
    still = len(source.files) == 1 and source.stills == 1
    loop = args.loop if args.loop is not None else (source.loop if source.loop is not None else (1 if still else 0))
    total = source.total_frames
    if kind == "pzp":
        sink: Sink = PzpSink(args.output, args, source, audio, metadata, loop)
    elif kind == "folder":
        sink = PngFolderSink(args.output, total)
    elif kind == "tiff":
        sink = TiffFileSink(args.output, None)
    elif kind == "npy":
        sink = NpySink(args.output)
    elif kind in ("gif", "apng", "png"):
        sink = AnimationSink(args.output, kind, loop)
    else:
        scale = _scale_max_for_video(source) if kind == "mp4" else 255
        sink = VideoFileSink(args.output, kind, audio, scale)
    if kind == "pzp" and args.auto and source.random_access and len(source.files) > AUTO_SAMPLE_FRAMES:
        sink.configure(source.sample_runs())
        sink.sample_frames = 0
    progress = Progress(total, args.quiet)
    previous_handler = _interruptible()
    pool = ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="pzp-convert")
    try:
        delays = Delays(args.delay_ms, args.fps)
        run_frames(source.jobs(), sink, pool, args.threads, delays, progress, args.keep_going, stats.skipped)
        pool.shutdown(wait=True)
        if progress.frames == 0:
            raise ConvertError(args.inputs[0], "no frames could be read")
        sink.close()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        sink.abort()
        raise
    finally:
        progress.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    stats.files = len(source.files)
    stats.frames = progress.frames
    stats.raw_bytes = progress.raw_bytes
    stats.input_bytes = source.input_bytes
    stats.output_bytes = sink.output_bytes()
    stats.seconds = time.perf_counter() - start
    stats.choice = getattr(sink, "choice", None)
    return stats


def _each_target(item: InputFile) -> str:
    return os.path.splitext(item.rel)[0] + ".pzp"


def _convert_one(item: InputFile, staging: str, args) -> tuple:
    """One input file to one .pzp in the staging folder: (frames, pixel bytes, input bytes)."""
    target = os.path.join(staging, _each_target(item))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Failures are the caller's to report (or skip): this file has no --keep-going of its own.
    source = Source([item], argparse.Namespace(**{**vars(args), "keep_going": False}), [], want_audio=True)
    frames_iter = (f for job in source.jobs() for f in _job_frames(job))
    first = []
    for frame in frames_iter:
        first.append(frame)
        if len(first) >= (AUTO_SAMPLE_FRAMES if args.auto else 1):
            break
    if not first:
        raise ConvertError(item.path, "no frames")
    flags = {name: getattr(args, name) for name in FLAG_NAMES}
    if args.auto:
        flags = choose_flags([[f[0] for f in first]], fast=args.fast, level=args.level,
                             keyframe_interval=args.keyframe_interval).flags
    audio = read_audio_option(args.audio) if args.audio else source.audio
    metadata = load_metadata(args.metadata) if args.metadata is not None else source.metadata
    still = source.stills == 1
    loop = args.loop if args.loop is not None else (source.loop if source.loop is not None else (1 if still else 0))
    delays = Delays(args.delay_ms, args.fps)
    count = raw = 0
    with ContainerWriter(target, loop_count=loop, use_rle=flags["rle"], use_palette=flags["palette"],
                         use_lz4=flags["lz4"], use_inter_delta=flags["delta"], level=args.level,
                         keyframe_interval=args.keyframe_interval, metadata=metadata,
                         audio=audio[0] if audio else None, audio_format=audio[1] if audio else "WAVE",
                         durable=False) as writer:
        for pixels, own_delay in _chain(first, frames_iter):
            writer.append(pixels, delays.next(own_delay))
            count += 1
            raw += pixels.nbytes
    return count, raw, source.input_bytes


def _job_frames(job: Job) -> list:
    if job.error is not None:
        raise job.error
    return job.load()


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def convert_each(files: list, args, stats: Stats, start: float) -> Stats:
    """--each: one .pzp per input file, mirroring the input tree, on the pool."""
    targets: dict = {}
    for item in files:
        target = _each_target(item)
        if target in targets:
            raise ConvertError(item.path, f"would overwrite the output of {targets[target]} ({target})")
        targets[target] = item.path
    _check_folder_output(args.output)
    staging = _temporary_beside(args.output, folder=True)
    progress = Progress(len(files), args.quiet, "file")
    previous_handler = _interruptible()
    pool = ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="pzp-convert")
    try:
        window = 2 * args.threads
        pending: deque = deque()
        done = 0

        def finish_one() -> None:
            nonlocal done
            item, future = pending.popleft()
            try:
                frames, raw, size = future.result()
            except _foreign.MissingExtraError:
                raise
            except Exception as e:  # noqa: BLE001 - names the file
                reason = e.reason if isinstance(e, ConvertError) else describe(e)
                if not args.keep_going:
                    raise ConvertError(item.path, reason) from e
                stats.skipped.append((item.path, reason))
                _remove(os.path.join(staging, _each_target(item)))
                return
            done += 1
            stats.frames += frames
            stats.raw_bytes += raw
            stats.input_bytes += size
            progress.update(1, raw)

        for item in files:
            pending.append((item, pool.submit(_convert_one, item, staging, args)))
            while len(pending) >= window:
                finish_one()
        while pending:
            finish_one()
        pool.shutdown(wait=True)
        if done == 0:
            raise ConvertError(args.inputs[0], "no input could be converted")
        _place_folder(staging, args.output)
        staging = None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        _remove(staging)
        progress.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    stats.files = done
    stats.output_bytes = sum(os.path.getsize(os.path.join(root, name))
                             for root, _, names in os.walk(args.output) for name in names)
    stats.seconds = time.perf_counter() - start
    return stats


def read_audio_option(path: str) -> tuple:
    """--audio: the file's bytes and tag (or its sound re-encoded), naming it on failure."""
    try:
        return _foreign.read_audio_file(path)
    except _foreign.MissingExtraError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure names the file
        raise ConvertError(path, describe(e)) from e


def load_metadata(value: str) -> bytes:
    """--metadata: a file's bytes, or a JSON text stored as given."""
    if os.path.isfile(value):
        with open(value, "rb") as f:
            return f.read()
    try:
        json.loads(value)
    except ValueError:
        raise ConvertError(value, "--metadata takes a file or a JSON text; this is neither") from None
    return value.encode("utf-8")


# ---- command line ---------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, not {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        msg = f"must be 0 or more, not {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        msg = f"must be above 0, not {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _level(text: str) -> int:
    value = int(text)
    if value == 0:
        msg = "the zstd level must not be 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert images, image folders, TIFF stacks, videos and .npy arrays to PZP, and PZP "
                    "to PNG folders, TIFF, .npy, GIF/APNG and MKV/MP4.",
        epilog="Outputs by name: X.pzp, a folder (PNGs, or one .pzp per input with --each), X.tif, X.npy, "
               "X.gif, X.png/X.apng, X.mkv (FFV1, lossless) and X.mp4 (H.264, for viewing).")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image, folder, glob, TIFF, video, .npy or .pzp")
    parser.add_argument("output", metavar="OUTPUT", help="the file or folder to write")
    flags = parser.add_argument_group("PZP flags (default: none, as the reference library)")
    flags.add_argument("--rle", action="store_true", help="left-neighbour predictor (gradient for 16-bit)")
    flags.add_argument("--palette", action="store_true", help="per-channel palette (zstd level 19 by default, tuned to decode fast)")
    flags.add_argument("--lz4", action="store_true", help="LZ4 instead of zstd (faster decode, larger)")
    flags.add_argument("--delta", action="store_true", help="inter-frame delta (sequences)")
    flags.add_argument("--keyframe-interval", type=_non_negative_int, default=DEFAULT_KEYFRAME_INTERVAL,
                       metavar="N", help=f"with --delta, a key frame every N frames (0 = only the first; "
                                         f"default {DEFAULT_KEYFRAME_INTERVAL})")
    flags.add_argument("--level", type=_level, metavar="N", help="zstd level (default 1, 19 with --palette)")
    flags.add_argument("--auto", action="store_true",
                       help="try the flag sets on a sample of the input and keep the smallest")
    flags.add_argument("--fast", action="store_true",
                       help="with --auto: the fastest to decode within 10%% of the smallest")
    timing = parser.add_argument_group("sequence")
    rate = timing.add_mutually_exclusive_group()
    rate.add_argument("--delay-ms", type=_non_negative_int, metavar="N", help="every frame's delay")
    rate.add_argument("--fps", type=_positive_float, metavar="F", help="delays from a frame rate")
    timing.add_argument("--loop", type=_non_negative_int, metavar="N", help="play N times (0 = forever)")
    timing.add_argument("--metadata", metavar="FILE|JSON", help="a file or a JSON text stored as the metadata blob")
    timing.add_argument("--audio", metavar="FILE", help="an audio file to embed (WAVE, MP3, Ogg and FLAC as they "
                                                         "are; others re-encoded to FLAC or WAVE)")
    timing.add_argument("--indices", action="store_true",
                        help="keep palette images (P mode) as their index values instead of expanding to RGB")
    run = parser.add_argument_group("running")
    run.add_argument("--each", action="store_true", help="one .pzp per input file in the OUTPUT folder, "
                                                         "mirroring the input folders")
    run.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                     help="threads reading and encoding (default: the number of cores)")
    run.add_argument("--keep-going", action="store_true",
                     help="skip inputs that fail (listed at the end; exit status 1)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    return parser


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def _trial_text(trial: Trial) -> str:
    """A candidate of --auto: its flags and sample bytes (and decode time with --fast)."""
    text = f"{flag_label(trial.flags)} {trial.bytes}"
    return text if trial.decode_seconds is None else f"{text} ({trial.decode_seconds * 1e3:.3f} ms)"


def summary(stats: Stats, output: str) -> str:
    ratio = stats.input_bytes / stats.output_bytes if stats.output_bytes else float("inf")
    raw_ratio = stats.raw_bytes / stats.output_bytes if stats.output_bytes else float("inf")
    rate = stats.frames / stats.seconds if stats.seconds else 0.0
    lines = [f"{PROG}: {stats.files} file{'s' if stats.files != 1 else ''}, {stats.frames} frames, "
             f"{_megabytes(stats.input_bytes)} in ({_megabytes(stats.raw_bytes)} of pixels) -> {output} "
             f"{_megabytes(stats.output_bytes)}; ratio {ratio:.2f} ({raw_ratio:.2f} to raw pixels); "
             f"{stats.seconds:.2f} s, {rate:.1f} frames/s, {stats.raw_bytes / max(stats.seconds, 1e-9) / 1e6:.1f} MB/s"]
    if stats.choice is not None:
        lines.append(f"{PROG}: --auto chose {flag_label(stats.choice.flags)}: "
                     + ", ".join(_trial_text(t) for t in sorted(stats.choice.trials, key=lambda t: t.bytes)))
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.fast and not args.auto:
        parser.error("--fast goes with --auto")
    if args.auto and (args.rle or args.palette or args.lz4 or args.delta):
        parser.error("--auto chooses the flags: give either --auto or flags")
    try:
        stats = convert(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except ConvertError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except (_foreign.MissingExtraError, PZPError, OSError, ValueError) as e:
        print(f"{PROG}: error: {describe(e)}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(summary(stats, args.output))
    if stats.skipped:
        print(f"{PROG}: skipped {len(stats.skipped)} input{'s' if len(stats.skipped) != 1 else ''}:",
              file=sys.stderr)
        for path, reason in stats.skipped:
            print(f"  {path}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
