#!/usr/bin/env bash
# The workspace's rust-version is true: Debian's rustc-web 1.85 (unpacked
# under /opt/dynplug-ci/rust-1.85, with its own cargo) builds the whole
# workspace, every target, and runs every test but the compiler-message
# tests of `ui` (see lib.sh), fixtures and tests built by 1.85.
#
#     bash scripts/ci/msrv.sh
#
# Target folder: target/ci-msrv.
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

declared=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
[ "$declared" = 1.85 ] || die "Cargo.toml declares rust-version $declared; this script checks 1.85"

ensure_compiler 1.85
apt_install binutils
say "$(compiler_version 1.85), $(compiler_cargo 1.85 -V)"
export CARGO_TARGET_DIR=$TARGET/ci-msrv

# One package selection (the workspace) and one profile for every command,
# so that nothing is built twice: `cargo test` builds the libraries, bins,
# examples and tests and runs every test but `ui` (its one test is named
# `ui`; see lib.sh for why), then the benchmarks are compiled too.
timed_cargo 1.85 test --workspace --locked -- --skip ui --exact
compiler_cargo 1.85 test --workspace --locked --benches --no-run

# The libraries the tests loaded and every test executable came from 1.85
# (cargo names the executables; asking again builds nothing).
executables=$(compiler_cargo 1.85 test --workspace --locked --no-run \
    --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
# shellcheck disable=SC2086 # one path per word
expect_built_by 1.85 "$CARGO_TARGET_DIR"/debug/deps/libhello_plugin.so \
    "$CARGO_TARGET_DIR"/debug/libabort_plugin.so $executables
done_in msrv
