"""Peak memory of decoding: how much a process grows (its peak resident set,
after resetting the peak) while decoding one large frame, as a multiple of the
frame's decoded size. Each case runs in a fresh process.

Measured (RGB, 36 MB and 12 MB frames): a single image, from a file or from
bytes, and a container key frame: 2.0x (the decompressed payload and the
pixels); delta frames read in order: 3.0x (plus the previous frame, kept for
the next delta); random access into a delta chain: 4.0x (the chain is decoded
through a second frame buffer before the target is decompressed)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pzp

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import pzp

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024

    folder, case = sys.argv[1], sys.argv[2]
    pzp.read(folder + "/tiny.pzp")  # libraries loaded, contexts made
    data = open(folder + "/image.pzp", "rb").read()
    container = pzp.open(folder + "/delta.pzp") if "delta" in case else pzp.open(folder + "/keys.pzp")
    pzp.thread_cleanup()  # no buffer kept from the calls above
    def in_order():  # a player: one frame at a time
        image = None
        for k in range(4):
            image = None  # dropped before the next one is decoded
            image = container[k]
        return image

    calls = {
        "read": lambda: pzp.read(folder + "/image.pzp"),
        "decode": lambda: pzp.decode(data),
        "key frame": lambda: container[3],
        "delta frames in order": in_order,
        "delta frame by random access": lambda: container[4],
    }
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from the current size
    before = status("VmRSS")
    image = calls[case]()
    print(json.dumps({"grown": status("VmHWM") - before, "decoded": image.nbytes}))
""")

# (case, the most it may grow, in decoded sizes)
CASES = [
    ("read", 2.1),
    ("decode", 2.1),
    ("key frame", 2.1),
    ("delta frames in order", 3.1),
    ("delta frame by random access", 4.1),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("memory")
    y, x = np.mgrid[0:3000, 0:4000]
    image = np.stack([(x // 7) & 255, (y // 5) & 255, ((x + y) // 9) & 255], -1).astype(np.uint8)
    image[::17, ::13] = np.random.default_rng(1).integers(0, 256, image[::17, ::13].shape, dtype=np.uint8)
    pzp.write(folder / "image.pzp", image, use_rle=True)  # 36 MB decoded, a few hundred KB stored
    pzp.write(folder / "tiny.pzp", image[:8, :8])
    frames = [np.roll(image[:2000, :2000], k, axis=1) for k in range(6)]  # 12 MB each
    pzp.write_container(folder / "delta.pzp", frames, use_inter_delta=True, use_rle=True, keyframe_interval=0)
    pzp.write_container(folder / "keys.pzp", frames, use_rle=True)
    return folder


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc/self/clear_refs")
@pytest.mark.parametrize(("case", "most"), CASES)
def test_peak_memory_of_a_decode(case, most, files):
    done = subprocess.run([sys.executable, "-c", CHILD, str(files), case], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    ratio = result["grown"] / result["decoded"]
    print(f"{case}: peak {ratio:.2f}x the decoded size ({result['decoded'] / 1e6:.0f} MB)")
    assert ratio <= most, f"{case}: the process grew by {ratio:.2f}x the decoded size"
