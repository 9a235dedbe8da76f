"""napari-pzp: PZP images and sequences in napari, lazy frame stacks, notebook widgets.

    from napari_pzp import PZPStack, imread
    stack = PZPStack("depth.pzp")     # numpy-like, decodes the frames you index
    darr = imread("frames/*.pzp")     # dask array, one chunk per frame

The napari reader, writers, sample data and dock widgets are declared in
napari.yaml (this package's manifest); notebook widgets are in
``napari_pzp.widgets`` (imported only when used).
"""

from __future__ import annotations

from ._writer import write_layer
from .stack import PZPStack, imread

__version__ = "1.0.0"

__all__ = ["PZPStack", "__version__", "imread", "write_layer"]
