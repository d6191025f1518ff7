#!/usr/bin/env bash
# Usage: Deploy/watchdog.sh PID MINUTES
# Ends a test run that hangs with its evidence instead of leaving CI to time out without any:
# if PID (`swift test`) is still running after MINUTES, prints the processes it started and the
# threads' stacks of the test binary and of every fleetd (gdb: the toolchain's lldb wants a
# libpython Debian does not have), then kills them all. Returns at once when PID ends first.
set -uo pipefail
pid=$1 minutes=$2

for ((waited = 0; waited < minutes * 60; waited += 5)); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 5
done

echo "watchdog: the tests still run after $minutes minutes: what is running, then every thread's stack" >&2
ps -eo pid,ppid,etime,pcpu,rss,args --forest | grep -E 'swift-test|xctest|fleetd|gps808|gpsfake|haproxy|curl|openssl' | grep -v grep >&2
stuck=$(pgrep -f 'PackageTests.xctest'; pgrep -x fleetd)
for process in $stuck; do
    echo "watchdog: stacks of $process: $(tr '\0' ' ' < "/proc/$process/cmdline" | cut -c1-200)" >&2
    timeout 120 gdb -p "$process" -batch -ex 'thread apply all bt' 2>&1 | grep -E '^(Thread|#)' | cut -c1-240 | head -n 800 >&2
done
for process in $stuck $(pgrep -x haproxy; pgrep -x gps808); do kill -KILL "$process" 2>/dev/null; done
kill -TERM "$pid" 2>/dev/null
exit 0
