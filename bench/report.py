"""Tables, plot and docs/performance.md from the benchmark rows.

    python bench/report.py [--results bench/results] [--docs docs]

rebuilds docs/performance.md and docs/performance.png from the CSV files of
bench/results alone (run.py calls the same code after a run), so a part
measured again (``run.py --parts threads``) shows up without rerunning the rest.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
C_LIMIT_TARGET = 1.25

# The flag set a user would pick per image class: the left filter (16-bit
# images then get the gradient predictor when it is smaller). For label maps
# a palette is smaller still but slower (see the label table).
PICK = {"photo": "pzp rle", "gray": "pzp rle", "rgba": "pzp rle", "anim": "pzp rle", "samples": "pzp rle",
        "depth16": "pzp rle", "label": "pzp palette"}
# Targets: decode speed-up over cv2's PNG and size relative to it, per class.
SPEED_TARGET = {"photo": 5, "rgba": 5, "label": 10, "depth16": 3, "gray": 3}
SIZE_TARGET = {"photo": 1.0, "gray": 1.0, "rgba": 1.0, "label": 0.65, "depth16": 0.8}


def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def fmt(x: float, digits: int = 2) -> str:
    return "-" if x != x else f"{x:.{digits}f}"


def mb(n: int) -> str:
    """Megabytes to 3 significant digits at least (small label sequences are a few kB)."""
    return f"{n / 1e6:.2f}" if n >= 1e6 else f"{n / 1e6:.3g}"


def by(rows: list, *keys) -> dict:
    out: dict = {}
    for row in rows:
        out.setdefault(tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]], []).append(row)
    return out


def class_summary(rows: list) -> dict:
    """{class: {contender: summary}} with sizes and speeds relative to cv2's PNG."""
    summary: dict = {}
    for cls, class_rows in by(rows, "class").items():
        per_image = by(class_rows, "image")
        png = {img: next(r for r in rs if r["contender"] == "png (cv2)") for img, rs in per_image.items()}
        qoi = {img: next((r for r in rs if r["contender"] == "qoi"), None) for img, rs in per_image.items()}
        plain = {img: next((r for r in rs if r["contender"] == "pzp plain"), None) for img, rs in per_image.items()}
        best_rows = []
        for img, rs in per_image.items():
            candidates = [r for r in rs if r["contender"].startswith("pzp")]
            best = dict(min(candidates, key=lambda r: r["file_bytes"]))
            best["contender"] = "pzp best of flag sets"
            best_rows.append(best)
        result = {}
        for contender, crs in by(class_rows + best_rows, "contender").items():
            images = [r["image"] for r in crs]
            png_bytes = sum(png[i]["file_bytes"] for i in images)
            s = {
                "images": len(crs),
                "size_vs_png": sum(r["file_bytes"] for r in crs) / png_bytes,
                "speedup_vs_png": median(png[r["image"]]["decode_s"] / r["decode_s"] for r in crs),
                "speed_vs_qoi": median(qoi[r["image"]]["decode_s"] / r["decode_s"] for r in crs if qoi[r["image"]]),
                "decode_mb_s": sum(r["raw_bytes"] for r in crs) / sum(r["decode_s"] for r in crs) / 1e6,
                "encode_speedup_vs_png": median(png[r["image"]]["encode_s"] / r["encode_s"] for r in crs
                                                if r["encode_s"]),
                "exact": all(r["exact"] for r in crs),
                "vs_plain": median(r["decode_s"] / plain[r["image"]]["decode_s"] for r in crs if plain[r["image"]]),
            }
            if crs[0].get("c_limit_s") is not None:
                ratios = [(r["decode_s"] / r["c_limit_s"], r["image"], r["c_limit_s"]) for r in crs]
                s["vs_c_limit"] = median(x[0] for x in ratios)
                s["vs_c_limit_worst"] = max(ratios)
                s["over_c_limit"] = sum(x[0] > C_LIMIT_TARGET for x in ratios)
                s["c_undo_mb_s"] = sum(r["raw_bytes"] for r in crs) / sum(max(r["c_undo_s"], 1e-9) for r in crs) / 1e6
                s["raw_share"] = median(r["c_raw_s"] / r["c_limit_s"] for r in crs)
                s["vs_memcpy"] = median(r["decode_s"] / r["c_memcpy_s"] for r in crs)
            result[contender] = s
        # memcpy of each decoded image (climit, once per image): the bound of any decoder
        copies = [r for r in class_rows if r["contender"] == "pzp plain" and r.get("c_memcpy_s")]
        if copies:
            result["memcpy (bound)"] = {
                "images": len(copies), "size_vs_png": float("nan"),
                "speedup_vs_png": median(png[r["image"]]["decode_s"] / r["c_memcpy_s"] for r in copies),
                "speed_vs_qoi": median(qoi[r["image"]]["decode_s"] / r["c_memcpy_s"] for r in copies
                                       if qoi[r["image"]]),
                "decode_mb_s": sum(r["raw_bytes"] for r in copies) / sum(r["c_memcpy_s"] for r in copies) / 1e6,
                "encode_speedup_vs_png": float("nan"), "exact": None,
            }
        summary[cls] = result
    return summary


