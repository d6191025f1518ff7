#!/usr/bin/env bash
# The console's browser tests: pytest with Playwright (pinned, from PyPI, in .venv-browser)
# driving Debian's chromium against `fleetd demo`. Usage: Deploy/browser-tests.sh [pytest args]
# Run by Deploy/test.sh after `swift build`; FLEET_SCREENSHOTS=docs also writes the screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
source Deploy/browser-venv.sh
export FLEETD="${FLEETD:-$PWD/.build/debug/fleetd}"
[ -x "$FLEETD" ] || swift build --product fleetd
exec "$venv/bin/pytest" -q Tests/Browser "$@"
