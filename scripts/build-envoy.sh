#!/usr/bin/env bash
# Builds the Envoy filter: release wasm32-wasip1, then wasm-opt (npm binaryen). Writes
# envoy/dist/edgeward.wasm and prints its size (raw and gzip).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x tools/node_modules/.bin/wasm-opt ] || (cd tools && npm ci --no-audit --no-fund --silent)
cargo build -q -p edgeward-envoy --target wasm32-wasip1 --release
mkdir -p envoy/dist
raw=target/wasm32-wasip1/release/edgeward_envoy.wasm
tools/node_modules/.bin/wasm-opt -O3 --strip-debug --strip-producers \
  --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals \
  "$raw" -o envoy/dist/edgeward.opt.wasm
# Unused proxy_on_* exports cost a host-to-wasm call per request each: drop them, then let
# wasm-opt remove the code only they reached.
node tools/strip-callbacks.mjs envoy/dist/edgeward.opt.wasm envoy/dist/edgeward.stripped.wasm
tools/node_modules/.bin/wasm-opt -O3 --strip-debug --strip-producers \
  --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals \
  envoy/dist/edgeward.stripped.wasm -o envoy/dist/edgeward.wasm
rm -f envoy/dist/edgeward.opt.wasm envoy/dist/edgeward.stripped.wasm
size=$(stat -c %s envoy/dist/edgeward.wasm)
gz=$(gzip -9c envoy/dist/edgeward.wasm | wc -c)
echo "envoy/dist/edgeward.wasm: $size bytes ($gz gzip); before wasm-opt $(stat -c %s "$raw")"
