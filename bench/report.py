"""Tables, plot and docs/performance.md from the benchmark rows."""

from __future__ import annotations

import statistics
from pathlib import Path

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
            if "c_limit_s" in crs[0]:
                s["vs_c_limit"] = median(r["decode_s"] / r["c_limit_s"] for r in crs)
                s["c_undo_mb_s"] = sum(r["raw_bytes"] for r in crs) / sum(max(r["c_undo_s"], 1e-9) for r in crs) / 1e6
                s["raw_share"] = median(r["c_raw_s"] / r["c_limit_s"] for r in crs)
            result[contender] = s
        summary[cls] = result
    return summary


ORDER = ["pzp plain", "pzp lz4", "pzp rle", "pzp rle+lz4", "pzp palette", "pzp rle+palette", "pzp best of flag sets",
         "png (cv2)", "png (pyspng)", "qoi", "webp lossless", "jpegxl e1", "tiff zstd+pred", "npy"]


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
            out.append(f"| {name} | {fmt(c['size_vs_png'])} | {fmt(c['speedup_vs_png'], 1)} | "
                       f"{fmt(c['speed_vs_qoi'])} | {fmt(c['decode_mb_s'], 0)} | {fmt(c['encode_speedup_vs_png'], 1)} | "
                       f"{'yes' if c['exact'] else 'NO'} |")
    return "\n".join(out)


def c_limit_table(summary: dict) -> str:
    out = ["| class | flag set | pzp.read / C limit | decompression share of C limit | filter undo MB/s | "
           "decode time vs pzp plain |", "|---|---|---:|---:|---:|---:|"]
    for cls in sorted(summary):
        for contender in ORDER:
            c = summary[cls].get(contender)
            if c is None or "vs_c_limit" not in c or contender.startswith("pzp best"):
                continue
            out.append(f"| {cls} | {contender} | {fmt(c['vs_c_limit'])} | {fmt(c['raw_share'])} | "
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
            out.append(f"| {name} | {r['file_bytes'] / 1e6:.2f} | {r['file_bytes'] / r['raw_bytes']:.3f} | "
                       f"{r['open_s'] * 1e3:.2f} | {r['random_frame_s'] * 1e3:.2f} | "
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
    worst = max((c["vs_c_limit"], cls, k) for cls, s in summary.items() for k, c in s.items() if "vs_c_limit" in c
                and not k.startswith("pzp best"))
    add("every flag set within 1.25x of the C limit (median per class)", f"worst {worst[0]:.2f}x ({worst[1]}, "
        f"{worst[2]})", worst[0] <= 1.25)
    slow = max((c["vs_plain"], cls, k) for cls, s in summary.items() for k, c in s.items()
               if k in ("pzp palette", "pzp rle+palette") or (cls == "depth16" and k == "pzp rle"))
    add("palette and 16-bit paths <= 2x the plain path", f"worst {slow[0]:.2f}x ({slow[1]}, {slow[2]})",
        slow[0] <= 2)
    enc = min(s["pzp plain"]["encode_speedup_vs_png"] for s in summary.values())
    add("encode (default flags) >= 3x cv2.imwrite PNG, every class", f"worst {enc:.1f}x", enc >= 3)
    ratio = threads["read_many_1"] / threads["read_many_2"]
    add("2 threads >= 1.8x 1 thread (pzp.read_many)", f"{ratio:.2f}x", ratio >= 1.8)
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
            f"{p['random_frame_s'] * 1e3:.2f} vs {s['h5']['random_frame_s'] * 1e3:.2f} ms", s["random_ok"])
        smaller = min(s["h5"]["file_bytes"], s["tiff"]["file_bytes"])
        add(f"{seq}: `{p['contender']}` size <= min(TIFF + zstd + predictor, HDF5 + zstd)",
            f"{p['file_bytes'] / 1e6:.2f} vs {smaller / 1e6:.2f} MB", s["size_ok"])
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
