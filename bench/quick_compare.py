"""PZP against PNG through OpenCV, per image class, in one run.

    python bench/quick_compare.py [--corpus DIR] [--samples DIR] [--repeat N]

For every image: file size and decode time (file in the page cache, path ->
numpy array, median of N runs) of pzp.read for a few flag sets, and of
cv2.imread of the same image saved by cv2.imwrite as PNG with OpenCV's
defaults. Prints one table per class: total bytes relative to PNG and the
median decode speed-up over PNG. Verifies every decode is exact.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import pzp

FLAG_SETS = {
    "plain": {},
    "rle": {"use_rle": True},
    "rle+lz4": {"use_rle": True, "use_lz4": True},
    "rle+palette": {"use_rle": True, "use_palette": True},
}


def median_time(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def images(corpus: Path, samples: Path):
    for path in sorted(samples.glob("*.p?m")):
        yield "samples", path
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.png")):
            yield folder.name, path


def measure(path: Path, tmp: Path, repeat: int) -> dict:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    png = tmp / "x.png"
    cv2.imwrite(str(png), image)
    row = {"png_bytes": png.stat().st_size, "png_s": median_time(lambda: cv2.imread(str(png), cv2.IMREAD_UNCHANGED),
                                                                  repeat)}
    for label, flags in FLAG_SETS.items():
        out = tmp / f"x.{label}.pzp"
        try:
            pzp.write(out, image, **flags)
        except pzp.PZPValueError:  # palette on more than 8 byte channels
            continue
        assert np.array_equal(pzp.read(out), image), (path, label)
        row[label] = (out.stat().st_size, median_time(lambda o=out: pzp.read(o), repeat))
    return row


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=here.parent.parent / "shared" / "corpus")
    parser.add_argument("--samples", type=Path, default=here.parent.parent / "shared" / "samples")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cls, path in images(args.corpus, args.samples):
            results.setdefault(cls, []).append(measure(path, Path(tmp), args.repeat))
    print(f"pzp {pzp.__version__} (libpzp {pzp.library_version}) vs cv2.imread of PNG (OpenCV {cv2.__version__})")
    print("size = total bytes / total PNG bytes; speed-up = median over images of PNG decode time / PZP decode time")
    header = f"{'class':<8} {'n':>3} {'PNG MB':>7} {'PNG ms':>7} | " + " | ".join(
        f"{label:>11} size  x" for label in FLAG_SETS)
    print(header)
    for cls, rows in results.items():
        png_total = sum(r["png_bytes"] for r in rows)
        cells = []
        for label in FLAG_SETS:
            usable = [r for r in rows if label in r]
            if len(usable) < len(rows):
                cells.append(f"{'-':>19}")
                continue
            size = sum(r[label][0] for r in rows) / png_total
            speed = statistics.median(r["png_s"] / r[label][1] for r in rows)
            cells.append(f"{size:>17.2f} {speed:>5.1f}")
        png_ms = statistics.median(r["png_s"] for r in rows) * 1e3
        print(f"{cls:<8} {len(rows):>3} {png_total / 1e6:>7.2f} {png_ms:>7.2f} | " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
