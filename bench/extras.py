"""The single-number benchmarks: threads, Python overhead per call, encode of a tiny image."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

import pzp

from common import SHARED, median_time, run_climit


def threads(flags: dict, classes=("photo", "anim"), budget: float = 0.5, runs: int = 3) -> list:
    """A list of files decoded with 1 and 2 threads: pzp.read_many, a thread
    pool of pzp.read, and cv2.imread of the same images as PNG. ``runs``
    rounds, each measuring every method with 1 then 2 threads (so a busy
    spell of the shared machine falls on both counts of a round); one row per
    round, method and thread count, with the load average at the time (the
    report takes the median of the rounds' ratios)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    rows: list = []
    with tempfile.TemporaryDirectory(prefix="pzp-bench-threads-") as tmp:
        paths, pngs = [], []
        for cls in classes:
            for k, source in enumerate(sorted((SHARED / "corpus" / cls).glob("*.png"))):
                image = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
                path = Path(tmp) / f"{cls}{k}.pzp"
                pzp.write(path, image, **flags)
                paths.append(path)
                png = Path(tmp) / f"{cls}{k}.png"
                cv2.imwrite(str(png), image)
                pngs.append(str(png))
        files, decoded = len(paths), sum(pzp.info(p)["decoded_bytes"] for p in paths)
        pools = {n: ThreadPoolExecutor(n) for n in (1, 2)}
        methods = {
            "read_many": lambda n: pzp.read_many(paths, threads=n),
            "pool_read": lambda n: list(pools[n].map(pzp.read, paths)),
            "pool_cv2": lambda n: list(pools[n].map(lambda f: cv2.imread(f, cv2.IMREAD_UNCHANGED), pngs)),
        }
        try:
            for run in range(1, runs + 1):
                for method, fn in methods.items():
                    for n in (1, 2):
                        seconds = median_time(lambda f=fn, n=n: f(n), budget=budget)
                        rows.append({"run": run, "method": method, "threads": n, "seconds": seconds, "files": files,
                                     "decoded_bytes": decoded, "load_1min": os.getloadavg()[0]})
        finally:
            for pool in pools.values():
                pool.shutdown()
    return rows


def overhead(climit: Path | None, calls: int = 2000) -> dict:
    """pzp.read of a 4x4 image: time per call in Python and the same read in C
    (open, read, decode: bench/climit.c's file_s); the difference is what the
    Python layer adds. Also read_many and a thread pool per file."""
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(prefix="pzp-bench-tiny-") as tmp:
        path = Path(tmp) / "tiny.pzp"
        pzp.write(path, np.arange(16, dtype=np.uint8).reshape(4, 4))
        paths = [path] * calls
        result = {
            "read_s": median_time(lambda: [pzp.read(path) for _ in range(calls)], budget=0.5) / calls,
            "read_many_s": median_time(lambda: pzp.read_many(paths), budget=0.5) / calls,
        }
        with ThreadPoolExecutor(1) as pool:
            result["pool_read_s"] = median_time(lambda: list(pool.map(pzp.read, paths)), budget=0.5) / calls
        if climit is not None:
            result["c_file_s"] = run_climit(climit, [path], repeat=201)[str(path)]["file_s"]
            result["python_overhead_s"] = result["read_s"] - result["c_file_s"]
        return result
