"""The benchmark suite: `make bench` runs this.

    python bench/run.py [--out bench/results] [--docs docs] [--parts images,sequences,extras,threads]
                        [--classes photo,label] [--sequences vtest_rgb] [--budget SECONDS]

Single images (every class of shared/corpus and shared/samples), sequences
(shared/corpus_seq), Python overhead and container open time (extras), and
1 against 2 threads (threads), all in one run, or the parts named. Writes
bench/results/{images,sequences,extras,threads}.csv (each starting with
'# key: value' lines describing the machine and package versions; a part not
run keeps its CSV), then bench/report.py turns the CSVs into
docs/performance.png and docs/performance.md (the tables, the targets, and
bench/notes.md: what limits the targets that are not met).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import HERE, ROOT, build_climit, environment, write_csv

PARTS = ("images", "sequences", "extras", "threads")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated parts (default: {','.join(PARTS)})")
    parser.add_argument("--classes", help="comma-separated image classes (default: all)")
    parser.add_argument("--sequences", help="comma-separated sequences (default: all)")
    parser.add_argument("--budget", type=float, default=0.1, help="seconds of repeats per decode timing")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")

    import extras
    import images
    import report
    import sequences

    import pzp

    started = time.perf_counter()
    env = environment()
    print("machine:", env["machine"])
    climit = build_climit(args.out / "bin") if {"images", "extras"} & set(parts) else None
    if "images" in parts:
        print("single images")
        rows = images.run(climit, args.budget, args.classes.split(",") if args.classes else None)
        write_csv(args.out / "images.csv", rows, env)
        print(f"  {time.perf_counter() - started:.0f} s")
    if "sequences" in parts:
        print("sequences")
        rows = sequences.run(max(0.3, 3 * args.budget), sequences=args.sequences.split(",") if args.sequences
                             else None)
        write_csv(args.out / "sequences.csv", rows, env)
        print(f"  {time.perf_counter() - started:.0f} s")
    if "extras" in parts:
        print("overhead, container open")
        extra = {"overhead": extras.overhead(climit), "open_1000_frames": sequences.open_large_container()}
        write_csv(args.out / "extras.csv", [{"measure": f"{group}.{k}", "value": v} for group, d in extra.items()
                                            for k, v in d.items()], env)
        print(f"  {time.perf_counter() - started:.0f} s")
    if "threads" in parts:
        print("threads: 3 rounds of 1 and 2 threads")
        write_csv(args.out / "threads.csv", extras.threads({"use_rle": True}), env)
        print(f"  {time.perf_counter() - started:.0f} s")
    missed = report.write_docs(args.out, args.docs, partial=bool(args.classes or args.sequences))
    print(f"done in {time.perf_counter() - started:.0f} s; targets missed: {missed or 'none'}")
    print(f"wrote {args.out}/*.csv, {args.docs / 'performance.md'}, {args.docs / 'performance.png'} "
          f"(libpzp {pzp.library_version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
