"""napari sample data: the reference's depth map and segmentation, and short
real sequences (see samples/SOURCES.md). Each is opened through the reader, so
it arrives exactly as the file would."""

from __future__ import annotations

from pathlib import Path

import pzp.samples

from ._reader import read

FOLDER = Path(__file__).resolve().parent / "samples"


def depth_map() -> list:
    """The reference project's 16-bit depth frame (a real single depth map)."""
    return read(str(pzp.samples.path("depth16")))


def depth_rgb() -> list:
    """The colour image matching the depth map."""
    return read(str(pzp.samples.path("rgb8")))


def segmentation() -> list:
    """The reference project's RGB segmentation map."""
    return read(str(pzp.samples.path("segment")))


def nuclei_stack() -> list:
    """12 slices of a real 16-bit confocal volume (a stand-in for a 16-bit sequence)."""
    return read(str(FOLDER / "nuclei_z12.pzp"))


def nuclei_labels() -> list:
    """The labels of the nuclei slices, as a labels layer."""
    return read(str(FOLDER / "nuclei_labels_z12.pzp"))


def walkers_video() -> list:
    """16 frames of a real static-camera video, stored with inter-frame delta."""
    return read(str(FOLDER / "vtest_walkers.pzp"))
