#!/usr/bin/env bash
# The served OpenAPI document against the server that serves it: schemathesis (pinned, from PyPI,
# in a virtual environment of its own) runs every phase (examples, coverage, fuzzing, stateful
# with the document's links) against a real `fleetd serve` on a database of its own, once with
# a token of each role. Any 5xx, undocumented status, response off its schema, or input the
# document forbids that the server takes fails the run.
# Usage: Deploy/schemathesis.sh DATABASE_URL   (an empty database it may fill; test.sh passes one)
# Built binaries are expected in .build/debug (test.sh builds them first).
set -euo pipefail
cd "$(dirname "$0")/.."
database_url=$1
examples=${FLEET_SCHEMATHESIS_EXAMPLES:-25}
venv=.build-venv/schemathesis
if [ ! -x "$venv/bin/st" ]; then
    echo "installing schemathesis into $venv..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/fleet-schemathesis.XXXXXX)
http_port=$(free_port)
fleetd=.build/debug/fleetd
export DATABASE_URL=$database_url FLEET_HTTP_PORT=$http_port FLEET_GATEWAY_PORT=$(free_port) FLEET_METRICS_PORT=$(free_port) FLEET_DATA_DIR=$work
"$fleetd" migrate >/dev/null 2>&1
password="schemathesis horse battery"
for role in administrator dispatcher auditor agency approver driver; do
    agency=()
    [ "$role" = agency ] || [ "$role" = approver ] && agency=(--agency "市机关事务管理局")
    echo "$password" | "$fleetd" user add --username "st-$role" --role "$role" "${agency[@]}" >/dev/null 2>&1
done

"$fleetd" serve >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$http_port
for _ in $(seq 1 100); do curl -sf "$base/openapi.json" >/dev/null && break; sleep 0.2; done

# Every role signs in before any run: an administrator's run may disable another user.
roles=(driver agency approver auditor dispatcher administrator)
declare -A tokens
for role in "${roles[@]}"; do
    tokens[$role]=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
        -d "{\"username\": \"st-$role\", \"password\": \"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
done
status=0
for role in "${roles[@]}"; do
    echo "schemathesis as $role..."
    # Left out, each tested on its own in SessionSecurityTests: signing out, disabling a user or
    # revoking sessions would end the tokens the runs use; the sign-in gate counts a run's wrong
    # passwords against this address. The live stream never ends (it is tested over a socket).
    "$venv/bin/st" --config-file Deploy/schemathesis.toml run "$base/openapi.json" --url "$base" \
        -H "Authorization: Bearer ${tokens[$role]}" \
        --phases examples,coverage,fuzzing,stateful \
        --exclude-path-regex '^/api/v1/(sessions|me/password|stream|users/\{id\}/(disable|enable|sessions))' \
        --max-examples "$examples" --workers 1 --request-timeout 20 \
        --suppress-health-check all --no-color >"$work/st-$role.log" 2>&1 || status=1
    sed -n '/^Test Phases/,/^Test cases/p' "$work/st-$role.log"
    if ! kill -0 $server 2>/dev/null; then
        echo "fleetd serve died during the run as $role:" >&2
        tail -n 40 "$work/serve.log" >&2
        exit 1
    fi
done
if [ $status -ne 0 ]; then
    echo "schemathesis found failures; the full logs:" >&2
    for role in "${roles[@]}"; do cat "$work/st-$role.log" >&2; done
fi
exit $status
