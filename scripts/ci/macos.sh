#!/usr/bin/env bash
# macOS, type-checked only: every crate and target of the workspace (the
# runtime, the macros, the examples, the fixtures, the tests and the
# benchmarks) type-checks for x86_64-apple-darwin and aarch64-apple-darwin,
# without a warning. No SDK or linker for macOS exists here, so nothing is
# linked or run: `cargo check` with Debian's rustc-web, whose standard
# library for these targets is checked from source (`-Zbuild-std`, with
# rust-web-src; RUSTC_BOOTSTRAP=1 allows the unstable flag on a stable
# compiler).
#
#     bash scripts/ci/macos.sh
#
# Target folder: target/ci-macos.
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

ensure_compiler rustc-web
apt_install rust-web-src
# -Zbuild-std reads the standard library's sources from the sysroot.
sysroot=$(/usr/bin/rustc --print sysroot)
[ -f "$sysroot/lib/rustlib/src/rust/library/std/Cargo.toml" ] ||
    die "no standard library sources under $sysroot/lib/rustlib/src/rust (rust-web-src)"
say "$(compiler_version rustc-web)"

targets=(x86_64-apple-darwin aarch64-apple-darwin)
args=()
for target in "${targets[@]}"; do
    args+=(--target "$target")
    # The tests' build script compiles a C library with the target's C
    # compiler (cc crate), which does not exist here; `true` stands in, as
    # nothing is linked. (Only the type-check of the Rust code is asked.)
    export "CC_${target//-/_}=true"
done

log=$TARGET/ci-macos/check.log
mkdir -p "$TARGET/ci-macos"
# Nothing is linked or debugged: no debug info in the standard library,
# which -Zbuild-std compiles in full.
RUSTC_BOOTSTRAP=1 CARGO_PROFILE_DEV_DEBUG=false CARGO_TARGET_DIR=$TARGET/ci-macos \
    compiler_cargo rustc-web check \
    -Zbuild-std --workspace --all-targets --locked "${args[@]}" 2>&1 | tee "$log"
# A warning is a failure (RUSTFLAGS=-Dwarnings would apply to the standard
# library's build too).
if grep -E '^warning: .* generated [0-9]+ warnings?' "$log"; then
    die "warnings in the check for macOS (see above)"
fi
done_in macos
