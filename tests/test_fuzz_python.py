"""A short atheris run of native/fuzz/fuzz_python.py over the Python API: hostile
bytes through pzp.decode / pzp.read / pzp.info / pzp.open raise only PZPError
subclasses (make fuzz runs it for longer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "native" / "fuzz"


def test_atheris_short_run(tmp_path):
    pytest.importorskip("atheris", reason="atheris is not installed (make test installs it when it can)")
    work = tmp_path / "corpus"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(FUZZ / "fuzz_python.py"), "-runs=3000", "-max_total_time=60", "-max_len=20000",
         f"-artifact_prefix={tmp_path}/", str(work), str(FUZZ / "corpus" / "pzp")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert "Done" in log or "DONE" in log, log[-2000:]
    assert not list(tmp_path.glob("crash-*")), log[-4000:]
