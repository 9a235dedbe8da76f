"""Containers: the seed's API, the streaming writer, the open-once reader, key
frames, damaged containers, threads and processes."""

from __future__ import annotations

import itertools
import multiprocessing
import pickle
import struct
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import PZP
import pzp
from conftest import CONFORMANCE
from pzp._ffi import lib
from seed_doc import READ_CONTAINER_EXAMPLE, THREAD_EXAMPLE, WRITE_CONTAINER_EXAMPLE, example

CHECKSUM_TEST = pzp._ffi.lib.pzp_checksum


def frames_of(count, shape=(24, 32, 3), dtype=np.uint8, seed=0, static=False):
    """A little video: a moving square over a textured background."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    background = rng.integers(0, top // 4, size=shape, dtype=dtype)
    frames = []
    for k in range(count):
        frame = background.copy()
        x = (k * 3) % max(1, shape[1] - 8)
        if not static:
            frame[4:12, x : x + 8] = top - k
        frames.append(frame)
    return frames


def decode_count() -> int:
    return lib.pzp_dctx_decode_count(None)


# ---- the seed's examples ----------------------------------------------------------


@pytest.mark.parametrize("module", ["PZP", "pzp"])
def test_seed_container_examples(tmp_path, monkeypatch, module):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "music.mp3").write_bytes(b"ID3\x03\x00" + bytes(range(200)))
    frames = frames_of(6)
    write = example(WRITE_CONTAINER_EXAMPLE).replace("import PZP", f"import {module} as PZP")
    # The only edit: the example's placeholder list of frames becomes real frames.
    assert write.count("frames = [...]") == 1
    write = write.replace("frames = [...]", "frames = real_frames")
    exec(compile(write, "seed:write_container", "exec"), {"real_frames": frames})
    read = example(READ_CONTAINER_EXAMPLE, after="Read container").replace("import PZP", f"import {module} as PZP")
    namespace: dict = {}
    exec(compile(read, "seed:read_container", "exec"), namespace)
    assert namespace["n"] == 6 and namespace["loop"] == 0 and namespace["delays"] == [100] * 6
    np.testing.assert_array_equal(namespace["frame0"], frames[0])
    assert (namespace["audio"], namespace["fmt"], namespace["meta"]) == (None, None, None)
    for name in ("anim_fast.pzp", "anim_delta.pzp"):
        np.testing.assert_array_equal(pzp.read_frames(name), frames)
    assert pzp.get_audio("anim_sound.pzp") == ((tmp_path / "music.mp3").read_bytes(), "MPEG")
    assert pzp.get_metadata("anim_meta.pzp") == b'{"source":"cam0","fps":25}'
    assert pzp.get_loop_count("anim_meta.pzp") == 3
    assert pzp.open("anim_delta.pzp").frame_info(1)["is_delta"]


def test_seed_thread_example(tmp_path):
    paths = []
    for k in range(4):
        paths.append(tmp_path / f"{k}.pzp")
        pzp.write(paths[-1], frames_of(1, seed=k)[0])
    code = example(THREAD_EXAMPLE, after="Thread lifecycle")
    # Everything up to the DataLoader lines runs as written; the DataLoader part
    # needs torch and a dataset (test_dataloader_workers covers it).
    threads_part = code[: code.index("# DataLoader integration")]
    namespace = {"paths": paths}
    exec(compile(threads_part, "seed:threads", "exec"), namespace)
    namespace["t"].start()
    namespace["t"].join()
    torch_data = pytest.importorskip("torch.utils.data")

    class Dataset(torch_data.Dataset):
        def __len__(self):
            return len(paths)

        def __getitem__(self, i):
            return PZP.read(paths[i])

    namespace["dataset"] = Dataset()
    loader_part = code[code.index("# DataLoader integration") :].replace("num_workers=8", "num_workers=2")
    exec(compile(loader_part, "seed:dataloader", "exec"), namespace)
    assert len(list(namespace["loader"])) == len(paths)


# ---- round trips ------------------------------------------------------------------

FLAG_SETS = [dict(zip(("use_rle", "use_palette", "use_lz4"), bits)) for bits in itertools.product((False, True), repeat=3)]


@pytest.mark.parametrize("flags", FLAG_SETS, ids=lambda f: "+".join(k[4:] for k, v in f.items() if v) or "plain")
@pytest.mark.parametrize("delta,interval", [(False, 0), (True, 0), (True, 1), (True, 3)])
@pytest.mark.parametrize("dtype,channels", [(np.uint8, 1), (np.uint8, 2), (np.uint8, 3), (np.uint8, 4),
                                            (np.uint16, 1), (np.uint16, 2), (np.uint16, 3), (np.uint16, 4)])
@pytest.mark.parametrize("count", [1, 2, 7])
def test_container_roundtrip(tmp_path, flags, delta, interval, dtype, channels, count):
    shape = (9, 13) if channels == 1 else (9, 13, channels)
    frames = frames_of(count, shape, dtype)
    delays = [10 * k for k in range(count)]
    path = tmp_path / "c.pzp"
    pzp.write_container(path, frames, delays=delays, loop_count=count, use_inter_delta=delta,
                        keyframe_interval=interval, **flags)
    with pzp.open(path) as c:
        assert len(c) == count and c.delays == delays and c.loop_count == count
        assert c.shape == (count,) + shape and c.dtype == dtype
        for k, frame in enumerate(c):
            np.testing.assert_array_equal(frame, frames[k])
        np.testing.assert_array_equal(c[:], np.stack(frames))
        kinds = [c.frame_info(k)["is_delta"] for k in range(count)]
    expected = [delta and k > 0 and (interval == 0 or k % interval != 0) for k in range(count)]
    assert kinds == expected


@pytest.mark.parametrize("metadata", [b"\x00\x01binary\xff", "text: café ☃", b"", None])
@pytest.mark.parametrize("audio_format,tag", [("WAVE", "WAVE"), ("wav", "WAVE"), ("MPEG", "MPEG"), ("mp3", "MPEG"),
                                              ("OGG", "OGG"), ("OGGX", "OGG"), (".ogg", "OGG"), ("flac", "FLAC"),
                                              (pzp.AUDIO_FLAC, "FLAC")])
def test_metadata_and_audio(tmp_path, metadata, audio_format, tag):
    path = tmp_path / "a.pzp"
    audio = bytes(range(256)) * 3
    pzp.write_container(path, frames_of(2), metadata=metadata, audio=audio, audio_format=audio_format)
    expected_meta = metadata.encode() if isinstance(metadata, str) else (metadata or None)
    assert pzp.get_metadata(path) == expected_meta
    assert pzp.get_audio(path) == (audio, tag)


@pytest.mark.parametrize("bad", ["MP4", "AAC", "", 12345, None, b"WAVEX"])
def test_unknown_audio_format_is_refused(tmp_path, bad):
    path = tmp_path / "a.pzp"
    with pytest.raises(ValueError, match="audio_format"):
        pzp.write_container(path, frames_of(1), audio=b"RIFF....", audio_format=bad)
    assert not path.exists()


def test_mixed_sizes_and_depths(tmp_path):
    frames = [np.full((4, 5), 1, np.uint8), np.full((6, 7, 3), 2, np.uint8), np.full((4, 5), 300, np.uint16),
              np.full((4, 5), 301, np.uint16)]
    path = tmp_path / "m.pzp"
    pzp.write_container(path, frames, use_inter_delta=True, use_rle=True)
    with pzp.open(path) as c:
        assert c.shape is None and c.dtype is None
        got = c[:]
        assert isinstance(got, list)
        for a, b in zip(got, frames):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert [c.frame_info(k)["is_delta"] for k in range(4)] == [False, False, False, True]


def test_layout_follows_the_spec(tmp_path):
    """Header, index, frame blobs, metadata, audio: FORMAT.md section 5, byte for byte."""
    path = tmp_path / "l.pzp"
    frames = frames_of(3)
    pzp.write_container(path, frames, delays=[5, 6, 7], loop_count=9, metadata=b"meta", audio=b"sound",
                        audio_format="FLAC")
    data = path.read_bytes()
    fields = struct.unpack("<12I", data[:48])
    magic, version, flags, count, loop, meta_off, meta_len, audio_off, audio_len, audio_fmt, checksum, reserved = fields
    assert data[:4] == b"0PZP" and magic == 0x505A5030 and version == 1
    assert (flags, count, loop, reserved) == (3, 3, 9, 0)
    assert checksum == CHECKSUM_TEST(data[:40], 40)
    offset = 48 + 16 * 3
    for k in range(3):
        entry_offset, size, delay, entry_reserved = struct.unpack("<4I", data[48 + 16 * k : 64 + 16 * k])
        assert (entry_offset, delay, entry_reserved) == (offset, 5 + k, 0)
        np.testing.assert_array_equal(pzp.decode(pzp_single(data[offset : offset + size])), frames[k])
        offset += size
    assert (meta_off, meta_len, audio_off, audio_len) == (offset, 4, offset + 4, 5)
    assert data[offset:] == b"metasound" and audio_fmt == pzp.AUDIO_FLAC
    pzp.write_container(path, frames)  # no audio: format 0 (quirk Q12), no blobs
    assert struct.unpack("<12I", path.read_bytes()[:48])[2:11:1][0] == 0
    assert struct.unpack("<12I", path.read_bytes()[:48])[5:10] == (0, 0, 0, 0, 0)


def pzp_single(blob: bytes) -> bytes:
    """A frame blob wrapped as a single-image file, as the reference writes one."""
    header = struct.pack("<10I", 0x505A5030, 1, 0, 1, 1, 0, 0, 0, 0, 0)
    header += struct.pack("<2I", CHECKSUM_TEST(header, 40), 0)
    return header + struct.pack("<4I", 64, len(blob), 0, 0) + blob


# ---- the open-once reader -----------------------------------------------------------


def test_container_object(tmp_path):
    path = tmp_path / "c.pzp"
    frames = frames_of(10)
    pzp.write_container(path, frames, delays=[40] * 10, loop_count=2, metadata="m")
    c = pzp.open(path)
    assert len(c) == 10 and c.loop_count == 2 and c.delays == [40] * 10 and c.metadata == b"m"
    assert c.audio == (None, None) and c.audio_format is None
    assert c.shape == (10, 24, 32, 3) and c.dtype == np.uint8 and c.ndim == 4
    np.testing.assert_array_equal(c[-1], frames[-1])
    np.testing.assert_array_equal(c[2:8:3], np.stack(frames[2:8:3]))
    np.testing.assert_array_equal(c[[7, 1]], np.stack([frames[7], frames[1]]))
    np.testing.assert_array_equal(c[np.array([3])], frames[3][None])
    assert c[5:5].shape == (0, 24, 32, 3)
    with pytest.raises(IndexError):
        c[10]
    with pytest.raises(pzp.PZPFrameIndexError):
        c[-11]
    with pytest.raises(TypeError):
        c["1"]
    info = c.frame_info(3)
    assert info["shape"] == (24, 32, 3) and info["delay_ms"] == 40 and info["codec"] == "zstd"
    assert info["compressed_bytes"] > 0 and info["offset"] > 48 + 16 * 10
    out = np.empty_like(frames[0])
    assert c.read(4, out=out) is out
    np.testing.assert_array_equal(out, frames[4])
    assert "10 frames" in repr(c)
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(ValueError, match="closed"):
        c[0]


def test_frame_info_decodes_no_pixels(tmp_path):
    path = tmp_path / "c.pzp"
    pzp.write_container(path, frames_of(20), use_inter_delta=True)
    before = decode_count()
    with pzp.open(path) as c:
        assert c.shape == (20, 24, 32, 3)
        [c.frame_info(k) for k in range(20)]
    assert decode_count() == before


def test_sequential_and_random_access_cost(tmp_path):
    """In order: one decode per frame. At random: back to the key frame only."""
    path = tmp_path / "k.pzp"
    frames = frames_of(40, static=True)
    interval = 5
    pzp.write_container(path, frames, use_rle=True, use_inter_delta=True, keyframe_interval=interval)
    with pzp.open(path) as c:
        pzp.thread_cleanup()  # start with an empty frame cache
        before = decode_count()
        for k in range(len(c)):
            np.testing.assert_array_equal(c[k], frames[k])
        assert decode_count() - before == 40
        rng = np.random.default_rng(0)
        for k in rng.permutation(40):
            pzp.thread_cleanup()
            before = decode_count()
            np.testing.assert_array_equal(c[int(k)], frames[k])
            assert decode_count() - before == k % interval + 1
    # the reference's behaviour (no key frames): frame k costs k + 1 decodes
    pzp.write_container(path, frames, use_inter_delta=True, keyframe_interval=0)
    with pzp.open(path) as c:
        pzp.thread_cleanup()
        before = decode_count()
        c[33]
        assert decode_count() - before == 34


def test_bare_legacy_frame_is_a_one_frame_image():
    path = CONFORMANCE / "legacy_v001_rgb8_rle_pal.pzp"
    assert pzp.frame_count(path) == 1 and pzp.get_delays(path) == [0] and pzp.get_loop_count(path) == 1
    with pzp.open(path) as c:
        assert c.is_bare_frame and len(c) == 1
        np.testing.assert_array_equal(c[0], pzp.read(path))
    assert len(pzp.read_frames(path)) == 1


def test_pickled_container_reads_in_another_process(tmp_path):
    path = tmp_path / "p.pzp"
    frames = frames_of(6)
    pzp.write_container(path, frames, use_inter_delta=True)
    c = pzp.open(path)
    clone = pickle.loads(pickle.dumps(c))
    np.testing.assert_array_equal(clone[5], frames[5])
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        got = pool.map(_read_frame_of, [(c, k) for k in (5, 0, 3)])
    for k, frame in zip((5, 0, 3), got):
        np.testing.assert_array_equal(frame, frames[k])


def _read_frame_of(args):
    container, index = args
    return container[index]


def test_eight_threads_on_one_container(tmp_path):
    path = tmp_path / "t.pzp"
    frames = frames_of(60, static=True)
    pzp.write_container(path, frames, use_rle=True, use_inter_delta=True, keyframe_interval=7)
    with pzp.open(path) as c:
        expected = [c[k] for k in range(len(c))]

        def work(seed):
            rng = np.random.default_rng(seed)
            return [(int(k), c[int(k)]) for k in rng.integers(0, 60, 40)]

        with ThreadPoolExecutor(8) as pool:
            for result in pool.map(work, range(8)):
                for k, frame in result:
                    np.testing.assert_array_equal(frame, expected[k])


def test_close_waits_for_reads_in_progress(tmp_path):
    path = tmp_path / "w.pzp"
    pzp.write_container(path, frames_of(30, shape=(200, 300, 3)))
    c = pzp.open(path)
    stop = threading.Event()
    errors = []

    def reader():
        while not stop.is_set():
            try:
                c[7]
            except ValueError:  # closed: the only acceptable failure
                return
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    c.close()
    stop.set()
    for t in threads:
        t.join()
    assert not errors


# ---- data loaders: worker processes (fork and spawn) and thread pools ----------------


class _Frames:
    """A map-style dataset holding only a path (what a DataLoader pickles)."""

    def __init__(self, path):
        self.path = path

    def __len__(self):
        return pzp.frame_count(self.path)

    def __getitem__(self, index):
        return pzp.read_frame(self.path, index)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes(tmp_path, method):
    path = tmp_path / "d.pzp"
    frames = frames_of(12, static=True)
    pzp.write_container(path, frames, use_inter_delta=True, keyframe_interval=4)
    pzp.read_frame(path, 3)  # the parent has used the library before forking
    dataset = _Frames(path)
    with multiprocessing.get_context(method).Pool(2, initializer=pzp.thread_init, initargs=(0,)) as pool:
        got = pool.map(dataset.__getitem__, range(len(dataset)))
    for a, b in zip(got, frames):
        np.testing.assert_array_equal(a, b)


def test_dataloader_workers(tmp_path):
    """A real torch DataLoader with worker processes (when torch is installed)."""
    torch = pytest.importorskip("torch")
    path = tmp_path / "d.pzp"
    frames = frames_of(10)
    pzp.write_container(path, frames)
    for context in ("fork", "spawn"):
        loader = torch.utils.data.DataLoader(_Frames(path), batch_size=5, num_workers=2,
                                             worker_init_fn=pzp.thread_init, multiprocessing_context=context)
        batches = [b.numpy() for b in loader]
        np.testing.assert_array_equal(np.concatenate(batches), np.stack(frames))


# ---- the streaming writer ----------------------------------------------------------------


def test_streaming_memory_is_bounded(tmp_path):
    """2,000 frames through ContainerWriter: the process grows by a few frames at most."""
    script = textwrap.dedent(f"""
        import resource, numpy as np, pzp
        frame = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
        pzp.write("{tmp_path}/warm.pzp", frame, use_rle=True)   # library and contexts loaded
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pzp.ContainerWriter("{tmp_path}/long.pzp", use_rle=True, use_inter_delta=True) as w:
            for k in range(2000):
                frame[k % 240, :, 0] = k % 256
                w.append(frame, delay_ms=33)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, frame.nbytes)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    growth, frame_bytes = int(out[0]), int(out[1])
    assert growth < 6 * frame_bytes, f"grew by {growth / frame_bytes:.1f} frames"
    with pzp.open(tmp_path / "long.pzp") as c:
        assert len(c) == 2000
        assert c[1999][1999 % 240, 0, 0] == 1999 % 256


