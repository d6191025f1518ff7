#!/usr/bin/env bash
# The console map's benchmark: the vehicle layer (Web/js/vehicles.js) with a synthetic fleet
# moving every second in headless Debian chromium, against the Leaflet.markercluster baseline.
# No server needed. Usage: Deploy/console-bench.sh [--vehicles 5000] [--minutes 10]
#                          [--baseline-minutes 1] [--zoom 12]
# Uses the browser tests' Playwright in .venv-browser (made as Deploy/browser-tests.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
source Deploy/browser-venv.sh
exec "$venv/bin/python" Benchmarks/console/bench.py "$@"
