#!/usr/bin/env bash
# Builds the npm package: wasm32-unknown-unknown (profile npm) -> wasm-bindgen (pinned to the crate's
# exact version) -> wasm-opt (npm binaryen) -> npm pack. Writes wasm/npm/dist/ and
# wasm/edgeward-<version>.tgz and prints the sizes (raw and gzip).
set -euo pipefail
cd "$(dirname "$0")/.."
# The CLI must match the wasm-bindgen crate byte for byte in its schema: read the pin.
want=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' wasm/Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  cargo install wasm-bindgen-cli --version "$want" --quiet
fi
[ -x tools/node_modules/.bin/wasm-opt ] || (cd tools && npm ci --no-audit --no-fund --silent)
# Profile `npm` (Cargo.toml): the release profile at opt-level 2, for the package's size budget.
cargo build -q -p edgeward-wasm --target wasm32-unknown-unknown --profile npm
raw=target/wasm32-unknown-unknown/npm/edgeward_wasm.wasm
out=wasm/npm/dist
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name edgeward_wasm "$raw"
tools/node_modules/.bin/wasm-opt -O3 --strip-debug --strip-producers \
  --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals \
  --enable-reference-types --enable-multivalue \
  "$out/edgeward_wasm_bg.wasm" -o "$out/edgeward_wasm_bg.opt.wasm"
mv "$out/edgeward_wasm_bg.opt.wasm" "$out/edgeward_wasm_bg.wasm"
rm -f wasm/edgeward-*.tgz
tarball=$(cd wasm/npm && npm pack --silent --pack-destination ..)
wasm_file="$out/edgeward_wasm_bg.wasm"
echo "wasm/npm/dist/edgeward_wasm_bg.wasm: $(stat -c %s "$wasm_file") bytes ($(gzip -9c "$wasm_file" | wc -c) gzip); before wasm-opt $(stat -c %s "$raw")"
echo "wasm/$tarball: $(stat -c %s "wasm/$tarball") bytes"
# The package's size budget (docs/performance.md): under 300 KB gzip, or the build fails.
gz=$(gzip -9c "$wasm_file" | wc -c)
if [ "$gz" -ge 300000 ]; then
  echo "edgeward_wasm_bg.wasm is $gz bytes gzip: over the 300 KB budget" >&2
  exit 1
fi