ORDER = ["pzp plain", "pzp lz4", "pzp rle", "pzp rle+lz4", "pzp palette", "pzp rle+palette", "pzp best of flag sets",
         "png (cv2)", "png (pyspng)", "qoi", "webp lossless", "jpegxl e1", "tiff zstd+pred", "npy", "memcpy (bound)"]


def class_tables(summary: dict) -> str:
    out = []
    for cls in sorted(summary):
        s = summary[cls]
        n = s["png (cv2)"]["images"]
        out.append(f"\n#### {cls} ({n} images; user pick: `{PICK.get(cls, '-')}`)\n")
        out.append("| contender | size vs PNG | decode speed-up vs cv2 PNG | speed vs QOI | decode MB/s | "
                   "encode speed-up vs cv2 PNG | exact |")
        out.append("|---|---:|---:|---:|---:|---:|:-:|")
        for contender in ORDER:
            if contender not in s:
                continue
            c = s[contender]
            name = f"**{contender}**" if contender == PICK.get(cls) else contender
            if contender == "memcpy (bound)":
                name = "*memcpy of the decoded image (C, the bound)*"
            out.append(f"| {name} | {fmt(c['size_vs_png'])} | {fmt(c['speedup_vs_png'], 1)} | "
                       f"{fmt(c['speed_vs_qoi'])} | {fmt(c['decode_mb_s'], 0)} | {fmt(c['encode_speedup_vs_png'], 1)} | "
                       f"{'-' if c['exact'] is None else 'yes' if c['exact'] else 'NO'} |")
    return "\n".join(out)


