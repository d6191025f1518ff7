#!/usr/bin/env bash
# Installs what Fleet needs on a fresh Debian 12 machine (idempotent; only as root).
# Swift 6.x must already be on PATH.
set -euo pipefail
need=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
[ -f /usr/include/postgresql/libpq-fe.h ] || need+=(libpq-dev)   # Sources/CLibPQ: the bulk COPY path
command -v python3 >/dev/null || need+=(python3)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)   # schemathesis.sh drives fleetd serve
python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)   # schemathesis, pinned from PyPI   # the TLS test makes its own CA
[ -x /usr/sbin/runuser ] || need+=(util-linux)
# gps808 (Sources/CLibGPS) builds against libgps; its tests replay NMEA logs through gpsd/gpsfake.
[ -f /usr/include/gps.h ] || need+=(libgps-dev)
command -v gpsd >/dev/null || [ -x /usr/sbin/gpsd ] || need+=(gpsd)
command -v gpsfake >/dev/null || need+=(gpsd-clients python3-gps)
# Issue 19: HAProxy in front of the gateways and the API (Deploy/haproxy.cfg, the cluster test).
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v patchelf >/dev/null || need+=(patchelf)   # install.sh: the installed fleetd finds its Swift runtime
command -v gdb >/dev/null || need+=(gdb)   # watchdog.sh: the stacks of a test run that hangs
# The console: Leaflet and its marker clusters served from Debian's files, and the browser its
# tests drive (with CJK fonts, so the screenshots show Chinese).
[ -f /usr/share/javascript/leaflet/leaflet.js ] || need+=(libjs-leaflet)
[ -f /usr/share/javascript/leaflet/leaflet.markercluster.js ] || need+=(libjs-leaflet.markercluster)
command -v chromium >/dev/null || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${need[*]}; install them (sudo apt-get install ${need[*]}) and run again" >&2
        exit 1
    fi
    echo "installing ${need[*]}..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
    echo "swift is not on PATH: install Swift 6 (https://swift.org/install) first" >&2
    exit 1
fi
