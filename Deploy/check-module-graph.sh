#!/usr/bin/env bash
# The layers of the README's layout, checked on the sources: pure modules import no I/O
# framework and read no files; Store implements Domain's protocols and knows no engine or service;
# services know no HTTP; the terminal side never links the server. And what the composition roots
# (fleetd, gps808) alone do: read the time of day (libraries take a WallClock), choose the metrics
# backend, and read the environment (FleetServer's FleetConfiguration, for fleetd).
# Prints each breach with its file and line (comments aside); exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."

breaches=0
# forbid MODULE REGEX REASON [FILE...]: no line of Sources/MODULE matches REGEX, but in the
# FILEs given (paths from the checkout) and in comments.
forbid() {
    local module=$1 pattern=$2 reason=$3
    shift 3
    local found allowed
    found=$(grep -rnE "$pattern" "Sources/$module" --include='*.swift' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
    for allowed in "$@"; do
        found=$(echo "$found" | grep -v "^$allowed:" || true)
    done
    if [ -n "$found" ]; then
        echo "$module: $reason" >&2
        echo "$found" | sed 's/^/    /' >&2
        breaches=$((breaches + 1))
    fi
}
imports() { echo "^(@testable )?import ($1)\$"; }

io_frameworks='NIO[A-Za-z]*|Hummingbird[A-Za-z]*|PostgresNIO|CLibPQ|CLibGPS|ServiceLifecycle|Metrics|Prometheus|Crypto|EmbeddedPostgres'
adapters='Store|Gateway|HTTPAPI|FleetServer|JT808NIO|TerminalSimulator|GNSSTerminal|GPSD|Messaging'
services='Dispatching|Settlement'
engines='Matching|Billing|Drawing'

for pure in JT808 Domain Matching Billing Drawing; do
    forbid "$pure" "$(imports "$io_frameworks|$adapters|$services")" "a pure module imports an I/O framework, an adapter or a service"
    forbid "$pure" 'FileManager|FileHandle|Data\(contentsOf|String\(contentsOf|fopen\(|\.write\(to:' "a pure module does file I/O"
done

# Every module under Sources but the executables; Domain's SystemClock is the one reading of
# the time of day they pass down.
for module in $(cd Sources && ls -d */ | tr -d / | grep -vxE 'fleetd|gps808'); do
    forbid "$module" '[^A-Za-z]Date\(\)' "reads the time of day itself: take the WallClock the composition root passes" Sources/Domain/WallClock.swift
    forbid "$module" 'MetricsSystem\.bootstrap' "chooses the metrics backend: the executable does, once per process"
done
# fleetd included. EmbeddedPostgres hands the process's environment on to initdb and pg_ctl and
# reads no setting from it; gps808 reads its own two (LOG_LEVEL, STATE_DIRECTORY) in its command.
for module in $(cd Sources && ls -d */ | tr -d /); do
    forbid "$module" 'environment\[|processInfo\.environment' "reads the environment: fleetd's settings are read in FleetConfiguration" \
        Sources/FleetServer/FleetConfiguration.swift Sources/EmbeddedPostgres/EmbeddedPostgres.swift Sources/gps808/GPS808.swift
done
forbid Domain "$(imports "$engines|JT808")" "Domain is the innermost layer: it imports no other module of ours"
forbid Store "$(imports "$engines|$services|HTTPAPI|FleetServer|Gateway|Hummingbird[A-Za-z]*")" "Store implements Domain's protocols and knows no engine, service or HTTP"
for service in Dispatching Settlement; do
    forbid "$service" "$(imports "HTTPAPI|FleetServer|Gateway|Hummingbird[A-Za-z]*")" "a service knows no HTTP, gateway or composition root"
done
forbid Gateway "$(imports "Store|PostgresNIO|$services|HTTPAPI|FleetServer")" "the gateway hands reports to Domain's ports and never touches Store"
forbid HTTPAPI "$(imports "FleetServer|Gateway")" "the API is wired by FleetServer, not the other way round"
forbid Messaging "$(imports "Store|PostgresNIO|$services|HTTPAPI|FleetServer|Gateway")" "a channel carries Domain's notices and knows no store or service"
for service in Dispatching Settlement; do
    forbid "$service" "$(imports "Messaging")" "a service sends notices through Domain's NoticeSender, which FleetServer wires"
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
