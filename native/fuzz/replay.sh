#!/bin/bash
# replay.sh BUILD OUT - runs the replay programs of a PZP_BUILD_FUZZERS build
# (BUILD/fuzz/fuzz_*_replay) from the repository root:
#   - the corpus, every crasher and the conformance vectors through every
#     target, with the frame checksum verified (PZP_FUZZ_VERIFY=1) and not;
#   - the damaged-input sweeps of the conformance vectors (every prefix up to
#     64 KiB, every bit flip in the first 256 bytes, random corruptions)
#     through the container target (every frame, random access, blobs; no
#     checksum, so damage reaches the filters), the single-image decode
#     target (checksum verified) and the short-destination target.
# Writes one outcome file per run into OUT; the outcomes of a plain and of a
# sanitized build must be identical (make test diffs them). A crash stops the
# script with a non-zero status and saves the input in OUT.
set -euo pipefail
build=$1
out=$2
conformance=(tests/data/conformance/*.pzp)
mkdir -p "$out"
export PZP_FUZZ_CRASH_DIR=$out
for target in decode container info small_buffer; do
    for verify in 0 1; do
        PZP_FUZZ_VERIFY=$verify "$build/fuzz/fuzz_${target}_replay" native/fuzz/corpus/pzp native/fuzz/crashers/decode \
            "${conformance[@]}" > "$out/replay-$target-verify$verify.txt"
    done
done
"$build/fuzz/fuzz_roundtrip_replay" native/fuzz/corpus/roundtrip native/fuzz/crashers/roundtrip > "$out/replay-roundtrip.txt"
PZP_FUZZ_VERIFY=0 "$build/fuzz/fuzz_container_replay" --sweep "${conformance[@]}" > "$out/sweep-container-verify0.txt"
PZP_FUZZ_VERIFY=1 "$build/fuzz/fuzz_decode_replay" --sweep "${conformance[@]}" > "$out/sweep-decode-verify1.txt"
PZP_FUZZ_VERIFY=0 "$build/fuzz/fuzz_small_buffer_replay" --sweep "${conformance[@]}" > "$out/sweep-small_buffer-verify0.txt"
echo "$build: $(cat "$out"/replay-*.txt | wc -l) replays, $(cat "$out"/sweep-*.txt | awk '{s += $3} END {print s}') sweep inputs"
