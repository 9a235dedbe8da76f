"""Shared fixtures: the conformance vectors (tests/data/conformance, copied
from the reference's vectors so the suite stands alone)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CONFORMANCE = DATA / "conformance"


def manifest() -> list:
    return json.loads((CONFORMANCE / "manifest.json").read_text())["vectors"]


def vectors(kind: str) -> list:
    return [v for v in manifest() if v["kind"] == kind]


def expected_frames(vector: dict) -> list:
    """The expected pixel arrays of a vector (one for a single image)."""
    import numpy as np

    if vector["kind"] == "frame":
        return [np.load(CONFORMANCE / vector["expected"]["npy"])]
    stem = vector["file"][: -len(".pzp")]
    return [np.load(CONFORMANCE / f"{stem}.f{k}.npy") for k in range(vector["container"]["frame_count"])]


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    return CONFORMANCE
