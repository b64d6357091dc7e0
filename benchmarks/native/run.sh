#!/bin/sh
# Builds (release profile, as shipped) and runs the native benchmark against ../../native.
# Cargo.lock is seeded from the engine's own lock file, so the crypto crates measured raw are
# exactly the versions the engine links. Arguments go to the benchmark (--quick, --rounds N, …).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/../../native/Cargo.lock" "$here/Cargo.lock"
exec cargo run --quiet --release --manifest-path "$here/Cargo.toml" -- "$@"
