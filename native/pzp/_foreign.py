"""Other formats in and out, for pzp-convert: every foreign format goes through
a well-kept library (Pillow, tifffile, PyAV, OpenCV for 16-bit colour PNG/PNM);
none is decoded here. They are the ``convert`` extra; a missing one raises
:class:`MissingExtraError` naming it."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction
from typing import Iterator

EXTRA_HINT = "pip install 'napari-pzp[convert]'"

# Files that become frames, by extension (lower case).
PILLOW_SUFFIXES = {".png", ".apng", ".jpg", ".jpeg", ".bmp", ".dib", ".pnm", ".pgm", ".ppm", ".pbm", ".gif",
                   ".webp", ".tga", ".qoi"}
TIFF_SUFFIXES = {".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".mpg", ".mpeg", ".ogv", ".flv", ".wmv",
                  ".ts", ".mts", ".y4m", ".nut"}
IMAGE_SUFFIXES = PILLOW_SUFFIXES | TIFF_SUFFIXES | {".npy", ".pzp"}
INPUT_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


class MissingExtraError(ImportError):
    """An optional package pzp-convert needs for a format is not installed."""


class ForeignFormatError(ValueError):
    """The data cannot be represented as PZP frames (float samples, out-of-range values, ...)."""


def need(module: str, purpose: str, package: str | None = None):
    """Imports ``module`` or raises MissingExtraError naming the package and the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        msg = f"{purpose} needs the Python package '{package or module}' ({EXTRA_HINT})"
        raise MissingExtraError(msg) from None


def numpy():
    return need("numpy", "converting images", "numpy")


# ---- arrays -----------------------------------------------------------------------


def as_frame_array(array):
    """A uint8/uint16 (H, W) or (H, W, C) array for PZP. Other integer types are
    narrowed when every value fits (so the conversion is lossless); bool becomes
    0/1 uint8; floats are refused."""
    np = numpy()
    a = np.asarray(array)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    if a.dtype.kind not in "ui":
        msg = f"{a.dtype} samples cannot be stored losslessly (PZP holds 8- or 16-bit unsigned integers)"
        raise ForeignFormatError(msg)
    if a.dtype != np.uint8 and a.dtype != np.uint16:
        low, high = (int(a.min()), int(a.max())) if a.size else (0, 0)
        if low < 0 or high > 0xFFFF:
            msg = f"{a.dtype} values {low}..{high} do not fit 16-bit unsigned samples"
            raise ForeignFormatError(msg)
        a = a.astype(np.uint8 if a.dtype.itemsize == 1 else np.uint16)
    if a.dtype.byteorder == ">":
        a = a.astype(np.uint16)
    if a.ndim not in (2, 3):
        msg = f"an image is (H, W) or (H, W, C), got shape {a.shape}"
        raise ForeignFormatError(msg)
    return np.ascontiguousarray(a)


def npy_frames(path: str, count_only: bool = False):
    """Frames of a .npy array: (H, W) and (H, W, C<=4) are one image,
    (T, H, W) and (T, H, W, C) a sequence. Frames are read from the file one
    by one (not through a memory map, whose pages would stay in the process's
    resident memory until the whole array had been mapped in)."""
    np = numpy()
    a = np.load(path, mmap_mode="r", allow_pickle=False)  # the header: layout and data offset
    if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] <= 4):
        count, shape = 1, a.shape
    elif a.ndim in (3, 4):
        count, shape = a.shape[0], a.shape[1:]
    else:
        msg = f"a .npy of shape {a.shape} is neither an image (H, W[, C]) nor a sequence (T, H, W[, C])"
        raise ForeignFormatError(msg)
    if count_only:
        return count
    if not a.flags.c_contiguous:  # Fortran order: a frame's samples are spread over the whole file
        frames = [a] if count == 1 else a
        return (as_frame_array(np.array(f)) for f in frames)
    dtype, offset = a.dtype, a.offset
    del a
    return _npy_read(path, offset, dtype, shape, count)


def _npy_read(path: str, offset: int, dtype, shape: tuple, count: int) -> Iterator:
    np = numpy()
    items = 1
    for n in shape:
        items *= n
    with open(path, "rb") as f:
        f.seek(offset)
        for _ in range(count):
            frame = np.fromfile(f, dtype=dtype, count=items)
            if frame.size != items:
                msg = "the .npy file is cut short"
                raise ForeignFormatError(msg)
            yield as_frame_array(frame.reshape(shape))


