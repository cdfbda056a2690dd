#!/usr/bin/env bash
# Runs every test and check, printing the time each stage took. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

stage() {
  local name=$1; shift
  local t0=$SECONDS
  echo "== stage: $name"
  "$@"
  echo "== stage: $name: $((SECONDS - t0)) s"
}

core_tree_check() {
  cargo build -q -p edgeward --no-default-features --target wasm32-unknown-unknown
  local tree
  tree=$(cargo tree -p edgeward -e normal --no-default-features --target wasm32-unknown-unknown)
  if grep -qiE '\b(getrandom|js-sys|wasm-bindgen|proxy-wasm|ring) v' <<<"$tree"; then
    echo "core dependency tree pulls a host or RNG crate:"; grep -iE 'getrandom|js-sys|wasm-bindgen|proxy-wasm|ring' <<<"$tree"
    return 1
  fi
  # The RustCrypto curve and RSA crates are test references only (src/ec_fast.rs, src/rsa_fast.rs
  # are the release paths): never linked into the hosts' wasm.
  if grep -qE '\b(rsa|p256|p384|p521|ecdsa|elliptic-curve|crypto-bigint|num-bigint-dig) v' <<<"$tree"; then
    echo "a reference crypto crate is a normal dependency of the core:"
    grep -E '\b(rsa|p256|p384|p521|ecdsa|elliptic-curve|crypto-bigint|num-bigint-dig) v' <<<"$tree"
    return 1
  fi
  local dups
  dups=$(cargo tree -d -e normal --workspace --exclude edgeward-bench | grep -E '^[a-z]' |
    grep -E '^(rsa|p256|p384|p521|ecdsa|elliptic-curve|sha1|sha2|hmac|digest|signature|ed25519|ed25519-dalek|curve25519-dalek|crypto-bigint|num-bigint-dig|subtle|der|spki|pkcs8|base64|base64ct|md-5) ' || true)
  if [ -n "$dups" ]; then
    echo "duplicated crypto crates:"; echo "$dups"; return 1
  fi
  echo "core builds for wasm32-unknown-unknown (no_std); no host/RNG or reference crypto crates; no duplicated crypto crates"
}

interop_fresh() {
  local dir
  dir=$(mktemp -d)
  .venv/bin/python tests/interop/gen_pyjwt.py "$dir/pyjwt.json"
  (cd tests/interop && node gen_jose.mjs "$dir/jose.json")
  EDGEWARD_INTEROP_DIR="$dir" cargo test -q --test interop -- freshly_generated_tokens_verify
  (cd tests/interop && node gen_dpop.mjs "$dir/dpop.json")
  EDGEWARD_DPOP_VECTORS="$dir/dpop.json" cargo test -q --test dpop -- --exact freshly_generated_jose_proofs
  (cd tests/interop && node gen_revocations.mjs "$dir/revocations.json")
  EDGEWARD_INTEROP_DIR="$dir" cargo test -q --test revocation -- --exact interop_jose_bundles
  rm -rf "$dir"
}

# CDN signed URLs/cookies/tokens from the vendors' signers, with keys drawn fresh for this run.
cdn_fresh() {
  local dir
  dir=$(mktemp -d)
  .venv/bin/python tests/vectors/cdn/gen_cdn.py "$dir/cdn.json"
  (cd tests/interop && node gen_akamai_npm.mjs "$dir/cdn.json" && node gen_cloudfront_npm.mjs "$dir/cdn.json")
  EDGEWARD_CDN_VECTORS="$dir/cdn.json" cargo test -q -p edgeward --test cdn
  rm -rf "$dir"
}

stage setup scripts/setup.sh
stage fmt cargo fmt --all --check
stage clippy cargo clippy -q --workspace --exclude edgeward-bench --all-targets -- -D warnings
stage clippy-wasm32 cargo clippy -q -p edgeward-wasm --target wasm32-unknown-unknown -- -D warnings
stage core-wasm-and-deps core_tree_check
stage cargo-test cargo test --workspace --exclude edgeward-bench
# The RSA and ECDSA fast paths (src/rsa_fast.rs, src/mont.rs, src/ec_fast.rs) on wasm32 under
# V8: every Wycheproof vector, the differential tests against the RustCrypto references and the
# arithmetic's unit tests (u32 limbs there, u64 natively), built for wasm32-wasip1 and run by
# Node's WASI (benches/wasi_run.mjs passes the exit code on; a panic traps, exit 1).
wasm32_vectors() {
  local runner="node $PWD/benches/wasi_run.mjs"
  CARGO_TARGET_WASM32_WASIP1_RUNNER="$runner" \
    cargo test --target wasm32-wasip1 --test wycheproof --test rsa_differential --test ec_differential \
    --test ec_wide_differential
  CARGO_TARGET_WASM32_WASIP1_RUNNER="$runner" \
    cargo test --target wasm32-wasip1 --lib -- mont:: rsa_fast:: ec_fast::
}
stage wasm32-vectors wasm32_vectors
stage interop-fresh interop_fresh
stage cdn-fresh cdn_fresh
envoy_tests() {
  scripts/build-envoy.sh
  (cd envoy/tests && ../../.venv/bin/python -m pytest -q -p no:cacheprovider)
}

# Every fuzz target for a few seconds, seeded from the test vectors (make fuzz runs longer).
stage fuzz-smoke scripts/fuzz.sh 5
stage envoy-real envoy_tests
npm_tests() {
  scripts/build-npm.sh
  wasm/tests/run-js.sh
}
stage npm-node-workerd npm_tests
parity() {
  (cd wasm/tests/parity && ../../../.venv/bin/python -m pytest -q -p no:cacheprovider)
}
[ -d wasm/tests/parity ] && stage parity-envoy-workerd parity
stage deny cargo deny --log-level error check bans licenses sources
stage bench-build cargo build -q -p edgeward-bench --benches --release
echo "== all stages passed"
