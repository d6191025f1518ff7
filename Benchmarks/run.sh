#!/usr/bin/env bash
# Builds the benchmarks in release mode and runs one of them. Figures go to BENCHMARKS.md.
#   Benchmarks/run.sh codec [FRAMES]        split + decode, ns and heap allocations per frame
#   Benchmarks/run.sh ingest [ROWS] [BATCH] bulk paths into PostgreSQL against a server-side COPY
#   Benchmarks/run.sh load [TERMINALS] [RATE:SECONDS ...]
#                                           fleetd under N terminals: RSS, acknowledged rate, latency
#   Benchmarks/run.sh track [DAYS] [QUERIES]  a day's track out of 30 days of 200 vehicles; dropping a day
#   Benchmarks/run.sh dispatch [BOOKINGS] [CREWS]  matching time; the optimum against scipy's and greedy's
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-codec}
shift || true
case "$what" in
codec)
    swift build -c release --product CodecBenchmark
    # The malloc interposer counts heap allocations per decoded frame.
    lib=$(find .build/release/ -maxdepth 1 -name 'libMallocInterposerSwift.so' | head -n 1)
    LD_PRELOAD="$PWD/$lib" .build/release/CodecBenchmark "$@"
    ;;
ingest)
    ../Deploy/setup.sh
    swift build -c release --product IngestBenchmark
    .build/release/IngestBenchmark "$@"
    ;;
load)
    ../Deploy/setup.sh
    swift build -c release --product fleetd
    swift build -c release --product LoadBenchmark
    # Each side holds one descriptor per terminal, and more.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    .build/release/LoadBenchmark "$@"
    ;;
track)
    ../Deploy/setup.sh
    swift build -c release --product TrackBenchmark
    .build/release/TrackBenchmark "$@"
    ;;
dispatch)
    # The independent optimum: scipy (Debian's python3-scipy).
    python3 -c 'import scipy' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-scipy >/dev/null; }
    swift build -c release --product DispatchBenchmark
    matrix=$(mktemp /tmp/fleet-dispatch-matrix.XXXXXX)
    trap 'rm -f "$matrix"' EXIT
    out=$(.build/release/DispatchBenchmark "${1:-1000}" "${2:-1000}" "$matrix")
    echo "$out"
    theirs=$(python3 scipy_assignment.py "$matrix")
    echo "$theirs"
    ours=$(grep '^ours:' <<<"$out" | sed 's/^ours: //')
    if [ "$ours" = "$(sed 's/^scipy: //; s/ (.*//' <<<"$theirs")" ]; then echo "same optimum as scipy: $ours"; else echo "DIFFERENT from scipy: ours $ours" >&2; exit 1; fi
    ;;
*)
    echo "unknown benchmark '$what': use codec, ingest, load, track or dispatch" >&2
    exit 64
    ;;
esac
