"""Damaged input: truncations, bit flips and random corruption raise PZPError, never crash.

(The C test program runs the same sweeps under AddressSanitizer and UBSan.)"""

from __future__ import annotations

import random

import pytest

import pzp
from conftest import CONFORMANCE

FILES = ["f_rgb8_none.pzp", "f_g16_rle_lz4.pzp", "f_rgba8_rle_pal.pzp", "grp_label_depth_packed.pzp",
         "c_4frames_interdelta_pal_lz4.pzp", "legacy_v001_rgb8_rle_pal.pzp", "c_audio_meta_loop7.pzp"]


def decode_everything(data: bytes, tmp_path) -> None:
    """Decodes every way the API offers; a PZPError is the only allowed failure."""
    try:
        pzp.decode(data)
    except pzp.PZPError:
        pass
    path = tmp_path / "d.pzp"
    path.write_bytes(data)
    try:
        pzp.info(path)
    except pzp.PZPError:
        pass
    try:
        with pzp.open(path) as c:
            c.metadata, c.audio
            for k in range(len(c)):
                try:
                    c[k]
                    c.frame_info(k)
                except pzp.PZPError:
                    pass
    except pzp.PZPError:
        pass


@pytest.mark.parametrize("name", FILES)
def test_every_truncation(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    step = max(1, len(data) // 1500)
    for n in list(range(0, min(len(data), 300))) + list(range(300, len(data), step)):
        path = tmp_path / "t.pzp"
        path.write_bytes(data[:n])
        with pytest.raises(pzp.PZPError):
            with pzp.open(path) as c:  # every part of a cut file: frames, metadata, audio
                c[:], c.metadata, c.audio


@pytest.mark.parametrize("name", FILES)
def test_bit_flips_in_headers(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    for i in range(min(256, len(data))):
        for bit in (0, 7):
            damaged = bytearray(data)
            damaged[i] ^= 1 << bit
            decode_everything(bytes(damaged), tmp_path)


@pytest.mark.parametrize("name", FILES)
def test_random_corruption(name, tmp_path):
    data = (CONFORMANCE / name).read_bytes()
    rng = random.Random(name)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        decode_everything(bytes(damaged), tmp_path)
