#!/usr/bin/env bash
# The hot-reload example, hands off: starts the host, then edits the
# plugin's message and rebuilds it twice while the host runs, then puts the
# source back. Watch the host's output change without a restart.
#
#     bash examples/hot-reload/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source=examples/hot-reload/plugin/src/lib.rs
saved=$(mktemp)
cp "$source" "$saved"
trap 'cp "$saved" "$source"; rm -f "$saved"' EXIT

cargo build -q -p hot-reload-plugin -p hot-reload-host
target=${CARGO_TARGET_DIR:-target}/debug
"$target/hot-reload-host" --seconds 25 &
host=$!
sleep 3
for message in "rebuilt while the host runs" "and rebuilt once more"; do
    sed -i.bak "s/^const MESSAGE: &str = .*/const MESSAGE: \&str = \"$message\";/" "$source"
    rm -f "$source.bak"
    echo "== rebuilding the plugin: \"$message\""
    cargo build -q -p hot-reload-plugin
    sleep 6
done
wait "$host"
