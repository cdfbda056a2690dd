#!/usr/bin/env bash
# µs per public-key verification (RS256, PS256, ES256, ES384, ES512, EdDSA; hashing included):
# the RustCrypto crates as the core used them before its fast paths (reference: rsa, p256, p384,
# p521, ed25519-dalek) against the core (fast: src/rsa_fast.rs, src/ec_fast.rs; EdDSA is
# ed25519-dalek with its `fast` tables both ways, so there fast = reference), natively and in
# wasm under V8
# (wasm32-wasip1 under Node's WASI, benches/wasi_run.mjs), plus jsonwebtoken with aws-lc-rs
# natively as the anchor. Every configuration runs PASSES times, interleaved; each run reports
# the median and minimum of 9 rounds. Printed: the median over passes of the medians and, in
# brackets, the minimum over passes of the minima (the least disturbed by other load), and the
# ratios of the medians.
# Usage: benches/pk_bench.sh [--no-aws-lc] [PASSES]     (default 3 passes)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

aws_lc=1
if [ "${1:-}" = "--no-aws-lc" ]; then aws_lc=0; shift; fi
passes=${1:-3}

cargo build -q --release --example pk_bench
cargo build -q --release --example pk_bench --target wasm32-wasip1
[ $aws_lc = 1 ] && cargo build -q --release -p edgeward-bench --example pk_aws_lc
native=target/release/examples/pk_bench
wasm=target/wasm32-wasip1/release/examples/pk_bench.wasm

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for _ in $(seq "$passes"); do
  "$native" --reference | sed 's/^/native /'
  "$native" | sed 's/^/native /'
  node benches/wasi_run.mjs "$wasm" --reference 2>/dev/null | sed 's/^/wasm /'
  node benches/wasi_run.mjs "$wasm" 2>/dev/null | sed 's/^/wasm /'
  if [ $aws_lc = 1 ]; then
    target/release/examples/pk_aws_lc | sed 's/^/native /'
  fi
done >"$rows"

# Rows: <where> <alg> <reference|fast|aws-lc> <median> <min>
awk '
  function median(k,   n, i, j, t, a) {
    n = split(meds[k], a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 " " $2 " " $3
    meds[k] = (k in meds) ? meds[k] " " $4 : $4
    if (!(k in mn) || $5 + 0 < mn[k]) mn[k] = $5 + 0
  }
  function cell(k) { return (k in meds) ? sprintf("%.1f (%.1f)", median(k), mn[k]) : "-" }
  function ratio(a, b) { return (a in meds && b in meds) ? sprintf("%.1fx", median(a) / median(b)) : "-" }
  END {
    printf "%-15s %-7s %-18s %-18s %-18s %-9s %s\n", "alg", "where", "reference us", "fast us", "aws-lc us", "ref/fast", "fast/aws-lc"
    n = split("RS256 PS256 ES256 ES384 ES512 EdDSA ES256-key-load ES384-key-load ES512-key-load", algs, " "); split("native wasm", wheres, " ")
    for (a = 1; a <= n; a++) for (w = 1; w <= 2; w++) {
      p = wheres[w] " " algs[a]
      if (!((p " fast") in meds)) continue
      printf "%-15s %-7s %-18s %-18s %-18s %-9s %s\n", algs[a], wheres[w], cell(p " reference"), cell(p " fast"), cell(p " aws-lc"), ratio(p " reference", p " fast"), ratio(p " fast", p " aws-lc")
    }
  }' "$rows"
