"""The build commands of the README and the seed keep working: make libpzp.so,
make install (PREFIX, DESTDIR, pzp.pc), pip wheel (a platform wheel holding the
library)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import pzp

ROOT = Path(__file__).resolve().parent.parent

C_PROGRAM = r"""
#include <pzp.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    unsigned char pixels[6 * 4 * 3], back[6 * 4 * 3], file[4096];
    for (int i = 0; i < (int)sizeof pixels; i++) pixels[i] = (unsigned char)(i * 7);
    pzp_encode_params p;
    memset(&p, 0, sizeof p);
    p.width = 6; p.height = 4; p.bpp = 8; p.channels = 3; p.configuration = PZP_USE_RLE;
    size_t n;
    if (pzp_encode(NULL, &p, pixels, sizeof pixels, file, sizeof file, &n) != PZP_OK) return 1;
    pzp_image_info info;
    if (pzp_decode(NULL, file, n, back, sizeof back, &info) != PZP_OK) return 2;
    printf("%s %u %d\n", pzp_version_string(), info.width, memcmp(pixels, back, sizeof back));
    return 0;
}
"""


def run(*args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def make():
    if shutil.which("make") is None or shutil.which("cmake") is None:
        pytest.skip("make and cmake are needed")
    return lambda *targets, **env: run("make", "-C", str(ROOT), *targets, env={**os.environ, **env})


def test_make_libpzp_so(make, tmp_path):
    make("libpzp.so")
    library = ROOT / "libpzp.so"
    assert library.is_file()
    script = "import pzp; print(pzp._ffi._library_path()); print(pzp.read(pzp.samples.path('segment')).shape)"
    out = run(sys.executable, "-c", "import pzp.samples\n" + script, env={**os.environ, "PZP_LIBRARY": str(library)})
    assert out.stdout.split("\n")[:2] == [str(library), "(640, 480, 3)"]


def test_make_install(make, tmp_path):
    stage = tmp_path / "stage"
    make("install", "PREFIX=/opt/pzp-test", f"DESTDIR={stage}")
    prefix = stage / "opt" / "pzp-test"
    for part in ("bin/pzp", "include/pzp.h", "lib/libpzp.so", "lib/pkgconfig/pzp.pc"):
        assert (prefix / part).exists(), part
    assert "libpzp 1.0.0" in run(str(prefix / "bin" / "pzp"), "--version").stdout  # finds its own library
    if shutil.which("pkg-config") is None or shutil.which("cc") is None:
        pytest.skip("pkg-config and a C compiler are needed to build against the installed library")
    flags = run("pkg-config", "--cflags", "--libs", "pzp",
                env={**os.environ, "PKG_CONFIG_PATH": str(prefix / "lib" / "pkgconfig")}).stdout.split()
    source = tmp_path / "use_pzp.c"
    source.write_text(C_PROGRAM)
    run("cc", str(source), "-o", str(tmp_path / "use_pzp"), *flags)
    out = run(str(tmp_path / "use_pzp"), env={**os.environ, "LD_LIBRARY_PATH": str(prefix / "lib")}).stdout
    assert out.split() == ["1.0.0", "6", "0"]


def test_wheel(tmp_path):
    if shutil.which("cmake") is None:
        pytest.skip("cmake is needed")
    try:  # the make venv has the build backend: no need to fetch it again
        import scikit_build_core  # noqa: F401

        isolation = ["--no-build-isolation"]
    except ImportError:
        isolation = []
    run(sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", *isolation, "-w", str(tmp_path), cwd=tmp_path)
    (wheel,) = tmp_path.glob("napari_pzp-*.whl")
    assert "-py3-none-linux_" in wheel.name  # a platform wheel: it carries a compiled library
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("pzp/libpzp.so", "pzp/__init__.py", "PZP/__init__.py", "pzp/samples/depth16.pzp", "pzp/py.typed",
                   "napari_pzp/napari.yaml", "napari_pzp/samples/nuclei_z12.pzp", "napari_pzp/samples/SOURCES.md"):
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "napari-pzp = napari_pzp:napari.yaml" in zipfile.ZipFile(wheel).read(entry_points).decode()
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    # -S: no site hooks (an editable install of this project would win), so
    # the path is the unpacked wheel, then numpy's folder.
    script = ("import sys; sys.path[:0] = sys.argv[1:]; import pzp, PZP, pzp.samples\n"
              "assert pzp.__file__.startswith(sys.argv[1]), pzp.__file__\n"
              "print(pzp.samples.load('depth16').shape)")
    env = {k: v for k, v in os.environ.items() if k not in ("PZP_LIBRARY", "PYTHONPATH")}
    numpy_folder = str(Path(np.__file__).resolve().parent.parent)
    out = run(sys.executable, "-I", "-S", "-c", script, str(unpacked), numpy_folder, env=env)
    assert out.stdout.strip() == "(360, 640)"


def test_sample_images_are_the_originals():
    import pzp.samples

    assert pzp.samples.names() == ["depth16", "rgb8", "sample", "segment"]
    for name in pzp.samples.names():
        image = pzp.samples.load(name)  # checks the SHA-256 of the original pixels
        assert list(image.shape) == pzp.samples.describe(name)["shape"]
    assert pzp.samples.load("depth16").dtype == np.uint16
    with pytest.raises(KeyError):
        pzp.samples.path("nope")


def test_demo_runs(tmp_path):
    out = run(sys.executable, "-m", "pzp.demo", "--out", str(tmp_path), "--repeat", "1").stdout
    assert "all 28 round trips exact" in out
    assert len(list(tmp_path.glob("*.pzp"))) == 28
    table = (tmp_path / "table.txt").read_text()  # the printed table, kept beside the files
    assert table in out and len(table.splitlines()) == 2 + 28 and "NO" not in table.split()
