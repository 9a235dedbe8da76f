"""Round trips: dtype x channels x shapes x every flag combination, buffer types, hypothesis."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pzp
from conftest import DATA

FLAGS = [dict(zip(("use_rle", "use_palette", "use_lz4"), bits)) for bits in itertools.product((False, True), repeat=3)]
SHAPES = [(1, 1), (1, 97), (97, 1), (37, 23), (2, 2), (64, 48)]


def make_image(shape, channels, dtype, kind, seed=0):
    rng = np.random.default_rng(seed)
    full = shape + ((channels,) if channels > 1 else ())
    top = np.iinfo(dtype).max
    if kind == "noise":
        return rng.integers(0, top, size=full, dtype=dtype, endpoint=True)
    if kind == "smooth":
        y, x = np.indices(shape)
        base = (x * 7 + y * 13) % (top + 1)
        image = np.stack([(base + 1000 * c) % (top + 1) for c in range(channels)], axis=-1)
        return image.reshape(full).astype(dtype)
    values = rng.choice(np.arange(top + 1, dtype=np.int64), size=5, replace=False)  # few distinct values
    return values[rng.integers(0, 5, size=full)].astype(dtype)


def label(flags):
    return "+".join(k[4:] for k, v in flags.items() if v) or "plain"


def palette_ok(dtype, channels):
    return channels * np.dtype(dtype).itemsize <= 8


@pytest.mark.parametrize("flags", FLAGS, ids=label)
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=["u8", "u16"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", ["noise", "smooth", "few"])
def test_roundtrip(shape, dtype, channels, flags, kind):
    image = make_image(shape, channels, dtype, kind)
    data = pzp.encode(image, **flags)
    decoded, configuration = pzp.decode(data, return_flags=True)
    assert decoded.dtype == image.dtype and decoded.shape == image.shape
    np.testing.assert_array_equal(decoded, image)
    expected = pzp.USE_COMPRESSION | sum(f for f, on in zip((pzp.USE_RLE, pzp.USE_PALETTE, pzp.USE_LZ4),
                                                            flags.values()) if on)
    assert configuration == expected
    assert pzp.encode(image, **flags) == data  # deterministic


@pytest.mark.parametrize("channels", [5, 6, 8])
def test_many_channels(channels):
    image = make_image((9, 11), channels, np.uint8, "noise")
    for flags in FLAGS:
        np.testing.assert_array_equal(pzp.decode(pzp.encode(image, **flags)), image)
    image16 = make_image((9, 11), channels, np.uint16, "smooth")
    np.testing.assert_array_equal(pzp.decode(pzp.encode(image16, use_rle=True)), image16)
    with pytest.raises(pzp.PZPValueError, match="palette holds at most 8 byte channels"):
        pzp.encode(image16, use_palette=True)


@pytest.mark.parametrize("flags", [{}, {"use_rle": True}, {"use_rle": True, "use_lz4": True},
                                   {"use_rle": True, "use_palette": True}], ids=label)
@pytest.mark.parametrize("dtype,channels", [(np.uint8, 3), (np.uint16, 1), (np.uint8, 4)])
def test_few_megapixels(tmp_path, dtype, channels, flags):
    image = make_image((1201, 1803), channels, dtype, "smooth")
    image[::7, ::5] ^= 0x5A  # some texture
    path = tmp_path / "big.pzp"
    pzp.write(path, image, **flags)
    np.testing.assert_array_equal(pzp.read(path), image)


GROUP_SPECS = [
    (np.uint8, 3, "u8x3:none"),
    (np.uint8, 3, "u8x3:left"),
    (np.uint8, 3, "u8:left,u16:gradient"),
    (np.uint8, 4, "u8x2:none,u16:gradient"),
    (np.uint16, 1, "u16:gradient"),
    (np.uint16, 1, "u8x2:left"),
    (np.uint16, 2, "u16:gradient,u16:gradient"),
    (np.uint16, 4, "u16:gradient,u16:gradient,u8x2:left,u8x2:none"),
]


@pytest.mark.parametrize("dtype,channels,spec", GROUP_SPECS, ids=[s for _, _, s in GROUP_SPECS])
@pytest.mark.parametrize("kind", ["noise", "smooth"])
def test_group_tables(dtype, channels, spec, kind):
    image = make_image((33, 17), channels, dtype, kind)
    for lz4 in (False, True):
        np.testing.assert_array_equal(pzp.decode(pzp.encode(image, groups=spec, use_lz4=lz4)), image)


def test_16bit_rle_picks_the_better_predictor(tmp_path):
    """A real depth map gets the gradient predictor, a real label mask the left delta."""
    import cv2

    import pzp.samples

    depth = pzp.samples.load("depth16")
    labels = cv2.imread(str(DATA / "stardist_mask2d_u16.png"), cv2.IMREAD_UNCHANGED)
    assert labels.dtype == np.uint16
    path = tmp_path / "g.pzp"
    for image, predictor in ((depth, "gradient"), (labels, "left")):
        pzp.write(path, image, use_rle=True)
        assert {g["predictor"] for g in pzp.info(path)["groups"]} == {predictor}
        sizes = [len(pzp.encode(image, use_rle=True, groups=spec)) for spec in ("u8x2:left", "u16:gradient")]
        assert path.stat().st_size == min(sizes)
        np.testing.assert_array_equal(pzp.read(path), image)
    image = np.stack([depth, depth[::-1]], axis=-1)
    pzp.write(path, image, use_rle=True, use_palette=True)  # no 16-bit group with a palette
    assert pzp.info(path)["groups"] == [{"channels": 4, "bits": 8, "predictor": "left"}]
    np.testing.assert_array_equal(pzp.read(path), image)


def test_parse_groups():
    assert pzp.parse_groups("u8:left,u16:gradient") == [(1, 8, 1), (2, 16, 2)]
    assert pzp.parse_groups("u8x3:none") == [(3, 8, 0)]
    for bad in ("u8", "u32:left", "u8x0:none", "u8:diagonal", ",".join(["u8:none"] * 9)):
        with pytest.raises(ValueError):
            pzp.parse_groups(bad)
    with pytest.raises(pzp.PZPValueError):  # a spec that does not cover the channels
        pzp.encode(np.zeros((4, 4, 3), np.uint8), groups="u8x2:none")


def test_levels_and_big_endian_input():
    image = make_image((30, 40), 3, np.uint8, "smooth")
    sizes = [len(pzp.encode(image, use_rle=True, level=level)) for level in (1, 19)]
    assert sizes[1] <= sizes[0]
    for level in (-5, 22):
        np.testing.assert_array_equal(pzp.decode(pzp.encode(image, level=level)), image)
    with pytest.raises(pzp.PZPValueError):
        pzp.encode(image, level=99)
    big = make_image((5, 6), 1, np.uint16, "noise").astype(">u2")
    np.testing.assert_array_equal(pzp.decode(pzp.encode(big)), big.astype(np.uint16))
    strided = make_image((20, 30), 3, np.uint8, "noise")[::2, ::3]
    np.testing.assert_array_equal(pzp.decode(pzp.encode(strided)), strided)


@pytest.mark.parametrize("make", [bytes, bytearray, lambda b: memoryview(b), lambda b: np.frombuffer(b, np.uint8)],
                         ids=["bytes", "bytearray", "memoryview", "ndarray"])
def test_decode_buffer_types(make):
    image = make_image((7, 9), 3, np.uint8, "noise")
    np.testing.assert_array_equal(pzp.decode(make(pzp.encode(image))), image)


def test_raw_bytes_write(tmp_path):
    image = make_image((12, 10), 3, np.uint8, "noise")
    pzp.write(tmp_path / "raw.pzp", image.tobytes(), width=10, height=12, bpp=8, channels=3)
    np.testing.assert_array_equal(pzp.read(tmp_path / "raw.pzp"), image)
    depth = make_image((12, 10), 1, np.uint16, "noise")
    pzp.write(tmp_path / "raw16.pzp", depth.astype(">u2").tobytes(), width=10, height=12, bpp=16, channels=1)
    np.testing.assert_array_equal(pzp.read(tmp_path / "raw16.pzp"), depth)  # raw 16-bit is big-endian
    with pytest.raises(ValueError, match="need width, height, bpp and channels"):
        pzp.write(tmp_path / "x.pzp", image.tobytes(), width=10)
    with pytest.raises(ValueError, match="bytes given"):
        pzp.write(tmp_path / "x.pzp", image.tobytes()[:-1], width=10, height=12, bpp=8, channels=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    dtype=st.sampled_from([np.uint8, np.uint16]),
    channels=st.integers(1, 4),
    flags=st.sampled_from(FLAGS),
    height=st.integers(1, 40),
    width=st.integers(1, 40),
)
def test_roundtrip_property(data, dtype, channels, flags, height, width):
    shape = (height, width) + ((channels,) if channels > 1 else ())
    image = data.draw(hnp.arrays(dtype, shape, elements=st.integers(0, np.iinfo(dtype).max)))
    encoded = pzp.encode(image, **flags)
    np.testing.assert_array_equal(pzp.decode(encoded), image)