def test_writer_is_atomic(tmp_path):
    path = tmp_path / "a.pzp"
    pzp.write_container(path, frames_of(2, seed=1))
    old = path.read_bytes()
    with pytest.raises(RuntimeError):
        with pzp.ContainerWriter(path) as w:
            w.append(frames_of(1)[0])
            assert path.read_bytes() == old  # nothing replaced while writing
            raise RuntimeError("stop")
    assert path.read_bytes() == old and sorted(p.name for p in tmp_path.iterdir()) == ["a.pzp"]
    w = pzp.ContainerWriter(tmp_path / "b.pzp")
    w.append(frames_of(1)[0])
    w.abort()
    assert not (tmp_path / "b.pzp").exists()
    with pytest.raises(pzp.PZPValueError, match="at least one frame"):
        pzp.ContainerWriter(tmp_path / "c.pzp").close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pzp"]


def test_writing_over_the_file_being_read(tmp_path):
    path = tmp_path / "same.pzp"
    first = frames_of(5, seed=1)
    pzp.write_container(path, first)
    with pzp.open(path) as c:
        pzp.write_container(path, frames_of(3, seed=2))
        for k in range(5):  # the open container still reads the old file
            np.testing.assert_array_equal(c[k], first[k])
    assert pzp.frame_count(path) == 3


