"""Notebook widgets driven from Python as a user would, and the pure rendering
and tuning functions behind them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import pzp  # noqa: E402
from napari_pzp import PZPStack, render, tuning  # noqa: E402
from napari_pzp.widgets import FlagTuner, FrameSource, SequenceBrowser, scatter_image  # noqa: E402
from pzp._ffi import lib  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


def decodes() -> int:
    return lib.pzp_dctx_decode_count(None)


@pytest.fixture()
def depth_sequence(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(500, 3000, (48, 64), dtype=np.uint16)
    frames = np.stack([np.roll(base, k, axis=1) for k in range(10)])
    frames[:, :4, :4] = 0  # invalid (no depth) pixels
    path = tmp_path / "depth.pzp"
    pzp.write_container(path, list(frames), delays=[40] * 10, use_rle=True, metadata='{"value_unit": "mm"}')
    return path, frames


def test_slider_decodes_one_frame_and_changes_the_image(depth_sequence):
    path, frames = depth_sequence
    browser = SequenceBrowser(path)
    first = bytes(browser.image.value)
    assert first.startswith(PNG) and browser.image.format == "png"
    before, before_c = browser.source.decodes, decodes()
    browser.slider.value = 7
    assert browser.source.decodes - before == 1 and decodes() - before_c == 1
    assert bytes(browser.image.value) != first and bytes(browser.image.value).startswith(PNG)
    assert browser.time_label.value == "8 / 10 · t = 0.280 s"
    assert browser.frame_stats["min"] >= 500 and browser.frame_stats["invalid"] == pytest.approx(16 / (48 * 64))
    assert "mm" in browser.stats.value
    browser.x.value, browser.y.value = 10, 20
    assert browser.readout.value == f"value at (10, 20): {frames[7][20, 10]} mm"


def test_window_and_colormap_rerender_without_decoding(depth_sequence):
    path, _ = depth_sequence
    browser = SequenceBrowser(path)
    before, before_c = browser.source.decodes, decodes()
    images = {bytes(browser.image.value)}
    browser.window.value = (600, 2000)
    images.add(bytes(browser.image.value))
    for name in render.COLORMAPS:
        browser.colormap.value = name
        images.add(bytes(browser.image.value))
    assert browser.source.decodes == before and decodes() == before_c
    assert len(images) == 2 + len(render.COLORMAPS) - 1  # every change drew something new


def test_play_sends_jpeg_then_png_when_stopped(depth_sequence):
    path, _ = depth_sequence
    browser = SequenceBrowser(path)
    browser.play.playing = True
    browser.slider.value = 3
    assert browser.image.format == "jpeg" and bytes(browser.image.value).startswith(JPEG)
    browser.play.playing = False
    assert browser.image.format == "png" and bytes(browser.image.value).startswith(PNG)


def test_initial_window_comes_from_stored_statistics(tmp_path):
    from napari_pzp import write_layer

    frames = np.random.default_rng(1).integers(1000, 2000, (6, 20, 20), dtype=np.uint16)
    path = tmp_path / "stats.pzp"
    write_layer(str(path), frames, {"name": "s"}, "image")
    before = decodes()
    browser = SequenceBrowser(path)
    assert decodes() - before == 1  # the frame shown, no sampling: the window is stored
    lo, hi = browser.window.value
    assert 1000 <= lo < 1020 and 1980 < hi <= 2000


def test_window_slider_spans_the_data_range(tmp_path):
    from napari_pzp import write_layer

    frames = np.random.default_rng(2).integers(1000, 2001, (20, 16, 16), dtype=np.uint16)
    frames[4, 0, 0] = 60000  # not among the sampled frames (0, 3, 6, 10, 13, 16, 19)
    frames[8, 0, 0] = 3
    browser = SequenceBrowser(frames)
    assert 900 <= browser.window.min <= 1000 and 2000 <= browser.window.max <= 2100  # sampled, a little room
    window = browser.window.value
    browser.slider.value = 4
    assert browser.window.max == 60000 and browser.window.value == window  # widened, window kept
    browser.slider.value = 8
    assert browser.window.min == 3 and browser.window.max == 60000
    browser.window.value = (3, 60000)  # the whole range is reachable
    assert browser.window.value == (3, 60000)

    path = tmp_path / "stored.pzp"
    write_layer(str(path), frames, {"name": "s"}, "image")
    before = decodes()
    browser = SequenceBrowser(path)
    assert decodes() - before == 1  # the range comes from the stored min and max
    assert browser.window.min <= 3 and 60000 <= browser.window.max <= 65535

    flat = SequenceBrowser(np.full((3, 8, 8), 7, np.uint16))
    assert flat.window.min < flat.window.max and flat.window.min <= 7 <= flat.window.max  # never empty
    top = SequenceBrowser(np.full((3, 8, 8), 65535, np.uint16))
    assert top.window.min < top.window.max == 65535


def test_ten_thousand_frames_stay_responsive(tmp_path):
    path = tmp_path / "long.pzp"
    frame = np.arange(16 * 16, dtype=np.uint16).reshape(16, 16)
    with pzp.ContainerWriter(path, durable=False) as writer:
        for k in range(10_000):
            frame[0, 0] = k
            writer.append(frame)
    before = decodes()
    browser = SequenceBrowser(path)
    assert browser.slider.max == 9_999
    assert decodes() - before <= 8  # sampled window (7 frames) + the frame shown
    before = decodes()
    browser.slider.value = 9_999
    assert decodes() - before == 1 and browser._frame[0, 0] == 9_999


@pytest.mark.parametrize("kind", ["numpy", "dask", "stack", "path"])
def test_sources(depth_sequence, kind):
    path, frames = depth_sequence
    source = {"numpy": frames, "dask": PZPStack(path).to_dask(), "stack": PZPStack(path), "path": str(path)}[kind]
    browser = SequenceBrowser(source)
    browser.slider.value = 4
    np.testing.assert_array_equal(browser._frame, frames[4])


def test_side_by_side_rgb(depth_sequence):
    path, frames = depth_sequence
    rgb = np.repeat((frames >> 4).astype(np.uint8)[..., None], 3, axis=-1)
    browser = SequenceBrowser(path, companion=rgb)
    browser.slider.value = 2
    assert bytes(browser.side.value).startswith(PNG)
    assert browser.companion.is_color


@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_colour_image_is_one_frame(kind):
    import dask.array as da
    import pzp.samples

    image = pzp.samples.load("sample")  # (256, 256, 3) uint8
    source = image if kind == "numpy" else da.from_array(image, chunks=(64, 64, 3))
    browser = SequenceBrowser(source)
    assert len(browser.source) == 1 and browser.slider.max == 0 and browser.source.is_color
    np.testing.assert_array_equal(browser._frame, image)
    cv2 = pytest.importorskip("cv2")
    shown = cv2.imdecode(np.frombuffer(bytes(browser.image.value), np.uint8), cv2.IMREAD_UNCHANGED)
    assert shown.shape == image.shape


def test_frame_source_shapes():
    assert len(FrameSource(np.zeros((480, 640, 3), np.uint8))) == 1  # one colour image
    assert len(FrameSource(np.zeros((480, 640, 4), np.uint8))) == 1
    assert len(FrameSource(np.zeros((48, 64, 1), np.uint16))) == 1  # one image, one channel
    assert len(FrameSource(np.zeros((3, 48, 64), np.uint16))) == 3  # (T, H, W)
    assert len(FrameSource(np.zeros((4, 4, 4), np.uint16))) == 4  # no axis larger than the last: frames
    assert FrameSource(np.zeros((3, 48, 64, 3), np.uint8)).frame_shape == (48, 64, 3)


def test_one_channel_companion_decodes_its_frame_once(depth_sequence, tmp_path):
    path, frames = depth_sequence
    other = tmp_path / "other.pzp"
    pzp.write_container(other, list(frames // 2), use_rle=True)  # uint16, no stored statistics
    browser = SequenceBrowser(path, companion=other)
    assert not browser.companion.is_color
    before, before_c, count = browser.source.decodes, browser.companion.decodes, decodes()
    browser.slider.value = 5
    assert browser.source.decodes - before == 1 and browser.companion.decodes - before_c == 1
    assert decodes() - count == 2
    side = bytes(browser.side.value)
    count = decodes()
    browser.colormap.value = "viridis"
    browser.window.value = (700, 1500)
    assert decodes() == count
    assert bytes(browser.side.value) == side  # the companion keeps its own window


# ---- flag tuner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_flag_tuner_on_a_colour_image(kind, tmp_path):
    import dask.array as da
    import pzp.samples

    image = pzp.samples.load("sample")[:64, :96]  # (64, 96, 3) uint8
    source = image if kind == "numpy" else da.from_array(image, chunks=(32, 32, 3))
    tuner = FlagTuner(source, repeat=1, settings=[tuning.Candidate(use_rle=True), tuning.Candidate()])
    assert not tuner.sequence and len(tuner.frames) == 1 and tuner.frames[0].shape == image.shape
    assert tuner.wait(60)
    assert all(r.raw_bytes == image.nbytes for r in tuner.results)  # measured on the whole image
    out = tuner.write(str(tmp_path / "photo.pzp"))
    np.testing.assert_array_equal(pzp.read(out), image)


def test_flag_tuner_table_matches_written_files(tmp_path):
    import pzp.samples

    image = pzp.samples.load("depth16")[:96, :128]
    tuner = FlagTuner(image, repeat=1)
    assert tuner.wait(120)
    rows = tuner.rows()
    assert len(rows) == len(tuning.candidates(image)) and all(r["exact"] for r in rows)
    assert [r["bytes"] for r in rows] == sorted(r["bytes"] for r in rows)  # sorted by size
    for result in tuner.results:
        path = tmp_path / "check.pzp"
        pzp.write(path, image, **result.candidate.options())
        assert path.stat().st_size == result.bytes
    tuner.sort_by.value = "decode MB/s"
    tuner.descending.value = True
    speeds = [r["decode_mb_s"] for r in tuner.rows()]
    assert speeds == sorted(speeds, reverse=True)
    assert bytes(tuner.plot.value).startswith(PNG)
    chosen = tuner.chosen_result
    assert chosen.bytes == min(r.bytes for r in tuner.results)  # default pick: the smallest
    tuner.pick.value = tuner.pick.options[1][1]
    out = tuner.write(str(tmp_path / "tuned.pzp"))
    assert (tmp_path / "tuned.pzp").stat().st_size == tuner.chosen_result.bytes
    np.testing.assert_array_equal(pzp.read(out), image)


def test_clicking_a_dot_picks_its_setting():
    import pzp.samples

    from napari_pzp.widgets import CHOSEN_COLOR, DOT_COLOR, plot_cells

    image = pzp.samples.load("depth16")[:64, :96]
    tuner = FlagTuner(image, repeat=1)
    assert tuner.wait(60) and len(tuner.dots) == len(tuner.settings)
    valid = tuning.valid(tuner.results)
    cells = plot_cells(valid)
    picture = scatter_image(valid)
    for result, (row, col) in zip(valid, cells):  # each button lies on its dot
        dot = tuner.dots[tuner.results.index(result)]
        assert dot.tooltip == result.candidate.label and dot.layout.display is None
        assert dot.layout.grid_area == f"{row + 1} / {col + 1}"
        centre = picture[row * 8 + 3 : row * 8 + 5, col * 8 + 3 : col * 8 + 5]
        assert (centre == DOT_COLOR).all()
    plot = bytes(tuner.plot.value)
    k = next(k for k, r in enumerate(tuner.results) if r in valid and r.candidate != tuner.chosen)
    tuner.dots[k].click()
    assert tuner.chosen == tuner.settings[k]
    assert tuner.pick.label.startswith(tuner.settings[k].label + ":")  # the Select list follows
    assert bytes(tuner.plot.value) != plot  # the ring moved
    colours = [d.style.button_color for d in tuner.dots]
    assert colours[k] == "#{:02x}{:02x}{:02x}".format(*CHOSEN_COLOR)
    assert colours.count("#{:02x}{:02x}{:02x}".format(*DOT_COLOR)) == len(colours) - 1
    tuner.pick.value = 0  # and picking in the list moves the red dot
    assert tuner.dots[tuner.results.index(valid[0])].style.button_color == colours[k]
    assert tuner.dots[k].style.button_color != colours[k] or tuner.results[k] is valid[0]


def test_flag_tuner_sequence_writes_the_whole_sequence(depth_sequence, tmp_path):
    path, frames = depth_sequence
    tuner = FlagTuner(path, frames=3, repeat=1, settings=[
        tuning.Candidate(use_rle=True), tuning.Candidate(use_rle=True, use_inter_delta=True, keyframe_interval=0)])
    assert tuner.wait(120) and len(tuner.frames) == 3
    assert "use_inter_delta" in tuner.options
    out = tuner.write(str(tmp_path / "all.pzp"))
    np.testing.assert_array_equal(np.stack(pzp.read_frames(out)), frames)
    assert pzp.get_delays(out) == [40] * 10


def test_flag_tuner_does_not_block():
    image = np.random.default_rng(3).integers(0, 65535, (256, 256), dtype=np.uint16)
    browser = SequenceBrowser(np.stack([image, image[::-1]]))
    tuner = FlagTuner(image, repeat=3)
    assert tuner.thread.is_alive()  # the constructor returned while the sweep runs
    seen = set()
    while tuner.thread.is_alive() and len(seen) < 3:
        browser.slider.value = 1 - browser.slider.value  # widget updates keep flowing
        seen.add(tuner.progress.value)
        time.sleep(0.05)
    tuner.stop()
    assert tuner.wait(120)
    assert len(seen) >= 2 or tuner.progress.value == tuner.progress.max


# ---- pure functions -------------------------------------------------------------------------------


def test_window_and_display_tables():
    table = render.window_table(100, 300, 65536)
    assert table[0] == 0 and table[100] == 0 and table[300] == 255 and table[65535] == 255 and table[200] == 128
    gray = render.display_table(np.uint16, 0, 65535, "gray")
    assert gray.dtype == np.uint8 and gray.shape == (65536,)
    rgba = render.display_table(np.uint16, 0, 100, "turbo (zeros apart)")
    frame = np.array([[0, 50, 100]], np.uint16)
    shown = render.to_display(frame, rgba)
    assert shown.shape == (1, 3, 4) and tuple(shown[0, 0, :3]) == render.INVALID_COLOR
    assert tuple(shown[0, 2, :3]) == tuple(render.colormap_table("turbo")[255])
    viridis = render.to_display(frame, render.display_table(np.uint16, 0, 100, "viridis"))
    assert tuple(viridis[0, 0, :3]) == tuple(render.colormap_table("viridis")[0])
    with pytest.raises(ValueError):
        render.colormap_table("jet")


def test_encode_formats():
    cv2 = pytest.importorskip("cv2")
    image = np.random.default_rng(4).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    png = render.encode(image, "png")
    assert png.startswith(PNG)
    back = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(back, image)  # PNG is exact, channel order kept
    assert render.encode(image, "jpeg").startswith(JPEG)
    rgba = np.concatenate([image, np.full((30, 40, 1), 255, np.uint8)], axis=2)
    assert render.encode(rgba, "jpeg").startswith(JPEG)
    gray = image[..., 0]
    np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(render.encode(gray), np.uint8), cv2.IMREAD_UNCHANGED),
                                  gray)
    with pytest.raises(ValueError):
        render.encode(image, "gif")


def test_histogram_and_statistics():
    frame = np.array([[0, 10, 20], [30, 0, 65535]], np.uint16)
    picture = render.histogram_image(frame, 10, 30, 65535)
    assert picture.shape == (72, 256, 3) and picture.dtype == np.uint8
    narrow = render.histogram_image(frame, 10, 30, 40, start=10)  # over [10, 40]: the window from x 0 to 170
    assert (narrow[:, 0] == (200, 40, 40)).all() and (narrow[:, 170] == (200, 40, 40)).all()
    assert (narrow[-2] == (60, 90, 160)).all(axis=-1).sum() >= 20  # 3 of 31 values: bars 8 pixels wide
    stats = render.frame_statistics(frame)
    assert stats == {"min": 10, "max": 65535, "mean": pytest.approx((10 + 20 + 30 + 65535) / 4),
                     "invalid": pytest.approx(2 / 6)}
    assert render.frame_statistics(np.zeros((2, 2), np.uint16))["min"] is None
    rgb = np.zeros((2, 2, 3), np.uint8)
    assert render.frame_statistics(rgb, invalid=None)["invalid"] == 0.0


def test_frame_source_and_scatter():
    source = FrameSource(np.zeros((5, 4, 4), np.uint16))
    assert len(source) == 5 and source.time_of(3) is None and source.initial_window()[1] > 0
    with pytest.raises(ValueError):
        FrameSource(np.zeros(5))
    results = tuning.sweep([np.arange(64, dtype=np.uint8).reshape(8, 8)], repeat=1)
    picture = scatter_image(results, results[0])
    assert picture.shape == (240, 360, 3) and (picture == (200, 40, 40)).all(axis=-1).any()
    assert (picture[:, 36] == 120).sum() > 200 and (picture[220] == 120).sum() > 300  # the axes


@pytest.mark.parametrize("kind", ["depth", "labels", "rgb"])
def test_no_two_candidates_write_the_same_file(kind, tmp_path):
    import hashlib

    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[:24, :32]
    if kind == "depth":
        seq = [(1000 + 20 * yy + 3 * ((xx + k) % 32) + rng.integers(0, 4, (24, 32))).astype(np.uint16)
               for k in range(40)]
    elif kind == "labels":
        seq = [(((xx + k) // 8 + yy // 6) % 5).astype(np.uint8) for k in range(40)]
    else:
        seq = [np.stack([(xx * 8 + k) % 256, yy * 10, (xx + yy + k) % 256], axis=-1).astype(np.uint8)
               for k in range(40)]
    frames = tuning.sample(seq)
    assert len(frames) == tuning.SEQUENCE_RUN
    settings = tuning.candidates(frames[0], sequence=True, run=len(frames))
    channels = tuning.channels_of(frames[0])
    files = {}
    for candidate in settings:
        path = tmp_path / "c.pzp"
        try:
            pzp.write_container(path, frames, durable=False, **candidate.container_options(channels))
        except pzp.PZPValueError:
            continue  # a setting the format refuses for these frames writes nothing
        files.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(candidate.label)
    assert len(files) > len(settings) // 2
    assert [labels for labels in files.values() if len(labels) > 1] == []
    image = frames[0]
    singles = set()
    for candidate in tuning.candidates(image):
        try:
            singles.add(pzp.encode(image, **candidate.options(tuning.channels_of(image))))
        except pzp.PZPValueError:
            singles.add(candidate.label)
    assert len(singles) == len(tuning.candidates(image))


def test_keyframe_intervals_fit_the_run(tmp_path):
    frame = np.zeros((8, 8), np.uint16)

    def intervals(run):
        return sorted({c.keyframe_interval for c in tuning.candidates(frame, sequence=True, run=run)
                       if c.use_inter_delta})

    assert intervals(tuning.SEQUENCE_RUN) == [0, 4] and intervals(31) == [0, 4, 30] and intervals(4) == [0]
    assert intervals(None) == [0, 4, 30] and not any(c.use_inter_delta for c in tuning.candidates(frame))
    frames = [np.full((8, 8), k, np.uint16) for k in range(tuning.SEQUENCE_RUN)]
    path = tmp_path / "k4.pzp"
    pzp.write_container(path, frames, **tuning.Candidate(use_inter_delta=True, keyframe_interval=4).container_options())
    with pzp.open(path) as c:
        assert [c.frame_info(k)["is_delta"] for k in range(len(c))] == [False, True, True, True, False]


def test_background_sweep_runs_in_another_thread():
    image = np.zeros((8, 8), np.uint8)
    names = []
    original = tuning.measure

    def spy(*args, **kwargs):
        names.append(threading.current_thread().name)
        return original(*args, **kwargs)

    tuning.measure = spy
    try:
        tuner = FlagTuner(image, repeat=1)
        assert tuner.wait(60)
    finally:
        tuning.measure = original
    assert names and set(names) == {"pzp-flag-tuner"}
