"""pzp-convert: real frames (tests/data/convert, cropped from the shared corpus)
in and out of PZP through every input and output kind, with exact pixels,
order, delays and sound; --auto; failures; interrupts; pzp.encode_frame."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import wave
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")
tifffile = pytest.importorskip("tifffile")

import pzp  # noqa: E402
from pzp import convert  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "convert"
SEQUENCES = ["vtest_rgb", "nuclei_u16", "timelapse_u8"]
STILLS = ["rgba_konqueror.png", "label_voc_class.png", "depth16_motorcycle.png", "gray_camera.png"]

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (make system-deps)")


def read_png(path) -> np.ndarray:
    """Expected pixels through OpenCV (the corpus's writer), not the converter's Pillow."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    if image.ndim == 3:
        image = image[:, :, [2, 1, 0, 3][: image.shape[2]]]
    return image


def frames_of(name: str) -> list:
    return [read_png(p) for p in sorted((DATA / name).glob("*.png"))]


def run(*argv) -> int:
    return convert.main([str(a) for a in argv] + ["--quiet"])


def container_frames(path) -> list:
    with pzp.open(path) as c:
        return [c[i] for i in range(len(c))]


def assert_frames_equal(actual: list, expected: list) -> None:
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype and a.shape == e.shape, k
        assert np.array_equal(a, e), f"frame {k} differs"


def ffmpeg(*args) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def decoded_samples(data_or_path, stream_index: int = 0) -> np.ndarray:
    av = pytest.importorskip("av")
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    with av.open(source) as c:
        stream = c.streams.audio[stream_index]
        chunks = [f.to_ndarray() for f in c.decode(stream)]
    return np.concatenate(chunks, axis=1)


def audio_packets(data_or_path) -> list:
    av = pytest.importorskip("av")
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    with av.open(source) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


def wav_samples(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    """A 16-bit stereo WAV made by ffmpeg (two sines), a little longer than the clips."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (make system-deps)")
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=0.4",
           "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=44100:duration=0.4",
           "-filter_complex", "[0:a][1:a]amerge=inputs=2", "-c:a", "pcm_s16le", path)
    return path


# ---- folders of images ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SEQUENCES)
@pytest.mark.parametrize("flags", [[], ["--rle", "--delta", "--keyframe-interval", "3"], ["--palette", "--lz4"]])
def test_png_folder_to_container_is_exact(tmp_path, name, flags):
    out = tmp_path / "seq.pzp"
    assert run(DATA / name, out, "--delay-ms", "40", *flags) == 0
    assert_frames_equal(container_frames(out), frames_of(name))
    with pzp.open(out) as c:
        assert c.delays == [40] * len(c)
        assert c.loop_count == 0
        if "--delta" in flags:
            assert [c.frame_info(i)["is_delta"] for i in range(4)] == [False, True, True, False]


def test_natural_order_and_fps_delays(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    sources = sorted((DATA / "vtest_rgb").glob("*.png"))
    for k, source in enumerate(sources):  # f1 ... f8 sort as 1, 2, ... not 1, 10, 2
        shutil.copy(source, folder / f"f{k * 3 + 1}.png")
    (folder / "notes.txt").write_text("not an image")
    out = tmp_path / "seq.pzp"
    assert run(folder, out, "--fps", "30") == 0
    assert_frames_equal(container_frames(out), [read_png(p) for p in sources])
    delays = pzp.get_delays(out)
    assert all(abs(d - 1000 / 30) < 1 for d in delays)
    assert abs(sum(delays) - len(sources) * 1000 / 30) < 1


def test_glob_and_several_inputs_keep_their_order(tmp_path):
    out = tmp_path / "seq.pzp"
    assert run(str(DATA / "timelapse_u8" / "0000[3-5].png"), DATA / "gray_camera.png", out) == 0
    expected = [read_png(DATA / "timelapse_u8" / f"0000{k}.png") for k in (3, 4, 5)]
    expected.append(read_png(DATA / "gray_camera.png"))
    assert_frames_equal(container_frames(out), expected)


def test_threads_give_the_bytes_of_a_serial_writer(tmp_path):
    frames = frames_of("vtest_rgb")
    serial = tmp_path / "serial.pzp"
    with pzp.ContainerWriter(serial, use_rle=True, use_inter_delta=True, keyframe_interval=3) as writer:
        for frame in frames:
            writer.append(frame, 40)
    for threads in (1, 2, 4):
        out = tmp_path / f"threads{threads}.pzp"
        assert run(DATA / "vtest_rgb", out, "--rle", "--delta", "--keyframe-interval", "3", "--delay-ms", "40",
                   "--threads", threads) == 0
        assert out.read_bytes() == serial.read_bytes()


def test_encode_frame_appended_matches_container_writer(tmp_path):
    frames = frames_of("nuclei_u16")
    expected = tmp_path / "writer.pzp"
    with pzp.ContainerWriter(expected, use_rle=True, use_inter_delta=True, keyframe_interval=4) as writer:
        for frame in frames:
            writer.append(frame, 25)
    actual = tmp_path / "blobs.pzp"
    with pzp.ContainerWriter(actual, keyframe_interval=4) as writer:
        for k, frame in enumerate(frames):
            previous = frames[k - 1] if k % 4 else None
            writer.append_encoded(pzp.encode_frame(frame, previous, use_rle=True), 25)
    assert actual.read_bytes() == expected.read_bytes()
    assert_frames_equal(container_frames(actual), frames)
    with pytest.raises(ValueError, match="same layout"):
        pzp.encode_frame(frames[0], frames[0][:10])


# ---- single images in many formats -------------------------------------------------------


@pytest.mark.parametrize("name", STILLS)
def test_single_png_is_a_reference_single_image(tmp_path, name):
    out = tmp_path / "one.pzp"
    assert run(DATA / name, out, "--rle") == 0
    assert np.array_equal(pzp.read(out), read_png(DATA / name))
    with pzp.open(out) as c:
        assert (len(c), c.loop_count, c.delays) == (1, 1, [0])
    # The same 48-byte header the reference writes for every single image (FORMAT.md 5.5).
    assert out.read_bytes()[:48] == pzp.encode(read_png(DATA / name), use_rle=True)[:48]


@pytest.mark.parametrize("suffix", [".bmp", ".ppm", ".pgm", ".tif"])
def test_lossless_formats_in(tmp_path, suffix):
    source = read_png(DATA / ("gray_camera.png" if suffix == ".pgm" else "vtest_rgb/00003.png"))
    path = tmp_path / f"image{suffix}"
    if suffix == ".tif":
        tifffile.imwrite(path, source, photometric="rgb")
    else:
        Image.fromarray(source).save(path)
    out = tmp_path / "image.pzp"
    assert run(path, out) == 0
    assert np.array_equal(pzp.read(out), source)


def test_jpeg_in_matches_its_decoded_pixels(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(read_png(DATA / "vtest_rgb/00000.png")).save(path, quality=90)
    out = tmp_path / "photo.pzp"
    assert run(path, out) == 0
    with Image.open(path) as im:
        assert np.array_equal(pzp.read(out), np.asarray(im.convert("RGB")))


@pytest.mark.parametrize("suffix", [".png", ".ppm", ".pgm"])
def test_16bit_png_and_pnm_in(tmp_path, suffix):
    slices = frames_of("nuclei_u16")
    source = slices[0] if suffix == ".pgm" else np.dstack(slices[:3])  # three real slices as R, G, B
    path = tmp_path / f"deep{suffix}"
    cv2.imwrite(str(path), source if source.ndim == 2 else source[:, :, ::-1])
    out = tmp_path / "deep.pzp"
    assert run(path, out, "--rle") == 0
    actual = pzp.read(out)
    assert actual.dtype == np.uint16 and np.array_equal(actual, source)


def test_palette_png_expands_or_keeps_indices(tmp_path):
    labels = read_png(DATA / "label_voc_class.png")
    palette = np.array([(37 * k) % 256 for k in range(768)], dtype=np.uint8)
    image = Image.frombytes("P", labels.shape[::-1], labels.tobytes())
    image.putpalette(palette.tobytes())
    path = tmp_path / "labels.png"
    image.save(path)
    rgb, indices = tmp_path / "rgb.pzp", tmp_path / "indices.pzp"
    assert run(path, rgb) == 0
    assert run(path, indices, "--indices") == 0
    assert np.array_equal(pzp.read(rgb), palette.reshape(256, 3)[labels])
    assert np.array_equal(pzp.read(indices), labels)


def test_npy_in_and_out(tmp_path):
    stack = np.stack(frames_of("nuclei_u16"))
    path = tmp_path / "stack.npy"
    np.save(path, stack)
    out = tmp_path / "stack.pzp"
    assert run(path, out, "--rle", "--delta") == 0
    assert_frames_equal(container_frames(out), list(stack))
    back = tmp_path / "back.npy"
    assert run(out, back) == 0
    loaded = np.load(back)
    assert loaded.dtype == stack.dtype and np.array_equal(loaded, stack)
    single = tmp_path / "single.npy"
    assert run(DATA / "rgba_konqueror.png", tmp_path / "single.pzp") == 0
    assert run(tmp_path / "single.pzp", single) == 0
    assert np.array_equal(np.load(single), read_png(DATA / "rgba_konqueror.png"))


@pytest.mark.parametrize("layout", ["fortran", "big-endian", "bool", "single"])
def test_npy_layouts_in(tmp_path, layout):
    stack = np.stack(frames_of("nuclei_u16"))
    array, expected = {
        "fortran": (np.asfortranarray(stack), list(stack)),
        "big-endian": (stack.astype(">u2"), list(stack)),
        "bool": (stack > 2000, list((stack > 2000).astype(np.uint8))),
        "single": (stack[2], [stack[2]]),
    }[layout]
    path = tmp_path / "array.npy"
    np.save(path, array)
    out = tmp_path / "array.pzp"
    assert run(path, out) == 0
    assert_frames_equal(container_frames(out), expected)


def test_truncated_npy_is_named(tmp_path, capsys):
    path = tmp_path / "cut.npy"
    np.save(path, np.stack(frames_of("nuclei_u16")))
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 1000)
    assert run(path, tmp_path / "cut.pzp") == 1
    assert "cut.npy" in capsys.readouterr().err
    assert not (tmp_path / "cut.pzp").exists() and _leftovers(tmp_path) == []


def test_int32_npy_is_narrowed_only_when_lossless(tmp_path, capsys):
    labels = read_png(DATA / "label_voc_class.png").astype(np.int32)
    np.save(tmp_path / "ok.npy", labels * 1000)
    assert run(tmp_path / "ok.npy", tmp_path / "ok.pzp") == 0
    assert pzp.read(tmp_path / "ok.pzp").dtype == np.uint16
    assert np.array_equal(pzp.read(tmp_path / "ok.pzp"), labels * 1000)
    np.save(tmp_path / "bad.npy", labels * 10000)
    assert run(tmp_path / "bad.npy", tmp_path / "bad.pzp") == 1
    assert "bad.npy" in capsys.readouterr().err and not (tmp_path / "bad.pzp").exists()


# ---- TIFF stacks ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vtest_rgb", "nuclei_u16"])
@pytest.mark.parametrize("planar", ["contig", "separate"])
def test_tiff_stack_in_and_out(tmp_path, name, planar):
    frames = frames_of(name)
    stack = tmp_path / "stack.tif"
    photometric = "rgb" if frames[0].ndim == 3 else "minisblack"
    with tifffile.TiffWriter(stack) as tw:
        for frame in frames:
            data = np.moveaxis(frame, -1, 0) if planar == "separate" and frame.ndim == 3 else frame
            tw.write(data, photometric=photometric, planarconfig=planar if frame.ndim == 3 else None,
                     compression="zlib")
    out = tmp_path / "stack.pzp"
    assert run(stack, out, "--rle") == 0
    assert_frames_equal(container_frames(out), frames)
    back = tmp_path / "back.tif"
    assert run(out, back) == 0
    assert np.array_equal(tifffile.imread(back), np.stack(frames))


# ---- video with sound ----------------------------------------------------------------------


def _clip(tmp_path, tone, video_codec: list, audio_codec: list, suffix: str, fps: int = 30) -> Path:
    path = tmp_path / f"clip{suffix}"
    ffmpeg("-framerate", fps, "-i", DATA / "vtest_rgb" / "%05d.png", "-i", tone, *video_codec, *audio_codec,
           "-shortest", path)
    return path


@needs_ffmpeg
@pytest.mark.parametrize("audio", ["flac", "pcm_s16le"])
def test_lossless_video_with_sound_round_trips(tmp_path, tone, audio):
    clip = _clip(tmp_path, tone, ["-c:v", "ffv1"], ["-c:a", audio], ".mkv")
    out = tmp_path / "clip.pzp"
    assert run(clip, out, "--rle", "--delta") == 0
    frames = frames_of("vtest_rgb")
    assert_frames_equal(container_frames(out), frames)
    delays = pzp.get_delays(out)
    assert all(abs(d - 1000 / 30) < 1 for d in delays)
    assert abs(sum(delays) - len(frames) * 1000 / 30) < 1
    data, tag = pzp.get_audio(out)
    assert tag == ("FLAC" if audio == "flac" else "WAVE")
    embedded = decoded_samples(data).reshape(-1)
    source = decoded_samples(clip).reshape(-1)
    assert embedded.size > 0 and np.array_equal(embedded, source)
    assert np.array_equal(embedded, wav_samples(tone)[: embedded.size])
    if audio == "pcm_s16le":  # the WAVE file itself: its samples are the source's
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnchannels() == 2 and w.getframerate() == 44100
            assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2"), source)


@needs_ffmpeg
def test_mp3_track_is_carried_as_mpeg(tmp_path, tone):
    clip = _clip(tmp_path, tone, ["-c:v", "ffv1"], ["-c:a", "libmp3lame", "-b:a", "128k"], ".mkv", fps=25)
    out = tmp_path / "clip.pzp"
    assert run(clip, out) == 0
    data, tag = pzp.get_audio(out)
    assert tag == "MPEG"
    assert data[:3] == b"ID3" or data[:2] == b"\xff\xfb"
    # The MP3 frames themselves, unchanged (decoders trim the encoder delay differently
    # in an .mp3 and in a Matroska file, so the decoded lengths differ)
    assert audio_packets(data) == audio_packets(clip)
    assert pzp.get_delays(out) == [40] * 8


@needs_ffmpeg
def test_lossy_video_aac_sound_is_reencoded_losslessly(tmp_path, tone):
    av = pytest.importorskip("av")
    clip = _clip(tmp_path, tone, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], ["-c:a", "aac"], ".mp4", fps=25)
    out = tmp_path / "clip.pzp"
    assert run(clip, out) == 0
    with av.open(str(clip)) as c:
        expected = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert_frames_equal(container_frames(out), expected)
    assert pzp.get_delays(out) == [40] * len(expected)
    data, tag = pzp.get_audio(out)
    assert tag == "WAVE"  # AAC decodes to float samples: kept as 32-bit float WAVE
    assert np.array_equal(decoded_samples(data).reshape(-1), decoded_samples(clip).T.reshape(-1))


def decoded_channels(data_or_path) -> np.ndarray:
    """Decoded samples as (channels, samples), whether the decoder gives planar or packed frames."""
    av = pytest.importorskip("av")
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    with av.open(source) as c:
        chunks = []
        for frame in c.decode(c.streams.audio[0]):
            samples = frame.to_ndarray()
            chunks.append(samples if frame.format.is_planar else samples.reshape(-1, len(frame.layout.channels)).T)
    return np.concatenate(chunks, axis=1)


def _tone_samples(sample_format: str, count: int, rate: int) -> np.ndarray:
    """Two sines (440 and 660 Hz) as (2, count) samples of ``sample_format``'s type."""
    t = np.arange(count) / rate
    tone = 0.5 * np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)])
    if sample_format.startswith("s16"):
        return np.round(tone * 32767).astype(np.int16)
    if sample_format.startswith("s32"):
        return np.round(tone * 32767).astype(np.int32) << 16
    return tone.astype(np.float32)


