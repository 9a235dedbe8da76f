"""Errors: typed exceptions with codes and file names, argument checks before any
native call, atomic writes."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import pzp
from conftest import CONFORMANCE

GOOD = CONFORMANCE / "f_rgb8_none.pzp"


def test_missing_file():
    with pytest.raises(pzp.PZPFileNotFoundError) as info:
        pzp.read("/nonexistent/x.pzp")
    e = info.value
    assert isinstance(e, FileNotFoundError) and isinstance(e, pzp.PZPIOError) and isinstance(e, OSError)
    assert e.code == 10 and e.errno == 2 and "/nonexistent/x.pzp" in str(e)
    for call in (pzp.info, pzp.frame_count, pzp.get_delays, pzp.open):
        with pytest.raises(FileNotFoundError):
            call("/nonexistent/x.pzp")


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + bytes(40), b"hello world, not an image",
                                     b"P6\n2 2\n255\n" + bytes(12), bytes(100)], ids=["empty", "png", "text", "ppm",
                                                                                     "zeros"])
def test_not_pzp(tmp_path, content):
    path = tmp_path / "x.pzp"
    path.write_bytes(content)
    with pytest.raises(pzp.NotPZPError) as info:
        pzp.read(path)
    assert info.value.code == 1 and str(path) in str(info.value) and isinstance(info.value, ValueError)
    with pytest.raises(pzp.NotPZPError):
        pzp.decode(content)
    with pytest.raises(pzp.NotPZPError):
        pzp.open(path)


def test_directory_is_an_io_error(tmp_path):
    with pytest.raises(pzp.PZPIOError):
        pzp.read(tmp_path)


def test_error_codes_and_messages():
    data = bytearray(GOOD.read_bytes())
    data[8] ^= 1  # header flags: checksum mismatch
    with pytest.raises(pzp.PZPChecksumError) as info:
        pzp.decode(bytes(data))
    assert info.value.code == 4 and info.value.reason == "checksum mismatch"
    assert "header checksum" in info.value.detail
    with pytest.raises(pzp.PZPTruncatedError) as info:
        pzp.decode(GOOD.read_bytes()[:30])
    assert info.value.code == 2 and isinstance(info.value, pzp.PZPCorruptError)


def test_bad_arguments_fail_before_native_code(tmp_path):
    with pytest.raises(TypeError, match="uint8 or uint16"):
        pzp.write(tmp_path / "x.pzp", np.zeros((4, 4), np.float32))
    with pytest.raises(TypeError, match="uint8 or uint16"):
        pzp.encode(np.zeros((4, 4), np.int32))
    with pytest.raises(ValueError, match="shape"):
        pzp.encode(np.zeros((2, 4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="empty image"):
        pzp.encode(np.zeros((0, 4), np.uint8))
    with pytest.raises(TypeError, match="path"):
        pzp.read(12)
    with pytest.raises(TypeError, match="bytes-like"):
        pzp.decode("not bytes")
    with pytest.raises(ValueError, match="configuration"):
        pzp.encode(np.zeros((4, 4), np.uint8), configuration=-1)
    with pytest.raises(ValueError, match="level"):
        pzp.encode(np.zeros((4, 4), np.uint8), level="high")
    assert not list(tmp_path.iterdir())


class NoNativeCalls:
    """Stands in for the library: any call into C fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"{name} was called: the bad argument reached the C library")


BAD_ARGUMENTS = [
    ("NUL in a path written", lambda d: pzp.write(d / "x\0y.pzp", np.zeros((2, 2), np.uint8)), "null byte"),
    ("NUL in a path read", lambda d: pzp.read(str(d / "a\0b")), "null byte"),
    ("NUL in a container path", lambda d: pzp.open(d / "c\0.pzp"), "null byte"),
    ("negative sizes whose product is positive",
     lambda d: pzp.encode(bytes(9), width=-1, height=-3, bpp=8, channels=3), "width"),
    ("a width over 32 bits", lambda d: pzp.encode(bytes(2), width=2**32 + 1, height=1, bpp=8, channels=1), "width"),
    ("a level beyond zstd's", lambda d: pzp.encode(np.zeros((4, 4), np.uint8), level=2**40), "level"),
    ("a configuration over 32 bits", lambda d: pzp.encode(np.zeros((4, 4), np.uint8), configuration=2**40),
     "configuration"),
    ("a predictor beyond a byte",
     lambda d: pzp.encode(np.zeros((4, 4), np.uint8), use_rle=True, groups=[(1, 8, 300)]), "group"),
    ("a configuration of -1", lambda d: pzp.encode(np.zeros((4, 4), np.uint8), configuration=-1), "configuration"),
    ("an unknown audio format without audio",
     lambda d: pzp.write_container(d / "c.pzp", [np.zeros((2, 2), np.uint8)], audio_format="XYZ"), "audio_format"),
    ("an unknown audio format for the writer", lambda d: pzp.ContainerWriter(d / "w.pzp", audio_format="AAC"),
     "audio_format"),
]


