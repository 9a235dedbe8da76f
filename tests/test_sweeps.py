"""Damage sweeps over every conformance vector, through the Python API: every
prefix up to 64 KiB (every 4093rd beyond), every single-bit flip in the first
256 bytes, and random multi-byte corruptions. Each gives a PZPError or a
result, never another exception or a crash. (The C sweeps of the same kinds
run in `make test-fuzz-replay`, plain and under ASan+UBSan.)"""

from __future__ import annotations

import random

import numpy as np
import pytest

import pzp
from conftest import CONFORMANCE

FILES = sorted(p.name for p in CONFORMANCE.glob("*.pzp"))
# Decoding frame 0 from memory succeeds here: the rest of the file is not needed.
FILE_PATH_EVERY = 61  # the file path (open, every frame, blobs) on a sample of prefixes


def prefixes(size: int) -> list:
    return list(range(min(size, 65536))) + list(range(65536, size, 4093))


def decode_or_error(data: bytes, verify: bool = False):
    try:
        return pzp.decode(data, verify=verify)
    except pzp.PZPError:
        return None


def read_everything(path) -> None:
    """Every frame, every header, metadata and audio of a file; PZPError may escape."""
    with pzp.open(path) as c:
        for k in range(len(c)):
            c.frame_info(k)
            c[k]
        c.metadata, c.audio, c.delays, c.loop_count


def read_everything_or_error(path) -> bool:
    try:
        read_everything(path)
        return True
    except pzp.PZPError:
        return False


@pytest.mark.parametrize("name", FILES)
def test_every_prefix(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    whole = decode_or_error(data)
    path = tmp_path / "prefix.pzp"
    for n in prefixes(len(data)):
        image = decode_or_error(data[:n])
        if image is not None:  # frame 0 was complete: it must be frame 0
            assert whole is not None and np.array_equal(image, whole), f"{name}[:{n}] decodes to other pixels"
        if n % FILE_PATH_EVERY == 0 or n < 64:
            path.write_bytes(data[:n])
            with pytest.raises(pzp.PZPError):  # something is always missing
                read_everything(path)


@pytest.mark.parametrize("name", FILES)
def test_every_bit_flip_in_the_first_256_bytes(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    through_file = name.startswith(("c_", "legacy_v002", "cli_attach", "cli_pack"))
    path = tmp_path / "flip.pzp"
    damaged = bytearray(data)
    for i in range(min(256, len(data))):
        for bit in range(8):
            damaged[i] ^= 1 << bit
            flipped = bytes(damaged)
            damaged[i] ^= 1 << bit
            decode_or_error(flipped, verify=bit % 2 == 1)
            if through_file:
                path.write_bytes(flipped)
                read_everything_or_error(path)


@pytest.mark.parametrize("name", FILES)
def test_random_multi_byte_corruption(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    rng = random.Random(f"sweep {name}")
    path = tmp_path / "random.pzp"
    for _ in range(40):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(damaged))
            run = rng.randint(1, 16)
            kind = rng.randrange(3)
            for k in range(at, min(at + run, len(damaged))):
                damaged[k] = rng.randrange(256) if kind == 0 else (0, 0xFF)[kind - 1]
        damaged = bytes(damaged)
        decode_or_error(damaged)
        decode_or_error(damaged, verify=True)
        path.write_bytes(damaged)
        read_everything_or_error(path)