# ---- still images and animations (Pillow; OpenCV for 16-bit colour) --------------------


def _pillow_16bit_colour(im) -> bool:
    """Pillow reads 16-bit colour PNG/PNM as 8-bit RGB(A): tell it from the tile."""
    if im.mode not in ("RGB", "RGBA", "LA"):
        return False
    for tile in im.tile:
        args = tile.args if hasattr(tile, "args") else tile[3]
        if ";16" in str(args):
            return True
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], int) and args[1] > 255:
            return True  # PPM: (rawmode, maxval)
    return False


def _read_with_opencv(path: str):
    cv2 = need("cv2", "reading 16-bit colour PNG/PNM", "opencv-python-headless")
    np = numpy()
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        msg = "OpenCV cannot decode it"
        raise ForeignFormatError(msg)
    if image.ndim == 3:
        order = [2, 1, 0, 3][: image.shape[2]] if image.shape[2] in (3, 4) else list(range(image.shape[2]))
        image = image[:, :, order]
    return as_frame_array(image)


def pillow_to_array(im, keep_indices: bool = False):
    """The pixels of a loaded Pillow image as a uint8/uint16 array, losslessly
    where the mode allows: palette images are expanded to RGB(A) (their index
    values with ``keep_indices``), 32-bit integer images narrowed if they fit."""
    np = numpy()
    mode = im.mode
    if mode in ("P", "PA"):
        if keep_indices and mode == "P":
            return as_frame_array(np.asarray(im))
        im = im.convert("RGBA" if (mode == "PA" or "transparency" in im.info) else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("RGBX", "RGBa"):
        im = im.convert("RGBA" if mode == "RGBa" else "RGB")
    elif mode == "La":
        im = im.convert("LA")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    elif mode == "F":
        msg = "32-bit float images cannot be stored losslessly (PZP holds 8- or 16-bit unsigned integers)"
        raise ForeignFormatError(msg)
    a = np.asarray(im)
    if a.dtype.byteorder == ">" or (a.dtype.kind == "u" and a.dtype.itemsize == 2):
        a = a.astype(np.uint16)
    return as_frame_array(a)


def read_pillow(path: str, keep_indices: bool = False) -> list:
    """[(pixels, delay_ms or None), ...]: one entry for a still image, one per
    frame for an animation (GIF, APNG, WebP) with its durations."""
    Image = need("PIL.Image", "reading PNG/JPEG/BMP/PNM/GIF images", "pillow")
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        if frames == 1:
            if _pillow_16bit_colour(im):
                return [(_read_with_opencv(path), None)]
            im.load()
            return [(pillow_to_array(im, keep_indices), None)]
        result = []
        for index in range(frames):
            im.seek(index)
            im.load()
            duration = im.info.get("duration")
            result.append((pillow_to_array(im, keep_indices), round(duration) if duration is not None else None))
        return result


def write_png(path: str, array) -> None:
    """A PNG of any PZP frame layout: 8-bit through Pillow, 16-bit gray too,
    16-bit colour through OpenCV."""
    np = numpy()
    channels = 1 if array.ndim == 2 else array.shape[2]
    if array.dtype == np.uint16 and channels > 1:
        if channels not in (3, 4):
            msg = f"PNG has no 16-bit {channels}-channel layout: export to TIFF or .npy instead"
            raise ForeignFormatError(msg)
        cv2 = need("cv2", "writing 16-bit colour PNG", "opencv-python-headless")
        ok, data = cv2.imencode(".png", array[:, :, [2, 1, 0, 3][:channels]])
        if not ok:
            msg = "OpenCV could not encode the PNG"
            raise ForeignFormatError(msg)
        with open(path, "wb") as f:
            f.write(data.tobytes())
        return
    Image = need("PIL.Image", "writing PNG", "pillow")
    if channels > 4 or (channels == 2 and array.dtype == np.uint16):
        msg = f"PNG has no {array.dtype.itemsize * 8}-bit {channels}-channel layout: export to TIFF or .npy instead"
        raise ForeignFormatError(msg)
    im = Image.fromarray(array.reshape(array.shape[:2]) if channels == 1 else array)
    im.save(path, format="PNG", compress_level=6)


def to_8bit(array, scale_max: int):
    """A 16-bit frame shown in 8 bits for viewing formats (GIF, APNG, MP4):
    values scaled so that scale_max becomes 255."""
    np = numpy()
    if array.dtype == np.uint8:
        return array
    return (array.astype(np.uint32) * 255 // max(1, scale_max)).clip(0, 255).astype(np.uint8)


# ---- TIFF (tifffile) ----------------------------------------------------------------


def tiff_page_count(path: str) -> int:
    tifffile = need("tifffile", "reading TIFF", "tifffile")
    with tifffile.TiffFile(path) as tif:
        return len(tif.pages)


def tiff_frames(path: str) -> Iterator:
    """Every page of a TIFF as a frame, read one at a time; pages holding
    several planes (stored channel-planar, or volumetric) are split into frames."""
    tifffile = need("tifffile", "reading TIFF", "tifffile")
    np = numpy()
    with tifffile.TiffFile(path) as tif:
        for page in tif.pages:
            a = page.asarray()
            key = getattr(page, "keyframe", None) or page
            samples = getattr(key, "samplesperpixel", 1)
            planar_separate = int(getattr(key, "planarconfig", 1)) == 2
            if planar_separate and samples > 1 and a.ndim >= 3 and a.shape[-3] == samples:
                a = np.moveaxis(a, -3, -1)
            if a.ndim == 2 or (a.ndim == 3 and samples > 1 and a.shape[-1] == samples):
                yield as_frame_array(a)
            else:
                tail = 3 if samples > 1 else 2
                for plane in a.reshape((-1,) + a.shape[-tail:]):
                    yield as_frame_array(plane)


class TiffSink:
    """A multi-page TIFF written page by page, uncompressed: frames of one layout
    are stored contiguously as one series (T, H, W[, C]), so ``tifffile.imread``
    returns the whole stack and ImageJ-style readers see a stack; a frame of
    another layout starts a new series."""

    def __init__(self, path: str, expected_bytes: int | None):
        tifffile = need("tifffile", "writing TIFF", "tifffile")
        # Classic TIFF (read everywhere) unless the pixels may not fit its 4 GiB offsets.
        big = expected_bytes is None or expected_bytes > 3 << 30
        self._writer = tifffile.TiffWriter(path, bigtiff=big)

    def add(self, frame) -> None:
        channels = 1 if frame.ndim == 2 else frame.shape[2]
        options = {"photometric": "rgb" if channels in (3, 4) else "minisblack"}
        if channels in (2, 4):
            options["extrasamples"] = ["unassalpha"]
        self._writer.write(frame, contiguous=True, **options)

    def close(self) -> None:
        self._writer.close()


# ---- video and audio (PyAV) --------------------------------------------------------------

AUDIO_TAGS = {"WAVE", "MPEG", "OGG", "FLAC"}
_REMUX = {"mp3": ("mp3", "MPEG"), "flac": ("flac", "FLAC"), "vorbis": ("ogg", "OGG"), "opus": ("ogg", "OGG")}
_WAV_CODECS = {"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "pcm_alaw", "pcm_mulaw"}
_PCM_FOR_SAMPLES = {"u8": "pcm_u8", "s32": "pcm_s32le", "flt": "pcm_f32le", "dbl": "pcm_f64le"}


def av():
    return need("av", "video and audio", "av")


def sniff_audio(data: bytes) -> str | None:
    """'WAVE', 'MPEG', 'OGG' or 'FLAC' from the first bytes of an audio file, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "WAVE"
    if data[:4] == b"fLaC":
        return "FLAC"
    if data[:4] == b"OggS":
        return "OGG"
    if data[:3] == b"ID3":
        return "MPEG"
    if len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and (data[1] >> 1) & 3 != 0:
        return "MPEG"  # an MPEG audio frame header (layer bits 0 would be AAC ADTS)
    return None


def _remux(stream, container, muxer: str) -> bytes:
    """The track's packets, unchanged, in a file of their own. Ogg's granule
    positions count samples: there each packet is timed by the samples the
    decoder makes of it (the source's timestamps may be rounded, as Matroska's
    milliseconds are, which would lose or add samples at the start or the end)."""
    out_buffer = io.BytesIO()
    exact = muxer == "ogg"
    with av().open(out_buffer, "w", format=muxer) as out:
        out_stream = out.add_stream_from_template(stream)
        time_base = Fraction(1, stream.codec_context.sample_rate) if exact else None
        position = 0
        pending = None  # (packet, samples): muxed once the next one is decoded

        def mux(packet, samples: int) -> None:
            nonlocal position
            if exact:
                packet.time_base = time_base
                packet.pts = packet.dts = position
                packet.duration = samples
                position += samples
            packet.stream = out_stream
            out.mux(packet)

        for packet in container.demux(stream):
            if packet.dts is None:
                continue
            samples = sum(f.samples for f in stream.codec_context.decode(packet)) if exact else 0
            if pending is not None:
                mux(*pending)
            pending = (packet, samples)
        if pending is not None:
            flushed = sum(f.samples for f in stream.codec_context.decode(None)) if exact else 0
            mux(pending[0], pending[1] + flushed)
    return out_buffer.getvalue()


def _transcode(stream, container) -> tuple:
    """Decoded samples re-encoded losslessly: FLAC for 16-bit samples, else a
    WAVE file of the decoder's own sample type (float stays float)."""
    lib = av()
    out_buffer = io.BytesIO()
    out = None
    tag = "FLAC"
    resampler = out_stream = None
    try:
        for frame in container.decode(stream):
            if out is None:
                packed = frame.format.packed.name
                if packed == "s16":
                    codec, muxer, tag = "flac", "flac", "FLAC"
                else:
                    codec, muxer, tag = _PCM_FOR_SAMPLES.get(packed, "pcm_f32le"), "wav", "WAVE"
                    packed = {"pcm_u8": "u8", "pcm_s32le": "s32", "pcm_f64le": "dbl"}.get(codec, "flt")
                out = lib.open(out_buffer, "w", format=muxer)
                out_stream = out.add_stream(codec, rate=frame.sample_rate, layout=frame.layout.name)
                out_stream.format = packed
                resampler = lib.AudioResampler(format=packed, layout=frame.layout.name, rate=frame.sample_rate)
            frame.pts = None
            for packed_frame in resampler.resample(frame):
                for packet in out_stream.encode(packed_frame):
                    out.mux(packet)
        if out is None:
            return None
        for packet in out_stream.encode(None):
            out.mux(packet)
    finally:
        if out is not None:
            out.close()
    return out_buffer.getvalue(), tag


def extract_audio(path: str) -> tuple | None:
    """The first audio track of a media file as ``(bytes, tag)``: copied into
    its own file format when it is MP3, FLAC, Vorbis/Opus (Ogg) or PCM (WAVE),
    else decoded and re-encoded losslessly (FLAC or WAVE). None without audio."""
    lib = av()
    with lib.open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        name = stream.codec_context.codec.canonical_name  # "mp3", not the decoder "mp3float"
        if name in _REMUX or name in _WAV_CODECS:
            muxer, tag = _REMUX.get(name, ("wav", "WAVE"))
            try:
                return _remux(stream, container, muxer), tag
            except (lib.FFmpegError, ValueError):
                container.seek(0)
        return _transcode(stream, container)


def read_audio_file(path: str) -> tuple:
    """An audio file for the container's audio blob: its bytes as they are when
    it is WAVE, MP3, Ogg or FLAC, else its audio re-encoded to FLAC or WAVE."""
    with open(path, "rb") as f:
        head = f.read(16)
    tag = sniff_audio(head)
    if tag is not None:
        with open(path, "rb") as f:
            return f.read(), tag
    audio = extract_audio(path)
    if audio is None:
        msg = "no audio track found"
        raise ForeignFormatError(msg)
    return audio


def _output_format(pix_fmt: str) -> str:
    """The numpy layout a video's pixel format decodes to without losing bits or alpha."""
    if pix_fmt in ("pal8", "rgb8", "bgr8", "rgb4", "bgr4", "rgb4_byte", "bgr4_byte"):
        return "rgba" if pix_fmt == "pal8" else "rgb24"
    components = av().VideoFormat(pix_fmt).components
    alpha = any(c.is_alpha for c in components)
    deep = any(c.bits > 8 for c in components)
    if len(components) == 1:
        return "gray16le" if deep else "gray"
    if alpha:
        return "rgba64le" if deep else "rgba"
    return "rgb48le" if deep else "rgb24"


class VideoInput:
    """A video file's frames, decoded one at a time, with delays from their timestamps."""

    def __init__(self, path: str, threads: int = 0):
        lib = av()
        self.path = path
        self._container = lib.open(path)
        if not self._container.streams.video:
            self._container.close()
            msg = "no video track found"
            raise ForeignFormatError(msg)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        if threads:
            self._stream.codec_context.thread_count = threads
        self._format = _output_format(self._stream.codec_context.pix_fmt or "rgb24")

    @property
    def frame_rate(self) -> Fraction | None:
        rate = self._stream.average_rate or self._stream.guessed_rate
        return Fraction(rate) if rate else None

    def estimated_frames(self) -> int | None:
        if self._stream.frames:
            return int(self._stream.frames)
        rate = self.frame_rate
        if self._stream.duration and rate and self._stream.time_base:
            return round(float(self._stream.duration * self._stream.time_base * rate))
        return None

    def frames(self) -> Iterator:
        """(pixels, delay_ms): delays from presentation times in milliseconds,
        rounded cumulatively so they add up to the video's duration."""
        rate = self.frame_rate
        default = Fraction(1) / rate if rate else Fraction(1, 25)
        previous_pixels = None
        previous_time = None
        previous_start_ms = 0
        previous_duration = None
        for frame in self._container.decode(self._stream):
            pixels = frame.to_ndarray(format=self._format)
            time = Fraction(frame.pts) * frame.time_base if frame.pts is not None and frame.time_base else None
            if previous_pixels is not None:
                if time is None or previous_time is None:
                    time = (previous_time or 0) + default
                start_ms = round(time * 1000)
                yield as_frame_array(previous_pixels), max(0, start_ms - previous_start_ms)
                previous_start_ms = start_ms
            elif time is not None:
                previous_start_ms = round(time * 1000)
            previous_pixels, previous_time = pixels, time
            duration = frame.duration
            previous_duration = Fraction(duration) * frame.time_base if duration and frame.time_base else None
        if previous_pixels is not None:
            last = previous_duration or default
            yield as_frame_array(previous_pixels), max(0, round(((previous_time or 0) + last) * 1000) -
                                                       previous_start_ms)

    def close(self) -> None:
        self._container.close()


_VIDEO_LOSSLESS = {  # PZP layout -> (numpy format, FFV1 pixel format)
    (1, 8): ("gray", "gray"), (1, 16): ("gray16le", "gray16le"),
    (3, 8): ("rgb24", "bgr0"), (3, 16): ("rgb48le", "gbrp16le"),
    (4, 8): ("rgba", "bgra"), (4, 16): ("rgba64le", "gbrap16le"),
}


class VideoSink:
    """MKV with FFV1 (lossless, every PZP layout but 2 channels) or MP4 with
    H.264 (for viewing: 8 bits, 4:2:0, even sizes), with the container's audio
    muxed back in: copied where the file type takes it, else AAC (MP4)."""

    def __init__(self, path: str, kind: str, first, audio: tuple | None, scale_max: int):
        lib = av()
        self._av = lib
        self._kind = kind
        self._scale_max = scale_max
        self._out = lib.open(path, "w", format="matroska" if kind == "mkv" else "mp4")
        height, width = first.shape[:2]
        channels = 1 if first.ndim == 2 else first.shape[2]
        if kind == "mkv":
            layout = _VIDEO_LOSSLESS.get((channels, first.dtype.itemsize * 8))
            if layout is None:
                msg = f"FFV1 has no {channels}-channel layout: export to TIFF or .npy instead"
                raise ForeignFormatError(msg)
            self._numpy_format, pix_fmt = layout
            self._video = self._out.add_stream("ffv1")
            self._video.pix_fmt = pix_fmt
            self._video.width, self._video.height = width, height
        else:
            self._numpy_format = "rgb24" if channels >= 3 else "gray"
            self._video = self._out.add_stream("libx264")
            self._video.pix_fmt = "yuv420p"
            self._video.width, self._video.height = width + width % 2, height + height % 2
            self._video.options = {"crf": "18", "preset": "medium"}
        self._video.time_base = Fraction(1, 1000)
        self._video.codec_context.time_base = Fraction(1, 1000)
        self._time_ms = 0
        self._durations: dict = {}
        self._audio_in = self._audio_out = self._audio_packets = None
        self._pending_audio = None
        if audio is not None:
            self._open_audio(audio)

    def _open_audio(self, audio: tuple) -> None:
        data, _tag = audio
        lib = self._av
        self._audio_in = lib.open(io.BytesIO(data))
        if not self._audio_in.streams.audio:
            return
        stream = self._audio_in.streams.audio[0]
        copyable = ({"mp3", "aac", "flac", "opus", "alac"} if self._kind == "mp4" else
                    {"mp3", "aac", "flac", "opus", "vorbis"} | _WAV_CODECS)
        copy = stream.codec_context.codec.canonical_name in copyable
        if copy:
            self._audio_out = self._out.add_stream_from_template(stream)
            self._audio_packets = (p for p in self._audio_in.demux(stream) if p.dts is not None)
        else:
            self._audio_out = self._out.add_stream("aac", rate=stream.codec_context.sample_rate)
            self._audio_packets = self._encoded_audio(stream)

    def _encoded_audio(self, stream) -> Iterator:
        resampler = self._av.AudioResampler(format="fltp", layout=stream.codec_context.layout.name or "stereo",
                                            rate=stream.codec_context.sample_rate)
        for frame in self._audio_in.decode(stream):
            frame.pts = None
            for converted in resampler.resample(frame):
                yield from self._audio_out.encode(converted)
        yield from self._audio_out.encode(None)

    def _mux_video(self, packets) -> None:
        """Packets carry their frame's delay, so the last frame's delay survives."""
        for packet in packets:
            if packet.pts is not None and packet.pts in self._durations:
                packet.duration = self._durations.pop(packet.pts)
            self._out.mux(packet)

    def _mux_audio_until(self, seconds: float | None) -> None:
        """Interleaves audio packets up to the video time (all of them at the end)."""
        if self._audio_packets is None:
            return
        while True:
            packet = self._pending_audio
            if packet is None:
                packet = next(self._audio_packets, None)
                if packet is None:
                    self._audio_packets = None
                    return
            if seconds is not None and packet.pts is not None and packet.time_base is not None and \
                    float(packet.pts * packet.time_base) > seconds:
                self._pending_audio = packet
                return
            self._pending_audio = None
            packet.stream = self._audio_out
            self._out.mux(packet)

    def add(self, pixels, delay_ms: int) -> None:
        np = numpy()
        if self._kind == "mp4":
            pixels = to_8bit(pixels, self._scale_max)
            if pixels.ndim == 3 and pixels.shape[2] != 3:
                pixels = pixels[:, :, :3] if pixels.shape[2] >= 3 else pixels[:, :, 0]
            pad = ((0, self._video.height - pixels.shape[0]), (0, self._video.width - pixels.shape[1]))
            if any(p[1] for p in pad):
                pixels = np.pad(pixels, pad + ((0, 0),) * (pixels.ndim - 2), mode="edge")
            if pixels.ndim == 3 and self._numpy_format == "gray":
                pixels = pixels[:, :, 0]
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format=self._numpy_format)
        frame.pts = self._time_ms
        frame.time_base = Fraction(1, 1000)
        self._durations[self._time_ms] = delay_ms
        self._mux_video(self._video.encode(frame))
        self._time_ms += delay_ms
        self._mux_audio_until(self._time_ms / 1000)

    def close(self) -> None:
        self._mux_video(self._video.encode(None))
        self._mux_audio_until(None)
        self._out.close()
        if self._audio_in is not None:
            self._audio_in.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the file is removed anyway
            self._out.close()
        if self._audio_in is not None:
            self._audio_in.close()


def write_animation(path: str, kind: str, frames: Iterator, delays: list, loop: int) -> None:
    """An animated GIF or APNG through Pillow (8-bit; GIF quantises to 256 colours).
    ``frames`` yields 8-bit arrays; Pillow holds them until it writes the file."""
    Image = need("PIL.Image", "writing GIF/APNG", "pillow")
    # A list: Pillow's APNG writer goes over append_images twice.
    images = [Image.fromarray(f if f.ndim == 2 or f.shape[2] != 1 else f[:, :, 0]) for f in frames]
    first = images[0]
    options = {"save_all": True, "append_images": images[1:], "duration": delays, "loop": loop}
    if kind == "gif":
        first.save(path, format="GIF", disposal=1, optimize=False, **options)
    else:
        first.save(path, format="PNG", default_image=False, **options)
