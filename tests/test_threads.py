"""Threads: concurrent decoding gives the single-threaded results."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import pzp
from conftest import CONFORMANCE, vectors


def test_eight_threads_decode_different_files():
    paths = [CONFORMANCE / v["file"] for v in vectors("frame")]
    expected = {p: pzp.read(p) for p in paths}

    def work(offset):
        pzp.thread_init()
        try:
            results = []
            for k in range(len(paths)):
                p = paths[(k + offset) % len(paths)]
                results.append((p, pzp.read(p), pzp.decode(p.read_bytes())))
            return results
        finally:
            pzp.thread_cleanup()

    with ThreadPoolExecutor(8) as pool:
        for results in pool.map(work, range(0, 8 * 7, 7)):
            for p, a, b in results:
                np.testing.assert_array_equal(a, expected[p])
                np.testing.assert_array_equal(b, expected[p])


def test_threads_without_init_and_repeated_cleanup():
    path = CONFORMANCE / "f_g16_rle_lz4.pzp"
    expected = pzp.read(path)
    errors = []

    def work():
        try:
            for _ in range(50):
                np.testing.assert_array_equal(pzp.read(path), expected)
            pzp.thread_cleanup()
            pzp.thread_cleanup()  # idempotent
            np.testing.assert_array_equal(pzp.read(path), expected)  # recreated on use
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    pzp.thread_init()
    pzp.thread_init()  # idempotent
    pzp.thread_cleanup()


def test_sixteen_threads_on_one_container(tmp_path):
    """16 threads read random frames (and short runs forward, as a player would)
    of one open Container of inter-frame delta frames: each gets the frames it
    asked for."""
    rng = np.random.default_rng(16)
    base = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    frames = [np.roll(base, k, axis=1) ^ np.uint8(k) for k in range(40)]
    path = tmp_path / "shared.pzp"
    pzp.write_container(path, frames, use_inter_delta=True, use_rle=True)
    errors = []
    with pzp.open(path) as container:
        assert container.frame_info(7)["is_delta"]

        def work(seed):
            local = np.random.default_rng(seed)
            try:
                for _ in range(60):
                    start = int(local.integers(0, len(frames)))
                    for k in range(start, min(start + int(local.integers(1, 4)), len(frames))):
                        assert np.array_equal(container[k], frames[k]), f"frame {k}"
                    sl = container[start : start + 3]
                    assert all(np.array_equal(a, frames[start + i]) for i, a in enumerate(sl))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[:3]


def test_decode_after_fork(tmp_path):
    """A forked child decodes with the contexts and the open Container it
    inherited, and with new threads of its own."""
    import os

    frames = [np.full((20, 30), k * 9, np.uint8) + np.arange(30, dtype=np.uint8) for k in range(8)]
    path = tmp_path / "forked.pzp"
    pzp.write_container(path, frames, use_inter_delta=True)
    single = tmp_path / "single.pzp"
    pzp.write(single, frames[3])
    container = pzp.open(path)
    assert np.array_equal(container[5], frames[5])  # the parent's thread context holds frame 5
    pzp.read(single)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        status = 1
        try:
            ok = np.array_equal(pzp.read(single), frames[3])
            ok &= all(np.array_equal(container[k], frames[k]) for k in (6, 2, 7, 0))
            with ThreadPoolExecutor(4) as pool:
                ok &= all(pool.map(lambda k: np.array_equal(pzp.read_frame(path, k), frames[k]), range(8)))
            os.write(write_end, b"ok" if ok else b"wrong pixels")
            status = 0
        except BaseException as e:  # noqa: BLE001 - the parent reports it
            os.write(write_end, repr(e).encode()[:500])
        finally:
            os._exit(status)
    os.close(write_end)
    message = os.read(read_end, 600)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert message == b"ok" and os.waitstatus_to_exitcode(status) == 0, message
    assert np.array_equal(container[6], frames[6])  # the parent is unaffected
    container.close()
