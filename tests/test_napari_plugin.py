"""The napari plugin without a viewer: manifest, reader and writers through
npe2's real dispatch, layer data for every kind of conformance file, settings,
sample data and the tuning functions."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

npe2 = pytest.importorskip("npe2")

import pzp  # noqa: E402
from conftest import CONFORMANCE, expected_frames, vectors  # noqa: E402
from napari_pzp import PZPStack, _metadata, tuning, write_layer  # noqa: E402
from napari_pzp._reader import contrast_limits, get_reader, read  # noqa: E402
from pzp._ffi import lib  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "napari-pzp"


# ---- manifest -----------------------------------------------------------------------


def test_npe2_validate_with_imports():
    result = subprocess.run([sys.executable, "-m", "npe2", "validate", PLUGIN, "--imports"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_every_referenced_command_is_declared():
    manifest = npe2.PluginManifest.from_distribution(PLUGIN)
    declared = {c.id for c in manifest.contributions.commands}
    contributions = manifest.contributions
    used = {r.command for r in contributions.readers} | {w.command for w in contributions.writers}
    used |= {s.command for s in contributions.sample_data} | {w.command for w in contributions.widgets}
    assert used <= declared, used - declared
    assert declared <= used  # nothing declared that nothing uses
    assert {w.display_name for w in contributions.widgets} == {"PZP info", "PZP flag tuner"}
    properties = contributions.configurations["reader"].properties
    assert set(properties) == {"eager_threshold_mb", "contrast_mode"}


def test_top_level_manifest_is_the_package_copy():
    top = ROOT / "napari.yaml"
    assert top.is_symlink() and top.resolve() == (ROOT / "napari_pzp" / "napari.yaml").resolve()
    assert filecmp.cmp(top, ROOT / "napari_pzp" / "napari.yaml", shallow=False)


# ---- get_reader ----------------------------------------------------------------------


def test_get_reader_accepts_pzp_only(tmp_path):
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    good = tmp_path / "a.pzp"
    pzp.write(good, image)
    for path in (str(good), good, [str(good)], [good, good]):
        assert callable(get_reader(path)), path
    (tmp_path / "fake.pzp").write_bytes(b"\x89PNG\r\n\x1a\nnot pzp")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.pzp").write_bytes(b"")
    for path in ("fake.file", tmp_path / "fake.pzp", tmp_path / "notes.txt", tmp_path / "empty.pzp",
                 tmp_path / "missing.pzp", [tmp_path / "fake.pzp", good], [], 42, None):
        assert get_reader(path if not isinstance(path, Path) else str(path)) is None, path
    empty_folder = tmp_path / "nothing"
    empty_folder.mkdir()
    assert get_reader(str(empty_folder)) is None
    assert callable(get_reader(str(tmp_path)))  # holds a .pzp
    legacy = CONFORMANCE / "legacy_v001_g8_rle.pzp"  # a bare frame: no magic, found by its header
    assert callable(get_reader(str(legacy)))


# ---- layers for every kind of conformance file ------------------------------------------


@pytest.mark.parametrize("vector", vectors("frame") + vectors("container"), ids=lambda v: v["file"])
def test_layer_data_for_conformance(vector, monkeypatch):
    path = str(CONFORMANCE / vector["file"])
    layers = get_reader(path)(path)
    expected = expected_frames(vector)
    shapes = {e.shape for e in expected}
    if len(shapes) > 1:  # frames of different shapes: one layer each
        assert len(layers) == len(expected)
        for (data, kwargs, kind), e in zip(layers, expected):
            np.testing.assert_array_equal(np.asarray(data), e)
        return
    (data, kwargs, kind), = layers
    assert kind == "image"
    stacked = expected[0] if len(expected) == 1 else np.stack(expected)  # a 1-frame container is an image
    assert data.shape == stacked.shape and np.dtype(data.dtype) == stacked.dtype
    np.testing.assert_array_equal(np.asarray(data), stacked)
    meta = kwargs["metadata"]["pzp"]
    assert meta["frames"] == len(expected) and meta["source"] == os.path.abspath(path)
    channels = expected[0].shape[2] if expected[0].ndim == 3 else 1
    if channels in (3, 4) and stacked.dtype == np.uint8:
        assert kwargs["rgb"] is True and "contrast_limits" not in kwargs
    elif channels == 1:
        assert kwargs["rgb"] is False
        lo, hi = kwargs["contrast_limits"]
        assert lo < hi
    else:
        assert kwargs["channel_axis"] == data.ndim - 1 and len(kwargs["contrast_limits"]) == channels
    assert len(kwargs["units"]) == len(kwargs["scale"])
    if len(expected) == 1:
        return
    # the lazy path: with no eager threshold the same file opens as a stack, one frame per dask chunk
    import napari_pzp._reader as reader

    _, mode = reader.settings()
    monkeypatch.setattr(reader, "settings", lambda: (0, mode))
    (lazy, lazy_kwargs, lazy_kind), = get_reader(path)(path)
    assert isinstance(lazy, PZPStack) and lazy_kind == kind
    assert lazy.shape == data.shape and lazy.dtype == np.dtype(data.dtype)
    view = lazy.to_dask()
    assert view.chunks == ((1,) * len(expected),) + tuple((n,) for n in expected[0].shape)
    np.testing.assert_array_equal(np.asarray(lazy), stacked)
    np.testing.assert_array_equal(view.compute(), stacked)
    assert lazy_kwargs.get("contrast_limits") == kwargs.get("contrast_limits")


def test_time_scale_from_constant_delays():
    path = str(CONFORMANCE / "c_5frames_rle_delays.pzp")
    (data, kwargs, _), = read(path)
    delays = pzp.get_delays(path)
    if len(set(delays)) == 1:
        assert kwargs["scale"][0] == delays[0] / 1000 and kwargs["units"][0] == "second"
    else:
        assert kwargs["units"][0] == "pixel" and kwargs["scale"][0] == 1.0
    (data, kwargs, _), = read(str(CONFORMANCE / "c_meta_text.pzp"))  # 40 ms per frame
    assert kwargs["scale"][0] == 0.04 and kwargs["units"][0] == "second" and kwargs["axis_labels"][0] == "t"
    meta = kwargs["metadata"]["pzp"]["metadata"]
    assert meta == {"source": "cam0", "fps": 25, "caption": "café ☃ 日本"}  # the JSON blob, parsed


def test_audio_and_flags_in_layer_metadata():
    (data, kwargs, _), = read(str(CONFORMANCE / "c_audio_meta_loop7.pzp"))
    meta = kwargs["metadata"]["pzp"]
    assert meta["loop_count"] == 7 and meta["audio_bytes"] > 0 and meta["audio_format"] in ("WAVE", "MPEG", "OGG",
                                                                                              "FLAC")
    assert isinstance(meta["configuration"], int) and meta["codec"] in ("zstd", "lz4")


FLAGS_OF = {  # conformance file -> the flags it was written with
    "c_1frame_defaults.pzp": [],
    "f_g8_rle.pzp": ["rle"],
    "c_5frames_rle_delays.pzp": ["rle"],
    "c_meta_text.pzp": ["rle", "lz4"],
    "c_5frames_rle_interdelta_loop3.pzp": ["rle", "inter_delta"],  # key frames do not carry inter_delta
    "c_4frames_interdelta_g16.pzp": ["inter_delta"],
    "c_4frames_interdelta_pal_lz4.pzp": ["palette", "inter_delta", "lz4"],
    "legacy_v002_container_g16_interdelta_lz4.pzp": ["rle", "inter_delta", "lz4"],
}


@pytest.mark.parametrize("name", list(FLAGS_OF))
def test_flags_in_layer_metadata_survive_open_save_open(tmp_path, name):
    (data, kwargs, kind), = read(str(CONFORMANCE / name))
    meta = kwargs["metadata"]["pzp"]
    assert meta["flags"] == FLAGS_OF[name]
    names = {pzp.USE_RLE: "rle", pzp.USE_PALETTE: "palette", pzp.USE_INTER_DELTA: "inter_delta", pzp.USE_LZ4: "lz4"}
    assert sorted(n for bit, n in names.items() if meta["configuration"] & bit) == sorted(FLAGS_OF[name])
    path = str(tmp_path / name)
    write_layer(path, data, kwargs, kind)  # the flags the layer came with, not the content's defaults
    (again, kwargs2, _), = read(path)
    assert kwargs2["metadata"]["pzp"]["flags"] == FLAGS_OF[name]
    with pzp.open(path) as c:
        deltas = [c.frame_info(k)["is_delta"] for k in range(len(c))]
    assert any(deltas) == ("inter_delta" in FLAGS_OF[name])
    np.testing.assert_array_equal(np.asarray(again), np.asarray(data))


# ---- the real npe2 dispatch ---------------------------------------------------------------


@pytest.fixture()
def plugin(npe2pm):
    """The installed napari-pzp manifest registered in a fresh plugin manager."""
    manifest = npe2.PluginManifest.from_distribution(PLUGIN)
    npe2pm.register(manifest)
    return manifest


def test_dispatch_read(plugin, tmp_path):
    data = np.random.default_rng(0).integers(0, 4000, (6, 10, 12), dtype=np.uint16)
    path = tmp_path / "seq.pzp"
    pzp.write_container(path, list(data))
    for given in (str(path), path):
        layers = npe2.read([given], stack=False, plugin_name=PLUGIN)
        (layer_data, kwargs, kind), = layers
        np.testing.assert_array_equal(np.asarray(layer_data), data)
    assert npe2.read([str(path), str(path)], stack=True, plugin_name=PLUGIN)[0][0].shape == (2, 6, 10, 12)


WRITE_CASES = {
    "2d": (np.arange(300, dtype=np.uint8).reshape(15, 20), {}, "image"),
    "rgb": (np.random.default_rng(1).integers(0, 255, (9, 11, 3), dtype=np.uint8), {"rgb": True}, "image"),
    "rgba": (np.random.default_rng(1).integers(0, 255, (9, 11, 4), dtype=np.uint8), {"rgb": True}, "image"),
    "16bit": (np.random.default_rng(2).integers(0, 65535, (17, 13), dtype=np.uint16), {}, "image"),
    "labels": ((np.indices((30, 40)).sum(0) // 7).astype(np.int32), {}, "labels"),
    "3d": (np.random.default_rng(3).integers(0, 65535, (5, 8, 9), dtype=np.uint16), {}, "image"),
    "4d": (np.random.default_rng(4).integers(0, 255, (2, 3, 8, 9), dtype=np.uint8), {}, "image"),
    "rgb-video": (np.random.default_rng(5).integers(0, 255, (4, 6, 7, 3), dtype=np.uint8), {"rgb": True}, "image"),
    "labels-3d": (np.random.default_rng(6).integers(0, 300, (3, 10, 10)).astype(np.int64), {}, "labels"),
    "bool": (np.eye(6, dtype=bool), {}, "labels"),
}


@pytest.mark.parametrize("case", list(WRITE_CASES))
def test_writer_round_trip(plugin, tmp_path, case):
    data, attributes, kind = WRITE_CASES[case]
    attributes = {"name": case, "metadata": {}, **attributes}
    path = str(tmp_path / f"{case}.pzp")
    written = npe2.write(path, [(data, attributes, kind)], plugin_name=PLUGIN)
    assert written == [path]
    (back, kwargs, back_kind), = npe2.read([path], stack=False, plugin_name=PLUGIN)
    assert back_kind == kind and kwargs["name"] == case
    assert back.shape == data.shape and np.dtype(back.dtype) == data.dtype
    np.testing.assert_array_equal(np.asarray(back), data)


def label_map(shape=(2, 64, 80), regions=40, seed=12):
    """Piecewise-constant 16-bit values: the nearest of a few random points."""
    rng = np.random.default_rng(seed)
    y, x = np.indices(shape[1:])
    points, values = rng.integers(0, min(shape[1:]), (regions, 2)), rng.integers(1, 60000, regions)
    nearest = ((y[..., None] - points[:, 0]) ** 2 + (x[..., None] - points[:, 1]) ** 2).argmin(-1)
    return np.stack([np.roll(values[nearest], k, axis=1) for k in range(shape[0])]).astype(np.uint16)


Y, X = np.indices((64, 80))
PALETTE = pzp.USE_COMPRESSION | pzp.USE_PALETTE  # configuration 5
RLE = pzp.USE_COMPRESSION | pzp.USE_RLE  # configuration 3
DEFAULT_FLAG_CASES = {  # data, layer type, configuration, predictor of the first group
    "labels": ((Y // 9 * 10 + X // 11).astype(np.int32), "labels", PALETTE, "none"),
    "labels-3d": (np.stack([Y // 9 + X // (11 + k) for k in range(3)]).astype(np.uint8), "labels", PALETTE, "none"),
    "8-bit": ((X * 3 + Y).astype(np.uint8), "image", RLE, "left"),
    "8-bit-rgb": (np.stack([X, Y, X + Y], -1).astype(np.uint8), "image", RLE, "left"),
    "16-bit-smooth": (np.stack([X * 700 + Y * 300 + k for k in range(2)]).astype(np.uint16), "image", RLE,
                      "gradient"),
    "16-bit-label-map": (label_map(), "image", RLE, "left"),  # byte-wise left delta wins on flat regions
}


@pytest.mark.parametrize("case", list(DEFAULT_FLAG_CASES))
def test_writer_default_flags(plugin, tmp_path, case):
    data, kind, configuration, predictor = DEFAULT_FLAG_CASES[case]
    path = str(tmp_path / f"{case}.pzp")
    attributes = {"name": case, "metadata": {}, "rgb": case.endswith("rgb")}
    assert npe2.write(path, [(data, attributes, kind)], plugin_name=PLUGIN) == [path]
    assert pzp.info(path)["configuration"] == configuration
    with pzp.open(path) as c:
        for k in range(len(c)):
            info = c.frame_info(k)
            assert info["configuration"] == configuration, k
            assert info["groups"][0]["predictor"] == predictor, k
    (back, kwargs, _), = npe2.read([path], stack=False, plugin_name=PLUGIN)
    assert kwargs["metadata"]["pzp"]["configuration"] == configuration
    np.testing.assert_array_equal(np.asarray(back), data)


def test_writer_explicit_flags_override_the_defaults(plugin, tmp_path):
    labels = DEFAULT_FLAG_CASES["labels"][0]
    path = str(tmp_path / "lz4.pzp")
    write_layer(path, labels, {"name": "l"}, "labels", use_lz4=True)
    assert pzp.info(path)["configuration"] == pzp.USE_COMPRESSION | pzp.USE_LZ4  # the options given, no others
    assert pzp.info(path)["codec"] == "lz4"
    # through npe2: the flags a layer asks for in its metadata
    image = DEFAULT_FLAG_CASES["16-bit-smooth"][0]
    path = str(tmp_path / "npe2.pzp")
    attributes = {"name": "i", "metadata": {"pzp": {"write_options": {"use_palette": True, "use_lz4": True}}}}
    assert npe2.write(path, [(image, attributes, "image")], plugin_name=PLUGIN) == [path]
    with pzp.open(path) as c:
        assert [c.frame_info(k)["configuration"] for k in range(len(c))] == [PALETTE | pzp.USE_LZ4] * 2
    np.testing.assert_array_equal(pzp.read_frames(path), list(image))


def test_writer_refuses_what_pzp_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="8- or 16-bit"):
        write_layer(str(tmp_path / "f.pzp"), np.zeros((4, 4), np.float32), {}, "image")
    with pytest.raises(ValueError, match="values from -1"):
        write_layer(str(tmp_path / "n.pzp"), np.full((2, 4, 4), -1, np.int16), {}, "labels")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_writer_streams_dask_frame_by_frame(tmp_path):
    da = pytest.importorskip("dask.array")
    import threading

    pulled, active, most = [], [0], [0]
    lock = threading.Lock()
    base = np.random.default_rng(7).integers(0, 65535, (12, 16, 16), dtype=np.uint16)

    def block(block_id=None):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        pulled.append(block_id[0])
        try:
            return base[block_id[0]][None]
        finally:
            with lock:
                active[0] -= 1

    lazy = da.map_blocks(block, chunks=((1,) * 12, (16,), (16,)), dtype=np.uint16,
                         meta=np.empty((0, 0, 0), np.uint16))
    path = str(tmp_path / "d.pzp")
    write_layer(path, lazy, {"name": "lazy"}, "image")
    assert sorted(pulled) == list(range(12)) and most[0] == 1  # each frame once, one at a time
    np.testing.assert_array_equal(pzp.read_frames(path), list(base))


def test_writer_verify_catches_a_bad_write(tmp_path, monkeypatch):
    data = np.random.default_rng(11).integers(0, 4000, (4, 10, 12), dtype=np.uint16)
    real_append = pzp.ContainerWriter.append
    appended = []

    def corrupting_append(self, frame, delay_ms=0):  # an encoder that gets frame 2 wrong
        appended.append(frame)
        real_append(self, frame ^ 1 if len(appended) == 3 else frame, delay_ms=delay_ms)

    monkeypatch.setattr(pzp.ContainerWriter, "append", corrupting_append)
    path = str(tmp_path / "bad.pzp")
    with pytest.raises(OSError, match=r"bad\.pzp: frame 2 does not read back as written"):
        write_layer(path, data, {"name": "bad"}, "image")
    assert len(appended) == 4
    assert list(tmp_path.iterdir()) == []  # the bad file is not left to pass for a good one
    pzp.write(path, data[0])  # a file already at the path survives a bad write over it
    old = Path(path).read_bytes()
    appended.clear()
    with pytest.raises(OSError, match=r"bad\.pzp: frame 2"):
        write_layer(path, data, {"name": "bad"}, "image")
    assert Path(path).read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["bad.pzp"]
    monkeypatch.undo()
    good = str(tmp_path / "good.pzp")
    write_layer(good, data, {"name": "good"}, "image")
    from napari_pzp._writer import verify

    with pytest.raises(OSError, match=r"good\.pzp: wrote 5 frames, read back 4"):
        verify(good, [0] * 5)


def test_open_save_open_loses_nothing(tmp_path):
    source = str(CONFORMANCE / "c_audio_meta_loop7.pzp")
    (data, kwargs, kind), = read(source)
    path = str(tmp_path / "again.pzp")
    write_layer(path, data, kwargs, kind)
    with pzp.open(source) as a, pzp.open(path) as b:
        assert b.delays == a.delays and b.loop_count == a.loop_count
        assert b.audio == a.audio
        user, ours = _metadata.split_blob(b.metadata)
        assert user == _metadata.split_blob(a.metadata)[0]
        assert ours["layer_type"] == "image" and len(ours["stats"]["max"]) == len(a)
        for k in range(len(a)):
            np.testing.assert_array_equal(b[k], a[k])
    (again, kwargs2, _), = read(path)
    for key in ("delays", "loop_count", "audio_format", "audio_bytes", "metadata"):
        assert kwargs2["metadata"]["pzp"][key] == kwargs["metadata"]["pzp"][key], key


def test_binary_metadata_blob_is_kept(tmp_path):
    source = str(CONFORMANCE / "c_meta_binary.pzp")
    (data, kwargs, kind), = read(source)
    path = str(tmp_path / "b.pzp")
    write_layer(path, data, kwargs, kind)
    assert pzp.get_metadata(path) == pzp.get_metadata(source)  # byte for byte


# ---- contrast without decoding ----------------------------------------------------------


def test_stored_statistics_mean_no_decode_at_open(tmp_path):
    data = np.random.default_rng(8).integers(1000, 3000, (20, 64, 64), dtype=np.uint16)
    data[3] = 0  # an empty (all invalid) frame must not pull the window down
    data[7, :2, :2] = 60000  # four hot pixels (0.1 %), above the 99.5th percentile
    path = str(tmp_path / "stats.pzp")
    write_layer(path, data, {"name": "s"}, "image")
    old = pzp.get_limits()
    import napari_pzp._reader as reader

    reader_settings = reader.settings
    reader.settings = lambda: (0, "stored")  # everything lazy
    try:
        before = lib.pzp_dctx_decode_count(None)
        (layer, kwargs, _), = read(path)
        assert lib.pzp_dctx_decode_count(None) == before  # no frame decoded to open it
        assert isinstance(layer, PZPStack)
        lo, hi = kwargs["contrast_limits"]
        assert 1000 <= lo < 1100 and 2900 < hi <= 3000
        reader.settings = lambda: (0, "sampled")
        (layer, kwargs, _), = read(path)
        assert 0 < kwargs["contrast_limits"][0] < kwargs["contrast_limits"][1]
        assert lib.pzp_dctx_decode_count(None) - before == 7  # sampled frames only
        reader.settings = lambda: (0, "range")
        assert read(path)[0][1]["contrast_limits"] == [0.0, 65535.0]
    finally:
        reader.settings = reader_settings
        pzp.set_limits(**old)


def test_contrast_never_equal():
    flat = np.full((3, 8, 8), 500, np.uint16)
    lo, hi = contrast_limits(flat, {}, None, 2)
    assert hi > lo
    zeros = np.zeros((3, 8, 8), np.uint16)
    lo, hi = contrast_limits(zeros, {}, None, 2)
    assert hi > lo


def test_metadata_blob_conventions():
    assert _metadata.split_blob(None) == (None, {})
    assert _metadata.split_blob(b"\xff\x00") == (b"\xff\x00", {})
    assert _metadata.split_blob(b"plain text") == ("plain text", {})
    blob = _metadata.join_blob({"a": 1}, {"layer_type": "labels"})
    user, ours = _metadata.split_blob(blob)
    assert user == {"a": 1} and ours["layer_type"] == "labels"
    assert _metadata.join_blob(b"\x00raw", {"layer_type": "labels"}) == b"\x00raw"
    assert json.loads(_metadata.join_blob([1, 2], {"x": 1}))["metadata"] == [1, 2]


# ---- settings -------------------------------------------------------------------------------


def test_plugin_settings(plugin_settings, npe2pm, tmp_path):
    from napari.settings import get_plugin_settings

    import napari_pzp._reader as reader

    npe2pm.register(npe2.PluginManifest.from_distribution(PLUGIN))
    settings = get_plugin_settings(PLUGIN)
    assert settings.reader.eager_threshold_mb == 256 and settings.reader.contrast_mode == "stored"
    assert reader.settings() == (256 * 1024 * 1024, "stored")
    data = np.random.default_rng(9).integers(0, 255, (4, 32, 32), dtype=np.uint8)
    path = str(tmp_path / "e.pzp")
    pzp.write_container(path, list(data))
    assert isinstance(read(path)[0][0], np.ndarray)  # small: loaded
    settings.reader.eager_threshold_mb = 0
    assert isinstance(read(path)[0][0], PZPStack)  # over the threshold: lazy
    settings.reader.contrast_mode = "range"
    assert read(path)[0][1]["contrast_limits"] == [0.0, 255.0]


# ---- sample data and tuning -------------------------------------------------------------------


def test_sample_data(plugin):
    for contribution in plugin.contributions.sample_data:
        layers = npe2.PluginManager.instance().get_command(contribution.command).exec()
        (data, kwargs, kind), = layers
        assert data.size > 0 and kwargs["name"]
    from napari_pzp import _sample_data as samples

    (labels, _, kind), = samples.nuclei_labels()
    assert kind == "labels" and labels.shape == (12, 256, 256)
    (video, kwargs, _), = samples.walkers_video()
    assert video.shape == (16, 360, 480, 3) and kwargs["rgb"] and kwargs["units"][0] == "second"
    (depth, kwargs, _), = samples.depth_map()
    assert depth.dtype == np.uint16 and kwargs["contrast_limits"][0] < kwargs["contrast_limits"][1]
    readme = (ROOT / "napari_pzp" / "samples" / "SOURCES.md").read_text()
    assert "No package anywhere ships a real depth *sequence*" in " ".join(readme.split())


def test_tuning_sweep_matches_files():
    frame = np.random.default_rng(10).integers(0, 4096, (24, 32), dtype=np.uint16)
    results = tuning.sweep([frame], repeat=1)
    assert len(results) == len(tuning.candidates(frame))
    for r in results:
        assert r.exact and r.bytes == len(pzp.encode(frame, **r.candidate.options()))
    best = tuning.smallest(results)
    assert all(best.bytes <= r.bytes for r in results)
    fast = tuning.fastest_within(results, 0.10)
    assert fast.bytes <= best.bytes * 1.1
    seq = [frame, frame, frame ^ 1]
    results = tuning.sweep(seq, [tuning.Candidate(use_rle=True, use_inter_delta=True, keyframe_interval=0),
                                 tuning.Candidate(use_rle=True)], repeat=1)
    assert all(r.exact for r in results) and results[0].bytes < results[1].bytes
