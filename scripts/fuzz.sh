#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), seeded from the test vectors.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (make fuzz SECONDS=600 for a long run)
# Needs a nightly toolchain (RUSTC_BOOTSTRAP=1 on stable is the fallback) and cargo-fuzz
# (installed here when missing). Exits non-zero on any finding; findings are kept in
# fuzz/artifacts/<target>/. Prints executions per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(b64_json jwks policy token request signed revocation dpop es256 es_wide)
if cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --quiet
python3 fuzz/seed.py
(cd fuzz && "${fuzz[@]}" build -O)
status=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  mkdir -p "fuzz/corpus/$t"  # a target without seeds (es256, es_wide make their own keys) starts empty
  if (cd fuzz && "${fuzz[@]}" run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=16384 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz $t: ${runs:-?} executions in ${seconds}s, no finding"
  else
    echo "fuzz $t: FINDING (see fuzz/artifacts/$t/)"; tail -40 "$log"; status=1
  fi
  rm -f "$log"
done
exit $status