def _pyav_clip(path: Path, codec: str, sample_format: str, rate: int, seconds: float = 0.3) -> Path:
    """A Matroska file written with PyAV: the vtest frames as FFV1 at 25 frames/s
    and ``seconds`` of a stereo tone encoded by ``codec`` from ``sample_format`` samples."""
    av = pytest.importorskip("av")
    frames = frames_of("vtest_rgb")
    samples = _tone_samples(sample_format, round(rate * seconds), rate)
    with av.open(str(path), "w", format="matroska") as out:
        video = out.add_stream("ffv1", rate=25)
        video.pix_fmt = "bgr0"
        video.height, video.width = frames[0].shape[:2]
        audio = out.add_stream(codec, rate=rate, layout="stereo",
                               options={"strict": "experimental"} if codec == "vorbis" else {})
        audio.format = sample_format
        for k, frame in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts = k
            out.mux(video.encode(picture))
        out.mux(video.encode(None))
        for start in range(0, samples.shape[1], 1024):
            chunk = samples[:, start:start + 1024]
            if not audio.format.is_planar:
                chunk = chunk.T.reshape(1, -1)
            sound = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format=sample_format, layout="stereo")
            sound.sample_rate = rate
            sound.pts = start
            out.mux(audio.encode(sound))
        out.mux(audio.encode(None))
    with av.open(str(path)) as c:
        assert c.streams.audio[0].codec_context.name == codec.removeprefix("lib")
    return path


