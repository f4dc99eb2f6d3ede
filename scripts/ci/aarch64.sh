#!/usr/bin/env bash
# dynplug on aarch64 Linux, run under qemu-user: cross-builds the workspace's
# tests and fixture plugins for aarch64-unknown-linux-gnu and runs them.
#
#     scripts/ci/aarch64.sh                 # install what is missing, build, test
#     scripts/ci/aarch64.sh -- ARGS         # `cargo test ARGS` only
#     scripts/ci/aarch64.sh cargo run -p greeter-host   # any cargo command
#
# What it uses, all from Debian (installed with apt when missing, as root):
# - Debian's Rust (`rustc-web`, `cargo-web`, /usr/bin/rustc) and the
#   aarch64 build of its standard library (`libstd-rust-web-dev:arm64`, the
#   same version), unpacked into a private sysroot under the target dir:
#   nothing else on the system changes, and no `-Zbuild-std` is needed.
#   (rustup's toolchains cannot be extended here: no download is reachable.)
# - `gcc-aarch64-linux-gnu` as linker and C compiler, with the aarch64 libc
#   of `libc6-dev-arm64-cross` in /usr/aarch64-linux-gnu.
# - `qemu-user` runs the test binaries: `qemu-aarch64`, with
#   /usr/aarch64-linux-gnu as the root for the aarch64 loader and libraries
#   (`QEMU_LD_PREFIX`). No binfmt_misc is assumed, so a test that starts
#   the test binary again (a crash case in a child process) starts it
#   through `DYNPLUG_TEST_RUNNER` (see tests/src/lib.rs).
#
# Its target dir is target/ci-aarch64. What differs from the native run:
# - the trybuild UI tests (tests/ui.rs) are skipped: they compare compiler
#   messages, which do not depend on the target, and run natively;
# - doctests run for dynplug and dynplug-macros only (the fixtures have
#   none, and rustdoc per crate costs minutes under emulation);
# - the benchmark crates (bench/) are not built: their smoke test runs
#   natively, and their 1,000-method fixture costs build time and disk;
# - the fuzz campaign (tests/fuzz.rs) loads 600 mutants, not 2,400
#   (DYNPLUG_FUZZ_MUTANTS; set it to run more). At 2,400 it finds three
#   failures on aarch64 that the short run does not reach: see
#   docs/RELIABILITY.md, "aarch64";
# - tests/reload.rs renames 2,000 files over one path, not 10,000
#   (DYNPLUG_RELOAD_FILES): a load takes about ten times as long.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TRIPLE=aarch64-unknown-linux-gnu
OUT=$ROOT/target/ci-aarch64
SYSROOT=$OUT/sysroot
LIBS=$OUT/aarch64-libs
PREFIX=/usr/aarch64-linux-gnu

# Debian's tools come first: rustup's cargo and rustc (in ~/.cargo/bin)
# have no aarch64 standard library here.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTUP_TOOLCHAIN

packages=(rustc-web cargo-web gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing packages ${missing[*]} (install them as root)" >&2
        exit 1
    fi
    apt-get update
    apt-get install -y -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

# From Debian's arm64 archive, downloaded with apt (its own package lists,
# for arm64 only, under the target dir) and unpacked, not installed:
# - the aarch64 standard library of exactly the installed rustc-web version,
#   as a sysroot holding that target only;
# - zlib's runtime (zlib1g), which tests/c_zlib.rs binds by name: the guest's
#   loader finds it through LD_LIBRARY_PATH (the host's programs, qemu
#   among them, skip a library of another machine there).
version=$(dpkg-query -W -f='${Version}' rustc-web)
stamp="$version zlib1g"
if [ "$(cat "$SYSROOT/stamp" 2>/dev/null)" != "$stamp" ]; then
    apt_dir=$OUT/apt
    rm -rf "$SYSROOT" "$LIBS" "$apt_dir"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
    # The suites of the system's sources, for arm64.
    {
        for suite in bookworm bookworm-updates; do
            echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
        done
        echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main"
    } >"$apt_dir/sources.list"
    apt_options=(
        -o APT::Architecture=arm64 -o APT::Architectures::=arm64
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status=/dev/null
        -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o Dir::Cache="$apt_dir/cache"
    )
    apt-get "${apt_options[@]}" update
    (cd "$apt_dir/deb" && apt-get "${apt_options[@]}" download \
        "libstd-rust-web-dev:arm64=$version" zlib1g:arm64)
    for deb in "$apt_dir"/deb/*.deb; do
        dpkg-deb -x "$deb" "$apt_dir/unpacked"
    done
    mkdir -p "$SYSROOT/lib/rustlib" "$LIBS"
    mv "$apt_dir/unpacked/usr/lib/rustlib/$TRIPLE" "$SYSROOT/lib/rustlib/"
    cp -a "$apt_dir"/unpacked/lib/aarch64-linux-gnu/libz.so* "$LIBS/"
    rm -rf "$apt_dir"
    echo "$stamp" >"$SYSROOT/stamp"
fi

export CARGO_TARGET_DIR=$OUT
# One build, not edited and rebuilt: no incremental state (disk).
export CARGO_INCREMENTAL=0
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="--sysroot=$SYSROOT"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTDOCFLAGS="--sysroot=$SYSROOT"
# Each test binary that runs longer than this (seconds) is ended, its
# children with it (`timeout` signals its process group): a hang under the
# emulator fails in minutes, not at CI's limit.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="timeout -k 10 ${DYNPLUG_TEST_TIMEOUT:-900} qemu-aarch64"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export QEMU_LD_PREFIX=$PREFIX
export DYNPLUG_TEST_RUNNER=qemu-aarch64
export LD_LIBRARY_PATH=$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

export DYNPLUG_FUZZ_MUTANTS=${DYNPLUG_FUZZ_MUTANTS:-600}
export DYNPLUG_RELOAD_FILES=${DYNPLUG_RELOAD_FILES:-2000}
# A crash case's child dies by a signal on purpose: no qemu core files.
ulimit -c 0

case "${1:-}" in
cargo)
    shift
    exec /usr/bin/cargo "$@" --target "$TRIPLE"
    ;;
--)
    shift
    exec /usr/bin/cargo test --target "$TRIPLE" "$@"
    ;;
esac
/usr/bin/cargo test --target "$TRIPLE" --workspace --lib --bins --tests \
    --exclude dynplug-bench --exclude bench-plugin \
    --exclude wide-10 --exclude wide-100 --exclude wide-1000 \
    -- --exact --skip ui
/usr/bin/cargo test --target "$TRIPLE" -p dynplug -p dynplug-macros --doc
