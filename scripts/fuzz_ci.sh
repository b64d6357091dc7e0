#!/usr/bin/env bash
# Bounded fuzzing for CI: every cargo-fuzz target of native/fuzz for FUZZ_SECONDS (default 60).
#
#   scripts/fuzz_ci.sh                 # all targets, 60 s each
#   FUZZ_SECONDS=10 scripts/fuzz_ci.sh token jwks
#
# Needs a nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). Without them it says so and runs the stable-toolchain
# counterparts of the targets instead (`cargo test --test robustness`: seeded random tokens,
# JWK Sets and header parameters), so the command still tests something real — it never
# passes by skipping. FUZZ_REQUIRE_NIGHTLY=1 turns the fallback into a failure.
#
# A crash, a panic, a leak-check failure or an input slower than FUZZ_INPUT_TIMEOUT seconds
# (libFuzzer's -timeout: a hang) fails the run; libFuzzer leaves the reproducer in
# native/fuzz/artifacts/<target>/. The corpus grows in native/fuzz/corpus/<target>/ (ignored
# by git), seeded from the attack corpus's tokens on the first run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATIVE="$REPO/native"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_INPUT_TIMEOUT="${FUZZ_INPUT_TIMEOUT:-10}"
FUZZ_RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-2048}"

if [[ ! -f "$NATIVE/fuzz/Cargo.toml" ]]; then
    echo "fuzz_ci.sh: $NATIVE/fuzz/Cargo.toml not found: no cargo-fuzz targets to run" >&2
    exit 2
fi

have_nightly_fuzz() {
    cargo +nightly --version >/dev/null 2>&1 && cargo fuzz --version >/dev/null 2>&1
}

if ! have_nightly_fuzz; then
    if [[ "${FUZZ_REQUIRE_NIGHTLY:-0}" == 1 ]]; then
        echo "fuzz_ci.sh: nightly toolchain or cargo-fuzz missing and FUZZ_REQUIRE_NIGHTLY=1" >&2
        exit 2
    fi
    echo "fuzz_ci.sh: no nightly toolchain / cargo-fuzz here; running the stable property" \
         "tests of the same inputs instead (cargo test --test robustness)"
    exec cargo test --release --manifest-path "$NATIVE/Cargo.toml" --test robustness
fi

cd "$NATIVE"
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

seed_corpus() {  # the attack corpus's tokens as the token target's starting points
    local dir="fuzz/corpus/token" data="tests/data/corpus.json"
    [[ -f "$data" ]] || return 0
    mkdir -p "$dir"
    [[ -n "$(ls -A "$dir")" ]] && return 0
    python3 - "$data" "$dir" <<'EOF'
import hashlib, json, pathlib, sys
cases = json.loads(pathlib.Path(sys.argv[1]).read_text())
for case in cases.get("cases", []):
    token = case.get("token")
    if isinstance(token, str):
        data = token.encode()
        (pathlib.Path(sys.argv[2]) / hashlib.sha1(data).hexdigest()).write_bytes(data)
EOF
}
seed_corpus

status=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    log="$(mktemp)"
    echo "== cargo fuzz run $target (${FUZZ_SECONDS} s)"
    if cargo +nightly fuzz run -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_INPUT_TIMEOUT" \
        -rss_limit_mb="$FUZZ_RSS_LIMIT_MB" -print_final_stats=1 >"$log" 2>&1; then
        runs="$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)"
        summary+=("$target: ok (${runs:-no stats})")
    else
        status=1
        tail -40 "$log"
        summary+=("$target: FAILED — reproducer in native/fuzz/artifacts/$target/")
    fi
    rm -f "$log"
done

echo "== fuzz summary"
printf '  %s\n' "${summary[@]}"
exit "$status"