@pytest.mark.parametrize("expected", [0, 3, 5, 9])
def test_expected_frames_any_value(tmp_path, expected):
    path = tmp_path / "e.pzp"
    frames = frames_of(5)
    with pzp.ContainerWriter(path, expected_frames=expected, metadata=b"x", audio=b"y") as w:
        for f in frames:
            w.append(f, delay_ms=1)
        assert w.frame_count == 5
    np.testing.assert_array_equal(pzp.read_frames(path), frames)
    assert pzp.get_metadata(path) == b"x" and pzp.get_audio(path) == (b"y", "WAVE")


def test_append_encoded_and_raw_tuples(tmp_path):
    frames = frames_of(3)
    source = tmp_path / "s.pzp"
    pzp.write_container(source, frames, use_inter_delta=True)
    path = tmp_path / "copy.pzp"
    with pzp.open(source) as c, pzp.ContainerWriter(path) as w:
        for k in range(len(c)):
            blob = bytearray(c.frame_info(k)["compressed_bytes"])
            lib.pzp_container_read_blob(c._handle.acquire(), k, pzp._image.as_buffer(blob)[0], len(blob))
            c._handle.release()
            w.append_encoded(blob, delay_ms=k)
        w.append((frames[0].tobytes(), 32, 24, 8, 3))
    np.testing.assert_array_equal(pzp.read_frames(path), frames + [frames[0]])


