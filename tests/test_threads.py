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
