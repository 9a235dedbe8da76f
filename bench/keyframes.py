"""How the key-frame interval trades size for random access (the evidence
behind pzp.DEFAULT_KEYFRAME_INTERVAL).

    python bench/keyframes.py [SEQUENCE_FOLDER ...] [--repeat N]

For each folder of PNG frames (default: the corpus's static-camera vtest video,
and the panning bikes video): an inter-delta container (use_rle) per key-frame
interval, its size relative to delta without key frames, the worst and mean
number of frames a random access decodes, and frames per second in order and at
random (a fresh thread context per random read, so the chain is paid in full).
Writes bench/results/keyframes.csv.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pzp
from common import HERE, SHARED, environment, write_csv
from container_compare import load, rates

DEFAULT = [SHARED / "corpus_seq" / "vtest_rgb", SHARED / "corpus_seq" / "bikes_rgb"]
INTERVALS = (0, 10, 30, 60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for folder in args.folders:
        frames, _ = load(folder)
        n = len(frames)
        print(f"\n{folder.name}: {n} frames of {frames[0].shape}")
        print("| key-frame interval | MB | vs delta only | decodes per random frame (worst / mean) | seq fps | random fps |")
        print("|---:|---:|---:|---:|---:|---:|")
        base = None
        with tempfile.TemporaryDirectory(prefix="pzp-bench-keyframes-") as tmp:
            for interval in INTERVALS:
                path = Path(tmp) / f"k{interval}.pzp"
                pzp.write_container(path, frames, use_rle=True, use_inter_delta=True, keyframe_interval=interval,
                                    durable=False)
                size = path.stat().st_size
                base = base or size
                chain = [k % interval + 1 if interval else k + 1 for k in range(n)]  # key frame .. k
                seq_fps, random_fps = rates(path, args.repeat)
                rows.append({"sequence": folder.name, "frames": n, "keyframe_interval": interval, "bytes": size,
                             "vs_delta_only": round(size / base, 4), "worst_decodes": max(chain),
                             "mean_decodes": round(sum(chain) / n, 2), "seq_fps": round(seq_fps, 1),
                             "random_fps": round(random_fps, 1)})
                r = rows[-1]
                print(f"| {interval or 'none'} | {size / 1e6:.2f} | {r['vs_delta_only']:.3f} | "
                      f"{r['worst_decodes']} / {r['mean_decodes']} | {r['seq_fps']:.0f} | {r['random_fps']:.0f} |")
    write_csv(HERE / "results" / "keyframes.csv", rows, environment())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
