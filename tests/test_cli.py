"""The `pzp` command-line tool (native/cli): every command, round trips through
PNM/PAM, the conformance vectors, and the failure paths (non-zero exit, one line
on stderr, no output file left behind).

The binary comes from $PZP_CLI, else `pzp` on PATH; without either the module
is skipped. Pixels are checked with a small PNM/PAM reader written here, so the
C PNM code is not checked against itself.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import pzp


def _find_cli() -> str | None:
    """$PZP_CLI (made absolute: tests run it from other folders), else a `pzp`
    on PATH that is the C tool (the Python package may install a console script
    of the same name)."""
    if os.environ.get("PZP_CLI"):
        return os.path.abspath(os.environ["PZP_CLI"])
    found = shutil.which("pzp")
    if found is None:
        return None
    try:
        p = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return found if p.returncode == 0 and "libpzp" in p.stdout else None


CLI = _find_cli()
if not CLI:
    pytest.skip("the pzp command-line tool was not found: build native/ (cmake target pzp_cli) and set PZP_CLI "
                "to the binary, or put the C `pzp` on PATH", allow_module_level=True)

HERE = Path(__file__).resolve().parent


def _first_dir(*candidates: Path) -> Path:
    for c in candidates:
        if (c / "manifest.json").is_file() or (c.is_dir() and any(c.iterdir())):
            return c
    return candidates[-1]


CONFORMANCE = _first_dir(HERE / "data" / "conformance", Path("/work/shared/conformance"))
SAMPLES = _first_dir(HERE / "data" / "samples", Path("/work/shared/samples"))
_MANIFEST_PATH = CONFORMANCE / "manifest.json"
MANIFEST = json.loads(_MANIFEST_PATH.read_text())["vectors"] if _MANIFEST_PATH.is_file() else []
needs_conformance = pytest.mark.skipif(not MANIFEST, reason=f"no conformance vectors in {CONFORMANCE}")


# ---- running the tool ----

def run(*args, ok=True, cwd=None) -> subprocess.CompletedProcess:
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)
    if ok:
        assert p.returncode == 0, f"pzp {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}"
        assert p.stderr == ""
    return p


def fails(*args, status=None, cwd=None) -> str:
    """Runs a command that must fail: non-zero status, exactly one line on stderr."""
    p = run(*args, ok=False, cwd=cwd)
    assert p.returncode != 0, f"pzp {' '.join(map(str, args))} succeeded"
    assert p.returncode < 128, f"pzp died from a signal: {p.returncode}"
    if status is not None:
        assert p.returncode == status
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and p.stderr.endswith("\n"), repr(p.stderr)
    assert lines[0].startswith("pzp: ")
    return lines[0]


def no_leftovers(folder: Path, allowed=()) -> None:
    """Nothing but the allowed files in folder (no outputs, no temporaries)."""
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(allowed), names


# ---- an independent PNM/PAM reader and writer ----

def _pnm_tokens(data: bytes, count: int, pos: int):
    values = []
    while len(values) < count:
        while data[pos:pos + 1].isspace() or data[pos:pos + 1] == b"#":
            if data[pos:pos + 1] == b"#":
                pos = data.index(b"\n", pos)
            pos += 1
        start = pos
        while data[pos:pos + 1].isdigit():
            pos += 1
        values.append(int(data[start:pos]))
    return values, pos + 1  # one whitespace byte after maxval


def parse_pnm(data: bytes) -> tuple:
    """(array, magic, header dict) from binary PNM/PAM bytes."""
    magic = data[:2]
    if magic in (b"P5", b"P6"):
        (w, h, maxval), pos = _pnm_tokens(data, 3, 2)
        depth, header = (1 if magic == b"P5" else 3), {}
    elif magic == b"P7":
        end = data.index(b"ENDHDR\n") + len(b"ENDHDR\n")
        header = {}
        for line in data[3:end].decode("ascii").splitlines():
            if line and not line.startswith("#") and line != "ENDHDR":
                key, _, value = line.partition(" ")
                header[key] = value.strip()
        w, h, depth, maxval = (int(header[k]) for k in ("WIDTH", "HEIGHT", "DEPTH", "MAXVAL"))
        pos = end
    else:
        raise ValueError(f"not a binary PNM: {magic!r}")
    dtype = np.dtype(">u2") if maxval > 255 else np.dtype("u1")
    n = w * h * depth
    pixels = np.frombuffer(data, dtype, count=n, offset=pos).astype(dtype.newbyteorder("="))
    shape = (h, w) if depth == 1 else (h, w, depth)
    return pixels.reshape(shape), magic.decode(), dict(header, maxval=maxval)


def read_pnm(path) -> np.ndarray:
    return parse_pnm(Path(path).read_bytes())[0]


def pnm_bytes(a: np.ndarray, kind: str = "auto", maxval: int | None = None, comment: bool = False) -> bytes:
    """a as P5/P6 ("pnm"), P7 ("pam"), or the natural one ("auto")."""
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    if maxval is None:
        maxval = 65535 if a.dtype == np.uint16 else 255
    body = a.astype(">u2" if maxval > 255 else "u1").tobytes()
    if kind == "auto":
        kind = "pnm" if c in (1, 3) else "pam"
    if kind == "pnm":
        note = b"# written by test_cli.py\n" if comment else b""
        return b"P%d\n%s%d %d\n%d\n" % (5 if c == 1 else 6, note, w, h, maxval) + body
    tupl = {1: "GRAYSCALE", 2: "GRAYSCALE_ALPHA", 3: "RGB", 4: "RGB_ALPHA"}[c]
    head = f"P7\n# test\nWIDTH {w}\nHEIGHT {h}\nDEPTH {c}\nMAXVAL {maxval}\nTUPLTYPE {tupl}\nENDHDR\n"
    return head.encode() + body


def write_pnm(path, a, **kw) -> Path:
    Path(path).write_bytes(pnm_bytes(a, **kw))
    return Path(path)


def make_image(h: int, w: int, channels: int, dtype, seed: int = 0) -> np.ndarray:
    """Smooth gradients plus a little noise: compressible, but every value matters."""
    rng = np.random.default_rng(seed)
    top = 65535 if dtype == np.uint16 else 255
    y, x = np.mgrid[0:h, 0:w]
    planes = [((x * (3 + k) + y * (5 + 2 * k)) * top // max(1, 8 * (w + h)) + rng.integers(0, 4, (h, w))) % (top + 1)
              for k in range(channels)]
    a = np.stack(planes, axis=-1).astype(dtype)
    return a[:, :, 0] if channels == 1 else a


# ---- container bytes, parsed here ----

def container_layout(path) -> dict:
    data = Path(path).read_bytes()
    (magic, _version, flags, frames, loop, meta_off, meta_len, audio_off, audio_len, audio_fmt, _chk,
     _res) = struct.unpack_from("<12I", data)
    assert magic == 0x505A5030
    entries = [struct.unpack_from("<4I", data, 48 + 16 * i) for i in range(frames)]
    return {
        "flags": flags,
        "loop": loop,
        "blobs": [data[off:off + size] for off, size, _, _ in entries],
        "delays": [d for _, _, d, _ in entries],
        "metadata": data[meta_off:meta_off + meta_len] if flags & 1 and meta_len else None,
        "audio": data[audio_off:audio_off + audio_len] if flags & 2 and audio_len else None,
        "audio_format": audio_fmt,
    }


def vectors(kind: str) -> list:
    return [v for v in MANIFEST if v["kind"] == kind]


def expected_frames(v: dict) -> list:
    if v["kind"] == "frame":
        return [np.load(CONFORMANCE / v["expected"]["npy"])]
    stem = v["file"][:-4]
    return [np.load(CONFORMANCE / f"{stem}.f{k}.npy") for k in range(v["frame_count"])]


# ---- basics ----

def test_help_and_version():
    for args in (["--help"], ["help"], ["compress", "--help"]):
        p = run(*args)
        assert "usage: pzp" in p.stdout and "pack-frames" in p.stdout and "attach-audio" in p.stdout
    p = run("--version")
    version = pzp.library_version() if callable(pzp.library_version) else pzp.library_version
    assert version in p.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["compress", "only-one-arg"], ["compress", "a", "b", "--bogus"],
                                  ["decompress", "a", "b", "--lz4"], ["extract-frame", "x.pzp", "-1", "o.pnm"],
                                  ["extract-frame", "x.pzp", "one", "o.pnm"],
                                  ["pack-frames", "o.pzp", "x", "40", "f.pnm"],
                                  ["pack-frames", "o.pzp", "0", "40", "--keyframe-interval", "-1", "--delta", "f.pnm"]])
def test_usage_errors(tmp_path, args):
    line = fails(*args, status=2, cwd=tmp_path)
    assert "pzp" in line
    no_leftovers(tmp_path)


# ---- single images ----

COMMANDS = {"compress": 3, "compress-palette": 7, "pack": 1}
KINDS = {  # name: (channels, dtype)
    "g8": (1, np.uint8), "ga8": (2, np.uint8), "rgb8": (3, np.uint8), "rgba8": (4, np.uint8),
    "g16": (1, np.uint16), "ga16": (2, np.uint16), "rgb16": (3, np.uint16), "rgba16": (4, np.uint16),
}


@pytest.mark.parametrize("lz4", [False, True], ids=["zstd", "lz4"])
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip(tmp_path, command, lz4, kind):
    channels, dtype = KINDS[kind]
    image = make_image(23, 37, channels, dtype, seed=len(kind))
    src = write_pnm(tmp_path / "in.pnm", image)
    run(command, src, tmp_path / "out.pzp", *(["--lz4"] if lz4 else []))
    decoded, flags = pzp.read(tmp_path / "out.pzp", return_flags=True)
    assert decoded.dtype == image.dtype
    np.testing.assert_array_equal(decoded, image)
    assert flags == COMMANDS[command] | (16 if lz4 else 0)
    run("decompress", tmp_path / "out.pzp", tmp_path / "back.pnm")
    back, magic, header = parse_pnm((tmp_path / "back.pnm").read_bytes())
    np.testing.assert_array_equal(back, image)
    assert magic == {1: "P5", 3: "P6"}.get(channels, "P7")
    assert header["maxval"] == (65535 if dtype == np.uint16 else 255)
    no_leftovers(tmp_path, ["in.pnm", "out.pzp", "back.pnm"])


@pytest.mark.parametrize("kind", list(KINDS))
def test_pam_input_for_every_depth(tmp_path, kind):
    """P7 input works for 1 and 3 channels too, and gives the same file as P5/P6."""
    channels, dtype = KINDS[kind]
    image = make_image(9, 14, channels, dtype, seed=3)
    run("compress", write_pnm(tmp_path / "a.pam", image, kind="pam"), tmp_path / "a.pzp")
    run("compress", write_pnm(tmp_path / "b.pnm", image), tmp_path / "b.pzp")
    assert (tmp_path / "a.pzp").read_bytes() == (tmp_path / "b.pzp").read_bytes()
    np.testing.assert_array_equal(pzp.read(tmp_path / "a.pzp"), image)


@pytest.mark.parametrize(("maxval", "dtype"), [(1, np.uint8), (100, np.uint8), (254, np.uint8), (256, np.uint16),
                                                (1000, np.uint16), (4095, np.uint16)])
def test_other_maxvals(tmp_path, maxval, dtype):
    """maxval 1..254 reads as 8-bit, 256..65535 as 16-bit; samples are kept as they are."""
    rng = np.random.default_rng(maxval)
    image = rng.integers(0, maxval + 1, (6, 5, 3)).astype(dtype)
    run("compress", write_pnm(tmp_path / "in.ppm", image, maxval=maxval, comment=True), tmp_path / "o.pzp")
    decoded = pzp.read(tmp_path / "o.pzp")
    assert decoded.dtype == dtype
    np.testing.assert_array_equal(decoded, image)


def test_comments_and_whitespace_in_header(tmp_path):
    image = make_image(4, 6, 1, np.uint8)
    data = b"P5 # magic\n#another\n 6\t# width\n4\r\n# maxval next\n255\n" + image.tobytes()
    (tmp_path / "c.pgm").write_bytes(data)
    run("compress", tmp_path / "c.pgm", tmp_path / "c.pzp")
    np.testing.assert_array_equal(pzp.read(tmp_path / "c.pzp"), image)


def _samples():
    return sorted(SAMPLES.glob("*.p?m")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("sample", _samples(), ids=lambda p: p.name)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_samples(tmp_path, sample, command):
    original = read_pnm(sample)
    run(command, sample, tmp_path / "s.pzp")
    run("decompress", tmp_path / "s.pzp", tmp_path / "s.pnm")
    back = read_pnm(tmp_path / "s.pnm")
    assert back.dtype == original.dtype
    np.testing.assert_array_equal(back, original)
    np.testing.assert_array_equal(pzp.read(tmp_path / "s.pzp"), original)


def test_sample_depth16_is_16_bit(tmp_path):
    sample = SAMPLES / "depth16.pnm"
    if not sample.is_file():
        pytest.skip("no depth16.pnm sample")
    run("compress", sample, tmp_path / "d.pzp")
    assert pzp.read(tmp_path / "d.pzp").dtype == np.uint16


def test_output_replaces_existing_file(tmp_path):
    image = make_image(5, 5, 3, np.uint8)
    (tmp_path / "out.pzp").write_bytes(b"old")
    run("pack", write_pnm(tmp_path / "in.ppm", image), tmp_path / "out.pzp")
    np.testing.assert_array_equal(pzp.read(tmp_path / "out.pzp"), image)
    (tmp_path / "back.pnm").write_bytes(b"old")
    run("decompress", tmp_path / "out.pzp", tmp_path / "back.pnm")
    np.testing.assert_array_equal(read_pnm(tmp_path / "back.pnm"), image)
    no_leftovers(tmp_path, ["in.ppm", "out.pzp", "back.pnm"])


# ---- decompressing the conformance vectors ----

@needs_conformance
@pytest.mark.parametrize("vector", vectors("frame"), ids=lambda v: v["file"])
def test_decompress_conformance(tmp_path, vector):
    (expected,) = expected_frames(vector)
    run("decompress", CONFORMANCE / vector["file"], tmp_path / "out.pnm")
    image, magic, header = parse_pnm((tmp_path / "out.pnm").read_bytes())
    assert image.dtype == expected.dtype
    np.testing.assert_array_equal(image, expected)
    channels = 1 if expected.ndim == 2 else expected.shape[2]
    if channels in (2, 4):  # Q9: the reference wrote an empty file here
        assert magic == "P7"
        assert header["TUPLTYPE"] == ("GRAYSCALE_ALPHA" if channels == 2 else "RGB_ALPHA")
        assert int(header["DEPTH"]) == channels


@needs_conformance
def test_two_and_four_channel_vectors_exist():
    channels = {v["channels"] for v in vectors("frame")}
    assert {2, 4} <= channels


@needs_conformance
@pytest.mark.parametrize("vector", vectors("container"), ids=lambda v: v["file"])
def test_extract_every_frame(tmp_path, vector):
    path = CONFORMANCE / vector["file"]
    expected = expected_frames(vector)
    for k, exp in enumerate(expected):
        run("extract-frame", path, k, tmp_path / f"f{k}.pnm")
        got = read_pnm(tmp_path / f"f{k}.pnm")
        assert got.dtype == exp.dtype
        np.testing.assert_array_equal(got, exp, err_msg=f"frame {k}")
    # backwards too: random access through delta chains
    for k in reversed(range(len(expected))):
        run("extract-frame", path, k, tmp_path / "r.pnm")
        np.testing.assert_array_equal(read_pnm(tmp_path / "r.pnm"), expected[k])
    line = fails("extract-frame", path, len(expected), tmp_path / "past.pnm")
    assert "frame" in line
    assert not (tmp_path / "past.pnm").exists()
    # frame 0 is what decompress gives
    run("decompress", path, tmp_path / "d.pnm")
    np.testing.assert_array_equal(read_pnm(tmp_path / "d.pnm"), expected[0])


@needs_conformance
@pytest.mark.parametrize("vector", vectors("container") + vectors("frame"), ids=lambda v: v["file"])
def test_info_on_conformance(vector):
    out = run("info", CONFORMANCE / vector["file"]).stdout
    frames = vector.get("frame_count", 1)
    assert f"frames: {frames}\n" in out
    assert sum(line.startswith("frame ") for line in out.splitlines()) == frames
    if vector.get("layout") == "bare":
        assert "bare" in out
    if vector["kind"] == "container":
        assert f"loop count: {vector['loop_count']}" in out
        for k, delay in enumerate(vector["delays"]):
            assert f"frame {k}: " in out and f"delay {delay} ms" in out
        if vector.get("audio_bytes"):
            assert f"audio: {vector['audio_bytes']} bytes, format {vector['audio_tag']}" in out
        else:
            assert "audio: none" in out
        if vector.get("metadata_bytes"):
            assert f"metadata: {vector['metadata_bytes']} bytes" in out
            if vector.get("metadata_text") and "\n" not in vector["metadata_text"]:
                assert vector["metadata_text"][:100].replace("\\", "\\\\").replace('"', '\\"') in out


def test_info_names_flags_and_frames(tmp_path):
    frames = [write_pnm(tmp_path / f"{i}.ppm", make_image(8, 8, 3, np.uint8, seed=i)) for i in range(3)]
    run("pack-frames", tmp_path / "c.pzp", 4, 25, "--delta", "--lz4", *frames)
    out = run("info", tmp_path / "c.pzp").stdout
    assert "frames: 3" in out and "loop count: 4" in out
    assert "8x8x3" in out and "delay 25 ms" in out
    assert "COMPRESSION|RLE|LZ4" in out and "COMPRESSION|RLE|INTER_DELTA|LZ4" in out
    assert out.count(", delta") == 2 and out.count(", key") == 1 and "lz4" in out
    run("attach-meta", tmp_path / "c.pzp", "line one\nline \"two\"", tmp_path / "c.pzp")
    out = run("info", tmp_path / "c.pzp").stdout
    assert 'metadata: 19 bytes: "line one\\nline \\"two\\""' in out
    long_text = "é" * 500
    run("attach-meta", tmp_path / "c.pzp", long_text, tmp_path / "c.pzp")
    out = run("info", tmp_path / "c.pzp").stdout
    assert "metadata: 1000 bytes" in out and "more bytes" in out


# ---- checksums ----

@needs_conformance
def test_bad_pixel_checksum_is_reported(tmp_path):
    path = CONFORMANCE / "chk_bad_pixel_checksum.pzp"
    if not path.is_file():
        pytest.skip("no chk_bad_pixel_checksum.pzp")
    assert "checksum" in fails("decompress", path, tmp_path / "o.pnm")
    assert "checksum" in fails("extract-frame", path, 0, tmp_path / "o.pnm")
    no_leftovers(tmp_path)
    run("decompress", path, tmp_path / "o.pnm", "--no-verify")  # the reference's behaviour, on request
    assert (tmp_path / "o.pnm").is_file()


# ---- containers ----

@pytest.mark.parametrize("lz4", [False, True], ids=["zstd", "lz4"])
@pytest.mark.parametrize("delta", [False, True], ids=["key", "delta"])
def test_pack_frames(tmp_path, delta, lz4):
    images = [make_image(12, 17, 3, np.uint8, seed=0)]
    for i in range(1, 5):  # small changes between frames, as in a video
        nxt = images[-1].copy()
        nxt[i:i + 3, 2 * i:2 * i + 4] += np.uint8(40)
        images.append(nxt)
    files = [write_pnm(tmp_path / f"f{i}.ppm", a) for i, a in enumerate(images)]
    flags = ["--delta"] if delta else []
    flags += ["--lz4"] if lz4 else []
    run("pack-frames", tmp_path / "out.pzp", 3, 40, *flags, *files)
    with pzp.open(tmp_path / "out.pzp") as c:
        assert len(c) == 5 and c.loop_count == 3 and c.delays == [40] * 5
        assert c.metadata is None and c.audio == (None, None)
        for i, a in enumerate(images):
            frame, cfg = c.read(i, return_flags=True)
            np.testing.assert_array_equal(frame, a)
            want = 3 | (16 if lz4 else 0) | (8 if delta and i > 0 else 0)
            assert cfg == want, (i, cfg)
    for i, a in enumerate(images):
        run("extract-frame", tmp_path / "out.pzp", i, tmp_path / "x.pnm")
        np.testing.assert_array_equal(read_pnm(tmp_path / "x.pnm"), a)


def test_pack_frames_keyframe_interval(tmp_path):
    base = make_image(8, 8, 1, np.uint8)
    files = [write_pnm(tmp_path / f"f{i}.pgm", (base + i).astype(np.uint8)) for i in range(7)]
    run("pack-frames", tmp_path / "k.pzp", 0, 10, "--delta", "--keyframe-interval", 3, *files)
    with pzp.open(tmp_path / "k.pzp") as c:
        kinds = [c.frame_info(i)["is_delta"] for i in range(len(c))]
        assert kinds == [False, True, True, False, True, True, False]
        for i in range(len(c)):
            np.testing.assert_array_equal(c[i], base + i)
    run("pack-frames", tmp_path / "n.pzp", 0, 10, "--delta", "--keyframe-interval", 0, *files)  # as the reference
    with pzp.open(tmp_path / "n.pzp") as c:
        assert [c.frame_info(i)["is_delta"] for i in range(len(c))] == [False] + [True] * 6
    many = files * 10  # 70 frames: by default a key frame every 30, as the Python writer
    run("pack-frames", tmp_path / "d.pzp", 0, 10, "--delta", *many)
    with pzp.open(tmp_path / "d.pzp") as c:
        keys = [i for i in range(len(c)) if not c.frame_info(i)["is_delta"]]
        assert keys == [0, 30, 60] and pzp.DEFAULT_KEYFRAME_INTERVAL == 30


def test_pack_frames_mixed_layouts(tmp_path):
    """Frames may differ in size, depth and channels; delta falls back to key frames."""
    images = [make_image(5, 6, 3, np.uint8), make_image(5, 6, 3, np.uint8, seed=1), make_image(7, 4, 1, np.uint16),
              make_image(3, 3, 4, np.uint8), make_image(2, 9, 2, np.uint16)]
    files = [write_pnm(tmp_path / f"f{i}.pam", a) for i, a in enumerate(images)]
    run("pack-frames", tmp_path / "m.pzp", 0, 0, "--delta", *files)
    with pzp.open(tmp_path / "m.pzp") as c:
        assert len(c) == len(images) and c.loop_count == 0 and c.delays == [0] * 5
        for i, a in enumerate(images):
            got = c[i]
            assert got.dtype == a.dtype
            np.testing.assert_array_equal(got, a)


def test_pack_frames_single_and_many(tmp_path):
    one = write_pnm(tmp_path / "one.pgm", make_image(3, 3, 1, np.uint8))
    run("pack-frames", tmp_path / "1.pzp", 1, 0, one)
    assert pzp.open(tmp_path / "1.pzp").delays == [0]
    run("pack-frames", tmp_path / "many.pzp", 4294967295, 4294967295, *([one] * 100))
    with pzp.open(tmp_path / "many.pzp") as c:
        assert len(c) == 100 and c.loop_count == 4294967295 and set(c.delays) == {4294967295}


def test_pack_frames_failure_leaves_nothing(tmp_path):
    good = write_pnm(tmp_path / "good.ppm", make_image(4, 4, 3, np.uint8))
    (tmp_path / "bad.ppm").write_bytes(b"this is not an image")
    line = fails("pack-frames", tmp_path / "out.pzp", 0, 40, good, tmp_path / "bad.ppm")
    assert "bad.ppm" in line and "not a PNM" in line
    line = fails("pack-frames", tmp_path / "out.pzp", 0, 40, good, tmp_path / "missing.ppm")
    assert "missing.ppm" in line
    no_leftovers(tmp_path, ["good.ppm", "bad.ppm"])


AUDIO_EXT = {"wav": "WAVE", "WAVE": "WAVE", "mp3": "MPEG", "mpeg": "MPEG", "ogg": "OGG", "oga": "OGG",
             "Flac": "FLAC"}


def _container_with(tmp_path, name="c.pzp", frames=3, delays=(10, 20, 30), loop=5, metadata=None, audio=None):
    images = [make_image(6, 7, 3, np.uint8, seed=i) for i in range(frames)]
    pzp.write_container(tmp_path / name, images, delays=list(delays)[:frames], loop_count=loop, use_rle=True,
                        use_inter_delta=True, metadata=metadata, audio=audio,
                        audio_format="FLAC" if audio is not None else "WAVE")
    return tmp_path / name, images


def _same_frames(a, b):
    la, lb = container_layout(a), container_layout(b)
    assert la["blobs"] == lb["blobs"]  # byte-identical frame blobs
    assert la["delays"] == lb["delays"] and la["loop"] == lb["loop"]
    return lb


@pytest.mark.parametrize("ext", list(AUDIO_EXT))
def test_attach_audio_keeps_frames_and_metadata(tmp_path, ext):
    src, images = _container_with(tmp_path, metadata=b"keep me")
    sound = tmp_path / f"sound.{ext}"
    sound.write_bytes(bytes(range(256)) * 5)
    run("attach-audio", src, sound, tmp_path / "out.pzp")
    layout = _same_frames(src, tmp_path / "out.pzp")
    assert layout["audio"] == sound.read_bytes()
    with pzp.open(tmp_path / "out.pzp") as c:
        assert c.metadata == b"keep me"
        assert c.audio == (sound.read_bytes(), AUDIO_EXT[ext])
        assert c.delays == [10, 20, 30] and c.loop_count == 5
        for i, a in enumerate(images):
            np.testing.assert_array_equal(c[i], a)


def test_attach_meta_keeps_frames_and_audio(tmp_path):
    audio = b"RIFF....WAVEfmt " + bytes(100)
    src, images = _container_with(tmp_path, metadata=b"old", audio=audio)
    run("attach-meta", src, '{"fps": 24, "label": "ünïcode"}', tmp_path / "out.pzp")
    _same_frames(src, tmp_path / "out.pzp")
    with pzp.open(tmp_path / "out.pzp") as c:
        assert c.metadata == '{"fps": 24, "label": "ünïcode"}'.encode()
        assert c.audio == (audio, "FLAC")
        for i, a in enumerate(images):
            np.testing.assert_array_equal(c[i], a)
    # text that looks like an option goes after "--"
    assert "unknown option" in fails("attach-meta", src, "-5 degrees", tmp_path / "dash.pzp", status=2)
    run("attach-meta", "--", src, "-5 degrees", tmp_path / "dash.pzp")
    assert pzp.get_metadata(tmp_path / "dash.pzp") == b"-5 degrees"
    # an empty text removes the metadata, the audio stays
    run("attach-meta", tmp_path / "out.pzp", "", tmp_path / "none.pzp")
    with pzp.open(tmp_path / "none.pzp") as c:
        assert c.metadata is None and c.audio == (audio, "FLAC")


def test_attach_in_place(tmp_path):
    src, images = _container_with(tmp_path)
    before = container_layout(src)
    run("attach-meta", src, "first", src)
    sound = tmp_path / "a.mp3"
    sound.write_bytes(b"ID3" + bytes(50))
    run("attach-audio", src, sound, src)
    run("attach-meta", src, "second", src)
    after = container_layout(src)
    assert after["blobs"] == before["blobs"] and after["delays"] == before["delays"]
    assert after["metadata"] == b"second" and after["audio"] == sound.read_bytes()
    with pzp.open(src) as c:
        assert c.audio[1] == "MPEG"
        for i, a in enumerate(images):
            np.testing.assert_array_equal(c[i], a)
    no_leftovers(tmp_path, ["c.pzp", "a.mp3"])


@needs_conformance
def test_attach_on_reference_files(tmp_path):
    src = CONFORMANCE / "cli_attach_meta_audio.pzp"
    run("attach-meta", src, "new text", tmp_path / "m.pzp")
    _same_frames(src, tmp_path / "m.pzp")
    with pzp.open(tmp_path / "m.pzp") as c, pzp.open(src) as ref:
        assert c.metadata == b"new text" and c.audio == ref.audio
    for v in vectors("container"):
        run("attach-meta", CONFORMANCE / v["file"], "x", tmp_path / "o.pzp")
        _same_frames(CONFORMANCE / v["file"], tmp_path / "o.pzp")
        with pzp.open(tmp_path / "o.pzp") as c:
            for k, exp in enumerate(expected_frames(v)):
                np.testing.assert_array_equal(c[k], exp)


@needs_conformance
@pytest.mark.parametrize("vector", [v for v in vectors("frame") if v.get("layout") == "bare"], ids=lambda v: v["file"])
def test_attach_on_legacy_bare_frames(tmp_path, vector):
    """Q23: the reference's attach-* did not work on bare frames; here they become 1-frame containers."""
    src = CONFORMANCE / vector["file"]
    (expected,) = expected_frames(vector)
    sound = tmp_path / "s.ogg"
    sound.write_bytes(b"OggS" + bytes(20))
    run("attach-audio", src, sound, tmp_path / "a.pzp")
    run("attach-meta", tmp_path / "a.pzp", "legacy", tmp_path / "b.pzp")
    layout = container_layout(tmp_path / "b.pzp")
    assert layout["blobs"] == [src.read_bytes()] and layout["loop"] == 1
    with pzp.open(tmp_path / "b.pzp") as c:
        assert len(c) == 1 and not c.is_bare_frame
        assert c.metadata == b"legacy" and c.audio == (sound.read_bytes(), "OGG")
        np.testing.assert_array_equal(c[0], expected)


