"""PZPStack: numpy-like indexing, lazy views, dask, pickling, processes, threads,
open files, and how many frames each operation decodes."""

from __future__ import annotations

import os
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import pzp
from napari_pzp import PZPStack, imread
from pzp._ffi import lib


def decodes() -> int:
    return lib.pzp_dctx_decode_count(None)


def frames(count=12, shape=(20, 30), dtype=np.uint16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max, size=(count,) + shape, dtype=dtype)


@pytest.fixture()
def container(tmp_path):
    data = frames()
    path = tmp_path / "s.pzp"
    pzp.write_container(path, list(data), delays=[50] * len(data), use_rle=True)
    return path, data


def test_array_like(container):
    path, data = container
    stack = PZPStack(path)
    assert stack.shape == data.shape and stack.dtype == data.dtype and stack.ndim == 3
    assert len(stack) == 12 and stack.size == data.size and stack.nbytes == data.nbytes
    assert stack.delays == [50] * 12 and stack.path == os.fspath(path)
    np.testing.assert_array_equal(np.asarray(stack), data)
    np.testing.assert_array_equal(stack[3], data[3])
    np.testing.assert_array_equal(stack[-1], data[-1])
    for key in (slice(2, 9, 3), [5, 1, 5], np.array([0, 11]), np.arange(12) % 2 == 0):
        view = stack[key]
        assert isinstance(view, PZPStack) and view.shape == data[key].shape
        np.testing.assert_array_equal(np.asarray(view), data[key])
    for key in ((4, slice(2, 7)), (4, 3, 2), (Ellipsis, 5), (slice(None), slice(1, 4), [0, 2]), (7, Ellipsis)):
        got = stack[key]
        np.testing.assert_array_equal(np.asarray(got), data[key])
    np.testing.assert_array_equal(np.asarray(stack[1:5][::-1][1]), data[1:5][::-1][1])
    np.testing.assert_array_equal(np.asarray(stack[:, 2:10][3:6, :, ::2]), data[:, 2:10][3:6, :, ::2])
    assert stack[3:3].shape == (0, 20, 30)
    with pytest.raises(IndexError):
        stack[12]
    with pytest.raises(IndexError):
        stack[0, 0, 0, 0]
    with pytest.raises(IndexError):
        stack[None]
    frame = stack[2]
    frame[0, 0] = 7  # an owned, writeable array
    np.testing.assert_array_equal(stack[2], data[2])


def test_leading_axes_and_dtype(tmp_path):
    data = frames(6, (5, 7, 3), np.uint8)
    path = tmp_path / "z.pzp"
    pzp.write_container(path, list(data))
    stack = PZPStack(path, leading_shape=(2, 3), dtype=np.int32)
    assert stack.shape == (2, 3, 5, 7, 3) and stack.dtype == np.int32
    expected = data.reshape(2, 3, 5, 7, 3).astype(np.int32)
    np.testing.assert_array_equal(stack[1, 2], expected[1, 2])
    np.testing.assert_array_equal(np.asarray(stack[:, 1, ..., 0]), expected[:, 1, ..., 0])
    assert stack[1, 2].dtype == np.int32
    with pytest.raises(ValueError, match="does not hold"):
        PZPStack(path, leading_shape=(4, 2))


def test_one_frame_one_decode(container):
    path, data = container
    stack = PZPStack(path)
    before = decodes()
    stack[7]
    assert decodes() - before == 1
    view = stack[2:8, 5:10]
    assert decodes() - before == 1  # views decode nothing
    np.asarray(view)
    assert decodes() - before == 1 + 6
    # two views that pick different parts of the same frame decode it once
    left, right = stack[:, :, :15], stack[:, :, 15:]
    before = decodes()
    left[4], right[4]
    assert decodes() - before == 1


def test_inter_delta_playback_costs_one_decode_per_frame(tmp_path):
    data = frames(30, static=None) if False else np.repeat(frames(1), 30, axis=0)
    data[:, 3, 3] = np.arange(30)
    path = tmp_path / "d.pzp"
    pzp.write_container(path, list(data), use_inter_delta=True, keyframe_interval=0)
    stack = PZPStack(path)
    pzp.thread_cleanup()
    before = decodes()
    for k in range(30):
        np.testing.assert_array_equal(stack[k], data[k])
    assert decodes() - before == 30


