#!/bin/sh
# cargo's runner for x86_64-pc-windows-gnu (scripts/ci/windows.sh sets it):
# runs a Windows program under wine, with the wine prefix and the stand-in
# bcryptprimitives.dll that windows.sh prepared (DYNPLUG_WINE_STUB), the
# latter copied beside the program, where Windows looks for DLLs first.
set -eu
program=$1
shift
dir=$(dirname "$program")
if [ -n "${DYNPLUG_WINE_STUB:-}" ] && ! cmp -s "$DYNPLUG_WINE_STUB" "$dir/bcryptprimitives.dll"; then
    cp "$DYNPLUG_WINE_STUB" "$dir/bcryptprimitives.dll"
fi
exec wine "$program" "$@"