def ogg_pages(data: bytes) -> list:
    """(header type, granule position) of every page of an Ogg stream, walking the page headers."""
    pages, position = [], 0
    while position < len(data):
        assert data[position:position + 4] == b"OggS", f"no Ogg page at byte {position}"
        segments = data[position + 26]
        body = sum(data[position + 27:position + 27 + segments])
        pages.append((data[position + 5], int.from_bytes(data[position + 6:position + 14], "little", signed=True)))
        position += 27 + segments + body
    return pages


@pytest.mark.parametrize(("codec", "sample_format", "rate"), [("libopus", "s16", 48000), ("vorbis", "fltp", 44100)])
def test_ogg_sound_is_carried_as_it_is(tmp_path, codec, sample_format, rate):
    clip = _pyav_clip(tmp_path / "clip.mkv", codec, sample_format, rate)
    out = tmp_path / "clip.pzp"
    assert run(clip, out) == 0
    assert_frames_equal(container_frames(out), frames_of("vtest_rgb"))
    data, tag = pzp.get_audio(out)
    assert tag == "OGG" and data[:4] == b"OggS"
    assert audio_packets(data) == audio_packets(clip)  # the Opus or Vorbis packets themselves
    source = decoded_channels(clip)
    assert source.shape[0] == 2 and abs(source.shape[1] - rate * 0.3) <= 1024
    # The last page ends the stream at the source's last sample: Ogg counts samples
    # (after Opus's pre-skip), Matroska milliseconds, so the times are not just rescaled
    pages = ogg_pages(data)
    pre_skip = int.from_bytes(data[data.index(b"OpusHead") + 10:][:2], "little") if codec == "libopus" else 0
    assert pages[-1][0] & 4, "the last page is not marked as the end of the stream"
    assert pages[-1][1] - pre_skip == source.shape[1]
    embedded = decoded_channels(data)
    if codec == "libopus":
        assert np.array_equal(embedded, source)
    else:
        # FFmpeg's Ogg reader takes the first Vorbis packet (which decodes to nothing) for a
        # packet's worth of samples, so it stops up to a packet away from the last granule
        # (libvorbisfile stops at it, on the source's last sample); what it gives is the source's
        assert abs(embedded.shape[1] - source.shape[1]) <= 1024
        common = min(embedded.shape[1], source.shape[1])
        assert np.array_equal(embedded[:, :common], source[:, :common])


