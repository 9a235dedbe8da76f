"""The single-number benchmarks: threads, Python overhead per call, encode of a tiny image."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

import pzp

from common import SHARED, median_time, run_climit


def threads(flags: dict, classes=("photo", "anim"), budget: float = 1.0) -> dict:
    """A list of files decoded with 1 and 2 threads: pzp.read_many, a thread
    pool of pzp.read, and cv2.imread of the same images as PNG."""
    from concurrent.futures import ThreadPoolExecutor

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
        result = {"files": len(paths), "decoded_bytes": sum(pzp.info(p)["decoded_bytes"] for p in paths)}
        for n in (1, 2):
            result[f"read_many_{n}"] = median_time(lambda n=n: pzp.read_many(paths, threads=n), budget=budget)
            with ThreadPoolExecutor(n) as pool:
                result[f"pool_read_{n}"] = median_time(lambda p=pool: list(p.map(pzp.read, paths)), budget=budget)
                result[f"pool_cv2_{n}"] = median_time(
                    lambda p=pool: list(p.map(lambda f: cv2.imread(f, cv2.IMREAD_UNCHANGED), pngs)), budget=budget)
        return result


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
