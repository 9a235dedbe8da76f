"""Shared by the benchmark scripts: timing, the machine description, CSV output,
and building the C program that measures the C limit (bench/climit.c)."""

from __future__ import annotations

import csv
import datetime
import importlib
import os
import platform
import shutil
import statistics
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"


def median_time(fn, budget: float = 0.15, min_runs: int = 5, max_runs: int = 41) -> float:
    """Median wall time of fn() in seconds: one warm-up call, then at least
    min_runs calls and more while the total stays under budget seconds."""
    fn()
    times: list = []
    spent = 0.0
    while len(times) < min_runs or (spent < budget and len(times) < max_runs):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times)


def once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


PACKAGES = ("numpy", "pzp", "cv2", "pyspng", "qoi", "imagecodecs", "tifffile", "zarr", "numcodecs", "h5py",
            "hdf5plugin", "dask", "matplotlib")


def environment() -> dict:
    """The machine and the version of every package the benchmarks use."""
    import pzp

    env = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libpzp": pzp.library_version,
        "simd": os.environ.get("PZP_CPU_LEVEL", "best available"),
    }
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            env[name] = "not installed"
            continue
        version = getattr(module, "__version__", None) or getattr(module, "version", None) or "?"
        env[name] = str(version)
    try:
        import imagecodecs

        env["libzstd (imagecodecs)"] = imagecodecs.zstd_version()
        env["libjxl (imagecodecs)"] = imagecodecs.jpegxl_version()
        env["libwebp (imagecodecs)"] = imagecodecs.webp_version()
    except (ImportError, AttributeError):
        pass
    return env


def write_csv(path: Path, rows: list, env: dict) -> None:
    """rows of dicts to CSV, preceded by '# key: value' lines for the environment
    (read back with pandas.read_csv(path, comment='#'))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields: list = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    with path.open("w", newline="") as f:
        for key, value in env.items():
            f.write(f"# {key}: {value}\n")
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def build_climit(out_dir: Path) -> Path | None:
    """Compiles bench/climit.c against the libpzp the pzp package loads (same
    optimisation as a Release build, no -march=native). None if no compiler."""
    import pzp
    import pzp._ffi

    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        return None
    library = Path(pzp._ffi._library_path()).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "climit"
    # The package's libpzp.so carries the SONAME libpzp.so.MAJOR: link and run
    # through a link of that name beside the program.
    soname = out_dir / f"libpzp.so.{pzp.library_version.split('.')[0]}"
    soname.unlink(missing_ok=True)
    soname.symlink_to(library)
    command = [compiler, "-O3", "-DNDEBUG", "-I", str(ROOT / "native" / "include"), str(HERE / "climit.c"), "-o",
               str(exe), str(soname), f"-Wl,-rpath,{out_dir.resolve()}", "-lzstd", "-llz4"]
    subprocess.run(command, check=True)
    return exe


def run_climit(exe: Path, files: list, repeat: int = 15) -> dict:
    """climit's measurements per file path: {path: {column: value}}."""
    result: dict = {}
    for start in range(0, len(files), 200):
        chunk = [str(f) for f in files[start : start + 200]]
        text = subprocess.run([str(exe), "--repeat", str(repeat), *chunk], check=True, capture_output=True,
                              text=True).stdout
        lines = text.strip().splitlines()
        header = lines[0].split(",")
        for line in lines[1:]:
            values = line.split(",")
            row = dict(zip(header, values))
            result[row["file"]] = {k: (float(v) if k.endswith("_s") else v) for k, v in row.items()}
    return result
