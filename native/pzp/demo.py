"""The demo: every sample image through every flag set.

    python -m pzp.demo [--out FOLDER] [--repeat N]

Writes each sample as .pzp with each flag set, reads it back, checks the
pixels are exact, and prints size, size relative to PNG (OpenCV's encoder with
its defaults, when OpenCV is installed) and decode time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import pzp
import pzp.samples

FLAG_SETS = [
    ("none", {}),
    ("rle", {"use_rle": True}),
    ("palette", {"use_palette": True}),
    ("rle+palette", {"use_rle": True, "use_palette": True}),
    ("lz4", {"use_lz4": True}),
    ("rle+lz4", {"use_rle": True, "use_lz4": True}),
    ("rle+palette+lz4", {"use_rle": True, "use_palette": True, "use_lz4": True}),
]


def png_size(image: np.ndarray) -> int | None:
    """Bytes of the image as a PNG from OpenCV's encoder with default settings."""
    try:
        import cv2
    except ImportError:
        return None
    bgr = image[..., ::-1] if image.ndim == 3 and image.shape[2] in (3, 4) else image
    if image.ndim == 3 and image.shape[2] == 4:
        bgr = image[..., [2, 1, 0, 3]]
    ok, data = cv2.imencode(".png", np.ascontiguousarray(bgr))
    return len(data) if ok else None


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def run(out: Path, repeat: int) -> list:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in pzp.samples.names():
        image = pzp.samples.load(name)
        png = png_size(image)
        for label, flags in FLAG_SETS:
            path = out / f"{name}.{label}.pzp"
            pzp.write(path, image, **flags)
            decoded = pzp.read(path)
            exact = decoded.dtype == image.dtype and np.array_equal(decoded, image)
            seconds = median_seconds(lambda p=path: pzp.read(p), repeat)
            size = path.stat().st_size
            rows.append({
                "sample": name, "flags": label, "bytes": size, "png_bytes": png,
                "vs_png": size / png if png else None, "decode_ms": seconds * 1e3,
                "mb_s": image.nbytes / seconds / 1e6, "exact": exact,
            })
    return rows


def format_table(rows: list) -> str:
    header = f"{'sample':<9} {'flags':<16} {'bytes':>9} {'PNG bytes':>10} {'vs PNG':>7} {'decode ms':>10} {'MB/s':>8}  exact"
    lines = [header, "-" * len(header)]
    for r in rows:
        png = f"{r['png_bytes']:>10}" if r["png_bytes"] else f"{'-':>10}"
        ratio = f"{r['vs_png']:>7.2f}" if r["vs_png"] else f"{'-':>7}"
        lines.append(f"{r['sample']:<9} {r['flags']:<16} {r['bytes']:>9} {png} {ratio} "
                     f"{r['decode_ms']:>10.3f} {r['mb_s']:>8.0f}  {'yes' if r['exact'] else 'NO'}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pzp.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/demo"), help="folder for the .pzp files")
    parser.add_argument("--repeat", type=int, default=15, help="decodes timed per file (median)")
    args = parser.parse_args(argv)
    rows = run(args.out, args.repeat)
    print(f"PZP demo: {len(pzp.samples.names())} sample images x {len(FLAG_SETS)} flag sets, "
          f"libpzp {pzp.library_version}; files in {args.out}/")
    table = format_table(rows)
    print(table, end="")
    (args.out / "table.txt").write_text(table)  # beside the files (and the napari demo's screenshot)
    failed = [r for r in rows if not r["exact"]]
    if failed:
        print(f"{len(failed)} round trips were NOT exact", file=sys.stderr)
        return 1
    print(f"all {len(rows)} round trips exact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
