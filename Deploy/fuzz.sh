#!/usr/bin/env bash
# Fuzzes the JT/T 808 splitter and decoder with libFuzzer for a given time.
#   Deploy/fuzz.sh [SECONDS]     (default 600)
# The corpus starts from the test vectors and grows in Fuzz/out/corpus; crashes land in Fuzz/out.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
out=Fuzz/out
mkdir -p "$out/corpus" "$out/seeds"
# Seeds: every frame of the vectors, as raw bytes.
python3 - "$out/seeds" <<'PY'
import json, sys, pathlib
d = json.load(open("Tests/JT808Tests/Vectors/anchors.json"))
for v in d["vectors"]:
    for i, f in enumerate(v.get("frames", [v["hex"]])):
        pathlib.Path(sys.argv[1], f"{v['id']}-{i}").write_bytes(bytes.fromhex(f))
PY
echo "building the fuzzer (swiftc -sanitize=fuzzer,address)..."
swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name JT808 \
    Sources/JT808/*.swift Fuzz/JT808Fuzz.swift -o "$out/jt808-fuzz"
echo "fuzzing for ${seconds}s..."
# -timeout: an input taking over 5 s is a hang; -rss_limit_mb / -malloc_limit_mb: unbounded allocation.
"$out/jt808-fuzz" "$out/corpus" "$out/seeds" -max_total_time="$seconds" -timeout=5 \
    -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" 2>&1 | tail -n 25
