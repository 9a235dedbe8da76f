"""Crash-safe writes. A writer killed with SIGKILL at any point leaves the
target absent, the complete old file or the complete new file; a full disk
gives an error and no partial file; replacing a file that is being read is
safe for its readers.

Kill points are exact: strace injects SIGKILL at the k-th call of each system
call the write makes (pwrite64, ftruncate, fsync, linkat, rename, ...), for
every k; a few kills at measured delays cover the time spent compressing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import pzp

# The child process: writes one large deterministic file at argv[2].
CHILD = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import pzp
    mode, target = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:  # a file size limit: writes past it fail with EFBIG (Python ignores SIGXFSZ)
        limit = int(sys.argv[3])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    rng = np.random.default_rng(7)
    try:
        if mode == "write":
            y, x = np.mgrid[0:1200, 0:1600]
            image = np.stack([(x ^ y) & 255, (x * 3 + y) & 255, rng.integers(0, 256, x.shape)], -1)
            pzp.write(target, image.astype(np.uint8), use_rle=True)
        else:
            base = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            with pzp.ContainerWriter(target, use_inter_delta=True, use_rle=True, metadata=b"m" * 1000) as w:
                for k in range(30):
                    w.append(np.roll(base, k, axis=1), delay_ms=40)
    except pzp.PZPError as e:
        print(type(e).__name__, e.code, e)
        sys.exit(3)
    print("written")
""")
MODES = ("write", "container")
# The system calls through which the library's atomic write goes.
SYSCALLS = ("fchmod", "pwrite64", "ftruncate", "fsync", "linkat", "rename")


def run_child(mode: str, target: Path, *prefix: str, limit: int | None = None, **kw) -> subprocess.CompletedProcess:
    args = [*prefix, sys.executable, "-c", CHILD, mode, str(target)] + ([str(limit)] if limit else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict:
    """Per mode: the complete new file's bytes, and the old file's."""
    folder = tmp_path_factory.mktemp("expected")
    out = {}
    for mode in MODES:
        done = run_child(mode, folder / f"{mode}.pzp")
        assert done.returncode == 0, done.stderr
        new = (folder / f"{mode}.pzp").read_bytes()
        pzp.write(folder / f"{mode}-old.pzp", np.arange(60, dtype=np.uint8).reshape(6, 10))
        out[mode] = (new, (folder / f"{mode}-old.pzp").read_bytes())
    return out


def check_target(folder: Path, target: Path, new: bytes, old: bytes | None, what: str, allow_temporary: bool) -> str:
    """The target is absent, old or new; nothing else is left but (when the kill
    fell between naming the temporary and renaming it) that temporary."""
    if target.exists():
        data = target.read_bytes()
        state = "new" if data == new else "old" if data == old else "partial"
        assert state != "partial", f"{what}: a {len(data)}-byte target that is neither the old nor the new file"
    else:
        assert old is None, f"{what}: the old file is gone and no new one is there"
        state = "absent"
    others = sorted(p.name for p in folder.iterdir() if p != target)
    if allow_temporary:
        others = [name for name in others if not (name.startswith(".pzp-") and name.endswith(".tmp"))]
    assert others == [], f"{what}: left behind {others}"
    return state


def strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    return subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"], capture_output=True).returncode == 0


def syscall_counts(mode: str, folder: Path) -> dict:
    log = folder / "strace.log"
    target = folder / "count.pzp"
    done = run_child(mode, target, "strace", "-f", "-qq", "-o", str(log), "-e", "trace=" + ",".join(SYSCALLS))
    assert done.returncode == 0, done.stderr
    target.unlink()
    calls = [line.split(None, 1)[1].split("(", 1)[0] for line in log.read_text().splitlines() if "(" in line]
    log.unlink()
    return {name: calls.count(name) for name in SYSCALLS}


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_at_every_system_call_of_the_write(mode, expected, tmp_path):
    if not strace_works():
        pytest.skip("strace is missing or cannot trace here (ptrace refused)")
    new, old_bytes = expected[mode]
    counts = syscall_counts(mode, tmp_path)
    assert counts["pwrite64"] >= (1 if mode == "write" else 31), counts  # the write really goes through these calls
    assert counts["rename"] == 1 and counts["fsync"] == 1, counts
    points = [(name, k) for name in SYSCALLS for k in range(1, counts[name] + 1)]

    def kill_at(point_number: int) -> str:
        name, k = points[point_number]
        folder = tmp_path / f"kill{point_number}"
        folder.mkdir()
        target = folder / "out.pzp"
        old = old_bytes if point_number % 2 else None  # over an existing file, or none
        if old is not None:
            target.write_bytes(old)
        done = run_child(mode, target, "strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={name}",
                         "-e", f"inject={name}:signal=SIGKILL:when={k}")
        assert done.returncode != 0, f"{name} #{k}: the child was not killed"
        return check_target(folder, target, new, old, f"SIGKILL at {name} #{k}", allow_temporary=name == "rename")

    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(kill_at, range(len(points))))
    # Every kill lands before the rename: the old file (or nothing), never a new or partial one.
    assert set(states) <= {"absent", "old"}


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_at_measured_delays(mode, expected, tmp_path):
    new, old_bytes = expected[mode]
    started = time.monotonic()
    done = run_child(mode, tmp_path / "timing.pzp")
    assert done.returncode == 0, done.stderr
    full = time.monotonic() - started
    (tmp_path / "timing.pzp").unlink()
    states = []
    for k in range(1, 9):
        folder = tmp_path / f"delay{k}"
        folder.mkdir()
        target = folder / "out.pzp"
        old = old_bytes if k % 2 else None
        if old is not None:
            target.write_bytes(old)
        child = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(target)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(full * k / 9)
        child.kill()
        child.wait()
        states.append(check_target(folder, target, new, old, f"SIGKILL after {k}/9 of the write",
                                   allow_temporary=True))
    assert set(states) <= {"absent", "old", "new"}


