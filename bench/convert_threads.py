"""pzp-convert throughput with 1 and 2 threads, measured in one run.

    python bench/convert_threads.py [FOLDER] [--repeat 5] [--flags "--rle --delta"]

Converts a folder of PNGs (default: the shared corpus's vtest_rgb, 40 frames of
768x576 RGB; else the test suite's crops) to one container, alternating thread
counts so both see the same machine load, and reports the median frames/s,
MB/s of pixels and the 2-thread/1-thread ratio. Every output is checked to be
byte-identical across thread counts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pzp import convert

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT.parent / "shared" / "corpus_seq" / "vtest_rgb", ROOT / "tests" / "data" / "convert" / "vtest_rgb"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=next((p for p in DEFAULT if p.is_dir()), None))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--flags", default="--rle", help="pzp-convert flags, in one argument (default --rle)")
    args = parser.parse_args()
    args.flags = args.flags.split()
    rates: dict = {1: [], 2: []}
    outputs: dict = {}
    with tempfile.TemporaryDirectory(prefix="pzp-bench-") as folder:
        warm_up = [str(args.folder), os.path.join(folder, "warm.pzp"), *args.flags, "--quiet"]
        convert.convert(convert.build_parser().parse_args(warm_up))  # imports, page cache
        for _ in range(args.repeat):
            for threads in (1, 2):
                out = os.path.join(folder, f"t{threads}.pzp")
                argv = [str(args.folder), out, *args.flags, "--threads", str(threads), "--quiet"]
                start = time.perf_counter()
                stats = convert.convert(convert.build_parser().parse_args(argv))
                seconds = time.perf_counter() - start
                rates[threads].append((stats.frames / seconds, stats.raw_bytes / seconds / 1e6))
                outputs.setdefault(threads, Path(out).read_bytes())
                assert Path(out).read_bytes() == outputs[1], "outputs differ between thread counts"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.folder} ({stats.frames} frames), flags {' '.join(args.flags) or 'none'}, "
          f"{os.cpu_count()} cores, load average {load:.2f}, median of {args.repeat}:")
    medians = {}
    for threads, values in rates.items():
        medians[threads] = statistics.median(v[0] for v in values)
        print(f"  {threads} thread{'s' if threads > 1 else ' '}: {medians[threads]:6.1f} frames/s  "
              f"{statistics.median(v[1] for v in values):6.1f} MB/s of pixels")
    print(f"  2 threads / 1 thread: {medians[2] / medians[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