@pytest.mark.parametrize("name", ["sound.aac", "sound", "sound.", "dir.wav/sound"])
def test_attach_audio_bad_extension(tmp_path, name):
    src, _ = _container_with(tmp_path)
    sound = tmp_path / name
    sound.parent.mkdir(exist_ok=True)
    sound.write_bytes(b"data")
    line = fails("attach-audio", src, sound, tmp_path / "out.pzp")
    assert "extension" in line
    assert not (tmp_path / "out.pzp").exists()


def test_attach_failures(tmp_path):
    src, _ = _container_with(tmp_path)
    before = src.read_bytes()
    assert "missing.wav" in fails("attach-audio", src, tmp_path / "missing.wav", tmp_path / "out.pzp")
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "empty" in fails("attach-audio", src, tmp_path / "empty.wav", tmp_path / "out.pzp")
    assert "nope.pzp" in fails("attach-meta", tmp_path / "nope.pzp", "t", tmp_path / "out.pzp")
    (tmp_path / "junk.pzp").write_bytes(b"\x00" * 100)
    assert "junk.pzp" in fails("attach-meta", tmp_path / "junk.pzp", "t", tmp_path / "out.pzp")
    # a failure in place leaves the input as it was
    assert fails("attach-audio", src, tmp_path / "empty.wav", src)
    assert src.read_bytes() == before
    no_leftovers(tmp_path, ["c.pzp", "empty.wav", "junk.pzp"])


