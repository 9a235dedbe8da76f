"""The reference project's four sample images, shipped as PZP files.

    >>> import pzp.samples
    >>> pzp.samples.names()
    ['depth16', 'rgb8', 'sample', 'segment']
    >>> depth = pzp.samples.load("depth16")      # (360, 640) uint16

See SOURCES.md in this folder for where they come from and their licence.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_FOLDER = Path(__file__).resolve().parent


def _manifest() -> dict:
    return json.loads((_FOLDER / "samples.json").read_text())


def names() -> list:
    """The sample names, sorted."""
    return sorted(_manifest())


def path(name: str) -> Path:
    """The shipped .pzp file of a sample."""
    if name not in _manifest():
        msg = f"no sample {name!r}; samples: {', '.join(names())}"
        raise KeyError(msg)
    return _FOLDER / f"{name}.pzp"


def describe(name: str) -> dict:
    """Original file name, shape, dtype and SHA-256 of the original pixels."""
    path(name)
    return dict(_manifest()[name])


def load(name: str, verify: bool = True):
    """Decodes a sample; with ``verify`` checks it equals the original pixels."""
    from .. import read

    image = read(path(name))
    if verify and hashlib.sha256(image.tobytes()).hexdigest() != describe(name)["sha256"]:
        msg = f"sample {name!r} does not decode to its original pixels"
        raise ValueError(msg)
    return image
