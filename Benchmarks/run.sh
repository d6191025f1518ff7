#!/usr/bin/env bash
# Builds the codec benchmark in release mode and runs it with the malloc interposer preloaded
# (it counts heap allocations per decoded frame). Usage: Benchmarks/run.sh [FRAMES]
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product CodecBenchmark
lib=$(find .build/release/ -maxdepth 1 -name 'libMallocInterposerSwift.so' | head -n 1)
LD_PRELOAD="$PWD/$lib" .build/release/CodecBenchmark "$@"
