"""What verifying the frame checksum costs a decode (the evidence behind
reading with verify=False by default).

    python bench/verify_cost.py [--budget SECONDS]

Every image of the corpus classes and the samples, written with use_rle:
pzp.decode with verify=True over verify=False, per image, summarised per class
(median, lowest, highest). Writes bench/results/verify_cost.csv.
"""

from __future__ import annotations

import argparse
import statistics

import cv2

import pzp
import pzp.samples
from common import HERE, SHARED, environment, median_time, write_csv

CLASSES = ("photo", "gray", "label", "depth16", "rgba", "anim")


def images():
    for cls in CLASSES:
        for path in sorted((SHARED / "corpus" / cls).glob("*.png")):
            yield cls, path, cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    for image in pzp.samples.names():
        yield "samples", image, pzp.samples.load(image)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.1, help="seconds of timing per image and mode")
    args = parser.parse_args()
    rows = []
    for cls, name, image in images():
        data = pzp.encode(image, use_rle=True)
        plain = median_time(lambda: pzp.decode(data), budget=args.budget)
        verified = median_time(lambda: pzp.decode(data, verify=True), budget=args.budget)
        rows.append({"class": cls, "image": getattr(name, "name", name), "decoded_bytes": image.nbytes,
                     "decode_s": plain, "decode_verify_s": verified, "ratio": round(verified / plain, 3)})
    write_csv(HERE / "results" / "verify_cost.csv", rows, environment())
    print("| class | images | verify=True / verify=False: median | lowest | highest |")
    print("|---|---:|---:|---:|---:|")
    for cls in (*CLASSES, "samples", "all"):
        ratios = [r["ratio"] for r in rows if cls in ("all", r["class"])]
        print(f"| {cls} | {len(ratios)} | {statistics.median(ratios):.2f} | {min(ratios):.2f} | {max(ratios):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
