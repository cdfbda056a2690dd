#!/usr/bin/env bash
# µs per RSA verification (RS256, PS256; 2048-bit key, e = 65537, hashing included): the
# RustCrypto `rsa` crate as the core used it before (reference) against the core's fast path
# (src/rsa_fast.rs, src/mont.rs), natively and in wasm under V8 (wasm32-wasip1 under Node's
# WASI, benches/wasi_run.mjs), plus jsonwebtoken with aws-lc-rs natively as the anchor.
# Prints one table: median µs (minimum in brackets; the minimum is the least disturbed by other
# load) and the fast path's speed-up over the reference, and over aws-lc natively.
# Usage: benches/rsa_bench.sh [--no-aws-lc]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

aws_lc=1
[ "${1:-}" = "--no-aws-lc" ] && aws_lc=0

cargo build -q --release --example rsa_bench
cargo build -q --release --example rsa_bench --target wasm32-wasip1
[ $aws_lc = 1 ] && cargo build -q --release -p edgeward-bench --example rsa_aws_lc
native=target/release/examples/rsa_bench
wasm=target/wasm32-wasip1/release/examples/rsa_bench.wasm

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
{
  "$native" --reference | sed 's/^/native /'
  "$native" | sed 's/^/native /'
  node benches/wasi_run.mjs "$wasm" --reference 2>/dev/null | sed 's/^/wasm /'
  node benches/wasi_run.mjs "$wasm" 2>/dev/null | sed 's/^/wasm /'
  if [ $aws_lc = 1 ]; then
    target/release/examples/rsa_aws_lc | sed 's/^/native /'
  fi
} >"$rows"

# Rows: <where> <alg> <reference|fast|aws-lc> <median> <min>
awk '
  { med[$1 " " $2 " " $3] = $4; mn[$1 " " $2 " " $3] = $5 }
  function cell(k) { return (k in med) ? sprintf("%.1f (%.1f)", med[k], mn[k]) : "-" }
  function ratio(a, b) { return (a in med && b in med) ? sprintf("%.1fx", med[a] / med[b]) : "-" }
  END {
    printf "%-6s %-7s %-18s %-18s %-18s %-14s %s\n", "alg", "where", "reference us", "fast us", "aws-lc us", "ref/fast", "fast/aws-lc"
    split("RS256 PS256", algs, " "); split("native wasm", wheres, " ")
    for (a = 1; a <= 2; a++) for (w = 1; w <= 2; w++) {
      p = wheres[w] " " algs[a]
      printf "%-6s %-7s %-18s %-18s %-18s %-14s %s\n", algs[a], wheres[w], cell(p " reference"), cell(p " fast"), cell(p " aws-lc"), ratio(p " reference", p " fast"), ratio(p " fast", p " aws-lc")
    }
  }' "$rows"
