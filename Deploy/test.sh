#!/usr/bin/env bash
# The whole test suite, against a real throwaway PostgreSQL cluster that this script starts and
# removes. Usage: Deploy/test.sh [extra `swift test` arguments, e.g. --filter JT808Tests]
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/setup.sh
source Deploy/throwaway-postgres.sh
trap stop_throwaway_postgres EXIT
export FLEET_TEST_DATABASE_URL="$THROWAWAY_DATABASE_URL"

echo "building (debug, with tests)..."
swift build --build-tests
echo "running the tests..."
swift test --skip-build "$@"
