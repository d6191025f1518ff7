#!/usr/bin/env bash
# The console's browser tests: pytest with Playwright (pinned, from PyPI, in .venv-browser)
# driving Debian's chromium against `fleetd demo`. Usage: Deploy/browser-tests.sh [pytest args]
# Run by Deploy/test.sh after `swift build`; FLEET_SCREENSHOTS=docs also writes the screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-browser
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s Tests/Browser/requirements.txt "$venv/requirements.txt"; then
    echo "installing the browser tests' tools in $venv..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Browser/requirements.txt
    cp Tests/Browser/requirements.txt "$venv/requirements.txt"
fi
export FLEETD="${FLEETD:-$PWD/.build/debug/fleetd}"
[ -x "$FLEETD" ] || swift build --product fleetd
# Playwright must never fetch a browser of its own: it drives /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec "$venv/bin/pytest" -q Tests/Browser "$@"
