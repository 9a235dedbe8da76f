"""atheris harness over the pzp Python API: hostile bytes through
``pzp.decode`` (memory) and ``pzp.info`` / ``pzp.read`` / ``pzp.open`` (a
file): only :class:`pzp.PZPError` subclasses may escape; anything else (a
``struct.error``, an ``IndexError``, a numpy error, a crash) is a finding.

    python native/fuzz/fuzz_python.py -max_total_time=60 native/fuzz/corpus/pzp

Arguments are libFuzzer's. ``make fuzz`` runs it for FUZZ_SECONDS; the test
suite runs a short pass (tests/test_fuzz_python.py).
"""

from __future__ import annotations

import os
import sys
import tempfile

import inspect

import atheris

import pzp


def instrument_package(package: str) -> int:
    """Adds coverage to every function and method of the package's loaded
    modules (atheris.instrument_imports misses modules that an editable
    install loads through its own import hook; instrument_all takes seconds
    for numpy). Returns how many were instrumented."""
    count = 0
    for name, module in list(sys.modules.items()):
        if name != package and not name.startswith(package + "."):
            continue
        for obj in vars(module).values():
            members = vars(obj).values() if inspect.isclass(obj) and obj.__module__ == name else [obj]
            for member in members:
                if isinstance(member, property):
                    member = member.fget
                if inspect.isfunction(member) and member.__module__ == name:
                    atheris.instrument_func(member)
                    count += 1
    return count


instrument_package("pzp")

# Small limits, so one input cannot make the harness allocate a gigabyte.
pzp.set_limits(max_pixels=1 << 22, max_frames=4096, max_metadata_bytes=1 << 20, max_audio_bytes=1 << 20,
               max_alloc_bytes=64 << 20)
_FOLDER = tempfile.mkdtemp(prefix="pzp-atheris-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
_PATH = os.path.join(_FOLDER, "input.pzp")
MAX_FRAMES = 16


def exercise_file(path: str) -> None:
    for call in (pzp.info, pzp.read, pzp.frame_count, pzp.get_delays, pzp.get_loop_count):
        try:
            call(path)
        except pzp.PZPError:
            pass
    try:
        with pzp.open(path) as container:
            container.delays, container.loop_count, container.shape, container.dtype
            for index in range(min(len(container), MAX_FRAMES)):
                try:
                    container.frame_info(index)
                    container[index]
                except pzp.PZPError:
                    pass
            for blob in ("metadata", "audio"):
                try:
                    getattr(container, blob)
                except pzp.PZPError:
                    pass
    except pzp.PZPError:
        pass


def test_one_input(data: bytes) -> None:
    for buffer in (data, memoryview(data)):
        try:
            pzp.decode(buffer, verify=len(data) % 2 == 1)
        except pzp.PZPError:
            pass
    with open(_PATH, "wb") as f:
        f.write(data)
    exercise_file(_PATH)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    try:
        atheris.Fuzz()
    finally:
        os.unlink(_PATH) if os.path.exists(_PATH) else None
        os.rmdir(_FOLDER)


if __name__ == "__main__":
    main()
