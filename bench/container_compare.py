"""Container size and frame rates per flag set, with and without inter-frame delta.

    python bench/container_compare.py [SEQUENCE_FOLDER ...] [--repeat N]

For each folder of numbered PNG frames (default: the corpus's vtest video
frames and a 16-bit confocal volume): bytes of the container per flag set
(relative to the PNG frames), and frames per second reading it in order and
at random (a fresh thread context per random read, so the inter-delta chain
back to a key frame is paid in full).
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import pzp

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
DEFAULT = [SHARED / "corpus" / "anim" / "vtest_*.png", SHARED / "corpus_seq" / "micro_nuclei3d_u16" / "*.png"]


def load(pattern: Path) -> tuple:
    paths = sorted(pattern.parent.glob(pattern.name)) if "*" in pattern.name else sorted(pattern.glob("*.png"))
    frames = []
    for p in paths:
        image = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image)
    return frames, sum(p.stat().st_size for p in paths)


def rates(path: Path, repeat: int) -> tuple:
    with pzp.open(path) as c:
        n = len(c)
        best_seq = best_rand = float("inf")
        for _ in range(repeat):
            pzp.thread_cleanup()
            start = time.perf_counter()
            for k in range(n):
                c[k]
            best_seq = min(best_seq, time.perf_counter() - start)
            order = list(range(n))
            random.Random(0).shuffle(order)
            elapsed = 0.0
            for k in order:
                pzp.thread_cleanup()  # no cached previous frame
                start = time.perf_counter()
                c[k]
                elapsed += time.perf_counter() - start
            best_rand = min(best_rand, elapsed)
    return n / best_seq, n / best_rand


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequences", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for pattern in args.sequences:
        frames, png_bytes = load(pattern)
        shape = frames[0].shape
        print(f"\n{pattern}: {len(frames)} frames {shape} {frames[0].dtype}, PNG frames {png_bytes / 1e6:.2f} MB")
        print(f"{'flags':<22} {'MB':>7} {'vs PNG':>7} {'seq fps':>9} {'random fps':>11}")
        with tempfile.TemporaryDirectory() as tmp:
            for rle, lz4, delta in itertools.product((False, True), (False, True), (False, True)):
                flags = dict(use_rle=rle, use_lz4=lz4, use_inter_delta=delta)
                label = "+".join(k[4:] for k, v in flags.items() if v) or "plain"
                path = Path(tmp) / "c.pzp"
                pzp.write_container(path, frames, **flags)
                assert all(np.array_equal(a, b) for a, b in zip(pzp.read_frames(path), frames))
                size = path.stat().st_size
                seq, rnd = rates(path, args.repeat)
                print(f"{label:<22} {size / 1e6:>7.2f} {size / png_bytes:>7.2f} {seq:>9.0f} {rnd:>11.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
