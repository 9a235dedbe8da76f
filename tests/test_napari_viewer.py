"""The plugin in a real napari viewer (Qt, on Xvfb when there is no screen).

Skipped when no display can start; everything else runs in test_napari_plugin.py."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

import pzp  # noqa: E402
from napari_pzp import PZPStack  # noqa: E402
from pzp._ffi import lib  # noqa: E402

if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
    pytest.skip("no display (install Xvfb and pytest-xvfb, or run under xvfb-run)", allow_module_level=True)

PLUGIN = "napari-pzp"


@pytest.fixture()
def sequence(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.integers(100, 4000, (8, 40, 50), dtype=np.uint16)
    for k in range(8):
        data[k, 5, 5] = 1000 + k  # a pixel that tells the frames apart
    path = tmp_path / "seq.pzp"
    pzp.write_container(path, list(data), delays=[40] * 8, use_rle=True)
    return path, data


def test_open_container_and_move_the_slider(make_napari_viewer, sequence):
    path, data = sequence
    viewer = make_napari_viewer()
    layer, = viewer.open(str(path), plugin=PLUGIN)
    assert layer.data.shape == data.shape and layer.scale[0] == pytest.approx(0.04)
    lo, hi = layer.contrast_limits
    assert lo < hi
    for k in (0, 5, 2, 7):
        viewer.dims.set_current_step(0, k)
        world = (k * 0.04, 5, 5)
        assert layer.get_value(world, world=True) == 1000 + k  # the frame shown is frame k
        np.testing.assert_array_equal(np.asarray(layer._slice.image.raw), data[k])


def test_lazy_stack_in_the_viewer(make_napari_viewer, sequence):
    path, data = sequence
    viewer = make_napari_viewer()
    stack = PZPStack(path)
    layer = viewer.add_image(stack, contrast_limits=(0, 4000))
    assert layer.data is stack  # napari browses the stack itself, not a dask view
    viewer.dims.set_current_step(0, 6)
    np.testing.assert_array_equal(np.asarray(layer._slice.image.raw), data[6])


def test_sample_data_in_the_viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    layers = viewer.open_sample(PLUGIN, "walkers_video")
    assert layers[0].rgb and layers[0].data.shape == (16, 360, 480, 3)
    labels = viewer.open_sample(PLUGIN, "nuclei_labels")
    assert type(labels[0]).__name__ == "Labels"
    depth = viewer.open_sample(PLUGIN, "depth_map")
    assert depth[0].data.dtype == np.uint16


def test_info_widget(make_napari_viewer, sequence):
    path, data = sequence
    viewer = make_napari_viewer()
    viewer.open(str(path), plugin=PLUGIN)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "PZP info")
    text = widget.summary.toPlainText()
    assert "frames: 8" in text and "zstd" in text and "ratio" in text
    assert widget.frames.rowCount() == 8
    viewer.layers.selection.active = None
    widget.refresh()
    assert "Select a layer" in widget.summary.toPlainText()


def test_info_widget_shows_delays_metadata_audio_and_follows_the_selection(make_napari_viewer, sequence, tmp_path):
    path, data = sequence
    rich = tmp_path / "rich.pzp"
    audio = b"RIFF" + bytes(range(200)) * 3
    pzp.write_container(rich, list(data[:3]), delays=[10, 20, 35], loop_count=7, use_rle=True,
                        metadata=json.dumps({"camera": "cam7", "fps": 30}), audio=audio, audio_format="WAVE")
    viewer = make_napari_viewer()
    seq_layer, = viewer.open(str(path), plugin=PLUGIN)
    rich_layer, = viewer.open(str(rich), plugin=PLUGIN)
    assert viewer.layers.selection.active is rich_layer
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "PZP info")
    text = widget.summary.toPlainText()
    assert "rich.pzp" in text and "frames: 3   loop: 7" in text
    assert "delays (ms): [10, 20, 35]" in text
    assert f"audio: WAVE {len(audio):,} bytes" in text
    assert "metadata (" in text and '"camera": "cam7"' in text and '"fps": 30' in text
    assert widget.frames.rowCount() == 3
    # selecting another layer updates the widget by itself
    viewer.layers.selection.active = seq_layer
    text = widget.summary.toPlainText()
    assert "seq.pzp" in text and "frames: 8" in text and "audio: none" in text and "metadata: none" in text
    assert widget.frames.rowCount() == 8
    viewer.layers.selection.active = rich_layer
    assert "rich.pzp" in widget.summary.toPlainText() and widget.frames.rowCount() == 3


def test_flag_tuner_widget(make_napari_viewer, sequence, qtbot, tmp_path):
    path, data = sequence
    viewer = make_napari_viewer()
    layer, = viewer.open(str(path), plugin=PLUGIN)
    viewer.dims.set_current_step(0, 3)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "PZP flag tuner")
    frames = widget.frames()
    assert len(frames) == 1
    np.testing.assert_array_equal(frames[0], data[3])  # the current frame
    widget.run()
    expected = len(__import__("napari_pzp").tuning.candidates(data[3]))
    qtbot.waitUntil(lambda: len(widget.results) == expected, timeout=60_000)
    assert widget.table.rowCount() == expected and all(r.exact for r in widget.results)
    widget.table.sortItems(1)  # by size: the first row is the smallest
    widget.table.selectRow(0)
    chosen = widget.selected()
    assert chosen.bytes == min(r.bytes for r in widget.results)
    out = tmp_path / "tuned.pzp"
    assert widget.save(str(out)) == [str(out)]
    np.testing.assert_array_equal(pzp.read_frames(out), list(data))
    options = chosen.candidate.options()
    assert pzp.info(out)["configuration"] & pzp.USE_RLE == (pzp.USE_RLE if options["use_rle"] else 0)
    widget.sampled.setChecked(True)
    assert len(widget.frames()) == widget.frame_count.value()


def test_flag_tuner_sweeps_off_the_gui_thread_and_saves_from_its_button(make_napari_viewer, sequence, qtbot,
                                                                         tmp_path, monkeypatch):
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QFileDialog

    from napari_pzp import tuning

    path, data = sequence
    viewer = make_napari_viewer()
    viewer.open(str(path), plugin=PLUGIN)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "PZP flag tuner")
    threads = []
    real_sweep = tuning.sweep

    def recording_sweep(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_sweep(*args, **kwargs)

    monkeypatch.setattr(tuning, "sweep", recording_sweep)
    qtbot.mouseClick(widget.run_button, Qt.MouseButton.LeftButton)
    expected = len(tuning.candidates(data[0]))
    qtbot.waitUntil(lambda: widget.status.text().startswith("done"), timeout=60_000)
    assert len(widget.results) == len(threads) == expected
    assert all(t is not threading.main_thread() for t in threads)  # the GUI thread only shows the rows
    widget.table.sortItems(1)
    widget.table.selectRow(0)
    chosen = widget.selected()
    out = tmp_path / "picked"  # no extension typed: .pzp is added
    asked = []

    def fake_dialog(*args, **kwargs):
        asked.append(args)
        return str(out), "PZP (*.pzp)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    saved = tmp_path / "picked.pzp"
    assert len(asked) == 1 and saved.is_file() and widget.status.text() == f"saved {saved}"
    np.testing.assert_array_equal(pzp.read_frames(saved), list(data))
    options = chosen.candidate.container_options()
    assert bool(pzp.info(saved)["configuration"] & pzp.USE_LZ4) == options["use_lz4"]
    assert bool(pzp.info(saved)["configuration"] & pzp.USE_PALETTE) == options["use_palette"]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)  # cancelled: nothing more written
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pzp") == ["picked.pzp", "seq.pzp"]


def test_flag_tuner_samples_a_lazy_stack_without_decoding_it_all(make_napari_viewer, sequence):
    path, data = sequence
    viewer = make_napari_viewer()
    stack = PZPStack(path, leading_shape=(2, 4))  # two leading axes: frames are picked by flat index
    viewer.add_image(stack, contrast_limits=(0, 4000))
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "PZP flag tuner")
    widget.sampled.setChecked(True)
    widget.frame_count.setValue(4)
    before = lib.pzp_dctx_decode_count(None)
    frames = widget.frames()
    assert lib.pzp_dctx_decode_count(None) - before == len(frames) == 4  # the sampled frames only
    for frame in frames:
        assert any(np.array_equal(frame, d) for d in data)


def test_save_layer_from_viewer(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    data = (np.indices((3, 30, 40)).sum(0) % 9).astype(np.uint8)
    viewer.add_labels(data, name="labels")
    out = tmp_path / "saved.pzp"
    written = viewer.layers.save(str(out), plugin=PLUGIN)
    assert written == [str(out)]
    layer, = viewer.open(str(out), plugin=PLUGIN)
    assert type(layer).__name__ == "Labels"
    np.testing.assert_array_equal(np.asarray(layer.data), data)


def test_napari_demo_writes_a_screenshot(qapp, tmp_path, capsys):
    from PIL import Image

    from napari_pzp import demo

    assert demo.main(["--out", str(tmp_path)]) == 0
    assert "screenshot of frame" in capsys.readouterr().out
    assert (tmp_path / "nuclei.pzp").is_file() and (tmp_path / "nuclei_labels.pzp").is_file()
    with Image.open(tmp_path / "napari.png") as png:
        assert png.format == "PNG" and png.width >= 400 and png.height >= 300
        pixels = np.asarray(png.convert("L"))
    h, w = pixels.shape
    canvas = pixels[h // 3 : 2 * h // 3, w // 2 : 3 * w // 4]  # inside the canvas, right of the layer list
    assert canvas.std() > 10 and len(np.unique(canvas)) > 50  # the nuclei drawn, not a blank canvas