@needs_conformance
def test_attach_truncated_container_fails_cleanly(tmp_path):
    src = CONFORMANCE / "inv_truncated_container.pzp"
    if not src.is_file():
        pytest.skip("no inv_truncated_container.pzp")
    line = fails("attach-meta", src, "t", tmp_path / "out.pzp")
    assert "frame" in line
    no_leftovers(tmp_path)


# ---- failures ----

def test_missing_input(tmp_path):
    for args in (["compress", tmp_path / "none.pnm", tmp_path / "o.pzp"],
                 ["decompress", tmp_path / "none.pzp", tmp_path / "o.pnm"],
                 ["extract-frame", tmp_path / "none.pzp", 0, tmp_path / "o.pnm"],
                 ["info", tmp_path / "none.pzp"]):
        line = fails(*args, status=1)
        assert "none.p" in line and ("No such file" in line or "cannot open" in line)
    no_leftovers(tmp_path)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not a PNM"), (b"hello world", "not a PNM"), (b"P6", "header"), (b"P1\n2 2\n0 1 1 0\n", "P1"),
    (b"P4\n8 1\n\x00", "P4"), (b"P5\n2 2\n255\n\x00", "truncated"), (b"P6\n0 3\n255\n", "empty"),
    (b"P5\n2 2\n0\n\x00\x00\x00\x00", "maxval"), (b"P5\n2 2\n65536\n" + bytes(8), "maxval"),
    (b"P5\n99999999999 2\n255\n", "too large"), (b"P5\n65536 65536\n65535\n", "limit"),
    (b"P5\n2 x\n255\n", "height"), (b"P7\nWIDTH 2\nHEIGHT 2\nMAXVAL 255\nENDHDR\n" + bytes(4), "DEPTH"),
    (b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 5\nDEPTH 1\nMAXVAL 255\nENDHDR\n" + bytes(4), "twice"),
    (b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 0\nMAXVAL 255\nENDHDR\n", "DEPTH"),
    (b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 1\nMAXVAL 255\nCOLOR red\nENDHDR\n" + bytes(4), "COLOR"),
    (b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 1\nMAXVAL 255\n", "ENDHDR"),
])
def test_bad_pnm_input(tmp_path, content, reason):
    (tmp_path / "in.pnm").write_bytes(content)
    for command in ("compress", "compress-palette", "pack"):
        line = fails(command, tmp_path / "in.pnm", tmp_path / "o.pzp", status=1)
        assert line.startswith(f"pzp: {command}: ") and "in.pnm" in line
        assert reason.lower() in line.lower(), line
    no_leftovers(tmp_path, ["in.pnm"])


def test_not_pnm_message(tmp_path):
    (tmp_path / "in.pnm").write_bytes(b"GIF89a....")
    line = fails("compress", tmp_path / "in.pnm", tmp_path / "o.pzp")
    assert line == f"pzp: compress: {tmp_path / 'in.pnm'}: not a PNM file"


def test_truncated_pnm_every_length(tmp_path):
    """No crash and an error for every cut of a valid file (header and data)."""
    data = pnm_bytes(make_image(3, 4, 4, np.uint16), kind="pam")
    cut = tmp_path / "cut.pam"
    for n in list(range(0, 80)) + [len(data) - 1]:
        cut.write_bytes(data[:n])
        fails("pack", cut, tmp_path / "o.pzp", status=1)
    assert not (tmp_path / "o.pzp").exists()
    cut.write_bytes(data + b"trailing bytes are ignored")
    run("pack", cut, tmp_path / "o.pzp")


def test_directory_as_input(tmp_path):
    fails("compress", tmp_path, tmp_path / "o.pzp", status=1)
    fails("info", tmp_path, status=1)


@needs_conformance
@pytest.mark.parametrize("vector", vectors("invalid"), ids=lambda v: v["file"])
def test_damaged_files(tmp_path, vector):
    """Damaged files never crash the tool; whatever fails says so on one line and writes nothing."""
    path = CONFORMANCE / vector["file"]
    for args in (["info", path], ["decompress", path, tmp_path / "o.pnm"],
                 *(["extract-frame", path, k, tmp_path / "o.pnm"] for k in range(6))):
        p = run(*args, ok=False)
        assert p.returncode in (0, 1), p.stderr
        if p.returncode:
            assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("pzp: ")
            if args[0] != "info":
                assert not (tmp_path / "o.pnm").exists()
        (tmp_path / "o.pnm").unlink(missing_ok=True)
    no_leftovers(tmp_path)


def test_corrupt_pzp(tmp_path):
    image = make_image(16, 16, 3, np.uint8)
    run("compress", write_pnm(tmp_path / "in.ppm", image), tmp_path / "ok.pzp")
    good = (tmp_path / "ok.pzp").read_bytes()
    bad = tmp_path / "bad.pzp"
    for data in (good[:30], good[:70], good[:-10], good[:64] + bytes(len(good) - 64), b"PZP" + good[3:],
                 good[:80] + bytes(b ^ 0x5A for b in good[80:120]) + good[120:]):
        bad.write_bytes(data)
        line = fails("decompress", bad, tmp_path / "out.pnm", status=1)
        assert "bad.pzp" in line
        assert not (tmp_path / "out.pnm").exists()
    (tmp_path / "out.pnm").write_bytes(b"precious")
    fails("decompress", bad, tmp_path / "out.pnm")
    assert (tmp_path / "out.pnm").read_bytes() == b"precious"  # an existing output is left untouched
    fails("info", tmp_path / "in.ppm")


def test_unwritable_output(tmp_path):
    image = make_image(4, 4, 1, np.uint8)
    src = write_pnm(tmp_path / "in.pgm", image)
    run("compress", src, tmp_path / "ok.pzp")
    for args in (["compress", src, tmp_path / "no" / "dir" / "o.pzp"],
                 ["decompress", tmp_path / "ok.pzp", tmp_path / "no" / "o.pnm"],
                 ["pack-frames", tmp_path / "no" / "o.pzp", 0, 0, src],
                 ["attach-meta", tmp_path / "ok.pzp", "m", tmp_path / "no" / "o.pzp"]):
        line = fails(*args, status=1)
        assert "no" in line
    no_leftovers(tmp_path, ["in.pgm", "ok.pzp"])


def test_compress_palette_refuses_too_many_channels(tmp_path):
    """A palette holds at most 8 byte channels (Q3): a library error, reported on one line."""
    image = make_image(3, 3, 5, np.uint16)
    head = b"P7\nWIDTH 3\nHEIGHT 3\nDEPTH 5\nMAXVAL 65535\nENDHDR\n"
    (tmp_path / "five.pam").write_bytes(head + image.astype(">u2").tobytes())
    line = fails("compress-palette", tmp_path / "five.pam", tmp_path / "o.pzp", status=1)
    assert "palette" in line.lower()
    run("compress", tmp_path / "five.pam", tmp_path / "o.pzp")  # without palette it works
    np.testing.assert_array_equal(pzp.read(tmp_path / "o.pzp"), image)
    run("decompress", tmp_path / "o.pzp", tmp_path / "back.pam")
    np.testing.assert_array_equal(read_pnm(tmp_path / "back.pam"), image)