@pytest.mark.parametrize(("codec", "sample_format"), [("alac", "s16p"), ("pcm_s16be", "s16")])
def test_lossless_sound_in_another_codec_is_reencoded_to_flac(tmp_path, codec, sample_format):
    clip = _pyav_clip(tmp_path / "clip.mkv", codec, sample_format, 44100)
    out = tmp_path / "clip.pzp"
    assert run(clip, out) == 0
    data, tag = pzp.get_audio(out)
    assert tag == "FLAC" and data[:4] == b"fLaC"
    source = decoded_channels(clip)
    assert np.array_equal(source, _tone_samples(sample_format, round(44100 * 0.3), 44100))  # lossless in
    embedded = decoded_channels(data)
    assert embedded.dtype == np.int16 and np.array_equal(embedded, source)


def test_audio_option_embeds_the_file_as_it_is(tmp_path, tone):
    out = tmp_path / "seq.pzp"
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"source": "vtest"}))
    assert run(DATA / "vtest_rgb", out, "--audio", tone, "--metadata", meta, "--loop", "3") == 0
    assert pzp.get_audio(out) == (tone.read_bytes(), "WAVE")
    assert pzp.get_metadata(out) == meta.read_bytes()
    assert pzp.get_loop_count(out) == 3
    assert run(DATA / "vtest_rgb", out, "--metadata", '{"fps": 25}') == 0
    assert pzp.get_metadata(out) == b'{"fps": 25}'
    assert run(DATA / "vtest_rgb", out, "--metadata", "not json") == 1


@needs_ffmpeg
def test_16bit_video_in_and_out_is_exact(tmp_path):
    clip = tmp_path / "deep.mkv"
    ffmpeg("-framerate", 10, "-i", DATA / "nuclei_u16" / "%05d.png", "-c:v", "ffv1", "-pix_fmt", "gray16le", clip)
    out = tmp_path / "deep.pzp"
    assert run(clip, out, "--rle") == 0
    frames = frames_of("nuclei_u16")
    assert_frames_equal(container_frames(out), frames)
    assert pzp.get_delays(out) == [100] * len(frames)
    back = tmp_path / "back.mkv"
    assert run(out, back) == 0
    again = tmp_path / "again.pzp"
    assert run(back, again) == 0
    assert_frames_equal(container_frames(again), frames)


def test_gif_animation_in_keeps_durations(tmp_path):
    frames = frames_of("timelapse_u8")
    path = tmp_path / "anim.gif"
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=[30, 40, 50, 60, 70, 80], loop=0)
    out = tmp_path / "anim.pzp"
    assert run(path, out) == 0
    assert pzp.get_delays(out) == [30, 40, 50, 60, 70, 80]
    with Image.open(path) as im:  # GIF stores palette indices: compare with Pillow's own expansion
        expected = []
        for k in range(im.n_frames):
            im.seek(k)
            expected.append(np.asarray(im.convert("RGB")))
    assert_frames_equal(container_frames(out), expected)


def test_gray_alpha_png_in(tmp_path):
    la = np.dstack([read_png(DATA / "gray_camera.png"), read_png(DATA / "rgba_konqueror.png")[:, :, 3]])
    path = tmp_path / "la.png"
    Image.fromarray(la).save(path)
    assert run(path, tmp_path / "la.pzp", "--rle") == 0
    assert np.array_equal(pzp.read(tmp_path / "la.pzp"), la)
    assert run(tmp_path / "la.pzp", tmp_path / "la_out") == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "la_out" / "00000.png")), la)


def test_pzp_to_pzp_keeps_delays_loop_metadata_and_sound(tmp_path, tone):
    source = tmp_path / "source.pzp"
    assert run(DATA / "vtest_rgb", source, "--fps", "12", "--loop", "4", "--metadata", '{"a": 1}',
               "--audio", tone) == 0
    out = tmp_path / "recoded.pzp"
    assert run(source, out, "--rle", "--delta", "--lz4") == 0
    with pzp.open(source) as a, pzp.open(out) as b:
        assert b.delays == a.delays and b.loop_count == 4
        assert b.metadata == b'{"a": 1}' and b.audio == (tone.read_bytes(), "WAVE")
        assert b.frame_info(1)["is_delta"] and b.frame_info(1)["codec"] == "lz4"
    assert_frames_equal(container_frames(out), frames_of("vtest_rgb"))


# ---- exports ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movie(tmp_path_factory, tone) -> Path:
    """A container of the vtest frames, 40 ms each, with the tone as WAVE audio."""
    path = tmp_path_factory.mktemp("movie") / "movie.pzp"
    assert run(DATA / "vtest_rgb", path, "--rle", "--delta", "--delay-ms", "40", "--audio", tone) == 0
    return path


def test_export_png_folder_is_exact(tmp_path, movie):
    out = tmp_path / "frames"
    assert run(movie, out) == 0
    names = sorted(os.listdir(out))
    assert names == [f"{k:05d}.png" for k in range(8)]
    assert_frames_equal([read_png(out / n) for n in names], frames_of("vtest_rgb"))
    assert run(movie, out) == 1  # an existing folder is never overwritten


@pytest.mark.parametrize("name", ["nuclei_u16", "timelapse_u8"])
def test_export_png_folder_16bit_and_gray(tmp_path, name):
    container = tmp_path / "seq.pzp"
    assert run(DATA / name, container, "--rle") == 0
    assert run(container, tmp_path / "out") == 0
    assert_frames_equal([read_png(p) for p in sorted((tmp_path / "out").iterdir())], frames_of(name))


def test_export_gif_and_apng_timing(tmp_path, movie):
    for suffix, fmt in ((".gif", "GIF"), (".apng", "PNG"), (".png", "PNG")):
        out = tmp_path / f"movie{suffix}"
        assert run(movie, out, "--loop", "2") == 0
        with Image.open(out) as im:
            assert im.format == fmt
            assert im.n_frames == 8
            durations = []
            for k in range(im.n_frames):
                im.seek(k)
                durations.append(im.info["duration"])
            assert durations == [40] * 8
            assert im.info.get("loop") == 2
            if fmt == "PNG":  # APNG keeps 8-bit RGB exactly
                im.seek(5)
                assert np.array_equal(np.asarray(im.convert("RGB")), frames_of("vtest_rgb")[5])


