"""The API added for speed: pzp.read_many, the one-call frame scan behind
Container.shape, and the SIMD kernels (every dispatch level gives the same bytes)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pzp


def _images(rng) -> list:
    shapes = [((31, 17), np.uint8), ((40, 33, 3), np.uint8), ((9, 70, 4), np.uint8), ((25, 19), np.uint16),
              ((12, 29, 3), np.uint16), ((1, 1), np.uint8)]
    return [rng.integers(0, np.iinfo(dtype).max + 1, size=shape, dtype=dtype) for shape, dtype in shapes]


def test_read_many_matches_read(tmp_path):
    rng = np.random.default_rng(1)
    paths = []
    for k, image in enumerate(_images(rng)):
        path = tmp_path / f"{k}.pzp"
        pzp.write(path, image, use_rle=k % 2 == 0)
        paths.append(path)
    expected = [pzp.read(p) for p in paths]
    for threads in (1, 2, 5):
        got = pzp.read_many(paths * 3, threads=threads)
        assert len(got) == 3 * len(paths)
        for a, b in zip(got, expected * 3):
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_read_many_empty_and_bad_arguments(tmp_path):
    assert pzp.read_many([], threads=2) == []
    with pytest.raises(ValueError):
        pzp.read_many([], threads=0)
    with pytest.raises(TypeError):
        pzp.read_many([3.5])


def test_read_many_names_the_failing_file(tmp_path):
    good = tmp_path / "good.pzp"
    pzp.write(good, np.zeros((4, 4), np.uint8))
    bad = tmp_path / "bad.pzp"
    bad.write_bytes(b"not a pzp file at all")
    with pytest.raises(pzp.NotPZPError) as info:
        pzp.read_many([good, bad, good], threads=2)
    assert "bad.pzp" in str(info.value)
    with pytest.raises(pzp.PZPFileNotFoundError):
        pzp.read_many([tmp_path / "missing.pzp"])


def test_shape_scans_every_frame(tmp_path):
    rng = np.random.default_rng(2)
    frames = [rng.integers(0, 255, size=(20, 30, 3), dtype=np.uint8) for _ in range(7)]
    same = tmp_path / "same.pzp"
    pzp.write_container(same, frames, use_rle=True, use_inter_delta=True, keyframe_interval=3)
    with pzp.open(same) as c:
        assert c.shape == (7, 20, 30, 3)
        assert c.dtype == np.uint8
        # the scan also tells which frames are deltas (key frames every 3)
        assert [c.frame_info(i)["is_delta"] for i in range(7)] == [False, True, True, False, True, True, False]
        assert np.array_equal(c[5], frames[5])
    mixed = tmp_path / "mixed.pzp"
    pzp.write_container(mixed, frames[:3] + [frames[3][:, :, 0]], use_rle=True)
    with pzp.open(mixed) as c:
        assert c.shape is None and c.dtype is None
    depth = tmp_path / "depth.pzp"
    pzp.write_container(depth, [np.zeros((5, 6), np.uint8), np.zeros((5, 6), np.uint16)])
    with pzp.open(depth) as c:
        assert c.shape is None


def test_shape_of_a_damaged_frame_names_it(tmp_path):
    frames = [np.full((16, 16), k, np.uint8) for k in range(3)]
    path = tmp_path / "c.pzp"
    pzp.write_container(path, frames)
    data = bytearray(path.read_bytes())
    offset = int.from_bytes(data[48 + 16 * 2 : 48 + 16 * 2 + 4], "little")
    data[offset + 4 : offset + 12] = b"\xff" * 8  # frame 2's zstd header
    path.write_bytes(bytes(data))
    with pzp.open(path) as c:
        with pytest.raises(pzp.PZPFormatError) as info:
            c.shape  # noqa: B018
        assert "frame 2" in str(info.value)


@pytest.mark.parametrize("level", ["scalar", "sse2", "avx2"])
def test_every_simd_level_decodes_the_same(tmp_path, level):
    """Images whose sizes end in every tail length, every filter, in a fresh
    process with PZP_CPU_LEVEL lowering the kernels; compared with numpy."""
    script = textwrap.dedent(
        """
        import sys, numpy as np, pzp
        rng = np.random.default_rng(3)
        for width in list(range(1, 40)) + [255, 256, 257]:
            for channels in (1, 2, 3, 4, 5, 8):
                for dtype in (np.uint8, np.uint16):
                    shape = (3, width) if channels == 1 else (3, width, channels)
                    smooth = np.cumsum(rng.integers(0, 3, size=shape), axis=1) % (np.iinfo(dtype).max + 1)
                    image = smooth.astype(dtype)
                    for flags in ({}, {"use_rle": True}, {"use_rle": True, "use_palette": True},
                                  {"use_palette": True}, {"use_rle": True, "use_lz4": True}):
                        if "use_palette" in flags and channels * image.itemsize > 8:
                            continue
                        got = pzp.decode(pzp.encode(image, **flags))
                        assert got.dtype == image.dtype and np.array_equal(got, image), (width, channels, dtype, flags)
        frames = [rng.integers(0, 4, size=(17, 23, 3), dtype=np.uint8) for _ in range(4)]
        path = sys.argv[1]
        pzp.write_container(path, frames, use_rle=True, use_inter_delta=True)
        assert all(np.array_equal(a, b) for a, b in zip(pzp.read_frames(path), frames))
        print("ok")
        """
    )
    env = dict(os.environ, PZP_CPU_LEVEL=level)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "d.pzp")], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_container_read_many_matches_frame_by_frame(tmp_path):
    """Container.read_many on 1-3 threads: delta chains with and without key
    frames, any index list, frames of several layouts (a list then)."""
    rng = np.random.default_rng(4)
    frames = np.cumsum(rng.integers(0, 3, size=(23, 12, 17, 3), dtype=np.uint8), axis=0, dtype=np.uint8)
    for options in ({"use_rle": True}, {"use_inter_delta": True, "keyframe_interval": 5},
                    {"use_inter_delta": True, "keyframe_interval": 0}):
        path = tmp_path / "c.pzp"
        pzp.write_container(path, frames, **options)
        with pzp.open(path) as c:
            for threads in (1, 2, 3):
                got = c.read_many(threads=threads)
                assert got.shape == frames.shape and np.array_equal(got, frames), (options, threads)
                picked = [22, 3, 4, 5, -1, 0, 9]
                assert np.array_equal(c.read_many(picked, threads=threads), frames[picked])
            assert np.array_equal(c[4:19:2], frames[4:19:2])
            assert c.read_many([], threads=2).shape == (0, 12, 17, 3)
            with pytest.raises(pzp.PZPFrameIndexError):
                c.read_many([0, 23], threads=2)
            with pytest.raises(ValueError):
                c.read_many(threads=0)
    mixed = [np.zeros((4, 5), np.uint8), np.ones((4, 5), np.uint16), np.full((6, 2), 7, np.uint8)]
    pzp.write_container(tmp_path / "m.pzp", mixed)
    with pzp.open(tmp_path / "m.pzp") as c:
        got = c.read_many(threads=2)
        assert isinstance(got, list) and all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, mixed))
        assert c.read_many([0, 2]).__class__ is list
        assert np.array_equal(c.read_many([2, 2]), np.stack([mixed[2]] * 2))


def test_container_read_many_runs_start_at_key_frames():
    """Each thread's run begins where no delta chain crosses into it."""
    from pzp._many import _runs

    key_every_10 = lambda i: i % 10 != 0  # noqa: E731 - is_delta
    assert _runs(list(range(40)), key_every_10, 2) == [(0, 20), (20, 40)]
    assert _runs(list(range(40)), lambda i: i % 30 != 0, 2) == [(0, 30), (30, 40)]
    assert _runs(list(range(40)), lambda i: i > 0, 2) == [(0, 40)]  # no key frame: serial
    assert _runs(list(range(40)), lambda i: False, 3) == [(0, 13), (13, 26), (26, 40)]
    assert _runs([5, 6, 7, 30, 31, 32], lambda i: True, 2) == [(0, 3), (3, 6)]  # a jump starts a run
    assert _runs([], lambda i: False, 2) == []
    assert _runs([1], lambda i: False, 4) == [(0, 1)]


def test_container_read_many_names_the_file_of_a_damaged_frame(tmp_path):
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 4, size=(300, 300), dtype=np.uint8) for _ in range(6)]  # compressed, not stored
    path = tmp_path / "damaged.pzp"
    pzp.write_container(path, frames)
    data = bytearray(path.read_bytes())
    offset = int.from_bytes(data[48 + 16 * 4 : 48 + 16 * 4 + 4], "little")
    size = int.from_bytes(data[48 + 16 * 4 + 4 : 48 + 16 * 4 + 8], "little")
    data[offset + size - 40 : offset + size] = b"\xff" * 40  # frame 4's last compressed pixels
    path.write_bytes(bytes(data))
    with pzp.open(path) as c:
        assert c.shape == (6, 300, 300)  # the headers are intact
        for threads in (1, 2):
            with pytest.raises(pzp.PZPFormatError) as info:
                c.read_many(threads=threads)
            assert "damaged.pzp" in str(info.value)
