# shellcheck shell=bash
# Shared by the scripts of scripts/ci (sourced, not run): installing with
# apt, the compilers this machine has besides rustup's, and checking which
# compiler built a file.
#
# The compilers, by name:
#   stable     rustup's toolchain, the `cargo` on PATH (what `.ci/run` uses)
#   rustc-web  Debian's rustc-web and cargo-web (apt), called by full path
#              with a PATH of /usr/bin:/bin: with ~/.cargo/bin first in
#              PATH, /usr/bin/cargo would silently run rustup's rustc
#   1.85       Debian's 1.85 build of the same packages, unpacked under
#              $RUST_185 (the workspace's rust-version)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # used by the scripts
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RUST_185=${DYNPLUG_RUST_185:-/opt/dynplug-ci/rust-1.85}

# A test run that hangs fails after this long (seconds) instead of using
# up CI's time; `timeout` ends the whole process group.
TEST_TIMEOUT=${DYNPLUG_TEST_TIMEOUT:-900}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Seconds since the script started, for the closing line.
SECONDS=0
done_in() { say "$1: done in ${SECONDS}s"; }

APT_UPDATED=
apt_update_once() {
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -o DPkg::Lock::Timeout=600 >/dev/null
        APT_UPDATED=1
    fi
}

# apt_install PACKAGE...: installs the packages not installed yet (quick
# when all are).
apt_install() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "not root: cannot install ${missing[*]}"
    say "apt: installing ${missing[*]}"
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
        "${missing[@]}" >/dev/null
}

# compiler_command NAME: sets the array CMD to the command that runs that
# compiler's cargo, with its rustc. The builds of the scripts' own target
# folders are not incremental (quicker from scratch, as in CI); rustup's
# stable builds as `cargo test` does, to reuse what it built.
compiler_command() {
    case $1 in
    stable) CMD=(cargo) ;;
    rustc-web)
        CMD=(env PATH=/usr/bin:/bin RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
            CARGO_INCREMENTAL=0 /usr/bin/cargo)
        ;;
    1.85)
        CMD=(env "PATH=$RUST_185/bin:/usr/bin:/bin" "RUSTC=$RUST_185/bin/rustc"
            "RUSTDOC=$RUST_185/bin/rustdoc" CARGO_INCREMENTAL=0 "$RUST_185/bin/cargo")
        ;;
    *) die "unknown compiler $1" ;;
    esac
}

# compiler_cargo NAME ARGS...: that compiler's cargo.
compiler_cargo() {
    local CMD
    compiler_command "$1"
    shift
    "${CMD[@]}" "$@"
}

# timed_cargo NAME ARGS...: the same, failing after $TEST_TIMEOUT seconds.
timed_cargo() {
    local CMD
    compiler_command "$1"
    shift
    timeout "$TEST_TIMEOUT" "${CMD[@]}" "$@"
}

# compiler_version NAME: what its rustc says (`rustc 1.96.0 (ac68faa20 ...)`).
compiler_version() {
    case $1 in
    stable) rustc -V ;;
    rustc-web) /usr/bin/rustc -V ;;
    1.85) "$RUST_185/bin/rustc" -V ;;
    esac
}

# ensure_compiler NAME: installs what the compiler needs.
ensure_compiler() {
    case $1 in
    stable) command -v cargo >/dev/null || die "no rustup cargo on PATH" ;;
    rustc-web) apt_install rustc-web cargo-web binutils ;;
    1.85) ensure_rust_185 ;;
    esac
}

# Debian's rustc-web 1.85 with its cargo and standard library, unpacked
# under $RUST_185 (apt installs one version of a package only, and 1.96 is
# the one installed). Its rustc and rustdoc find librustc_driver through
# small wrappers in $RUST_185/bin.
ensure_rust_185() {
    if [ -x "$RUST_185/bin/rustc" ] && "$RUST_185/bin/rustc" -V 2>/dev/null | grep -q '^rustc 1\.85\.'; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "not root: cannot unpack Debian's rustc-web 1.85 into $RUST_185"
    # What the packages depend on, unpacked by hand: installed with apt.
    apt_install gcc libc6-dev binutils libllvm19 libstdc++6 libcurl4 libhttp-parser2.9 \
        libpcre3 libsqlite3-0 libssh2-1 libssl3 zlib1g
    local version
    version=$(apt-cache madison rustc-web | awk '$3 ~ /^1\.85\./ { print $3; exit }')
    if [ -z "$version" ]; then
        apt_update_once
        version=$(apt-cache madison rustc-web | awk '$3 ~ /^1\.85\./ { print $3; exit }')
    fi
    [ -n "$version" ] || die "apt knows no rustc-web 1.85 (apt-cache madison rustc-web)"
    say "unpacking Debian's rustc-web $version into $RUST_185"
    local work
    work=$(mktemp -d)
    (
        cd "$work"
        apt-get download -q -o APT::Sandbox::User=root "rustc-web=$version" "cargo-web=$version" \
            "libstd-rust-web-1.85=$version" "libstd-rust-web-dev=$version" >/dev/null
    )
    rm -rf "$RUST_185.new"
    mkdir -p "$RUST_185.new/bin"
    local deb
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$RUST_185.new/root"
    done
    rm -rf "$work"
    local multiarch tool
    multiarch=$(gcc -print-multiarch)
    for tool in rustc rustdoc; do
        cat >"$RUST_185.new/bin/$tool" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$RUST_185/root/usr/lib/$multiarch\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$RUST_185/root/usr/bin/$tool" "\$@"
EOF
        chmod +x "$RUST_185.new/bin/$tool"
    done
    ln -s ../root/usr/bin/cargo "$RUST_185.new/bin/cargo"
    rm -rf "$RUST_185"
    mv "$RUST_185.new" "$RUST_185"
    "$RUST_185/bin/rustc" -V | grep -q '^rustc 1\.85\.' || die "the unpacked rustc is not 1.85"
    "$RUST_185/bin/cargo" -V >/dev/null || die "the unpacked cargo does not run"
}

# built_by FILE: the rustc versions recorded in FILE's .comment section
# (`rustc version 1.96.0 (ac68faa20 2026-05-25)`; several are joined by
# `; `), empty if none.
built_by() {
    readelf -p .comment "$1" 2>/dev/null | grep -o 'rustc version [^)]*)' | sort -u |
        paste -sd ';' | sed 's/;/; /g' || true
}

# expect_built_by NAME FILE...: each FILE's .comment names compiler NAME's
# version.
expect_built_by() {
    local name=$1 want file got
    shift
    want=$(compiler_version "$name" | grep -o '^rustc [^)]*)' | sed 's/^rustc /rustc version /')
    [ $# -gt 0 ] || die "expect_built_by $name: no files to check"
    for file in "$@"; do
        [ -f "$file" ] || die "$file: missing (expected a build by $name)"
        got=$(built_by "$file")
        [ "$got" = "$want" ] || die "$file: built by '${got:-no rustc}', expected '$want' ($name)"
    done
}

# test_options DIR...: `--test NAME` for each test target in the folders
# (tests/tests, bench/tests), but `ui`: its trybuild tests compare the
# compiler's messages with those of the pinned rustup stable, so only
# `cargo test` with that compiler runs them.
test_options() {
    local dir file name
    for dir in "$@"; do
        for file in "$ROOT/$dir"/*.rs; do
            name=$(basename "$file" .rs)
            [ "$name" = ui ] && continue
            printf -- '--test %s ' "$name"
        done
    done
}