@needs_ffmpeg
def test_export_mkv_is_lossless_with_the_sound(tmp_path, movie, tone):
    av = pytest.importorskip("av")
    out = tmp_path / "movie.mkv"
    assert run(movie, out) == 0
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "ffv1"
        video = [(f.to_ndarray(format="rgb24"), f.time) for f in c.decode(video=0)]
    assert_frames_equal([v[0] for v in video], frames_of("vtest_rgb"))
    assert [round(v[1] * 1000) for v in video] == [40 * k for k in range(8)]
    assert np.array_equal(decoded_samples(out).reshape(-1), wav_samples(tone))
    # and back: the same frames, delays and sound
    again = tmp_path / "again.pzp"
    assert run(out, again) == 0
    assert_frames_equal(container_frames(again), frames_of("vtest_rgb"))
    assert pzp.get_delays(again) == [40] * 8
    assert np.array_equal(decoded_samples(pzp.get_audio(again)[0]).reshape(-1), wav_samples(tone))


@needs_ffmpeg
def test_export_mp4_has_frames_timing_and_audio(tmp_path, movie, tone):
    av = pytest.importorskip("av")
    out = tmp_path / "movie.mp4"
    assert run(movie, out) == 0
    with av.open(str(out)) as c:
        assert c.streams.audio, "no audio track in the MP4"
        audio_seconds = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
        times = [round(f.time * 1000) for f in c.decode(video=0)]
    assert times == [40 * k for k in range(8)]
    with wave.open(str(tone)) as w:
        tone_seconds = w.getnframes() / w.getframerate()
    assert abs(audio_seconds - tone_seconds) < 0.05
    # an independent reader agrees on the frame count
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=nb_read_frames", "-of", "csv=p=0", str(out)], capture_output=True, text=True,
                           check=True)
    assert int(probe.stdout.strip()) == 8


def test_export_16bit_to_gif_scales_by_the_maximum(tmp_path):
    container = tmp_path / "deep.pzp"
    assert run(DATA / "nuclei_u16", container, "--delay-ms", "50") == 0
    out = tmp_path / "deep.gif"
    assert run(container, out) == 0
    with Image.open(out) as im:
        assert im.n_frames == 6 and im.info["duration"] == 50
        assert np.asarray(im.convert("L")).max() > 128  # not the top 8 bits of 16: near black


# ---- --auto ------------------------------------------------------------------------------------


def _candidate_args(flags: dict) -> list:
    return [f"--{name}" for name in convert.FLAG_NAMES if flags[name]]


@pytest.mark.parametrize("source", ["vtest_rgb", "depth16_motorcycle.png", "label_voc_class.png"])
def test_auto_is_never_larger_than_a_candidate(tmp_path, source, capsys):
    if source == "vtest_rgb":  # four frames: the whole input is the sample
        inputs = [str(DATA / source / f"0000{k}.png") for k in range(4)]
        frames = [read_png(p) for p in inputs]
    else:
        inputs = [str(DATA / source)]
        frames = [read_png(DATA / source)]
    out = tmp_path / "auto.pzp"
    assert convert.main([*inputs, str(out), "--auto"]) == 0
    report = capsys.readouterr().out
    assert "--auto chose" in report
    assert_frames_equal(container_frames(out), frames)
    choice = convert.choose_flags([frames])
    assert len(choice.trials) == (16 if len(frames) > 1 else 8)
    assert min(t.bytes for t in choice.trials) == next(t.bytes for t in choice.trials if t.flags == choice.flags)
    size = out.stat().st_size
    for trial in choice.trials:
        candidate = tmp_path / f"{convert.flag_label(trial.flags)}.pzp"
        assert run(*inputs, candidate, *_candidate_args(trial.flags)) == 0
        assert size <= candidate.stat().st_size, convert.flag_label(trial.flags)


def test_auto_fast_stays_within_ten_percent(tmp_path):
    frames = frames_of("timelapse_u8")
    choice = convert.choose_flags([frames], fast=True)
    smallest = min(t.bytes for t in choice.trials)
    chosen = next(t for t in choice.trials if t.flags == choice.flags)
    assert chosen.bytes <= smallest * 1.10
    assert all(t.decode_seconds is not None and t.decode_seconds > 0 for t in choice.trials)
    assert run(DATA / "timelapse_u8", tmp_path / "fast.pzp", "--auto", "--fast") == 0
    assert_frames_equal(container_frames(tmp_path / "fast.pzp"), frames)


def test_auto_fast_takes_the_fastest_within_ten_percent_not_the_smallest(monkeypatch):
    frames = frames_of("timelapse_u8")
    # Decode times made up so that the larger a candidate, the faster it decodes: the
    # pick must be the largest of those within 10 % of the smallest, not the smallest.
    monkeypatch.setattr(convert, "_decode_seconds", lambda blobs: 1.0 / sum(len(b) for b in blobs))
    choice = convert.choose_flags([frames], fast=True)
    smallest = min(t.bytes for t in choice.trials)
    eligible = [t for t in choice.trials if t.bytes <= smallest * 1.10]
    assert len({t.bytes for t in eligible}) > 1, "no choice to make on this sample"
    assert max(t.bytes for t in choice.trials) > smallest * 1.10, "every candidate within 10 %"
    chosen = next(t for t in choice.trials if t.flags == choice.flags)
    assert chosen.bytes == max(t.bytes for t in eligible) > smallest


def test_auto_fast_reports_its_candidates_and_keeps_the_fastest_of_the_eligible(tmp_path, capsys):
    out = tmp_path / "fast.pzp"
    assert convert.main([str(DATA / "timelapse_u8"), str(out), "--auto", "--fast"]) == 0
    report = capsys.readouterr().out
    chose, listed = re.search(r"--auto chose (\S+): (.*)", report).groups()
    trials = {label: (int(size), float(ms)) for label, size, ms in re.findall(r"(\S+) (\d+) \(([\d.]+) ms\)", listed)}
    assert len(trials) == 16 and all(ms > 0 for _, ms in trials.values())
    smallest = min(size for size, _ in trials.values())
    eligible = {label: ms for label, (size, ms) in trials.items() if size <= smallest * 1.10}
    assert chose in eligible
    assert eligible[chose] == min(eligible.values())
    with pzp.open(out) as c:  # and the file is written with those flags
        assert c.frame_info(1)["codec"] == ("lz4" if "lz4" in chose.split("+") else "zstd")
        assert c.frame_info(1)["is_delta"] == ("delta" in chose.split("+"))
    assert_frames_equal(container_frames(out), frames_of("timelapse_u8"))


def test_auto_samples_bands_of_large_frames():
    frame = np.zeros((1024, 600), np.uint8)
    (sample,) = convert.auto_sample([[frame] * 6])
    assert len(sample) == convert.AUTO_SAMPLE_FRAMES
    assert all(s.shape[0] < 1024 and s.shape[1] == 600 for s in sample)


