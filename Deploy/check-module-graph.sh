#!/usr/bin/env bash
# The layers of the README's layout, checked on the sources: pure modules import no I/O
# framework, read no files and take no time of their own; Store implements Domain's protocols and
# knows no engine or service; services know no HTTP; the terminal side never links the server.
# Prints each breach with its file and line; exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."

breaches=0
# forbid MODULE REGEX REASON: no line of Sources/MODULE matches REGEX (but in the files that
# are the rule's one allowed place: the system clock).
forbid() {
    local module=$1 pattern=$2 reason=$3
    local found
    found=$(grep -rnE "$pattern" "Sources/$module" --include='*.swift' | grep -v '^Sources/Domain/WallClock.swift:' || true)
    if [ -n "$found" ]; then
        echo "$module: $reason" >&2
        echo "$found" | sed 's/^/    /' >&2
        breaches=$((breaches + 1))
    fi
}
imports() { echo "^(@testable )?import ($1)\$"; }

io_frameworks='NIO[A-Za-z]*|Hummingbird[A-Za-z]*|PostgresNIO|CLibPQ|CLibGPS|ServiceLifecycle|Metrics|Prometheus|Crypto|EmbeddedPostgres'
adapters='Store|Gateway|HTTPAPI|FleetServer|JT808NIO|TerminalSimulator|GNSSTerminal|GPSD'
services='Dispatching|Accounting'
engines='DispatchEngine|Billing|Drawing'

for pure in JT808 Domain DispatchEngine Billing Drawing; do
    forbid "$pure" "$(imports "$io_frameworks|$adapters|$services")" "a pure module imports an I/O framework, an adapter or a service"
    forbid "$pure" 'FileManager|FileHandle|Data\(contentsOf|String\(contentsOf|fopen\(|\.write\(to:' "a pure module does file I/O"
    forbid "$pure" '[^A-Za-z]Date\(\)' "a pure module reads the clock (pass the time in)"
done
forbid Domain "$(imports "$engines|JT808")" "Domain is the innermost layer: it imports no other module of ours"
forbid Store "$(imports "$engines|$services|HTTPAPI|FleetServer|Gateway|Hummingbird[A-Za-z]*")" "Store implements Domain's protocols and knows no engine, service or HTTP"
for service in Dispatching Accounting; do
    forbid "$service" "$(imports "HTTPAPI|FleetServer|Gateway|Hummingbird[A-Za-z]*")" "a service knows no HTTP, gateway or composition root"
done
forbid Gateway "$(imports "Store|PostgresNIO|$services|HTTPAPI|FleetServer")" "the gateway hands reports to Domain's ports and never touches Store"
forbid HTTPAPI "$(imports "FleetServer|Gateway")" "the API is wired by FleetServer, not the other way round"
for adapter in Store Dispatching Accounting HTTPAPI; do
    forbid "$adapter" '[^A-Za-z]Date\(\)' "reads the clock itself: take the WallClock the composition root passes"
done
for terminal in TerminalSimulator GNSSTerminal; do
    forbid "$terminal" "$(imports "Gateway|Store|HTTPAPI|FleetServer|$services")" "the terminal side links no server code"
done
forbid GNSSTerminal "$(imports "TerminalSimulator")" "the in-vehicle terminal does not link the simulator"
forbid JT808NIO "$(imports "Domain|Gateway|Store|TerminalSimulator|GNSSTerminal")" "JT/T 808 over NIO is transport only"

if [ "$breaches" -gt 0 ]; then
    echo "module graph: $breaches breach(es) of the layers; see README \"Layout\"" >&2
    exit 1
fi
echo "module graph: the layers hold"