def test_write_container_argument_checks(tmp_path):
    path = tmp_path / "x.pzp"
    with pytest.raises(ValueError, match="at least one frame"):
        pzp.write_container(path, [])
    with pytest.raises(ValueError, match="delays"):
        pzp.write_container(path, frames_of(3), delays=[1, 2])
    with pytest.raises(ValueError, match="at least one frame"):
        pzp.write_container(path, iter([]))
    with pytest.raises(ValueError, match="loop_count"):
        pzp.write_container(path, frames_of(1), loop_count=-1)
    assert not path.exists()


# ---- damaged containers ------------------------------------------------------------------


def _container_bytes(tmp_path, **kwargs):
    path = tmp_path / "good.pzp"
    pzp.write_container(path, frames_of(4), **kwargs)
    return bytearray(path.read_bytes())


def _reheader(data: bytearray) -> bytearray:
    struct.pack_into("<I", data, 40, CHECKSUM_TEST(bytes(data[:40]), 40))
    return data


def test_frame_count_beyond_the_index(tmp_path):
    """A frame count larger than the real index: the extra entries point into
    the frame data, so they are refused frame by frame (quirk Q13)."""
    data = _container_bytes(tmp_path)
    struct.pack_into("<I", data, 12, 6)
    path = tmp_path / "bad.pzp"
    path.write_bytes(_reheader(data))
    good = frames_of(4)
    with pzp.open(path) as c:
        assert len(c) == 6
        # the longer index now covers frame 0's first bytes; entries 4 and 5 are frame data
        for k in (0, 4, 5):
            with pytest.raises(pzp.PZPCorruptError, match=f"frame {k}"):
                c[k]
        for k in (1, 2, 3):  # the good frames stay readable
            np.testing.assert_array_equal(c[k], good[k])


