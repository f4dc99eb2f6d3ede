#!/usr/bin/env bash
# cargo's runner for x86_64-pc-windows-gnu (scripts/ci/windows.sh sets it):
# runs a Windows program under wine, with the wine prefix and the stand-in
# bcryptprimitives.dll that windows.sh prepared (DYNPLUG_WINE_STUB), the
# latter copied beside the program, where Windows looks for DLLs first.
#
# Wine's own client-server link sometimes breaks as a program starts
# ("wine client error:0: recvmsg: Connection reset by peer", seen once in
# a CI run, before any test ran): then, and only then, the program is run
# once more, saying so. Its own failures are never run again.
set -u
program=$1
shift
dir=$(dirname "$program")
if [ -n "${DYNPLUG_WINE_STUB:-}" ] && ! cmp -s "$DYNPLUG_WINE_STUB" "$dir/bcryptprimitives.dll"; then
    cp "$DYNPLUG_WINE_STUB" "$dir/bcryptprimitives.dll"
fi
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
for attempt in 1 2; do
    # Standard error goes through as it comes (through tee, which keeps a
    # copy to look at); standard output goes straight through (fd 3).
    { wine "$program" "$@" 2>&1 1>&3 3>&- | tee "$errors" >&2 3>&-; } 3>&1
    status=${PIPESTATUS[0]}
    if [ "$status" -ne 0 ] && [ "$attempt" -eq 1 ] && grep -q '^wine client error' "$errors"; then
        echo "runner: wine's server link broke (see above); running $(basename "$program") again" >&2
        continue
    fi
    exit "$status"
done
