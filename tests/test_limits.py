"""Limits: documented defaults, each limit refusing with an error that names it
before anything large is allocated, and size arithmetic that never wraps
(dimensions whose products pass 2^32 and 2^64)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import crafted
import pzp
from conftest import CONFORMANCE

DOCS = Path(__file__).resolve().parents[1] / "docs" / "limits.md"
NO_LIMITS = dict.fromkeys(("max_pixels", "max_frames", "max_metadata_bytes", "max_audio_bytes", "max_alloc_bytes"), 0)


@pytest.fixture(autouse=True)
def default_limits():
    pzp.set_limits()
    yield
    pzp.set_limits()


def documented_defaults() -> dict:
    """The defaults table of docs/limits.md: | `name` | value | ..."""
    rows = re.findall(r"^\| `(max_\w+)` \| ([\d,]+) ", DOCS.read_text(), flags=re.M)
    return {name: int(value.replace(",", "")) for name, value in rows}


def test_defaults_are_the_documented_ones():
    documented = documented_defaults()
    assert documented == pzp.get_limits()
    assert set(documented) == set(NO_LIMITS)


def test_set_limits_returns_the_previous_ones_and_restores():
    before = pzp.get_limits()
    previous = pzp.set_limits(max_pixels=1000)
    assert previous == before
    assert pzp.get_limits() == {**before, "max_pixels": 1000}
    pzp.set_limits(**previous)
    assert pzp.get_limits() == before
    with pytest.raises(TypeError, match="max_pixel"):
        pzp.set_limits(max_pixel=5)
    with pytest.raises(ValueError, match="max_frames"):
        pzp.set_limits(max_frames=-1)
    assert pzp.get_limits() == before


@pytest.mark.parametrize(
    ("limit", "value", "action"),
    [
        ("max_pixels", 100, lambda: pzp.read(CONFORMANCE / "f_rgb8_none.pzp")),
        ("max_pixels", 100, lambda: pzp.decode((CONFORMANCE / "f_g16_rle_lz4.pzp").read_bytes())),
        ("max_alloc_bytes", 1000, lambda: pzp.read(CONFORMANCE / "f_rgb8_none.pzp")),
        ("max_alloc_bytes", 1000, lambda: pzp.read_frame(CONFORMANCE / "c_5frames_rle_delays.pzp", 3)),
        ("max_frames", 5, lambda: pzp.open(CONFORMANCE / "c_12frames_small_loop65535.pzp")),
        ("max_metadata_bytes", 1, lambda: pzp.get_metadata(CONFORMANCE / "c_audio_meta_loop7.pzp")),
        ("max_audio_bytes", 1, lambda: pzp.get_audio(CONFORMANCE / "c_audio_meta_loop7.pzp")),
    ],
)
def test_over_a_limit_the_error_names_it(limit, value, action):
    pzp.set_limits(**{limit: value})
    with pytest.raises(pzp.PZPLimitError, match=limit) as e:
        action()
    assert e.value.code == 8


def test_writers_refuse_over_the_limits(tmp_path):
    np = pytest.importorskip("numpy")
    pzp.set_limits(max_pixels=99)
    with pytest.raises(pzp.PZPLimitError, match="max_pixels"):
        pzp.write(tmp_path / "a.pzp", np.zeros((10, 10), np.uint8))
    pzp.set_limits(max_pixels=0, max_metadata_bytes=4)
    with pytest.raises(pzp.PZPLimitError, match="max_metadata_bytes"):
        pzp.write_container(tmp_path / "b.pzp", [np.zeros((4, 4), np.uint8)], metadata=b"12345")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_no_limits_means_the_format_only():
    pzp.set_limits(**NO_LIMITS)
    assert pzp.get_limits() == NO_LIMITS
    image = pzp.read(CONFORMANCE / "f_rgb8_none.pzp")
    pzp.set_limits()
    assert (pzp.read(CONFORMANCE / "f_rgb8_none.pzp") == image).all()


def run_isolated(code: str, address_space_mib: int) -> str:
    """Runs code in a fresh interpreter whose address space may grow by only
    address_space_mib: an allocation the limits should have prevented fails
    there with MemoryError instead of passing unnoticed. Returns stdout."""
    script = textwrap.dedent("""
        import resource, sys
        sys.path.insert(0, {tests!r})
        import numpy, pzp, crafted
        def vm_bytes():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[0]) * resource.getpagesize()
        cap = vm_bytes() + {mib} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        def outcome(call):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                call()
                result = "ok"
            except pzp.PZPError as e:
                result = type(e).__name__ + ": " + str(e)
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            print(result.replace("\\n", " ") + " | grew_kib=" + str(grown))
    """).format(tests=str(Path(__file__).resolve().parent), mib=address_space_mib) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_limits_are_checked_before_the_allocation():
    # 32 KiB of input declaring a 1 GiB payload (zstd RLE blocks), and 11 KiB
    # declaring a 20000 x 20000 image with a 400 MB payload (over max_pixels,
    # under max_alloc_bytes): refused before anything of that size is touched.
    out = run_isolated("""
        import os, tempfile
        gib = crafted.single(32768, 32768, b"", fill_count=1 << 30)
        big = crafted.single(20000, 20000, b"", fill_count=20000 * 20000)
        path = os.path.join(tempfile.mkdtemp(), "big.pzp")
        with open(path, "wb") as f:
            f.write(big)
        pzp.set_limits(max_alloc_bytes=64 << 20)
        outcome(lambda: pzp.decode(gib))
        pzp.set_limits()
        outcome(lambda: pzp.decode(big))
        outcome(lambda: pzp.read(path))
        outcome(lambda: pzp.info(path))
        pzp.set_limits(max_pixels=0, max_alloc_bytes=0)  # the control: nothing stops the allocation
        outcome(lambda: pzp.decode(gib))
    """, address_space_mib=256).splitlines()
    assert len(out) == 5, out
    for line in out[:3]:
        assert line.startswith("PZPLimitError"), line
    assert "max_alloc_bytes" in out[0]
    assert "max_pixels" in out[1] and "max_pixels" in out[2]
    assert out[3].startswith("PZPLimitError") and "max_pixels" in out[3]  # header only, limit still applies
    for line in out[:4]:
        assert int(line.rsplit("grew_kib=", 1)[1]) < 32 * 1024, line
    # Without limits the same input does reach the allocation, and the
    # address-space cap refuses it: this check can see an allocation.
    assert out[4].startswith("PZPMemoryError"), out[4]


OVERFLOWS = [
    # (what, frame header fields, error with default limits, error without limits)
    ("2^32 pixels: w*h wraps 32 bits to 0", dict(width=65536, height=65536), pzp.PZPLimitError, pzp.PZPCorruptError),
    ("w*h*c wraps 32 bits to 9", dict(width=0x40000001, height=3, channels=3), pzp.PZPLimitError,
     pzp.PZPCorruptError),
    ("16-bit: w*h*c*2 wraps 32 bits", dict(width=65536, height=32768, bpp=16, channels=1), pzp.PZPLimitError,
     pzp.PZPCorruptError),
    ("w*h*ci passes 2^64 (PZP0, 255 byte channels)",
     dict(width=0xFFFFFFFF, height=0xFFFFFFFF, channels=255, magic=crafted.FRAME_MAGIC_V0), pzp.PZPLimitError,
     pzp.PZPCorruptError),
    ("w*h*ci passes 2^64 (PZP1, 8 groups of 255)",
     dict(width=0xFFFFFFFF, height=0xFFFFFFFF, channels=2040, channels_internal=2040,
          groups=[(255, 8, 0, 0)] * 8), pzp.PZPLimitError, pzp.PZPFormatError),
    ("channels*2 wraps 32 bits to 0", dict(width=4, height=4, bpp=16, channels=0x80000000, channels_internal=0),
     pzp.PZPCorruptError, pzp.PZPCorruptError),
]


@pytest.mark.parametrize("limited", [True, False], ids=["default-limits", "no-limits"])
def test_wrapping_dimensions_are_refused(limited, tmp_path):
    lines = []
    for k, (_, fields, _, _) in enumerate(OVERFLOWS):
        data = crafted.single(pixels=b"\0" * 64, **fields)
        path = tmp_path / f"o{k}.pzp"
        path.write_bytes(data)
        lines.append(f"outcome(lambda: pzp.decode({data!r}))")
        lines.append(f"outcome(lambda: pzp.read({str(path)!r}))")
        lines.append(f"outcome(lambda: pzp.open({str(path)!r})[0])")
    setup = "pzp.set_limits()\n" if limited else f"pzp.set_limits(**{NO_LIMITS!r})\n"
    out = run_isolated(setup + "\n".join(lines), address_space_mib=256).splitlines()
    assert len(out) == 3 * len(OVERFLOWS)
    for k, (what, _, with_limits, without) in enumerate(OVERFLOWS):
        expected = with_limits if limited else without
        for line in out[3 * k : 3 * k + 3]:
            name = line.split(":", 1)[0]
            assert issubclass(getattr(pzp, name), expected), f"{what}: {line}"
            assert int(line.rsplit("grew_kib=", 1)[1]) < 16 * 1024, f"{what}: {line}"


@pytest.mark.parametrize("limited", [True, False], ids=["default-limits", "no-limits"])
def test_wrapping_container_offsets_are_refused(limited, tmp_path):
    frame = crafted.blob(crafted.frame_header(2, 2) + b"\1\2\3\4")
    cases = {
        # 16 * frames passes 2^32
        "frame count 2^28": crafted.container([frame], frames=1 << 28),
        # offset + size wraps 32 bits back into the file
        "blob offset + size wraps": crafted.container([frame])[:48] + (0xFFFFFFF0).to_bytes(4, "little")
        + (0x20).to_bytes(4, "little") + bytes(8) + frame,
        "metadata offset + length wraps": crafted.container([frame], flags=1, metadata=(0xFFFFFFF0, 0x20)),
        # a 4 GiB blob declared by a 100-byte file: refused before the binding allocates it
        "audio offset + length wraps": crafted.container([frame], flags=2, audio=(0xFFFFFFFF, 0xFFFFFFFF)),
    }
    lines = ["pzp.set_limits()" if limited else f"pzp.set_limits(**{NO_LIMITS!r})"]
    for k, data in enumerate(cases.values()):
        path = tmp_path / f"w{k}.pzp"
        path.write_bytes(data)
        lines.append(f"c = pzp.open({str(path)!r}) if {k} else None")
        lines.append(f"outcome(lambda: pzp.open({str(path)!r}) if {k} == 0 else (c[0], c.metadata, c.audio))")
    out = run_isolated("\n".join(lines), address_space_mib=256).splitlines()
    assert len(out) == len(cases)
    for what, line in zip(cases, out):
        allowed = ("PZPTruncatedError", "PZPCorruptError") + (("PZPLimitError",) if limited else ())
        assert line.split(":", 1)[0] in allowed, f"{what}: {line}"
        assert int(line.rsplit("grew_kib=", 1)[1]) < 16 * 1024, f"{what}: {line}"