def c_limit_table(summary: dict) -> str:
    out = ["| class | flag set | pzp.read / C limit, median | worst image: pzp.read / C limit (C limit) | "
           f"images over {C_LIMIT_TARGET}x | pzp.read / memcpy | decompression share of C limit | filter undo MB/s | "
           "decode time vs pzp plain |", "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for cls in sorted(summary):
        for contender in ORDER:
            c = summary[cls].get(contender)
            if c is None or "vs_c_limit" not in c or contender.startswith("pzp best"):
                continue
            ratio, image, limit = c["vs_c_limit_worst"]
            out.append(f"| {cls} | {contender} | {fmt(c['vs_c_limit'])} | {ratio:.2f} `{image}` ({limit * 1e6:.0f} us) | "
                       f"{c['over_c_limit']} of {c['images']} | {fmt(c['vs_memcpy'], 1)} | {fmt(c['raw_share'])} | "
                       f"{fmt(c['c_undo_mb_s'], 0)} | {fmt(c['vs_plain'])} |")
    return "\n".join(out)


def sequence_summary(rows: list) -> dict:
    """Per sequence: the PZP flag set a user would pick (the smallest whose random
    access beats HDF5 + zstd), and the peers' figures."""
    result = {}
    for seq, srs in by(rows, "sequence").items():
        named = {r["contender"]: r for r in srs}
        h5 = named["hdf5 zstd"]
        tiff = named["tiff zstd+pred"]
        fast = [r for r in srs if r["contender"].startswith("pzp") and r["random_frame_s"] < h5["random_frame_s"]]
        pick = min(fast, key=lambda r: r["file_bytes"]) if fast else min(
            (r for r in srs if r["contender"].startswith("pzp")), key=lambda r: r["random_frame_s"])
        result[seq] = {"rows": srs, "pick": pick, "h5": h5, "tiff": tiff,
                       "size_ok": pick["file_bytes"] <= min(h5["file_bytes"], tiff["file_bytes"]),
                       "random_ok": pick["random_frame_s"] < h5["random_frame_s"]}
    return result


def sequence_tables(summary: dict) -> str:
    out = []
    for seq in sorted(summary):
        s = summary[seq]
        r0 = s["rows"][0]
        out.append(f"\n#### {seq} ({r0['frames']} frames {r0['frame_shape']} {r0['dtype']}, "
                   f"{r0['raw_bytes'] / 1e6:.1f} MB raw; pick: `{s['pick']['contender']}`)\n")
        out.append("| contender | MB | size vs raw | open ms | random frame ms | full pass 1 thread fps | "
                   "2 threads fps | exact |")
        out.append("|---|---:|---:|---:|---:|---:|---:|:-:|")
        for r in s["rows"]:
            name = f"**{r['contender']}**" if r is s["pick"] else r["contender"]
            out.append(f"| {name} | {mb(r['file_bytes'])} | {r['file_bytes'] / r['raw_bytes']:.3f} | "
                       f"{r['open_s'] * 1e3:.2f} | {r['random_frame_s'] * 1e3:.3f} | "
                       f"{r['frames'] / r['full_1thread_s']:.0f} | {r['frames'] / r['full_2threads_s']:.0f} | "
                       f"{'yes' if r['exact'] else 'NO'} |")
    return "\n".join(out)


def targets(summary: dict, seqs: dict, threads: dict, overhead: dict, opened: dict) -> tuple:
    """(Markdown table of every target with the measured value, list of the ones missed)."""
    lines = ["| target | measured | met |", "|---|---|:-:|"]
    missed = []

    def add(name: str, value: str, ok: bool) -> None:
        lines.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")
        if not ok:
            missed.append(name)

    for cls, goal in SPEED_TARGET.items():
        c = summary[cls][PICK[cls]]
        add(f"{cls}: `{PICK[cls]}` decodes >= {goal}x cv2 PNG", f"{c['speedup_vs_png']:.1f}x",
            c["speedup_vs_png"] >= goal)
    c = summary["photo"][PICK["photo"]]
    add("photo: at least QOI's speed", f"{c['speed_vs_qoi']:.2f}x QOI", c["speed_vs_qoi"] >= 1)
    for cls, goal in SIZE_TARGET.items():
        c = summary[cls][PICK[cls]]
        add(f"{cls}: `{PICK[cls]}` size <= {goal}x PNG", f"{c['size_vs_png']:.3f}x", c["size_vs_png"] <= goal)
    limited = [(cls, k, c) for cls, s in summary.items() for k, c in s.items() if "vs_c_limit" in c
               and not k.startswith("pzp best")]
    worst = max((c["vs_c_limit"], cls, k) for cls, k, c in limited)
    add(f"every flag set within {C_LIMIT_TARGET}x of the C limit (median per class)", f"worst {worst[0]:.2f}x "
        f"({worst[1]}, {worst[2]})", worst[0] <= C_LIMIT_TARGET)
    worst = max((c["vs_c_limit_worst"], cls, k) for cls, k, c in limited)
    over = sum(c["over_c_limit"] for _, _, c in limited)
    total = sum(c["images"] for _, _, c in limited)
    add(f"every flag set within {C_LIMIT_TARGET}x of the C limit (every image)",
        f"worst {worst[0][0]:.2f}x ({worst[1]}, {worst[2]}, `{worst[0][1]}`, C limit {worst[0][2] * 1e6:.0f} us); "
        f"{over} of {total} image x flag set pairs over", over == 0)
    slow = max((c["vs_plain"], cls, k) for cls, s in summary.items() for k, c in s.items()
               if k in ("pzp palette", "pzp rle+palette") or (cls == "depth16" and k == "pzp rle"))
    add("palette and 16-bit paths <= 2x the plain path", f"worst {slow[0]:.2f}x ({slow[1]}, {slow[2]})",
        slow[0] <= 2)
    enc = min(s["pzp plain"]["encode_speedup_vs_png"] for s in summary.values())
    add("encode (default flags) >= 3x cv2.imwrite PNG, every class", f"worst {enc:.2f}x", enc >= 3)
    t = threads["read_many"]
    add(f"2 threads >= 1.8x 1 thread (pzp.read_many, median of {len(t['ratios'])} rounds)",
        f"{t['ratio']:.2f}x (rounds {', '.join(f'{r:.2f}' for r in t['ratios'])}; load average "
        f"{threads['load']:.1f} on 2 cores)", t["ratio"] >= 1.8)
    add("read_many: less Python overhead than a thread pool of pzp.read",
        f"{overhead['read_many_s'] * 1e6:.1f} vs {overhead['pool_read_s'] * 1e6:.1f} us per tiny file",
        overhead["read_many_s"] < overhead["pool_read_s"])
    if "python_overhead_s" in overhead:
        add("Python overhead per pzp.read of a tiny image < 20 us",
            f"{overhead['python_overhead_s'] * 1e6:.1f} us ({overhead['read_s'] * 1e6:.1f} us per call, "
            f"{overhead['c_file_s'] * 1e6:.1f} us in C)", overhead["python_overhead_s"] < 20e-6)
    add("open a 1,000-frame 640x480 uint16 container (open + len + shape + dtype) < 50 ms",
        f"{opened['open_s'] * 1e3:.1f} ms", opened["open_s"] < 0.05)
    for seq, s in sorted(seqs.items()):
        p = s["pick"]
        add(f"{seq}: `{p['contender']}` random frame faster than HDF5 + zstd",
            f"{p['random_frame_s'] * 1e3:.3f} vs {s['h5']['random_frame_s'] * 1e3:.3f} ms", s["random_ok"])
        smaller = min(s["h5"]["file_bytes"], s["tiff"]["file_bytes"])
        add(f"{seq}: `{p['contender']}` size <= min(TIFF + zstd + predictor, HDF5 + zstd)",
            f"{mb(p['file_bytes'])} vs {mb(smaller)} MB", s["size_ok"])
    if "vtest_rgb" in seqs:
        named = {r["contender"]: r for r in seqs["vtest_rgb"]["rows"]}
        keyed, only = named["pzp rle+delta"], named["pzp rle+delta (no key frames)"]
        ratio = keyed["file_bytes"] / only["file_bytes"]
        add("vtest_rgb: delta with key frames (every 30) within 1.2x of delta only", f"{ratio:.3f}x", ratio <= 1.2)
    return "\n".join(lines), missed


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = sorted(summary)
    cols = 4
    rows = (len(classes) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    for ax, cls in zip(axes.flat, classes):
        for contender in ORDER:
            c = summary[cls].get(contender)
            if c is None or contender.startswith("pzp best"):
                continue
            pzp = contender.startswith("pzp")
            ax.scatter(c["size_vs_png"], c["speedup_vs_png"], marker="o" if pzp else "s",
                       color="tab:blue" if pzp else "tab:gray", s=36 if contender == PICK.get(cls) else 18)
            ax.annotate(contender.replace("pzp ", ""), (c["size_vs_png"], c["speedup_vs_png"]), fontsize=6,
                        xytext=(3, 2), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_title(cls)
        ax.set_xlabel("size / PNG size")
        ax.set_ylabel("decode speed-up vs cv2 PNG")
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(classes):]:
        ax.axis("off")
    fig.suptitle("PZP flag sets (blue) and peers (gray): smaller is left, faster is up")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def threads_summary(rows: list) -> dict:
    """Per method: the median time with 1 and 2 threads over the rounds, each
    round's ratio (1 thread / 2 threads) and their median."""
    result: dict = {"files": rows[0]["files"], "decoded_bytes": rows[0]["decoded_bytes"],
                    "load": median(r["load_1min"] for r in rows)}
    for method, mrs in by(rows, "method").items():
        per_run = by(mrs, "run")
        ratios = [next(r for r in rs if r["threads"] == 1)["seconds"] / next(r for r in rs if r["threads"] == 2)["seconds"]
                  for _, rs in sorted(per_run.items())]
        result[method] = {"t1": median(r["seconds"] for r in mrs if r["threads"] == 1),
                          "t2": median(r["seconds"] for r in mrs if r["threads"] == 2),
                          "ratios": ratios, "ratio": median(ratios)}
    return result


def _value(text: str):
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_csv(path: Path) -> tuple:
    """(environment dict from the '# key: value' lines, rows with numbers and booleans converted)."""
    env: dict = {}
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(": ")
            env[key] = value
        else:
            lines.append(line)
    rows = [{k: _value(v) for k, v in row.items()} for row in csv.DictReader(lines)]
    return env, rows


def read_extras(rows: list) -> dict:
    """extras.csv's 'group.key,value' rows as {group: {key: value}}."""
    groups: dict = {}
    for row in rows:
        group, _, key = row["measure"].partition(".")
        groups.setdefault(group, {})[key] = row["value"]
    return groups


def write_docs(results: Path, docs: Path, partial: bool = False) -> list:
    """docs/performance.md, docs/performance.png and results/summary.json from
    the CSV files in ``results``; returns the targets missed."""
    env, image_rows = read_csv(results / "images.csv")
    seq_env, seq_rows = read_csv(results / "sequences.csv")
    extras_env, extra_rows = read_csv(results / "extras.csv")
    threads_env, thread_rows = read_csv(results / "threads.csv")
    extra = read_extras(extra_rows)
    overhead, opened = extra["overhead"], extra["open_1000_frames"]
    threads = threads_summary(thread_rows)
    summary = class_summary(image_rows)
    seqs = sequence_summary(seq_rows)
    (results / "summary.json").write_text(json.dumps({"classes": summary, "threads": threads, "extras": extra},
                                                     indent=1, default=str))
    docs.mkdir(parents=True, exist_ok=True)
    plot(summary, docs / "performance.png")
    target_table, missed = targets(summary, seqs, threads, overhead, opened) if not partial else (
        "(partial run: targets not evaluated)", [])
    notes = (HERE / "notes.md").read_text() if (HERE / "notes.md").exists() else ""
    env_lines = "\n".join(f"| {k} | {v} |" for k, v in env.items())
    dates = {"images.csv": env.get("date"), "sequences.csv": seq_env.get("date"), "extras.csv": extras_env.get("date"),
             "threads.csv": threads_env.get("date")}
    when = ", ".join(f"`{name}` {date}" for name, date in dates.items())
    ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731

    def pair(method: str) -> str:
        t = threads[method]
        return (f"{ms(t['t1'])} / {ms(t['t2'])} ({t['ratio']:.2f}x; rounds "
                f"{', '.join(f'{r:.2f}' for r in t['ratios'])})")

    doc = f"""# Performance

Generated by `bench/report.py` from the raw figures in `bench/results/*.csv`, measured by `make bench`
(bench/run.py): {when}. Every ratio below compares figures of the same CSV, measured in one run on the same
data. Each CSV begins with the machine and package versions. The machine is shared by several engineers:
absolute times move from run to run, ratios much less.

## How to reproduce

```
make bench            # installs the bench extra into .venv, builds, runs everything (about 10 minutes)
.venv/bin/python bench/run.py --parts threads    # one part again (images, sequences, extras, threads)
.venv/bin/python bench/run.py --classes photo,label --sequences vtest_rgb   # a part of the data
.venv/bin/python bench/report.py                 # this page again from bench/results/*.csv
PZP_CPU_LEVEL=sse2 make bench   # the same with the SSE2 kernels (or scalar)
```

Decode times are for a file in the page cache, from its path to a numpy array of the original shape and dtype
(median of repeated runs); encode times from the array to the bytes of a file in memory. Every decode is
checked to be exact. The *C limit* of a PZP file (bench/climit.c) is reading the file, decompressing its
payload with zstd or LZ4 alone, and undoing the filters, all in C: `pzp.read / C limit` is what the Python
layer and the rest of the library add. `memcpy` is one copy of the decoded image in C, the bound of any decoder.

## Machine

| | |
|---|---|
{env_lines}

## Targets

{target_table}

{notes}

## Single images

Size = total bytes of the class / total bytes of the same images as PNG written by `cv2.imwrite` with its
defaults. Speed-ups are medians over the images of the class (PNG decode time / contender decode time). The
flag set in bold is the one a user would pick for the class. `pzp best of flag sets` takes the smallest PZP file
of each image. QOI and WebP hold only 8-bit RGB/RGBA; pyspng 0.1.4 is measured on 8-bit images only (it
returns a wrong shape for 16-bit PNGs). The memcpy row is the time of copying each decoded image once in C.

![size against decode speed per class](performance.png)
{class_tables(summary)}

### The C limit, the filters and the palette / 16-bit paths

Per class and flag set: the median over the images of `pzp.read` time / C limit, the image where it is
largest (with its C limit: on images that take a few microseconds in C, the fixed cost of a Python call
dominates), how many images are over {C_LIMIT_TARGET}x, and `pzp.read` time / memcpy of the decoded image.

{c_limit_table(summary)}

## Threads, Python overhead, opening a container

2 threads against 1: {len(threads['read_many']['ratios'])} rounds, each timing every method with 1 then 2
threads (median of repeated runs within a round); the ratio is the median of the rounds' ratios, the times the
medians over the rounds (`bench/results/threads.csv` has every round, with the load average when it ran).

| measure | value |
|---|---|
| files decoded (photo + anim classes, `use_rle`) | {threads['files']} files, {threads['decoded_bytes'] / 1e6:.0f} MB |
| pzp.read_many, 1 thread / 2 threads | {pair('read_many')} |
| thread pool of pzp.read, 1 / 2 threads | {pair('pool_read')} |
| thread pool of cv2.imread (PNG), 1 / 2 threads | {pair('pool_cv2')} |
| load average (1 minute) during the rounds, 2 cores | {threads['load']:.2f} |
| pzp.read of a 4x4 image, per call | {overhead['read_s'] * 1e6:.1f} us |
| the same read in C (open, read, decode) | {overhead.get('c_file_s', float('nan')) * 1e6:.1f} us |
| pzp.read_many / thread pool of pzp.read, per tiny file | {overhead['read_many_s'] * 1e6:.1f} / {overhead['pool_read_s'] * 1e6:.1f} us |
| open a {opened['frames']}-frame {opened['shape']} {opened['dtype']} container: open + len + shape + dtype | {ms(opened['open_s'])} |

## Sequences

Open = open lazily until shape and dtype are known (no frame decoded; a PNG folder has to read one frame).
Random frame = mean over 20 frames in a fixed random order (PZP starts with no cached frame). Full pass = every
frame once: PZP through `Container.read_many(threads=1 or 2)` (one array; each thread a run of frames that
starts at a key frame, so `+delta (no key frames)` stays on one thread), TIFF and zarr through dask with 1 or
2 workers, the others frame by frame, with 2 threads each taking half on long-lived threads. The pick is the
smallest PZP flag set whose random access beats HDF5 + zstd. `+delta` uses the writer's key frame every 30
frames.
{sequence_tables(seqs)}
"""
    (docs / "performance.md").write_text(doc)
    return missed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    missed = write_docs(args.results, args.docs)
    print(f"wrote {args.docs / 'performance.md'}, {args.docs / 'performance.png'}; targets missed: {missed or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
