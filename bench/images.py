"""Single images: every contender on every image of the corpus classes and the samples.

For each image and contender: file size, decode time (the file in the page
cache: path -> numpy array of the original shape and dtype; median of repeated
runs), encode time (array -> bytes in memory) and an exactness check. PZP
files are also measured by bench/climit.c (read + raw decompress + filter
undo in C, and memcpy), which bounds what pzp.read can reach; for that
comparison pzp.read and climit are each run twice, alternately, and the lower
median of each kept.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import cv2
import numpy as np

import pzp

from common import SHARED, median_time, run_climit

# The PZP flag sets measured on every image (palette only up to 8 byte channels).
PZP_FLAG_SETS = {
    "pzp plain": {},
    "pzp lz4": {"use_lz4": True},
    "pzp rle": {"use_rle": True},
    "pzp rle+lz4": {"use_rle": True, "use_lz4": True},
    "pzp palette": {"use_palette": True},
    "pzp rle+palette": {"use_rle": True, "use_palette": True},
}


def to_rgb(image: np.ndarray) -> np.ndarray:
    """cv2's BGR(A) order as the RGB(A) order other libraries write and return."""
    if image.ndim == 3 and image.shape[2] in (3, 4):
        order = [2, 1, 0, 3][: image.shape[2]]
        return np.ascontiguousarray(image[..., order])
    return image


def is_rgb8(image: np.ndarray) -> bool:
    return image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] in (3, 4)


def contenders(image: np.ndarray) -> list:
    """(name, encode(image) -> bytes, suffix, decode(path) -> array, expected) for
    every contender that can hold this image losslessly. expected is the array
    the decoder must return (other libraries return RGB where cv2 gives BGR)."""
    import imagecodecs
    import pyspng
    import qoi
    import tifffile

    rgb = to_rgb(image)
    found = []
    for name, flags in PZP_FLAG_SETS.items():
        byte_channels = (image.shape[2] if image.ndim == 3 else 1) * image.dtype.itemsize
        if "use_palette" in flags and byte_channels > 8:
            continue
        found.append((name, lambda a, f=flags: pzp.encode(a, **f), ".pzp", lambda p: pzp.read(p), image))
    found.append(("png (cv2)", lambda a: cv2.imencode(".png", a)[1].tobytes(), ".png",
                  lambda p: cv2.imread(str(p), cv2.IMREAD_UNCHANGED), image))
    if image.dtype == np.uint8:  # pyspng 0.1.4 returns a wrong shape for 16-bit PNGs
        found.append(("png (pyspng)", None, ".png", lambda p: pyspng.load(Path(p).read_bytes()), rgb))
    if is_rgb8(image):
        found.append(("qoi", lambda a: qoi.encode(np.ascontiguousarray(to_rgb(a))), ".qoi", lambda p: qoi.read(str(p)),
                      rgb))
        found.append(("webp lossless", lambda a: imagecodecs.webp_encode(to_rgb(a), lossless=True, numthreads=1),
                      ".webp", lambda p: imagecodecs.webp_decode(Path(p).read_bytes()), rgb))
    found.append(("jpegxl e1", lambda a: imagecodecs.jpegxl_encode(to_rgb(a), lossless=True, effort=1, numthreads=1),
                  ".jxl", lambda p: imagecodecs.jpegxl_decode(Path(p).read_bytes(), numthreads=1), rgb))

    def tiff(a):
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, a, compression="zstd", predictor=True)
        return buffer.getvalue()

    found.append(("tiff zstd+pred", tiff, ".tif", lambda p: tifffile.imread(p, maxworkers=1), image))

    def npy(a):
        buffer = io.BytesIO()
        np.save(buffer, a)
        return buffer.getvalue()

    found.append(("npy", npy, ".npy", lambda p: np.load(p), image))
    return found


def images(corpus: Path, samples: Path, classes=None):
    """(class, path) of every image: the samples, then each corpus class."""
    if classes is None or "samples" in classes:
        for path in sorted(samples.glob("*.p?m")):
            yield "samples", path
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        if classes is None or folder.name in classes:
            for path in sorted(folder.glob("*.png")):
                yield folder.name, path


def measure_image(cls: str, path: Path, tmp: Path, climit: Path | None, budget: float) -> list:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    rows = []
    pzp_files = {}
    png_file = tmp / "x.png"
    for name, encode, suffix, decode, expected in contenders(image):
        target = tmp / f"x.{name.replace(' ', '_').replace('+', '_').replace('(', '').replace(')', '')}{suffix}"
        encode_s = None
        if encode is not None:
            data = encode(image)
            encode_s = median_time(lambda e=encode: e(image), budget=budget, min_runs=3)
            target.write_bytes(data)
        else:  # decodes the file another contender wrote
            target = png_file
        if name == "png (cv2)":
            png_file = target
        decoded = decode(target)
        exact = isinstance(decoded, np.ndarray) and decoded.dtype == expected.dtype and np.array_equal(decoded, expected)
        decode_s = median_time(lambda d=decode, t=target: d(t), budget=budget)
        row = {"class": cls, "image": path.name, "contender": name, "shape": "x".join(map(str, image.shape)),
               "dtype": str(image.dtype), "raw_bytes": image.nbytes, "file_bytes": target.stat().st_size,
               "decode_s": decode_s, "encode_s": encode_s, "exact": exact}
        if name.startswith("pzp"):
            # keep each PZP file for climit
            kept = tmp / f"{len(pzp_files)}.pzp"
            target.replace(kept)
            pzp_files[name] = kept
        rows.append(row)
    if climit is not None and pzp_files:
        # pzp.read and its C limit are compared image by image, so each is
        # measured twice, alternately, and the lower median kept: a busy spell
        # of the shared machine then has to hit both measurements of a side.
        first = run_climit(climit, list(pzp_files.values()))
        for row in rows:
            if row["contender"] in pzp_files:
                kept = pzp_files[row["contender"]]
                row["decode_s"] = min(row["decode_s"], median_time(lambda k=kept: pzp.read(k), budget=budget))
        second = run_climit(climit, list(pzp_files.values()))
        limits = {f: {k: min(v, second[f][k]) if k.endswith("_s") else v for k, v in first[f].items()} for f in first}
        for row in rows:
            if row["contender"] in pzp_files:
                c = limits[str(pzp_files[row["contender"]])]
                row.update({f"c_{k}": c[k] for k in ("read_s", "raw_s", "memcpy_s", "undo_s", "decode_s", "file_s")})
                row["c_limit_s"] = c["read_s"] + c["raw_s"] + c["undo_s"]
    for f in pzp_files.values():
        f.unlink()
    return rows


def run(climit: Path | None, budget: float = 0.1, classes=None, log=print) -> list:
    rows: list = []
    with tempfile.TemporaryDirectory(prefix="pzp-bench-") as tmp:
        for cls, path in images(SHARED / "corpus", SHARED / "samples", classes):
            rows.extend(measure_image(cls, path, Path(tmp), climit, budget))
            log(f"  {cls}/{path.name}")
    return rows
