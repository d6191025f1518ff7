#!/usr/bin/env bash
# The installation, tested: Deploy/install.sh into a temporary prefix, /etc/fleet and unit
# folder; the layout; the installed fleetd run from / (not the checkout) against a throwaway
# PostgreSQL, finding its Sql/ and Web/ and logging JSON; HAProxy started from the installed
# haproxy.cfg in front of it on loopback; the units through systemd-analyze verify.
#
#   Deploy/install-test.sh BINDIR      e.g. Deploy/install-test.sh .build/debug
#
# BINDIR holds the fleetd to install. Uses the cluster of $THROWAWAY_DATABASE_URL when set
# (Deploy/test.sh's), else starts its own. Prints PASS or FAIL; exits non-zero on failure.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: Deploy/install-test.sh BINDIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
bindir=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/fleet-install-test.XXXXXX)
chmod 0755 "$work"
prefix=$work/prefix etc=$work/etc units=$work/systemd
pids=()
own_cluster=no
database=

fail() {
    echo "install-test: $*" >&2
    exit 1
}
finish() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$database" ] && [ "$own_cluster" = no ]; then
        psql "$THROWAWAY_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
    fi
    [ "$own_cluster" = yes ] && stop_throwaway_postgres
    if [ "$status" -eq 0 ]; then
        rm -rf "$work"
        echo "install-test: PASS"
    else
        echo "install-test: FAIL (logs kept in $work)" >&2
    fi
}
trap finish EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits up to SECONDS for URL to answer 200 (curl's other options before it).
await_200() {
    local seconds=$1
    shift
    for ((i = 0; i < seconds * 4; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@")" = 200 ] && return 0
        sleep 0.25
    done
    return 1
}

echo "install-test: Deploy/install.sh into $work..."
install_args=(--from "$bindir" --prefix "$prefix" --etc "$etc" --systemd-dir "$units" --user "$(id -un)"
    --gateways 2 --apis 2 --leaders 2)
Deploy/install.sh "${install_args[@]}" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "install.sh failed"; }

# --- The layout ---------------------------------------------------------------------------------
[ -x "$prefix/bin/fleetd" ] || fail "$prefix/bin/fleetd is not executable"
[ ! -x "$bindir/gps808" ] || [ -x "$prefix/bin/gps808" ] || fail "$bindir/gps808 not installed as bin/gps808"
diff -r Sql "$prefix/share/fleet/Sql" >/dev/null || fail "share/fleet/Sql differs from Sql/"
diff -r Web "$prefix/share/fleet/Web" >/dev/null || fail "share/fleet/Web differs from Web/"
diff -r DeviceProfiles "$prefix/share/fleet/DeviceProfiles" >/dev/null || fail "share/fleet/DeviceProfiles differs"
[ -f "$prefix/share/fleet/haproxy.cfg" ] || fail "no share/fleet/haproxy.cfg"
[ -f "$prefix/share/doc/fleet/INSTALL.md" ] || fail "no share/doc/fleet/INSTALL.md"
[ ! -f Deploy/backup.sh ] || [ -x "$prefix/bin/fleet-backup" ] || fail "Deploy/backup.sh not installed as bin/fleet-backup"
[ ! -f Deploy/restore.sh ] || [ -x "$prefix/bin/fleet-restore" ] || fail "Deploy/restore.sh not installed as bin/fleet-restore"
[ "$(stat -c %a "$etc/fleet.env")" = 640 ] || fail "fleet.env is not mode 0640"
for file in gateway-1 gateway-2 api-1 api-2 leader-1 leader-2; do [ -f "$etc/$file.env" ] || fail "no $etc/$file.env"; done
grep -qx 'FLEET_GATEWAY_PORT=16802' "$etc/gateway-2.env" || fail "gateway-2.env is not on the port plan"
grep -qx 'FLEET_HTTP_PORT=18801' "$etc/api-1.env" || fail "api-1.env is not on the port plan"
for unit in fleet.target fleetd-migrate.service fleetd-gateway@.service fleetd-api@.service fleetd-leader@.service; do
    [ -f "$units/$unit" ] || fail "no unit $unit"
done
grep -q "^ExecStart=$prefix/bin/fleetd serve --roles gateway$" "$units/fleetd-gateway@.service" || fail "the gateway's unit does not run $prefix/bin/fleetd"
grep -q "^EnvironmentFile=$etc/fleet.env$" "$units/fleetd-api@.service" || fail "the API's unit does not read $etc/fleet.env"
# Every library from the installed prefix or Debian's folders, none from the toolchain.
ldd "$prefix/bin/fleetd" >"$work/ldd.txt"
! grep -q 'not found' "$work/ldd.txt" || fail "the installed fleetd misses libraries: $(grep 'not found' "$work/ldd.txt")"
while read -r library; do
    case "$library" in
        "$prefix"/lib/*) ;;
        */swift/*) fail "the installed fleetd loads $library from the toolchain" ;;
    esac
done < <(awk '$2 == "=>" { print $3 }' "$work/ldd.txt")
# Idempotent, and the settings an operator edited stay.
echo "LOG_LEVEL=info # edited" >>"$etc/fleet.env"
Deploy/install.sh "${install_args[@]}" >"$work/install-again.log" 2>&1 || { cat "$work/install-again.log" >&2; fail "install.sh failed the second time"; }
grep -q '(0 files changed)' "$work/install-again.log" || fail "a second install.sh changed files: $(grep installed "$work/install-again.log")"
grep -q '# edited' "$etc/fleet.env" || fail "a second install.sh overwrote fleet.env"

# --- The installed fleetd, run from / ----------------------------------------------------------
if [ -z "${THROWAWAY_DATABASE_URL:-}" ]; then
    # shellcheck source=Deploy/throwaway-postgres.sh
    source Deploy/throwaway-postgres.sh
    own_cluster=yes
fi
database=fleet_install_test_$$
psql "$THROWAWAY_DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
url=${THROWAWAY_DATABASE_URL%/*}/$database
gateway_port=$(free_port) metrics_port=$(free_port) http_port=$(free_port)
# A clean environment: nothing of the checkout's (no FLEET_SQL_DIR, no LD_LIBRARY_PATH), as systemd
# gives it.
fleetd_environment=(env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 DATABASE_URL="$url" FLEET_LOG_FORMAT=json
    FLEET_GATEWAY_HOST=127.0.0.1 FLEET_GATEWAY_PORT="$gateway_port" FLEET_METRICS_PORT="$metrics_port" FLEET_HTTP_PORT="$http_port")
echo "install-test: the installed fleetd serve --roles gateway,api, from /..."
(cd / && exec "${fleetd_environment[@]}" "$prefix/bin/fleetd" serve --roles gateway,api >"$work/fleetd.out" 2>"$work/fleetd.log") &
fleetd=$!
pids+=("$fleetd")
await_200 120 "http://127.0.0.1:$http_port/health/ready" || {
    tail -n 20 "$work/fleetd.log" >&2
    fail "the installed fleetd's /health/ready did not answer 200: $(curl -s "http://127.0.0.1:$http_port/health/ready")"
}
await_200 5 "http://127.0.0.1:$metrics_port/health/ready" || fail "/health/ready on the metrics port did not answer 200"
await_200 5 "http://127.0.0.1:$metrics_port/metrics" || fail "/metrics did not answer 200"
# The console from the installed Web/, Leaflet from Debian's, the API's description.
await_200 5 "http://127.0.0.1:$http_port/" || fail "GET / (the console, from share/fleet/Web) did not answer 200"
curl -s "http://127.0.0.1:$http_port/" | grep -qi '<html' || fail "GET / is not the console's index.html"
await_200 5 "http://127.0.0.1:$http_port/vendor/leaflet/leaflet.js" || fail "Leaflet (libjs-leaflet) is not served"
await_200 5 "http://127.0.0.1:$http_port/openapi.json" || fail "GET /openapi.json did not answer 200"

# The command an operator types, fleetd found through PATH from another folder: it finds its
# installed Sql/ too (its own path, not argv[0] taken relative to the current folder).
(cd / && env -i PATH="$prefix/bin:/usr/bin:/bin" HOME=/ DATABASE_URL="$url" fleetd migrate) >"$work/migrate.log" 2>&1 ||
    { cat "$work/migrate.log" >&2; fail "fleetd migrate, run through PATH from /, failed"; }

# --- HAProxy from the installed haproxy.cfg, in front of it ------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
cat "$work/cert.pem" "$work/key.pem" >"$work/api.pem"
closed=$(free_port) lb_terminals=$(free_port) lb_api=$(free_port) lb_http=$(free_port) lb_stats=$(free_port)
lb_environment=(env FLEET_LB_TEST=1 FLEET_LB_API_CERT="$work/api.pem" FLEET_LB_ADMIN_SOCKET="$work/haproxy.sock"
    FLEET_LB_TERMINAL_BIND="127.0.0.1:$lb_terminals" FLEET_LB_API_BIND="127.0.0.1:$lb_api" FLEET_LB_HTTP_BIND="127.0.0.1:$lb_http"
    FLEET_LB_STATS_BIND="127.0.0.1:$lb_stats"
    FLEET_LB_GATEWAY1="127.0.0.1:$gateway_port" FLEET_LB_GATEWAY1_CHECK_PORT="$metrics_port"
    FLEET_LB_GATEWAY2="127.0.0.1:$closed" FLEET_LB_GATEWAY2_CHECK_PORT="$closed"
    FLEET_LB_API1="127.0.0.1:$http_port" FLEET_LB_API2="127.0.0.1:$closed")
# /usr/sbin may not be on a user's PATH.
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
if [ -x "$haproxy" ]; then
    echo "install-test: haproxy in front of it..."
    "${lb_environment[@]}" "$haproxy" -c -q -f Deploy/haproxy.cfg || fail "haproxy -c refused Deploy/haproxy.cfg"
    env FLEET_LB_API_CERT="$work/api.pem" "$haproxy" -c -q -f Deploy/haproxy.cfg || fail "haproxy -c refused Deploy/haproxy.cfg (production settings)"
    "${lb_environment[@]}" "$haproxy" -c -q -f "$prefix/share/fleet/haproxy.cfg" || fail "haproxy -c refused the installed haproxy.cfg"
    grep -q 'server gateway3' "$prefix/share/fleet/haproxy.cfg" && fail "the installed haproxy.cfg declares more gateways than installed"
    "${lb_environment[@]}" "$haproxy" -f "$prefix/share/fleet/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    pids+=($!)
    await_200 10 -k "https://127.0.0.1:$lb_api/health/ready" || fail "/health/ready through HAProxy's TLS did not answer 200"
    curl -sk -D - -o /dev/null "https://127.0.0.1:$lb_api/" | grep -qi '^strict-transport-security:' || fail "no HSTS through HAProxy"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lb_http/")" = 301 ] || fail "plain http is not redirected"
    # Servers start UP: gateway 1's check must have passed (L7OK), the absent gateway 2's failed
    # three times (2 s apart) to mark it DOWN.
    server_state() { awk -F, -v name="$1" '$1 == "gateways" && $2 == name { print $18 "/" $37 }' "$work/stats.csv"; }
    for ((i = 0; i < 60; i++)); do
        curl -s "http://127.0.0.1:$lb_stats/stats;csv" >"$work/stats.csv" || true
        [ "$(server_state gateway1)" = UP/L7OK ] && [ "$(server_state gateway2)" = DOWN/L4CON ] && break
        sleep 0.25
    done
    [ "$(server_state gateway1)" = UP/L7OK ] || fail "HAProxy does not see gateway 1 UP: $(server_state gateway1)"
    [ "$(server_state gateway2)" = DOWN/L4CON ] || fail "HAProxy does not see the absent gateway 2 DOWN: $(server_state gateway2)"
    # A terminal's connection goes through to the gateway.
    python3 - "$lb_terminals" <<'EOF' || fail "no TCP connection through HAProxy's terminal port"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.close()
EOF
else
    echo "install-test: no haproxy here: its configuration is not checked"
fi

# --- Stopped by SIGTERM, every log line JSON -------------------------------------------------------
kill -TERM "$fleetd"
for ((i = 0; i < 120; i++)); do kill -0 "$fleetd" 2>/dev/null || break; sleep 0.25; done
kill -0 "$fleetd" 2>/dev/null && fail "fleetd did not stop within 30 s of SIGTERM"
wait "$fleetd" || fail "fleetd exited $? after SIGTERM"
pids=("${pids[@]:1}")
[ -s "$work/fleetd.log" ] || fail "fleetd logged nothing on standard error"
python3 - "$work/fleetd.log" <<'EOF' || fail "fleetd's log lines are not all JSON objects"
import json, sys
lines = [line for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
for number, line in enumerate(lines, 1):
    try:
        record = json.loads(line)
    except ValueError as error:
        sys.exit(f"line {number} is not JSON ({error}): {line.rstrip()}")
    if not isinstance(record, dict) or not {"time", "level", "message"} <= record.keys():
        sys.exit(f"line {number} lacks time, level or message: {line.rstrip()}")
if not any("ready" in r["message"] for r in map(json.loads, lines)):
    sys.exit("no line says the server is ready")
EOF

# --- The units ------------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    echo "install-test: systemd-analyze verify..."
    # Templates are verified as instances, beside the units they name.
    for unit in fleetd-gateway fleetd-api fleetd-leader; do cp "$units/$unit@.service" "$units/$unit@1.service"; done
    (cd "$units" && systemd-analyze verify fleet.target fleetd-migrate.service fleetd-gateway@1.service fleetd-api@1.service fleetd-leader@1.service) \
        >"$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "systemd-analyze verify refused the units"; }
    # Warnings about the units (not about the machine's own) fail too.
    if grep -E 'fleet' "$work/verify.log" >&2; then fail "systemd-analyze verify warned about the units"; fi
else
    echo "install-test: no systemd-analyze here: the units are not verified"
fi
