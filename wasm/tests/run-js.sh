#!/usr/bin/env bash
# Tests the packed npm package as a user gets it: installs wasm/edgeward-*.tgz (built by
# scripts/build-npm.sh) with npm into this test project, then runs the Node suite, the
# TypeScript check and the workerd suite against it.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
if [ ! -d node_modules/jose ] || [ ! -d node_modules/akamai-edgeauth ] || [ ! -d node_modules/@aws-sdk/cloudfront-signer ] || [ ! -x node_modules/.bin/workerd ] || [ ! -x node_modules/.bin/tsc ]; then
  npm ci --no-audit --no-fund --silent
fi
tarball=$(ls "$root"/wasm/edgeward-*.tgz)
npm install --no-save --no-audit --no-fund --silent "$tarball"
cli="$root/target/debug/edgeward"
[ -x "$cli" ] && export EDGEWARD_CLI="$cli"
suites=(node/)
[ -d workerd ] && suites+=(workerd/)
node --test --test-concurrency=1 "${suites[@]}"
node_modules/.bin/tsc -p types/tsconfig.json
echo "tsc --strict: the README usage type-checks against the packed types"