@pytest.mark.parametrize("mode", MODES)
def test_file_size_limit_gives_an_error_and_no_partial_file(mode, expected, tmp_path):
    new, old = expected[mode]
    for limit, existing in ((len(new) // 2, None), (len(new) - 1, old), (4096, old)):
        folder = tmp_path / f"limit{limit}"
        folder.mkdir()
        target = folder / "out.pzp"
        if existing is not None:
            target.write_bytes(existing)
        done = run_child(mode, target, limit=limit)
        assert done.returncode == 3, done.stdout + done.stderr
        assert done.stdout.startswith("PZPIOError 10"), done.stdout
        assert "File too large" in done.stdout, done.stdout
        check_target(folder, target, new, existing, f"RLIMIT_FSIZE {limit}", allow_temporary=False)


def test_full_filesystem_gives_an_error_and_no_partial_file(expected, tmp_path):
    """A 1 MiB tmpfs mounted in a private mount namespace (unshare -m)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is missing")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            f"mount -t tmpfs -o size=1m tmpfs {tmp_path}"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {probe.stderr.strip()}")
    script = textwrap.dedent(f"""
        set -e
        mount -t tmpfs -o size=1m tmpfs {tmp_path}
        printf old > {tmp_path}/keep.pzp
        for mode in {" ".join(MODES)}; do
            {sys.executable} -c '{CHILD}' $mode {tmp_path}/out-$mode.pzp || echo "exit $?"
            {sys.executable} -c '{CHILD}' $mode {tmp_path}/keep.pzp || echo "exit $?"
        done
        ls -A {tmp_path}
        cat {tmp_path}/keep.pzp; echo
    """)
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line for line in lines if line.startswith("exit")] == ["exit 3"] * 4, lines
    errors = [line for line in lines if line.startswith("PZP")]
    assert len(errors) == 4 and all(line.startswith("PZPIOError 10") for line in errors), lines
    assert all("No space left on device" in line for line in errors), lines
    assert lines[-2:] == ["keep.pzp", "old"], lines  # no new file, no temporary; the old one untouched


def test_replacing_a_file_while_it_is_read(tmp_path):
    """Readers of a path that is being replaced over and over see the old or the
    new image, never a mix; an open container keeps reading the file it opened."""
    path = tmp_path / "busy.pzp"
    images = [np.full((200, 300, 3), k * 60, np.uint8) + np.arange(300, dtype=np.uint8)[None, :, None]
              for k in range(2)]
    pzp.write(path, images[0])
    stop = threading.Event()
    seen = []
    problems = []

    def reader():
        while True:  # at least one read, however the threads are scheduled
            try:
                image = pzp.read(path)
                matches = [k for k, candidate in enumerate(images) if np.array_equal(image, candidate)]
                seen.append(matches[0] if matches else -1)
            except pzp.PZPError as e:
                problems.append(e)
            if stop.is_set():
                break

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for k in range(60):
            pzp.write(path, images[k % 2])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not problems, problems[:3]
    assert -1 not in seen and len(seen) >= len(threads)

    frames = [np.full((32, 48), k, np.uint8) for k in range(6)]
    pzp.write_container(path, frames, use_inter_delta=True)
    with pzp.open(path) as container:
        first = container[0]
        pzp.write_container(path, [f + 100 for f in frames], use_inter_delta=True)  # over the open file
        assert np.array_equal(first, frames[0])
        for k in range(6):
            assert np.array_equal(container[k], frames[k])
    assert np.array_equal(pzp.read_frame(path, 5), frames[5] + 100)
    image = pzp.read(path)
    pzp.write(path, image[::-1])  # read, then write the same path
    assert np.array_equal(pzp.read(path), image[::-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy.pzp"]
