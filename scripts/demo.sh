#!/usr/bin/env bash
# The main job: Envoy on 127.0.0.1:10000 guarding a demo upstream with the demo policy.
# Builds the filter, installs Envoy into .venv if missing, generates demo keys into .demo/
# (ignored by git), prints a token and curl lines. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${EDGEWARD_DEMO_PORT:-10000}
ADMIN=${EDGEWARD_DEMO_ADMIN:-9901}
UPSTREAM=${EDGEWARD_DEMO_UPSTREAM:-18081}

scripts/setup.sh --envoy
scripts/build-envoy.sh
cargo build -q --release -p edgeward-cli
EW=target/release/edgeward

rm -rf .demo && mkdir -p .demo && chmod 700 .demo
$EW keygen --alg ES256 --kid demo-es256 --private-out .demo/demo-es256.jwk > .demo/jwks.json
python3 - <<'PY'
import json
policy = json.load(open("envoy/demo-policy.json"))
policy["providers"]["demo"]["local_jwks"] = json.load(open(".demo/jwks.json"))
json.dump(policy, open(".demo/policy.json", "w"), indent=1)
PY
python3 envoy/render.py --policy .demo/policy.json --wasm envoy/dist/edgeward.wasm \
  --listen "$LISTEN" --admin "$ADMIN" --upstream "$UPSTREAM" > .demo/envoy.yaml

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap cleanup EXIT INT TERM

python3 envoy/upstream.py "$UPSTREAM" & pids+=($!)
.venv/bin/envoy -c .demo/envoy.yaml --concurrency 1 --use-dynamic-base-id \
  --log-level warn --component-log-level wasm:info > .demo/envoy.log 2>&1 & pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$ADMIN/ready" >/dev/null || { cat .demo/envoy.log; exit 1; }

now=$(date +%s)
claims=$(printf '{"iss":"https://idp.demo.local","aud":"demo-api","sub":"demo-user","scope":"read","iat":%d,"exp":%d}' "$now" $((now + 3600)))
token=$($EW sign --key .demo/demo-es256.jwk --alg ES256 --claims "$claims")
cat <<MSG

edgeward is guarding http://127.0.0.1:$LISTEN (Envoy $(.venv/bin/envoy --version | grep -o '1\.[0-9]*\.[0-9]*' | head -1), admin :$ADMIN, upstream :$UPSTREAM).
Demo token (ES256, valid 1 h, key in .demo/):

  TOKEN=$token

Try:
  curl -i http://127.0.0.1:$LISTEN/hello                                   # 401 token_missing
  curl -i -H "Authorization: Bearer garbage" http://127.0.0.1:$LISTEN/hello # 401 token_malformed
  curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$LISTEN/hello  # 200, x-user: demo-user upstream
  curl -i http://127.0.0.1:$LISTEN/public/info                             # 200 without a token
  curl -s http://127.0.0.1:$ADMIN/stats | grep edgeward                    # counters

Ctrl-C stops Envoy and the upstream.
MSG
wait
