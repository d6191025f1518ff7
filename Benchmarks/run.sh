#!/usr/bin/env bash
# Builds the benchmarks in release mode and runs one of them. Figures go to BENCHMARKS.md.
#   Benchmarks/run.sh codec [FRAMES]        split + decode, ns and heap allocations per frame
#   Benchmarks/run.sh ingest [ROWS] [BATCH] bulk paths into PostgreSQL against a server-side COPY
#   Benchmarks/run.sh load [TERMINALS] [RATE:SECONDS|max:SECONDS ...]
#                                           fleetd under N terminals: RSS, acknowledged rate, latency, CPU
#   Benchmarks/run.sh loopback [TERMINALS] [RATE:SECONDS|max:SECONDS ...]
#                                           the same load on a bare C epoll echo pair: loopback's floor
#   Benchmarks/run.sh track [DAYS] [QUERIES]  a day's track out of 30 days of 200 vehicles; dropping a day
#   Benchmarks/run.sh dispatch [BOOKINGS] [CREWS]  matching time; the optimum against scipy's and greedy's
#   Benchmarks/run.sh api [VEHICLES]        wrk on the latest-positions endpoint, against /api/v1/me
#   Benchmarks/run.sh billing [TRIPS] [RUNS]  a month's statement (JSON, CSV, HTML) and a 200-vehicle month's assessment
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-codec}
shift || true
# `run.sh 1000000`, as BENCHMARKS.md's first section writes it: the codec with that many frames.
case "$what" in [0-9]*) set -- "$what" "$@"; what=codec ;; esac
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
    # The terminals: the loopback pair's generator in its JT/T 808 mode (loopback/README.md).
    mkdir -p .build-loopback
    gcc -O2 -Wall -o .build-loopback/echo-load loopback/echo-load.c -lpthread -lm
    # Each side holds one descriptor per terminal, and more.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    terminals=${1:-10000}
    shift || true
    [ $# -gt 0 ] || set -- 20000:30 50000:30 max:30
    LOAD_GENERATOR="$PWD/.build-loopback/echo-load" .build/release/LoadBenchmark "$terminals" "$@" | tee .build-loopback/load.out
    # In the same run, on the same cores, with the same generator: the bare loopback pair under
    # the same connections and phases (issue 19: fleetd's best at least 0.65 of the pair's most).
    "$0" loopback "$terminals" "$@" | tee .build-loopback/loopback.out
    python3 - .build-loopback/load.out .build-loopback/loopback.out <<'PY'
import sys
def phases(path, label):
    return [dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
            for line in open(path) if line.startswith(label + ": ")]
fleetd, bare = phases(sys.argv[1], "fleetd"), phases(sys.argv[2], "loopback")
rate = lambda p: float(p["acknowledged"].rstrip("/s"))
best, most = max(map(rate, fleetd)), max(map(rate, bare))
print(f"\nfleetd's best {best:.0f} acknowledged/s, every one stored; the bare loopback pair's most {most:.0f}/s: ratio {best / most:.2f} (goal 0.65)")
# The most a gateway that stores every report could reach here if its own work cost nothing
# beyond the bare server's two system calls: per report, the bare server's CPU, PostgreSQL's and
# the JT/T 808 generator's, against the bare pair's two, all measured in the max phases above.
fmax, bmax = fleetd[-1], bare[-1]
if fmax["offered"] == bmax["offered"] == "max" and "db_us_per_msg" in fmax:
    us = lambda p, key: float(p[key])
    pair = us(bmax, "server_us_per_msg") + us(bmax, "client_us_per_msg")
    storing = us(bmax, "server_us_per_msg") + us(fmax, "db_us_per_msg") + us(fmax, "client_us_per_msg")
    print(f"a gateway storing every report at no cost of its own beyond the bare server's: at most {pair / storing:.2f} of the pair "
          f"(bare server {us(bmax, 'server_us_per_msg')} + PostgreSQL {us(fmax, 'db_us_per_msg')} + generator {us(fmax, 'client_us_per_msg')} µs a report, "
          f"against the pair's {pair:.1f}); fleetd's own CPU a report: {us(fmax, 'server_us_per_msg')} µs")
at20k = lambda ps: next((p["p99"] for p in ps if p["offered"] == "20000/s"), None)
if at20k(fleetd) and at20k(bare): print(f"p99 acknowledgement at 20,000/s: fleetd {at20k(fleetd)} (goal 50 ms), the bare pair {at20k(bare)}")
PY
    ;;
loopback)
    # loopback/README.md. gcc only: no swift build. Server threads: one per core, as fleetd's loops.
    out=.build-loopback
    mkdir -p "$out" && rm -f "$out/server.out"
    gcc -O2 -Wall -o "$out/echo-server" loopback/echo-server.c -lpthread
    gcc -O2 -Wall -o "$out/echo-load" loopback/echo-load.c -lpthread -lm
    "$out/echo-server" -t "${LOOPBACK_SERVER_THREADS:-$(nproc)}" >"$out/server.out" &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null' EXIT
    until port=$(sed -n 's/^listening [^:]*:\([0-9]*\) .*/\1/p' "$out/server.out" 2>/dev/null) && [ -n "$port" ]; do
        kill -0 "$server" || exit 1; sleep 0.1
    done
    "$out/echo-load" -p "$port" -P "$server" "$@"
    ;;