@pytest.mark.parametrize("what, call, match", BAD_ARGUMENTS, ids=[b[0] for b in BAD_ARGUMENTS])
def test_out_of_range_arguments_never_reach_the_library(what, call, match, tmp_path, monkeypatch):
    from pzp import _container, _image

    monkeypatch.setattr(_image, "lib", NoNativeCalls())
    monkeypatch.setattr(_container, "lib", NoNativeCalls())
    with pytest.raises(ValueError, match=match):
        call(tmp_path)
    assert not list(tmp_path.iterdir()), what


@pytest.mark.parametrize("options, match", [
    (dict(level=23), "zstd level"),
    (dict(configuration=32), "bits the format does not define"),
    (dict(configuration=1 << 31), "bits the format does not define"),
    (dict(groups=[(0, 8, 1)]), "group"),
    (dict(groups=[(1, 12, 1)]), "group"),
    (dict(use_rle=True, groups=[(1, 8, 3)]), "predictor"),
], ids=["level 23", "flag 32", "flag 2^31", "empty group", "12-bit group", "predictor 3"])
def test_values_the_format_has_not_are_refused_by_the_library(options, match, tmp_path):
    """In range for the C types, so the library itself refuses them."""
    with pytest.raises(pzp.PZPValueError, match=match):
        pzp.write(tmp_path / "x.pzp", np.zeros((4, 4), np.uint8), **options)
    assert not list(tmp_path.iterdir())


def test_out_argument_is_checked():
    image = pzp.read(GOOD)
    with pytest.raises(ValueError, match="out must be"):
        pzp.read(GOOD, out=np.empty((1, 1, 3), np.uint8))
    with pytest.raises(ValueError, match="out must be"):
        pzp.read(GOOD, out=np.empty(image.shape, np.uint16))
    with pytest.raises(ValueError, match="contiguous"):
        pzp.read(GOOD, out=np.empty(image.shape[:1] + (image.shape[1] * 2, 3), np.uint8)[:, ::2])
    with pytest.raises(TypeError):
        pzp.read(GOOD, out=bytearray(image.nbytes))
    out = np.empty_like(image)
    pzp.read(GOOD, out=out)  # the context stays usable after the failures above
    np.testing.assert_array_equal(out, image)


def test_format_limits_refused():
    with pytest.raises(pzp.PZPValueError, match="at most 8 byte channels"):
        pzp.encode(np.zeros((2, 2, 5), np.uint16), use_palette=True)  # quirk Q3
    with pytest.raises(pzp.PZPValueError, match="255 byte channels"):
        pzp.encode(np.zeros((1, 1, 128), np.uint16))  # quirk Q7
    with pytest.raises(pzp.PZPTooLargeError, match="100,000,000"):
        pzp.encode(np.zeros((6000, 6000, 3), np.uint8))  # quirk Q1: the reference could not read it
    big = np.zeros((6000, 6000, 3), np.uint8)
    big[::97, ::89] = 7
    np.testing.assert_array_equal(pzp.decode(pzp.encode(big, allow_large=True)), big)


def test_limits_are_enforced_and_named():
    old = pzp.set_limits(max_pixels=100)
    try:
        with pytest.raises(pzp.PZPLimitError, match="max_pixels"):
            pzp.read(GOOD)
    finally:
        pzp.set_limits(**old)
    assert pzp.get_limits() == old
    old = pzp.set_limits(max_alloc_bytes=1000)
    try:
        with pytest.raises(pzp.PZPLimitError, match="max_alloc_bytes"):
            pzp.read(GOOD)
    finally:
        pzp.set_limits()
    assert pzp.get_limits()["max_pixels"] == 1 << 28
    with pytest.raises(TypeError, match="unknown limit"):
        pzp.set_limits(max_bananas=1)


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "keep.pzp"
    image = np.full((8, 8), 7, np.uint8)
    pzp.write(path, image)
    before = path.read_bytes()
    with pytest.raises(pzp.PZPError):
        pzp.write(path, np.zeros((2, 2, 5), np.uint16), use_palette=True)  # refused by the library
    with pytest.raises(pzp.PZPTooLargeError):
        pzp.write(path, np.zeros((6000, 6000, 3), np.uint8))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.pzp"]  # no temporary left behind


def test_write_into_missing_or_readonly_folder(tmp_path):
    image = np.zeros((4, 4), np.uint8)
    with pytest.raises(pzp.PZPIOError):
        pzp.write(tmp_path / "missing" / "x.pzp", image)
    if os.geteuid() != 0:  # root ignores permissions
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        with pytest.raises(pzp.PZPIOError):
            pzp.write(folder / "x.pzp", image)


def test_write_keeps_mode_of_existing_file(tmp_path):
    path = tmp_path / "m.pzp"
    pzp.write(path, np.zeros((4, 4), np.uint8))
    path.chmod(0o640)
    pzp.write(path, np.ones((4, 4), np.uint8))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert pzp.read(path).sum() == 16
