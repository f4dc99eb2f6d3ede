#!/usr/bin/env bash
# Plugins built by one compiler load and behave in a host built by another:
# the fixture plugins of tests/fixtures built by compiler A, the behaviour
# tests built by compiler B and pointed at A's fixtures (DYNPLUG_FIXTURE_DIR,
# see tests/src/lib.rs), every behaviour test run; then the other way round.
#
#     bash scripts/ci/compilers.sh                  # stable and rustc-web
#     bash scripts/ci/compilers.sh stable 1.85      # any two of lib.sh's
#
# Before the tests run, readelf checks that every fixture was built by A
# and every test binary by B, and a run with an empty fixture folder must
# fail (the tests take fixtures from that folder and nowhere else).
#
# Target folders: rustup's stable builds in target/ (what `cargo test
# --workspace` in .ci/run built: nothing is built again), rustc-web in
# target/ci-rustc-web, 1.85 in target/ci-msrv (msrv.sh's); the fixture
# folders are target/ci-compilers/fixtures-<compiler>.
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

if [ $# -eq 0 ]; then
    set -- stable rustc-web
fi
if [ $# -ne 2 ] || [ "$1" = "$2" ]; then
    die "usage: $0 [COMPILER_A COMPILER_B] (two different ones)"
fi
apt_install binutils

# target_dir NAME, packages NAME: where each compiler builds, and the
# package selection it always builds with there (one selection per folder,
# so that no dependency is rebuilt with other features).
target_dir() {
    case $1 in
    stable) echo "$TARGET" ;;
    1.85) echo "$TARGET/ci-msrv" ;;
    *) echo "$TARGET/ci-$1" ;;
    esac
}
packages() {
    case $1 in
    stable | 1.85) echo --workspace ;;
    *) echo -p dynplug-tests ;;
    esac
}

# The fixture crates that are plugins (cdylib), by package name, and the
# example plugins the behaviour tests load as fixtures too.
plugins=()
for manifest in tests/fixtures/*/Cargo.toml examples/objects/plugin/Cargo.toml; do
    if grep -q cdylib "$manifest"; then
        plugins+=("$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest")")
    fi
done

tests=$(test_options tests/tests)
for compiler in "$@"; do
    ensure_compiler "$compiler"
    say "$compiler: $(compiler_version "$compiler")"
    dir=$(target_dir "$compiler")
    # The behaviour tests, and with them the fixtures (their
    # dev-dependencies); the test binaries must be the compiler's.
    # shellcheck disable=SC2046,SC2086 # one option per word
    executables=$(CARGO_TARGET_DIR=$dir compiler_cargo "$compiler" test $(packages "$compiler") \
        --locked --no-run --message-format=json-render-diagnostics $tests |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
    # shellcheck disable=SC2086 # one path per word
    expect_built_by "$compiler" $executables
    # The abort plugin as panics.rs builds it.
    CARGO_TARGET_DIR=$dir compiler_cargo "$compiler" rustc -p abort-plugin --lib --locked \
        --profile dev -- -C panic=abort
    fixtures=$TARGET/ci-compilers/fixtures-$compiler
    rm -rf "$fixtures"
    mkdir -p "$fixtures"
    for plugin in "${plugins[@]}"; do
        file=lib${plugin//-/_}.so
        if [ "$plugin" = abort-plugin ]; then
            cp "$dir/debug/$file" "$fixtures/"
        else
            cp "$dir/debug/deps/$file" "$fixtures/"
        fi
    done
    expect_built_by "$compiler" "$fixtures"/*.so
done

a=$1 b=$2
say "control: the tests refuse to run without fixtures in DYNPLUG_FIXTURE_DIR"
empty=$TARGET/ci-compilers/empty
mkdir -p "$empty"
# shellcheck disable=SC2046 # one option per word
if out=$(DYNPLUG_FIXTURE_DIR=$empty CARGO_TARGET_DIR=$(target_dir "$a") \
    compiler_cargo "$a" test $(packages "$a") --locked --test calls 2>&1); then
    die "the tests passed with an empty DYNPLUG_FIXTURE_DIR"
fi
grep -q "not found in $empty" <<<"$out" || die "an empty DYNPLUG_FIXTURE_DIR failed otherwise: $out"

for pair in "$a $b" "$b $a"; do
    read -r fixtures_by tests_by <<<"$pair"
    say "fixtures built by $fixtures_by ($(compiler_version "$fixtures_by")), tests by $tests_by ($(compiler_version "$tests_by"))"
    # shellcheck disable=SC2046,SC2086 # one option per word
    DYNPLUG_FIXTURE_DIR=$TARGET/ci-compilers/fixtures-$fixtures_by \
        CARGO_TARGET_DIR=$(target_dir "$tests_by") \
        timed_cargo "$tests_by" test $(packages "$tests_by") --locked $tests
done
done_in compilers
