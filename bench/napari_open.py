"""Opening a long 16-bit sequence in napari, and browsing it: PZP against a
zstd-compressed TIFF read with tifffile + zarr + dask, in one run.

    python bench/napari_open.py [--frames 1000] [--repeat 200]

The sequence: 1,000 frames of 480 x 640 uint16 made from the reference's real
depth map (reflect-padded to 480 rows, panned one column per frame), so the
pixels are real depth values and consecutive frames differ as a panning camera's.
Reports: reader call to layer added (napari's ViewerModel, no rendering), and
the median time of one frame as the array napari browses (PZPStack[i] or the
zarr array) and through dask (arr[i].compute()).
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


def make_frames(count: int) -> np.ndarray:
    depth = pzp.samples.load("depth16")  # 360 x 640
    tall = np.pad(depth, ((60, 60), (0, 0)), mode="reflect")  # 480 x 640
    return np.stack([np.roll(tall, k, axis=1) for k in range(count)])


def median_ms(fn, repeat: int, indices) -> float:
    times = []
    for k in range(repeat):
        i = indices[k % len(indices)]
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    import dask.array as da
    import npe2
    import tifffile
    import zarr
    from napari.components import ViewerModel

    import napari_pzp._reader as reader
    from napari_pzp import PZPStack, write_layer

    frames = make_frames(args.frames)
    rng = np.random.default_rng(0)
    indices = [int(i) for i in rng.integers(0, args.frames, args.repeat)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pzp_path = Path(tmp) / "seq.pzp"
        write_layer(str(pzp_path), frames, {"name": "seq", "metadata": {"pzp": {"delays": [33] * args.frames}}},
                    "image")
        tif_path = Path(tmp) / "seq.tif"
        tifffile.imwrite(tif_path, frames, compression="zstd", predictor=True, photometric="minisblack")

        # reader call to layer added, lazily (no frame decoded for PZP: stored statistics);
        # napari is warmed up first, and each open is the median of 5 fresh viewers
        reader.settings = lambda: (0, "stored")
        npe2.PluginManager.instance().discover()
        ViewerModel().add_image(np.zeros((2, 8, 8), np.uint16))

        def open_pzp():
            layer, = ViewerModel().open(str(pzp_path), plugin="napari-pzp")
            assert isinstance(layer.data, PZPStack)

        def open_tif():
            z = zarr.open(tifffile.imread(tif_path, aszarr=True), mode="r")
            ViewerModel().add_image(da.from_zarr(z), contrast_limits=(0, 65535), name="tif")

        pzp_open = median_ms(lambda _: open_pzp(), 5, [0]) / 1e3
        tif_open = median_ms(lambda _: open_tif(), 5, [0]) / 1e3
        store = tifffile.imread(tif_path, aszarr=True)
        z = zarr.open(store, mode="r")
        tif_dask = da.from_zarr(z)

        stack = PZPStack(pzp_path)
        pzp_dask = stack.to_dask()
        for i in indices[:5]:  # warm
            stack[i], pzp_dask[i].compute(), z[i], tif_dask[i].compute()
        assert np.array_equal(stack[7], frames[7]) and np.array_equal(z[7], frames[7])
        rows = [
            ("PZP (rle, gradient)", pzp_path.stat().st_size, pzp_open,
             median_ms(lambda i: stack[i], args.repeat, indices),
             median_ms(lambda i: pzp_dask[i].compute(), args.repeat, indices)),
            ("TIFF zstd+predictor", tif_path.stat().st_size, tif_open,
             median_ms(lambda i: z[i], args.repeat, indices),
             median_ms(lambda i: tif_dask[i].compute(), args.repeat, indices)),
        ]
        store.close()
    raw = frames.nbytes
    print(f"{args.frames} frames of 480x640 uint16 ({raw / 1e6:.0f} MB raw); random frames, median of {args.repeat}")
    print(f"{'format':<22} {'MB':>7} {'ratio':>6} {'open -> layer ms':>17} {'frame ms (array)':>17} "
          f"{'frame ms (dask)':>16}")
    for name, size, opened, direct, via_dask in rows:
        print(f"{name:<22} {size / 1e6:>7.1f} {raw / size:>6.2f} {opened * 1e3:>17.1f} {direct:>17.2f} "
              f"{via_dask:>16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
