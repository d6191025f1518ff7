#!/usr/bin/env bash
# Replays a real NMEA drive through gpsd (gpsfake) and gps808 into `fleetd serve` on a throwaway
# database, then draws the stored track with `fleetd track --svg`. The drive is moved in time
# (gps808 --time-shift) so that it ends about now.
# Usage: Deploy/replay-drive.sh [NMEA log] [SVG out]
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:-Tests/FleetdTests/NMEA/genivi_20100411_Geko_Regensburg.nmea}
out=${2:-docs/replayed-drive.svg}
Deploy/setup.sh
echo "building fleetd and gps808 (release)..."
swift build -c release --product fleetd
swift build -c release --product gps808
bin=$(swift build -c release --show-bin-path)
source Deploy/throwaway-postgres.sh
work=$(mktemp -d /tmp/fleet-replay.XXXXXX)
pids=()
finish() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    stop_throwaway_postgres
    rm -rf "$work"
}
trap finish EXIT
wait_for_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

plate="浙B00808D"
phone=013900000808
gateway=$(free_port)
gpsd=$(free_port)
"$bin/fleetd" terminal bind --phone $phone --plate "$plate" --terminal-id ${phone: -7} --database-url "$THROWAWAY_DATABASE_URL"
FLEET_GATEWAY_HOST=127.0.0.1 FLEET_GATEWAY_PORT=$gateway FLEET_METRICS_PORT=$(free_port) FLEET_HTTP_PORT=$(free_port) LOG_LEVEL=warning \
    "$bin/fleetd" serve --database-url "$THROWAWAY_DATABASE_URL" &
pids+=($!)
wait_for_port $gateway

# The first and last RMC fixes with status A (hhmmss, ddmmyy): the drive is shifted to end now.
read -r first last < <(python3 - "$log" <<'PY'
import calendar, re, sys
times = []
for line in open(sys.argv[1], encoding="latin-1").read().splitlines():
    m = re.search(r"\$GPRMC,(\d{6})(?:\.\d+)?,A,(?:[^,]*,){6}(\d{6}),", line)
    if m:
        t, d = m.group(1), m.group(2)
        times.append(calendar.timegm((2000 + int(d[4:]), int(d[2:4]), int(d[:2]), int(t[:2]), int(t[2:4]), int(t[4:]))))
print(times[0], times[-1])
PY
)
shift=$(( $(date +%s) - 60 - last ))
echo "replaying $log ($(( (last - first) / 60 )) minutes of driving) through gpsfake and gps808..."
python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' \
    /usr/bin/gpsfake -1 -q -t -W 3 -P $gpsd -c 0.002 "$log" >/dev/null 2>&1 &
fake=$!
wait_for_port $gpsd
LOG_LEVEL=warning "$bin/gps808" --phone $phone --plate "$plate" --server 127.0.0.1:$gateway --gpsd 127.0.0.1:$gpsd \
    --report-interval 1 --state-dir "$work/gps808" --time-shift $shift &
pids+=($!)
wait $fake || true   # gpsfake -1 exits 1 after its quiet period: the normal ending
sleep 3              # the last acknowledgements
from=$(date -u -d @$(( first + shift - 60 )) +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d @$(( last + shift + 60 )) +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$(dirname "$out")"
"$bin/fleetd" track --plate "$plate" --from "$from" --to "$to" --svg "$out" --database-url "$THROWAWAY_DATABASE_URL"