def test_damaged_index_entries(tmp_path):
    data = _container_bytes(tmp_path)
    struct.pack_into("<I", data, 48 + 16 * 1, 20)  # frame 1 inside the header
    struct.pack_into("<I", data, 48 + 16 * 2 + 4, 10**6)  # frame 2 past the end
    path = tmp_path / "bad.pzp"
    path.write_bytes(data)
    good = frames_of(4)
    with pzp.open(path) as c:
        np.testing.assert_array_equal(c[0], good[0])
        np.testing.assert_array_equal(c[3], good[3])
        with pytest.raises(pzp.PZPCorruptError, match="frame 1: index entry overlaps"):
            c[1]
        with pytest.raises(pzp.PZPTruncatedError, match="frame 2"):
            c[2]


def test_damaged_metadata_and_audio_ranges(tmp_path):
    data = _container_bytes(tmp_path, metadata=b"meta", audio=b"audio")
    struct.pack_into("<I", data, 20, len(data) - 2)  # metadata runs past the end
    struct.pack_into("<I", data, 28, 10)  # audio inside the header
    path = tmp_path / "bad.pzp"
    path.write_bytes(_reheader(data))
    with pzp.open(path) as c:
        c[:]  # frames unaffected
        with pytest.raises(pzp.PZPTruncatedError, match="metadata"):
            c.metadata
        with pytest.raises(pzp.PZPCorruptError, match="audio"):
            c.audio


