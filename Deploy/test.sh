#!/usr/bin/env bash
# The whole test suite, against a real throwaway PostgreSQL cluster that this script starts and
# removes. Usage: Deploy/test.sh [extra `swift test` arguments, e.g. --filter JT808Tests]
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/setup.sh

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
cluster=$(mktemp -d /tmp/fleet-test-cluster.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$cluster"
    as_pg=(runuser -u postgres --)
fi
cleanup() {
    (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$cluster" -m immediate -w >/dev/null 2>&1) || true
    rm -rf "$cluster"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "starting a throwaway PostgreSQL on port $port..."
(cd / && "${as_pg[@]}" "$pg_bin/initdb" -D "$cluster" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null)
# A test cluster needs no durability: fsync off makes CREATE DATABASE per test cheap.
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" start -D "$cluster" -w -l "$cluster/server.log" \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $cluster -c fsync=off -c full_page_writes=off -c max_connections=200" >/dev/null)
export FLEET_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"

echo "building (debug, with tests)..."
swift build --build-tests
echo "running the tests..."
swift test --skip-build "$@"