def test_auto_samples_a_folder_away_from_its_blank_start(tmp_path, capsys):
    """A volume's first slices are often empty: --auto samples neighbours spread over a folder."""
    assert convert.sample_positions(12) == [(3, 4), (6, 7), (9, 10)]
    assert convert.sample_positions(5) == [(1, 2), (2, 3), (3, 4)]
    folder = tmp_path / "volume"
    folder.mkdir()
    frames = [np.zeros((120, 160, 3), np.uint8)] * 4 + frames_of("vtest_rgb")
    for k, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{k:03d}.png"), frame[:, :, ::-1])
    out = tmp_path / "volume.pzp"
    assert convert.main([str(folder), str(out), "--auto"]) == 0
    report = capsys.readouterr().out
    sizes = [int(part.rsplit(" ", 1)[1]) for part in report.split("--auto chose ")[1].split(": ", 1)[1].split(", ")]
    runs = [[frames[a], frames[b]] for a, b in convert.sample_positions(len(frames))]
    assert sorted(sizes) == sorted(t.bytes for t in convert.choose_flags(runs).trials)
    assert min(sizes) > 3 * 1000  # three pairs of real frames, not four blank ones
    assert_frames_equal(container_frames(out), frames)


# ---- --each ---------------------------------------------------------------------------------


def _image_tree(tmp_path) -> Path:
    """in/camera.png, in/a/depth.png, in/a/b/icon.png: three real images in a tree."""
    tree = tmp_path / "in"
    (tree / "a" / "b").mkdir(parents=True)
    shutil.copy(DATA / "gray_camera.png", tree / "camera.png")
    shutil.copy(DATA / "depth16_motorcycle.png", tree / "a" / "depth.png")
    shutil.copy(DATA / "rgba_konqueror.png", tree / "a" / "b" / "icon.png")
    return tree


