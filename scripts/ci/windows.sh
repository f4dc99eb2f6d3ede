#!/usr/bin/env bash
# The Windows part of CI: cross-builds the runtime, the fixture plugins (as
# DLLs), the test suite and the greeter example for x86_64-pc-windows-gnu,
# and runs them under wine. Run alone: `scripts/ci/windows.sh`.
#
# The toolchain is Debian's: rustc-web with its library sources
# (rust-web-src), so that `-Zbuild-std` builds std for the target (no
# prebuilt Windows std can be downloaded here), and mingw-w64 as linker.
# Installs what is missing with apt (as root), and keeps its own target
# folder, target/ci-windows, so a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

packages=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine wine64)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing packages (${missing[*]}) and not root to install them" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's cargo and rustc, not rustup's: ~/.cargo/bin comes first in PATH
# and its `rustc` would silently build instead of Debian's.
export PATH=/usr/bin:/bin
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
unset RUSTUP_TOOLCHAIN
# -Zbuild-std on a stable compiler; std's sources are the sysroot's
# lib/rustlib/src/rust/library (rust-web-src).
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=$root/target/ci-windows
target=x86_64-pc-windows-gnu
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$root/scripts/ci/windows/runner.sh
export WINEPREFIX=$CARGO_TARGET_DIR/wine WINEDEBUG=-all
mkdir -p "$CARGO_TARGET_DIR"

# Wine 8 lacks bcryptprimitives.dll, which std imports: a stand-in, put
# beside each program by the runner.
stub=$CARGO_TARGET_DIR/bcryptprimitives.dll
source=scripts/ci/windows/bcryptprimitives.c
if [ ! -f "$stub" ] || [ "$source" -nt "$stub" ]; then
    x86_64-w64-mingw32-gcc -shared -O2 -o "$stub" "$source" -ladvapi32
fi
export DYNPLUG_WINE_STUB=$stub

# One wine server for the whole run (else each program starts its own,
# and the first run sets up the prefix): stopped on exit.
# (-p fails when one already runs for this prefix: then that one serves.
# Its output goes nowhere: it would hold a pipe of the caller open.)
wineserver -p >/dev/null 2>&1 || true
# The tests' temporary folders lie in the prefix's Temp folder, and those
# holding DLLs that stayed loaded (the default) cannot be removed by the
# tests under Windows rules: emptied before and after each run.
clean_temp() { rm -rf "$WINEPREFIX"/drive_c/users/*/Temp/* "$WINEPREFIX"/drive_c/users/*/Temp/.tmp*; }
clean_temp
trap 'wineserver -k 2>/dev/null || true; clean_temp' EXIT
wineboot -i >/dev/null 2>&1 || true

cargo=(cargo -Zbuild-std=std,panic_unwind)
"${cargo[@]}" run --target $target -p greeter-host

# Every behaviour test, and the runtime's unit tests. Not ui.rs: trybuild
# runs cargo from the test, which under wine is no Windows program, and
# compile errors do not depend on the target (they run natively).
tests=()
for file in tests/tests/*.rs; do
    name=$(basename "$file" .rs)
    [ "$name" = ui ] || tests+=(--test "$name")
done
"${cargo[@]}" test --target $target -p dynplug --lib
"${cargo[@]}" test --target $target -p dynplug-tests --no-fail-fast "${tests[@]}"
