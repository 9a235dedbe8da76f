"""The napari part of the demo: write a container from the sample data, open it
with the plugin in a napari viewer, and save a screenshot.

    python -m napari_pzp.demo [--out FOLDER]

Needs a display (run it under ``xvfb-run`` on a machine without one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import pzp

from ._sample_data import nuclei_labels, nuclei_stack
from ._writer import write_layer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m napari_pzp.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/demo"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    # A demo container from the sample data: the 16-bit nuclei slices, written
    # by the plugin's writer (which stores statistics for the contrast window).
    (data, kwargs, _), = nuclei_stack()
    container = args.out / "nuclei.pzp"
    write_layer(str(container), data, {**kwargs, "metadata": {}}, "image")
    (labels, labels_kwargs, _), = nuclei_labels()
    labels_file = args.out / "nuclei_labels.pzp"
    write_layer(str(labels_file), labels, {**labels_kwargs, "metadata": {}}, "labels")

    import napari

    viewer = napari.Viewer(show=False, title="napari-pzp demo")
    viewer.window.resize(1280, 860)
    start = time.perf_counter()
    image_layer, = viewer.open(str(container), plugin="napari-pzp")
    label_layer, = viewer.open(str(labels_file), plugin="napari-pzp")
    opened = time.perf_counter() - start
    label_layer.opacity = 0.4
    middle = data.shape[0] // 2
    viewer.dims.set_current_step(0, middle)
    viewer.reset_view()
    shown = np.asarray(image_layer.data[middle])
    assert np.array_equal(shown, data[middle]), "the viewer shows a different frame"
    screenshot = args.out / "napari.png"
    viewer.screenshot(str(screenshot), canvas_only=False)
    viewer.close()
    print(f"napari: wrote {container} ({container.stat().st_size:,} bytes, {len(pzp.open(container))} frames), "
          f"opened it and its labels in {opened * 1e3:.0f} ms as '{image_layer.name}' "
          f"(contrast {image_layer.contrast_limits}) and '{label_layer.name}' ({type(label_layer).__name__}); "
          f"screenshot of frame {middle}: {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