def test_each_mirrors_the_tree(tmp_path):
    tree = _image_tree(tmp_path)
    out = tmp_path / "out"
    assert run(tree, out, "--each", "--auto") == 0
    produced = sorted(str(p.relative_to(out)) for p in out.rglob("*.pzp"))
    assert produced == ["a/b/icon.pzp", "a/depth.pzp", "camera.pzp"]
    for rel, source in (("camera.pzp", "gray_camera.png"), ("a/depth.pzp", "depth16_motorcycle.png"),
                        ("a/b/icon.pzp", "rgba_konqueror.png")):
        assert np.array_equal(pzp.read(out / rel), read_png(DATA / source))
        assert pzp.get_loop_count(out / rel) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_each_with_a_glob_mirrors_the_tree_as_a_folder_does(tmp_path):
    tree = _image_tree(tmp_path)
    (tree / "a" / "notes.txt").write_text("not an image")
    by_folder, by_glob = tmp_path / "by_folder", tmp_path / "by_glob"
    assert run(tree, by_folder, "--each", "--rle") == 0
    assert run(str(tree / "**" / "*.png"), by_glob, "--each", "--rle") == 0

    def produced(folder: Path) -> list:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    assert produced(by_glob) == produced(by_folder) == ["a/b/icon.pzp", "a/depth.pzp", "camera.pzp"]
    for rel in produced(by_glob):
        assert (by_glob / rel).read_bytes() == (by_folder / rel).read_bytes(), rel
    assert np.array_equal(pzp.read(by_glob / "a" / "b" / "icon.pzp"), read_png(DATA / "rgba_konqueror.png"))
    # The tree is mirrored from the glob's fixed part: here a/, so b/icon.pzp
    deeper = tmp_path / "deeper"
    assert run(str(tree / "a" / "*" / "*.png"), deeper, "--each") == 0
    assert produced(deeper) == ["b/icon.pzp"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ---- the summary and the progress bar ---------------------------------------------------------

SUMMARY = re.compile(
    r"pzp-convert: (?P<files>\d+) files?, (?P<frames>\d+) frames, (?P<mb_in>[\d.]+) MB in "
    r"\((?P<mb_pixels>[\d.]+) MB of pixels\) -> (?P<output>.+) (?P<mb_out>[\d.]+) MB; "
    r"ratio (?P<ratio>[\d.]+) \((?P<raw_ratio>[\d.]+) to raw pixels\); (?P<seconds>[\d.]+) s, "
    r"(?P<fps>[\d.]+) frames/s, (?P<mbps>[\d.]+) MB/s")


def check_summary(text: str, *, files: int, frames: int, input_bytes: int, raw_bytes: int, output: Path,
                  output_bytes: int, wall_seconds: float) -> None:
    """The summary line reports these, rounded as printed, and rates consistent with its time."""
    (line,) = [line for line in text.splitlines() if line.startswith("pzp-convert: ") and " frames, " in line]
    found = SUMMARY.fullmatch(line)
    assert found, line
    assert int(found["files"]) == files and int(found["frames"]) == frames
    assert found["output"] == str(output)
    assert found["mb_in"] == f"{input_bytes / 1e6:.2f}"
    assert found["mb_pixels"] == f"{raw_bytes / 1e6:.2f}"
    assert found["mb_out"] == f"{output_bytes / 1e6:.2f}"
    assert found["ratio"] == f"{input_bytes / output_bytes:.2f}"
    assert found["raw_ratio"] == f"{raw_bytes / output_bytes:.2f}"
    seconds = float(found["seconds"])
    assert seconds <= wall_seconds + 0.005
    # The rates come from the unrounded time, within the rounding of the printed one
    # (and no longer than the call took)
    low, high = seconds - 0.005, min(seconds + 0.005, wall_seconds)
    fps, mbps = float(found["fps"]), float(found["mbps"])
    assert fps >= frames / high - 0.05 and mbps >= raw_bytes / high / 1e6 - 0.05
    if low > 0:
        assert fps <= frames / low + 0.05 and mbps <= raw_bytes / low / 1e6 + 0.05


def test_summary_and_progress_bar_report_the_conversion(tmp_path, capsys):
    pytest.importorskip("tqdm")
    sources = sorted((DATA / "vtest_rgb").glob("*.png"))
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(48):  # long enough for a time that rounds to a few hundredths at least
        os.symlink(sources[k % len(sources)], folder / f"{k:03d}.png")
    out = tmp_path / "seq.pzp"
    start = time.perf_counter()
    assert convert.main([str(folder), str(out), "--rle", "--delta"]) == 0
    wall = time.perf_counter() - start
    captured = capsys.readouterr()
    frames = [read_png(sources[k % len(sources)]) for k in range(48)]
    assert_frames_equal(container_frames(out), frames)
    check_summary(captured.out, files=48, frames=48, input_bytes=sum(os.path.getsize(p) for p in folder.iterdir()),
                  raw_bytes=sum(f.nbytes for f in frames), output=out, output_bytes=out.stat().st_size,
                  wall_seconds=wall)
    # tqdm's bar on stderr, its last state: every frame of the known total, frames/s and MB/s
    last = re.split(r"[\r\n]", captured.err.strip())[-1]
    assert re.fullmatch(r"pzp-convert: 100%\|[^|]*\| 48/48 \[[\d:]+<[\d:]+, +[\d.]+frame/s, [\d.]+ MB/s\]",
                        last.strip()), captured.err
    # --quiet: neither
    assert convert.main([str(folder), str(tmp_path / "quiet.pzp"), "--rle", "--delta", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "quiet.pzp").read_bytes() == out.read_bytes()


def test_summary_of_each_counts_files_and_the_outputs_bytes(tmp_path, capsys):
    pytest.importorskip("tqdm")
    names = ["gray_camera.png", "depth16_motorcycle.png", "rgba_konqueror.png"]
    out = tmp_path / "out"
    start = time.perf_counter()
    assert convert.main([*(str(DATA / n) for n in names), str(out), "--each", "--rle"]) == 0
    wall = time.perf_counter() - start
    captured = capsys.readouterr()
    outputs = sorted(out.iterdir())
    assert [p.name for p in outputs] == sorted(n.replace(".png", ".pzp") for n in names)
    check_summary(captured.out, files=3, frames=3, input_bytes=sum((DATA / n).stat().st_size for n in names),
                  raw_bytes=sum(read_png(DATA / n).nbytes for n in names), output=out,
                  output_bytes=sum(p.stat().st_size for p in outputs), wall_seconds=wall)
    last = re.split(r"[\r\n]", captured.err.strip())[-1]
    assert re.search(r"\| 3/3 \[.*file/s, [\d.]+ MB/s\]", last), captured.err


# ---- the installed command ---------------------------------------------------------------------


def console_script() -> str:
    """The pzp-convert script pip installed (beside this Python, or on the PATH)."""
    beside = Path(sys.executable).with_name("pzp-convert")
    found = str(beside) if beside.is_file() else shutil.which("pzp-convert")
    assert found, "the pzp-convert console script is not installed (pip install -e .)"
    return found


def test_console_script_converts_end_to_end(tmp_path):
    script = console_script()
    out = tmp_path / "stack.pzp"
    start = time.perf_counter()
    result = subprocess.run([script, str(DATA / "nuclei_u16"), str(out), "--rle", "--delta", "--fps", "10"],
                            capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    frames = frames_of("nuclei_u16")
    assert_frames_equal(container_frames(out), frames)
    assert pzp.get_delays(out) == [100] * len(frames)
    sources = sorted((DATA / "nuclei_u16").glob("*.png"))
    check_summary(result.stdout, files=len(sources), frames=len(frames),
                  input_bytes=sum(p.stat().st_size for p in sources), raw_bytes=sum(f.nbytes for f in frames),
                  output=out, output_bytes=out.stat().st_size, wall_seconds=wall)
    assert "6/6" in result.stderr  # the progress bar
    # and out again, as a TIFF stack
    back = tmp_path / "back.tif"
    result = subprocess.run([script, str(out), str(back), "--quiet"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert np.array_equal(tifffile.imread(back), np.stack(frames))
    # a failure: exit status 1, the file named, nothing written
    result = subprocess.run([script, str(tmp_path / "missing.png"), str(tmp_path / "x.pzp")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 1 and "missing.png" in result.stderr
    assert not (tmp_path / "x.pzp").exists()


# ---- failures ---------------------------------------------------------------------------------


@pytest.fixture()
def folder_with_a_corrupt_frame(tmp_path) -> Path:
    folder = tmp_path / "frames"
    shutil.copytree(DATA / "vtest_rgb", folder)
    data = (folder / "00005.png").read_bytes()
    (folder / "00005.png").write_bytes(data[: len(data) // 2])  # a real PNG cut short
    return folder


def _leftovers(folder: Path) -> list:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("output", ["seq.pzp", "frames_out", "stack.tif", "each_out"])
def test_a_corrupt_input_stops_the_run_and_names_it(tmp_path, folder_with_a_corrupt_frame, capsys, output):
    out = tmp_path / output
    extra = ["--each"] if output == "each_out" else []
    assert run(folder_with_a_corrupt_frame, out, *extra) == 1
    err = capsys.readouterr().err
    assert "00005.png" in err
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_keep_going_skips_and_lists(tmp_path, folder_with_a_corrupt_frame, capsys):
    out = tmp_path / "seq.pzp"
    assert run(folder_with_a_corrupt_frame, out, "--keep-going") == 1
    err = capsys.readouterr().err
    assert "skipped 1 input" in err and "00005.png" in err
    expected = [f for k, f in enumerate(frames_of("vtest_rgb")) if k != 5]
    assert_frames_equal(container_frames(out), expected)
    each = tmp_path / "each"
    assert run(folder_with_a_corrupt_frame, each, "--each", "--keep-going") == 1
    assert sorted(p.name for p in each.iterdir()) == [f"0000{k}.pzp" for k in range(8) if k != 5]


def test_bad_arguments_name_the_path(tmp_path, capsys):
    assert run(tmp_path / "missing.png", tmp_path / "x.pzp") == 1
    assert "missing.png" in capsys.readouterr().err
    assert run(DATA / "gray_camera.png", tmp_path / "x.jpg") == 1
    assert "unknown output type" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        convert.main([str(DATA / "gray_camera.png"), str(tmp_path / "x.pzp"), "--auto", "--rle"])


def test_a_missing_extra_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tifffile", None)  # as if not installed
    assert run(DATA / "nuclei_u16" / "00000.png", tmp_path / "x.tif") == 1
    err = capsys.readouterr().err
    assert "tifffile" in err and "napari-pzp[convert]" in err
    assert not (tmp_path / "x.tif").exists() and _leftovers(tmp_path) == []


INTERRUPTED_FRAMES = 20000  # minutes of work: the run cannot end before the signal, however loaded the machine


def _interrupt_midway(tmp_path, args: list) -> subprocess.Popen:
    """Starts pzp-convert on many real frames and sends SIGINT once 5 are done;
    the process's stderr is kept in ``process.errors``."""
    many = tmp_path / "many"
    many.mkdir()
    sources = sorted((DATA / "vtest_rgb").glob("*.png"))
    for k in range(INTERRUPTED_FRAMES):
        os.symlink(sources[k % len(sources)], many / f"{k:05d}.png")
    # Ctrl-C as in a terminal, even when the test run itself ignores SIGINT (a
    # background job of a non-interactive shell does, and children inherit it)
    process = subprocess.Popen([sys.executable, "-m", "pzp.convert", str(many), *args, "--threads", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    errors = bytearray()
    total = str(INTERRUPTED_FRAMES).encode()

    def watch() -> None:  # the progress bar on stderr: "... | 17/20000 [..."
        while True:
            chunk = process.stderr.read1(4096)
            if not chunk:
                return
            errors.extend(chunk)
            done = [int(n) for n in re.findall(rb"(\d+)/" + total, errors)]
            if not seen and done and max(done) >= 5 and process.poll() is None:
                seen.append(True)
                process.send_signal(signal.SIGINT)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + 120
    while not seen and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    watcher.join(timeout=5)
    process.errors = errors.decode(errors="replace")[-2000:]
    assert seen, f"the conversion ended before it could be interrupted: {process.errors}"
    return process


@pytest.mark.parametrize("output", ["big.pzp", "big_frames", "big_each"])
def test_an_interrupted_run_leaves_nothing(tmp_path, output):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / output
    args = [str(out), "--palette", "--level", "19"] if output != "big_frames" else [str(out)]
    if output == "big_each":
        args.append("--each")
    process = _interrupt_midway(tmp_path, args)
    assert process.returncode == 130, process.errors
    assert list(out_dir.iterdir()) == []


# ---- bounded memory ------------------------------------------------------------------------------

MEMORY_CHILD = textwrap.dedent("""
    import json, sys
    from pzp import convert

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024

    warm_input, warm_output, source, output = sys.argv[1:5]
    options = ["--quiet", "--threads", "2"]
    assert convert.main([warm_input, warm_output, *options]) == 0  # libraries loaded, pools made
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from the current size
    before = status("VmRSS")
    assert convert.main([source, output, *options]) == 0
    print(json.dumps({"grown": status("VmHWM") - before}))
""")

LONG_FRAMES = 300  # of 512 x 512 RGB: 236 MB decoded
LONG_DISTINCT = 6


def _long_frame(k: int) -> np.ndarray:
    y, x = np.mgrid[0:512, 0:512]
    frame = np.stack([(x + 3 * k) & 255, (2 * y + k) & 255, ((x + y) // 3 + 5 * k) & 255], -1).astype(np.uint8)
    noise = np.random.default_rng(k).integers(0, 256, frame[::7, ::5].shape, dtype=np.uint8)
    frame[::7, ::5] = noise
    return frame


@pytest.fixture(scope="module")
def long_sequence(tmp_path_factory):
    """300 frames as a folder of PNGs (links to six files), an .npy and a .pzp; three-frame
    versions of each to warm a process up. The large files go when the module is done."""
    folder = tmp_path_factory.mktemp("long")
    distinct = [_long_frame(k) for k in range(LONG_DISTINCT)]
    for k, frame in enumerate(distinct):
        cv2.imwrite(str(folder / f"distinct{k}.png"), frame[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    for name, count in (("frames", LONG_FRAMES), ("warm_frames", 3)):
        (folder / name).mkdir()
        for k in range(count):
            os.symlink(folder / f"distinct{k % LONG_DISTINCT}.png", folder / name / f"{k:05d}.png")
    with open(folder / "seq.npy", "wb") as f:  # frame by frame, as np.save would write the stack
        header = {"descr": "|u1", "fortran_order": False, "shape": (LONG_FRAMES, *distinct[0].shape)}
        np.lib.format.write_array_header_1_0(f, header)
        for k in range(LONG_FRAMES):
            f.write(distinct[k % LONG_DISTINCT].tobytes())
    np.save(folder / "warm.npy", np.stack(distinct[:3]))
    blobs = [pzp.encode_frame(frame, None, use_rle=True) for frame in distinct]
    with pzp.ContainerWriter(folder / "seq.pzp", durable=False) as writer:
        for k in range(LONG_FRAMES):
            writer.append_encoded(blobs[k % LONG_DISTINCT], 40)
    pzp.write_container(folder / "warm.pzp", distinct[:3], use_rle=True)
    yield folder, distinct
    for name in ("seq.npy", "seq.pzp"):
        (folder / name).unlink()


def _output_frame_count(path: Path) -> int:
    if path.suffix == ".pzp":
        with pzp.open(path) as c:
            return len(c)
    if path.suffix == ".npy":
        return np.load(path, mmap_mode="r").shape[0]
    if path.suffix == ".tif":
        with tifffile.TiffFile(path) as tif:
            return len(tif.pages)
    if path.suffix == ".mkv":
        av = pytest.importorskip("av")
        with av.open(str(path)) as c:
            return sum(1 for _ in c.demux(c.streams.video[0]) if _.size)
    return len(list(path.iterdir()))


HOLDS_EVERY_FRAME = pytest.mark.skip(reason="GIF and APNG are written by Pillow at the end: every frame is held "
                                            "by design")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize(("source", "output"), [
    ("frames", "out.pzp"),
    ("seq.npy", "out.pzp"),
    ("seq.pzp", "out.npy"),
    ("seq.pzp", "out.tif"),
    ("seq.pzp", "out_frames"),
    ("seq.pzp", "out.mkv"),
    pytest.param("seq.pzp", "out.gif", marks=HOLDS_EVERY_FRAME),
    pytest.param("seq.pzp", "out.apng", marks=HOLDS_EVERY_FRAME),
])
def test_long_conversions_keep_memory_bounded(tmp_path, long_sequence, source, output):
    """A streamed conversion of 300 frames (236 MB of pixels) grows the process by far
    less than that: a few frames in flight, codec state and buffers."""
    if output.endswith(".mkv"):
        pytest.importorskip("av")
    folder, distinct = long_sequence
    warm = {"frames": "warm_frames", "seq.npy": "warm.npy", "seq.pzp": "warm.pzp"}[source]
    out = tmp_path / output
    result = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(folder / warm), str(tmp_path / f"warm_{output}"),
                             str(folder / source), str(out)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    grown = json.loads(result.stdout.strip().splitlines()[-1])["grown"]
    total = LONG_FRAMES * distinct[0].nbytes
    assert grown < total / 4, f"grew by {grown / 1e6:.1f} MB converting {total / 1e6:.0f} MB of pixels"
    assert _output_frame_count(out) == LONG_FRAMES
    if out.suffix == ".pzp":
        with pzp.open(out) as c:
            assert np.array_equal(c[LONG_FRAMES - 1], distinct[(LONG_FRAMES - 1) % LONG_DISTINCT])
    _remove_tree(out)


def _remove_tree(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
