"""Sequences: the real sequences of shared/corpus_seq in every contender's container.

For each sequence and contender: bytes on disk, time to open lazily (shape and
dtype known, no frame decoded), random frame access (mean over a fixed random
order of frames, the same for every contender), and a full pass over all
frames with 1 and 2 threads. Every contender is checked to give back the
frames exactly.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

import pzp

from common import SHARED, median_time

# PZP flag sets per sequence; the writer's default key-frame interval (30) applies to +delta.
PZP_SETS = {
    "pzp rle": {"use_rle": True},
    "pzp rle+lz4": {"use_rle": True, "use_lz4": True},
    "pzp rle, zstd 5": {"use_rle": True, "level": 5},
    "pzp rle, zstd 19": {"use_rle": True, "level": 19},
    # no filter: label maps are runs of equal values, which zstd takes whole; the
    # left filter's undo was 60 % of a labelme frame's decode, for a larger file
    "pzp zstd 19": {"level": 19},
    "pzp rle+delta": {"use_rle": True, "use_inter_delta": True},
    "pzp rle+delta (no key frames)": {"use_rle": True, "use_inter_delta": True, "keyframe_interval": 0},
    "pzp palette": {"use_palette": True},
}


def load(folder: Path) -> np.ndarray:
    frames = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.glob("*.png"))]
    return np.stack(frames)


def folder_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


class Contender:
    """write(frames, path); open(path) -> handle with frame(i), count; close."""

    name = ""
    suffix = ""

    def write(self, frames: np.ndarray, path: Path) -> None:
        raise NotImplementedError

    def open(self, path: Path):
        raise NotImplementedError

    def frame(self, handle, index: int) -> np.ndarray:
        raise NotImplementedError

    def close(self, handle) -> None:
        pass

    def full_pass(self, handle, count: int, threads: int) -> None:
        """Every frame once; with threads > 1 each thread takes a contiguous run
        on long-lived threads (a pool started per pass would time thread starts
        and the cold heaps of new threads, not decoding)."""
        if threads == 1:
            for i in range(count):
                self.frame(handle, i)
            return
        bounds = [count * k // threads for k in range(threads + 1)]
        list(_pool(threads).map(lambda k: [self.frame(handle, i) for i in range(bounds[k], bounds[k + 1])],
                                range(threads)))


_pools: dict = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    if threads not in _pools:
        _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix=f"bench-{threads}")
    return _pools[threads]


class PZP(Contender):
    suffix = ".pzp"

    def __init__(self, name: str, options: dict):
        self.name = name
        self.options = options

    def write(self, frames, path):
        pzp.write_container(path, frames, **self.options)

    def open(self, path):
        c = pzp.open(path)
        c.shape, c.dtype  # noqa: B018 - what a lazy viewer asks first
        return c

    def frame(self, handle, index):
        return handle[index]

    def close(self, handle):
        handle.close()

    def full_pass(self, handle, count, threads):
        # the library's own path: each thread a run from a key frame, straight into one array
        handle.read_many(threads=threads)


class TIFF(Contender):
    name = "tiff zstd+pred"
    suffix = ".tif"

    def write(self, frames, path):
        import tifffile

        tifffile.imwrite(path, frames, compression="zstd", predictor=True, photometric=None if frames.ndim == 3 else
                         "rgb", metadata=None)

    def open(self, path):
        import tifffile
        import zarr

        tif = tifffile.TiffFile(path)
        store = tif.aszarr()
        array = zarr.open(store, mode="r")
        array.shape, array.dtype  # noqa: B018
        return tif, store, array

    def frame(self, handle, index):
        return handle[2][index]

    def close(self, handle):
        handle[1].close()
        handle[0].close()

    def full_pass(self, handle, count, threads):
        import dask
        import dask.array as da

        with dask.config.set(scheduler="threads", num_workers=threads):
            da.from_zarr(handle[2]).compute()


class Zarr(Contender):
    name = "zarr zstd"
    suffix = ".zarr"

    def write(self, frames, path):
        import zarr

        array = zarr.create_array(str(path), shape=frames.shape, dtype=frames.dtype,
                                  chunks=(1,) + frames.shape[1:], compressors=zarr.codecs.ZstdCodec(level=3))
        array[:] = frames

    def open(self, path):
        import zarr

        array = zarr.open_array(str(path), mode="r")
        array.shape, array.dtype  # noqa: B018
        return array

    def frame(self, handle, index):
        return handle[index]

    def full_pass(self, handle, count, threads):
        import dask
        import dask.array as da

        with dask.config.set(scheduler="threads", num_workers=threads):
            da.from_zarr(handle).compute()


class HDF5(Contender):
    suffix = ".h5"

    def __init__(self, name: str, compression):
        self.name = name
        self.compression = compression

    def write(self, frames, path):
        import h5py

        kwargs = self.compression() if callable(self.compression) else {"compression": self.compression}
        with h5py.File(path, "w") as f:
            f.create_dataset("frames", data=frames, chunks=(1,) + frames.shape[1:], **kwargs)

    def open(self, path):
        import h5py

        # No chunk cache: random access and full passes then measure decoding,
        # not frames kept decoded from an earlier pass (PZP keeps none either).
        f = h5py.File(path, "r", rdcc_nbytes=0)
        d = f["frames"]
        d.shape, d.dtype  # noqa: B018
        return f, d

    def frame(self, handle, index):
        return handle[1][index]

    def close(self, handle):
        handle[0].close()


class PNGFolder(Contender):
    name = "png folder (cv2)"
    suffix = ""

    def write(self, frames, path):
        path.mkdir()
        for i, frame in enumerate(frames):
            cv2.imwrite(str(path / f"{i:05d}.png"), frame)

    def open(self, path):
        files = sorted(path.glob("*.png"))
        first = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)  # shape and dtype need one frame
        return files, (len(files),) + first.shape, first.dtype

    def frame(self, handle, index):
        return cv2.imread(str(handle[0][index]), cv2.IMREAD_UNCHANGED)


class NPY(Contender):
    name = "npy memmap"
    suffix = ".npy"

    def write(self, frames, path):
        np.save(path, frames)

    def open(self, path):
        return np.load(path, mmap_mode="r")

    def frame(self, handle, index):
        return np.array(handle[index])

    def close(self, handle):
        handle._mmap.close()


def contenders() -> list:
    import hdf5plugin

    found: list = [PZP(name, options) for name, options in PZP_SETS.items()]
    found += [TIFF(), Zarr(), HDF5("hdf5 gzip", "gzip"), HDF5("hdf5 lzf", "lzf"),
              HDF5("hdf5 zstd", lambda: dict(hdf5plugin.Zstd())), PNGFolder(), NPY()]
    return found


def measure(name: str, frames: np.ndarray, tmp: Path, budget: float, randoms: int) -> list:
    rows = []
    count = len(frames)
    order = random.Random(0).sample(range(count), min(randoms, count))
    for contender in contenders():
        byte_channels = (frames.shape[3] if frames.ndim == 4 else 1) * frames.dtype.itemsize
        if contender.name == "pzp palette" and byte_channels > 8:
            continue
        path = tmp / f"seq{contender.suffix}"
        start = time.perf_counter()
        contender.write(frames, path)
        write_s = time.perf_counter() - start
        handle = contender.open(path)
        try:
            exact = all(np.array_equal(contender.frame(handle, i), frames[i]) for i in range(count))
            if isinstance(contender, PZP):  # the full pass's path too
                exact = exact and np.array_equal(handle.read_many(threads=2), frames)
            open_s = median_time(lambda c=contender: c.close(c.open(path)), budget=budget, min_runs=3)

            def random_pass(c=contender, h=handle):
                for i in order:
                    c.frame(h, i)

            if isinstance(contender, PZP) and contender.options.get("use_inter_delta"):
                # a fresh context: no frame of an earlier pass is cached (only a
                # delta frame uses the cache; re-creating the context costs ~20 us)
                def random_pass(c=contender, h=handle):  # noqa: F811
                    pzp.thread_cleanup()
                    for i in order:
                        c.frame(h, i)

            random_s = median_time(random_pass, budget=budget, min_runs=3) / len(order)
            full = {}
            for threads in (1, 2):
                full[threads] = median_time(lambda c=contender, h=handle, t=threads: c.full_pass(h, count, t),
                                            budget=budget, min_runs=2, max_runs=5)
        finally:
            contender.close(handle)
        rows.append({"sequence": name, "contender": contender.name, "frames": count,
                     "frame_shape": "x".join(map(str, frames.shape[1:])), "dtype": str(frames.dtype),
                     "raw_bytes": frames.nbytes, "file_bytes": folder_bytes(path), "write_s": write_s,
                     "open_s": open_s, "random_frame_s": random_s, "full_1thread_s": full[1],
                     "full_2threads_s": full[2], "exact": exact})
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return rows


def run(budget: float = 0.3, randoms: int = 20, sequences=None, log=print) -> list:
    rows: list = []
    with tempfile.TemporaryDirectory(prefix="pzp-bench-seq-") as tmp:
        for folder in sorted(p for p in (SHARED / "corpus_seq").iterdir() if p.is_dir()):
            if sequences is not None and folder.name not in sequences:
                continue
            frames = load(folder)
            rows.extend(measure(folder.name, frames, Path(tmp), budget, randoms))
            log(f"  {folder.name}")
    return rows


def open_large_container(frames: int = 1000, repeat: int = 7) -> dict:
    """Opening a 1,000-frame 640x480 uint16 container: pzp.open + len + shape +
    dtype, no frame decoded. Frames: slices of the confocal volume of the
    corpus tiled to 640x480, a different slice each frame."""
    volume = load(SHARED / "corpus_seq" / "micro_nuclei3d_u16")
    tile = np.tile(volume, (1, 2, 3))[:, :480, :640]
    with tempfile.TemporaryDirectory(prefix="pzp-bench-open-") as tmp:
        path = Path(tmp) / "big.pzp"
        with pzp.ContainerWriter(path, use_rle=True, expected_frames=frames, durable=False) as w:
            for i in range(frames):
                w.append(tile[i % len(tile)])

        def open_query():
            with pzp.open(path) as c:
                return len(c), c.shape, c.dtype

        result = open_query()
        times = [median_time(open_query, budget=0.0, min_runs=1, max_runs=1) for _ in range(repeat)]
        return {"frames": frames, "shape": str(result[1]), "dtype": str(result[2]),
                "file_bytes": path.stat().st_size, "open_s": statistics.median(times)}


__all__ = ["open_large_container", "run"]
