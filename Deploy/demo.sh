#!/usr/bin/env bash
# The main job: builds fleetd and runs `fleetd demo` (server + private PostgreSQL in .fleet/),
# until Ctrl-C. Nothing to configure.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/setup.sh
echo "building fleetd (release; the first build takes several minutes)..."
swift build -c release --product fleetd
exec .build/release/fleetd demo "$@"