def test_flag_set_length_zero_means_absent(tmp_path):
    """Files from older reference revisions (quirk Q24)."""
    data = _container_bytes(tmp_path)
    struct.pack_into("<I", data, 8, 3)
    path = tmp_path / "q24.pzp"
    path.write_bytes(_reheader(data))
    assert pzp.get_metadata(path) is None and pzp.get_audio(path) == (None, None)


@pytest.mark.parametrize("field,value,error", [(12, 0, pzp.PZPCorruptError), (12, 10**6, pzp.PZPTruncatedError),
                                               (4, 2, pzp.PZPUnsupportedError)])
def test_damaged_header(tmp_path, field, value, error):
    data = _container_bytes(tmp_path)
    struct.pack_into("<I", data, field, value)
    path = tmp_path / "bad.pzp"
    path.write_bytes(_reheader(data))
    with pytest.raises(error):
        pzp.open(path)


def test_default_keyframe_interval(tmp_path):
    """With inter-frame delta and no interval given, a key frame every 30 frames."""
    path = tmp_path / "d.pzp"
    pzp.write_container(path, frames_of(65, shape=(8, 12)), use_inter_delta=True)
    with pzp.open(path) as c:
        keys = [k for k in range(len(c)) if not c.frame_info(k)["is_delta"]]
    assert pzp.DEFAULT_KEYFRAME_INTERVAL == 30 and keys == [0, 30, 60]


def _bytes_read() -> int:
    """Bytes this process has read through read/pread so far (Linux)."""
    for line in open("/proc/self/io").read().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/io is Linux's")
def test_one_frame_reads_that_frame_not_the_file(tmp_path):
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (128, 128, 3), dtype=np.uint8) for _ in range(40)]  # incompressible
    path = tmp_path / "noise.pzp"
    pzp.write_container(path, frames)
    file_size = path.stat().st_size
    before = _bytes_read()
    with pzp.open(path) as c:
        opened = _bytes_read()
        frame = c[20]
        done = _bytes_read()
        entry = c.frame_info(20)["file_bytes"]
    np.testing.assert_array_equal(frame, frames[20])
    assert opened - before < 8192 + 16 * len(frames), "open reads the header, the index and a 4 KiB probe only"
    assert done - opened < entry + 8192, f"one frame of {entry} bytes read {done - opened} of a {file_size}-byte file"