def test_folder_and_glob_stacks(tmp_path):
    data = frames(11, (8, 9), np.uint8)
    for k, frame in enumerate(data):
        pzp.write(tmp_path / f"frame_{k}.pzp", frame)
    stack = PZPStack(tmp_path)  # natural order: frame_2 before frame_10
    assert stack.files[:3] == tuple(str(tmp_path / f"frame_{k}.pzp") for k in range(3))
    np.testing.assert_array_equal(np.asarray(stack), data)
    np.testing.assert_array_equal(imread(str(tmp_path / "frame_*.pzp")).compute(), data)
    np.testing.assert_array_equal(imread([tmp_path / "frame_3.pzp", tmp_path / "frame_1.pzp"]).compute(),
                                  data[[3, 1]])
    pzp.write(tmp_path / "odd.pzp", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="odd.pzp"):
        PZPStack(tmp_path)
    with pytest.raises(FileNotFoundError):
        imread(str(tmp_path / "nothing_*.pzp"))


def test_dask_view(container):
    path, data = container
    darr = imread(path)
    assert darr.shape == data.shape and darr.dtype == data.dtype
    assert darr.chunks[0] == (1,) * 12 and darr.chunks[1:] == ((20,), (30,))
    np.testing.assert_array_equal(darr.compute(), data)
    np.testing.assert_array_equal(darr[5].compute(), data[5])
    assert float(darr.mean().compute()) == pytest.approx(float(data.mean()))
    # nothing is decoded to build the graph, and the name is deterministic
    before = decodes()
    again = imread(path)
    assert decodes() == before and again.name == darr.name
    stack = PZPStack(path)
    np.testing.assert_array_equal(stack[::2, :5].to_dask().compute(), data[::2, :5])


def test_pickle_and_processes(container):
    path, data = container
    stack = PZPStack(path)
    stack[0]  # opened
    clone = pickle.loads(pickle.dumps(stack))
    np.testing.assert_array_equal(clone[9], data[9])
    darr = pickle.loads(pickle.dumps(stack.to_dask()))
    np.testing.assert_array_equal(darr.compute(scheduler="processes"), data)


def test_local_cluster_of_processes(container):
    distributed = pytest.importorskip("distributed")
    path, data = container
    darr = imread(path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            total = client.compute(darr.astype(np.float64).sum(axis=(1, 2))).result()
            maxima = darr.max(axis=0).compute()
    np.testing.assert_allclose(total, data.astype(np.float64).sum(axis=(1, 2)))
    np.testing.assert_array_equal(maxima, data.max(axis=0))


def test_eight_threads(tmp_path):
    data = frames(40, (64, 48), np.uint8)
    data[1:] = data[0]
    data[:, 10, :] = np.arange(40)[:, None]
    path = tmp_path / "t.pzp"
    pzp.write_container(path, list(data), use_inter_delta=True, keyframe_interval=6)
    stack = PZPStack(path)

    def work(seed):
        rng = np.random.default_rng(seed)
        return [(int(k), stack[int(k)]) for k in rng.integers(0, 40, 30)]

    with ThreadPoolExecutor(8) as pool:
        for result in pool.map(work, range(8)):
            for k, frame in result:
                np.testing.assert_array_equal(frame, data[k])


def test_no_file_left_open(container):
    psutil = pytest.importorskip("psutil")
    path, data = container
    me = psutil.Process()

    def open_pzp():
        return [f.path for f in me.open_files() if f.path.endswith(".pzp")]

    assert open_pzp() == []
    stack = PZPStack(path)
    assert open_pzp() == []  # the header is read and the file closed
    stack[3]
    assert open_pzp() == [os.fspath(path)]
    stack.close()
    assert open_pzp() == []
    stack[4]
    del stack
    import gc

    gc.collect()
    assert open_pzp() == []
    imread(path).compute()
    gc.collect()
    assert open_pzp() == []


def test_mixed_container_is_refused(tmp_path):
    path = tmp_path / "m.pzp"
    pzp.write_container(path, [np.zeros((4, 4), np.uint8), np.zeros((5, 5), np.uint8)])
    with pytest.raises(ValueError, match="differ in shape"):
        PZPStack(path)
