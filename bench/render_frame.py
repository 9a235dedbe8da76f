"""What showing one frame of a 640 x 480 uint16 sequence costs in SequenceBrowser:
decode + contrast window/colormap + image encoding, per step and in total
(median of many frames), for grey and colour, JPEG (playing) and PNG (idle).

    python bench/render_frame.py [--frames 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import pzp
import pzp.samples
from napari_pzp import PZPStack, render


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args(argv)
    depth = np.pad(pzp.samples.load("depth16"), ((60, 60), (0, 0)), mode="reflect")  # 480 x 640, real depth
    frames = [np.roll(depth, 3 * k, axis=1) for k in range(args.frames)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "depth.pzp"
        pzp.write_container(path, frames, use_rle=True)
        stack = PZPStack(path)
        print(f"one 480x640 uint16 frame, median over {args.frames} frames (ms)")
        print(f"{'colormap':<22} {'format':<5} {'decode':>7} {'window':>7} {'encode':>7} {'total':>7} {'KB':>5}")
        for colormap in ("gray", "turbo (zeros apart)"):
            table = render.display_table(np.uint16, 200, 4000, colormap)
            for fmt in ("jpeg", "png"):
                steps = {"decode": [], "window": [], "encode": []}
                size = 0
                for k in range(args.frames):
                    t0 = time.perf_counter()
                    frame = stack[k]
                    t1 = time.perf_counter()
                    shown = render.to_display(frame, table)
                    t2 = time.perf_counter()
                    data = render.encode(shown, fmt)
                    t3 = time.perf_counter()
                    steps["decode"].append(t1 - t0)
                    steps["window"].append(t2 - t1)
                    steps["encode"].append(t3 - t2)
                    size = len(data)
                med = {k: statistics.median(v) * 1e3 for k, v in steps.items()}
                print(f"{colormap:<22} {fmt:<5} {med['decode']:>7.2f} {med['window']:>7.2f} {med['encode']:>7.2f} "
                      f"{sum(med.values()):>7.2f} {size // 1024:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
