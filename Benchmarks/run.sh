#!/usr/bin/env bash
# Builds the benchmarks in release mode and runs one of them. Figures go to BENCHMARKS.md.
#   Benchmarks/run.sh codec [FRAMES]        split + decode, ns and heap allocations per frame
#   Benchmarks/run.sh ingest [ROWS] [BATCH] bulk paths into PostgreSQL against a server-side COPY
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
*)
    echo "unknown benchmark '$what': use codec or ingest" >&2
    exit 64
    ;;
esac
