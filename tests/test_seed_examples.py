"""The seed's single-image examples, run as written (`import pzp` and `import PZP`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

import pzp
from seed_doc import CONSTANTS, READ_EXAMPLE, WRITE_EXAMPLE, example


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    """The files the examples name: image.pzp, photo.ppm and depth.pnm."""
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    pzp.write(tmp_path / "image.pzp", rgb, use_rle=True, use_palette=True, use_lz4=True)
    cv2.imwrite(str(tmp_path / "photo.ppm"), rgb)
    depth = (np.indices((120, 160)).sum(axis=0) * 200).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "depth.pnm"), depth)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("module", ["pzp", "PZP"])
def test_read_example(workdir, module, capsys):
    code = example(READ_EXAMPLE).replace("import pzp", f"import {module} as pzp")
    namespace: dict = {}
    exec(compile(code, "seed:read", "exec"), namespace)
    assert namespace["img"].shape == (360, 640, 3) and namespace["img"].dtype == np.uint8
    assert namespace["meta"]["width"] == 640 and namespace["meta"]["channels"] == 3
    assert namespace["flags"] == pzp.USE_COMPRESSION | pzp.USE_RLE | pzp.USE_PALETTE | pzp.USE_LZ4
    assert capsys.readouterr().out.split("\n")[:3] == ["palette mode", "delta filter", "LZ4 codec"]


@pytest.mark.parametrize("module", ["pzp", "PZP"])
def test_write_example(workdir, module):
    code = example(WRITE_EXAMPLE, after="Write (compress)").replace("import pzp", f"import {module} as pzp")
    raw = np.random.default_rng(2).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    namespace = {"raw_bytes": raw.tobytes()}
    exec(compile(code, "seed:write", "exec"), namespace)
    photo = cv2.imread("photo.ppm")
    np.testing.assert_array_equal(pzp.read("photo.pzp"), photo)  # the last photo.pzp written: RLE + LZ4
    assert pzp.info("photo.pzp")["configuration"] == pzp.USE_COMPRESSION | pzp.USE_RLE | pzp.USE_LZ4
    depth = pzp.read("depth.pzp")
    assert depth.dtype == np.uint16 and depth.shape == (120, 160)
    np.testing.assert_array_equal(depth, cv2.imread("depth.pnm", cv2.IMREAD_ANYDEPTH))
    np.testing.assert_array_equal(pzp.read("out.pzp"), photo)  # the full-bitfield example came last
    assert pzp.info("out.pzp")["configuration"] == pzp.USE_COMPRESSION | pzp.USE_RLE


def test_constants():
    lines = [line for line in example(CONSTANTS).splitlines() if line.strip()]
    assert len(lines) == 9
    for line in lines:
        expression, _, comment = line.partition("#")
        value = comment.split()[1]
        for module in ("pzp", "PZP"):
            got = eval(expression.replace("pzp.", module + "."), {"pzp": pzp, "PZP": __import__("PZP")})
            assert got == int(value, 0), line


def test_pzp_and_PZP_are_the_same_api():
    import PZP

    for name in pzp.__all__:
        assert getattr(PZP, name) is getattr(pzp, name), name


def test_without_numpy(tmp_path):
    """In a process where numpy cannot be imported, read returns the documented dict."""
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    depth = np.array([[0, 1, 258], [65535, 256, 4660]], dtype=np.uint16)
    pzp.write(tmp_path / "rgb.pzp", rgb, use_rle=True)
    pzp.write(tmp_path / "depth.pzp", depth, use_rle=True)
    script = textwrap.dedent(f"""
        import sys
        sys.modules["numpy"] = None          # any "import numpy" now fails
        import pzp
        d = pzp.read({str(tmp_path / "rgb.pzp")!r})
        assert set(d) == {{"data", "width", "height", "channels", "bpp", "configuration"}}, d
        assert (d["width"], d["height"], d["channels"], d["bpp"]) == (3, 2, 3, 8)
        assert d["data"] == bytes(range(18)) and d["configuration"] == 3
        d, flags = pzp.read({str(tmp_path / "depth.pzp")!r}, return_flags=True)
        assert d["data"] == bytes([0, 0, 0, 1, 1, 2, 255, 255, 1, 0, 0x12, 0x34]), d["data"]  # big-endian
        assert flags == 3
        pzp.write({str(tmp_path / "raw.pzp")!r}, d["data"], width=3, height=2, bpp=16, channels=1)
        assert pzp.read({str(tmp_path / "raw.pzp")!r})["data"] == d["data"]
        with pzp.open({str(tmp_path / "rgb.pzp")!r}) as c:
            assert c[0]["data"] == bytes(range(18))
        print("ok")
    """)
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