billing)
    ../Deploy/setup.sh
    swift build -c release --product BillingBenchmark
    .build/release/BillingBenchmark "$@"
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
api)
    # wrk against GET /api/v1/positions/latest of a release fleetd serve with N vehicles reporting.
    ../Deploy/setup.sh
    command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
    (cd .. && swift build -c release --product fleetd)
    fleetd=$(cd .. && swift build -c release --show-bin-path)/fleetd
    source ../Deploy/throwaway-postgres.sh
    pids=()
    trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; stop_throwaway_postgres' EXIT
    vehicles=${1:-200}
    gateway=$(free_port) http=$(free_port)
    (cd .. && FLEET_GATEWAY_HOST=127.0.0.1 FLEET_GATEWAY_PORT=$gateway FLEET_METRICS_PORT=$(free_port) FLEET_HTTP_PORT=$http LOG_LEVEL=warning \
        "$fleetd" serve --database-url "$THROWAWAY_DATABASE_URL") &
    pids+=($!)
    until (exec 3<>/dev/tcp/127.0.0.1/$http) 2>/dev/null; do sleep 0.2; done
    (cd .. && LOG_LEVEL=warning "$fleetd" simulate --terminals "$vehicles" --interval 1 --duration 8 --port "$gateway" --database-url "$THROWAWAY_DATABASE_URL" >/dev/null)
    printf '%s\n' 'latest positions under wrk' | (cd .. && LOG_LEVEL=warning "$fleetd" user add --username bench --role dispatcher --database-url "$THROWAWAY_DATABASE_URL" >/dev/null)
    token=$(curl -s -X POST "127.0.0.1:$http/api/v1/sessions" -H 'Content-Type: application/json' \
        -d '{"username": "bench", "password": "latest positions under wrk"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    echo "latest positions: $(curl -s "127.0.0.1:$http/api/v1/positions/latest" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') vehicles"
    # One wrk thread: on a 2-core machine a second one takes the server's core.
    echo "baseline, GET /api/v1/me (the same sign-in check, a tiny body, no query):"
    wrk -t1 -c32 -d10s -H "Authorization: Bearer $token" "http://127.0.0.1:$http/api/v1/me"
    echo "GET /api/v1/positions/latest ($vehicles positions):"
    wrk -t1 -c32 -d10s -H "Authorization: Bearer $token" "http://127.0.0.1:$http/api/v1/positions/latest"
    ;;
*)
    echo "unknown benchmark '$what': use codec, ingest, load, loopback, track, dispatch, api or billing" >&2
    exit 64
    ;;
esac
