#!/usr/bin/env bash
# The whole test suite, against a real throwaway PostgreSQL cluster that this script starts and
# removes. Usage: Deploy/test.sh [extra `swift test` arguments, e.g. --filter JT808Tests]
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/check-module-graph.sh
Deploy/setup.sh
source Deploy/throwaway-postgres.sh
trap stop_throwaway_postgres EXIT
export FLEET_TEST_DATABASE_URL="$THROWAWAY_DATABASE_URL"

echo "building (debug, with tests)..."
swift build --build-tests
echo "running the tests..."
# About 5 minutes here; a run that hangs ends after FLEET_TEST_MINUTES with the stacks that say where.
swift test --skip-build "$@" &
tests=$!
Deploy/watchdog.sh "$tests" "${FLEET_TEST_MINUTES:-30}" &
watchdog=$!
status=0
wait "$tests" || status=$?
kill "$watchdog" 2>/dev/null || true
[ "$status" -eq 0 ] || exit "$status"
# The whole suite (no filter given) ends with the served OpenAPI document against the server.
if [ $# -eq 0 ]; then
    echo "the installation: Deploy/install.sh into a temporary prefix, the installed fleetd from /, HAProxy in front..."
    Deploy/install-test.sh .build/debug
    echo "backups restore to a point in time..."
    Deploy/backup-test.sh
    echo "schemathesis against fleetd serve..."
    psql "$THROWAWAY_DATABASE_URL" -qc "CREATE DATABASE schemathesis" >/dev/null
    Deploy/schemathesis.sh "${THROWAWAY_DATABASE_URL%/postgres}/schemathesis"
    echo "the console in Debian's chromium against fleetd demo..."
    Deploy/browser-tests.sh
fi
