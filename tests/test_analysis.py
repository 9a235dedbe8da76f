"""napari_pzp.analysis: per-frame statistics of a whole sequence on dask,
checked against numpy, on every kind of source, with the progress bars."""

from __future__ import annotations

import numpy as np
import pytest

dask = pytest.importorskip("dask")

import pzp  # noqa: E402
from napari_pzp import PZPStack  # noqa: E402
from napari_pzp.analysis import (  # noqa: E402
    COLUMNS,
    as_dask,
    compute_with_progress,
    frame_statistics,
    frame_statistics_lazy,
)
from pzp._ffi import lib  # noqa: E402


def by_numpy(frames, invalid=0) -> np.ndarray:
    """(T, 4): min, max, mean of the valid samples and the invalid fraction, frame by frame."""
    rows = []
    for frame in frames:
        flat = np.asarray(frame).ravel()
        valid = flat if invalid is None else flat[flat != invalid]
        fraction = 0.0 if invalid is None else 1 - valid.size / flat.size
        if valid.size:
            rows.append((valid.min(), valid.max(), valid.mean(dtype=np.float64), fraction))
        else:
            rows.append((np.nan, np.nan, np.nan, fraction))
    return np.array(rows, np.float64)


def assert_matches(stats: dict, expected: np.ndarray) -> None:
    assert list(stats) == list(COLUMNS)
    for k, name in enumerate(COLUMNS):
        np.testing.assert_allclose(stats[name], expected[:, k], rtol=1e-12, equal_nan=True, err_msg=name)


@pytest.fixture()
def sequence(tmp_path):
    rng = np.random.default_rng(7)
    frames = rng.integers(100, 4000, (9, 30, 40), dtype=np.uint16)
    frames[:, :5, :7] = 0  # invalid (no depth) pixels
    frames[3] = 0  # a frame without any valid sample
    frames[5, 10, 10] = 65535
    path = tmp_path / "seq.pzp"
    pzp.write_container(path, list(frames), use_rle=True, use_inter_delta=True)
    files = []
    for k, frame in enumerate(frames):
        files.append(str(tmp_path / f"frame_{k}.pzp"))
        pzp.write(files[-1], frame)
    return path, files, frames


@pytest.mark.parametrize("kind", ["path", "stack", "dask", "numpy", "files", "glob"])
def test_statistics_match_numpy(sequence, kind):
    path, files, frames = sequence
    source = {"path": str(path), "stack": PZPStack(path), "dask": PZPStack(path).to_dask(), "numpy": frames,
              "files": files, "glob": str(path.parent / "frame_*.pzp")}[kind]
    assert_matches(frame_statistics(source, progress=False), by_numpy(frames))


def test_every_sample_valid_and_colour(sequence):
    path, _, frames = sequence
    assert_matches(frame_statistics(path, invalid=None, progress=False), by_numpy(frames, invalid=None))
    rgb = np.random.default_rng(8).integers(0, 256, (4, 12, 16, 3), dtype=np.uint8)
    assert_matches(frame_statistics(rgb, progress=False), by_numpy(rgb))


def test_lazy_decodes_nothing_until_computed(sequence):
    path, _, frames = sequence
    before = lib.pzp_dctx_decode_count(None)
    lazy = frame_statistics_lazy(PZPStack(path))
    assert lazy.shape == (len(frames), len(COLUMNS)) and lazy.numblocks == (len(frames), 1)  # a block per frame
    assert lib.pzp_dctx_decode_count(None) == before
    np.testing.assert_allclose(np.asarray(lazy), by_numpy(frames), equal_nan=True)
    darr = as_dask(str(path))
    assert darr.shape == frames.shape and darr.chunks[0] == (1,) * len(frames)


def test_progress_bar_is_shown(sequence, capsys):
    path, _, frames = sequence
    assert_matches(frame_statistics(path), by_numpy(frames))
    out = capsys.readouterr().out
    assert "100% Completed" in out  # dask's bar, even for a computation this short
    frame_statistics(path, progress=False)
    assert capsys.readouterr().out == ""


def test_on_a_distributed_client(sequence, capsys, monkeypatch):
    distributed = pytest.importorskip("distributed")
    path, _, frames = sequence
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster):
        assert_matches(frame_statistics(path), by_numpy(frames))
        assert "100% Completed" in capsys.readouterr().out  # distributed's text bar outside a notebook
        # in a notebook, distributed's progress returns a widget: it must be displayed
        import distributed.diagnostics.progressbar as bars
        import IPython.display

        shown = []
        monkeypatch.setattr(bars, "is_kernel", lambda: True)
        monkeypatch.setattr(IPython.display, "display", lambda *objects, **kwargs: shown.extend(objects))
        result = compute_with_progress(frame_statistics_lazy(path))
        np.testing.assert_allclose(result, by_numpy(frames), equal_nan=True)
        assert len(shown) == 1 and type(shown[0]).__name__.endswith("ProgressWidget")
