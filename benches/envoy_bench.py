#!/usr/bin/env python3
"""Envoy benchmark: edgeward's filter against Envoy's native jwt_authn, in one run, loopback.

Rows: Envoy with no filter (the limit); an empty pass-through wasm filter (the floor any wasm
filter pays); jwt_authn cache off/on; edgeward cache off/on; per algorithm; one repeated
token (hit) and thousands of distinct tokens (miss). Envoy answers with direct_response (no
upstream), runs with --concurrency 1 pinned to CPU 0; wrk is pinned to CPU 1. Each row is
measured in several passes; the table shows medians of req/s, p50/p99 latency, Envoy CPU µs
per request (from /proc) and the extra CPU µs per request over the no-filter row (the steadier
figure on a noisy machine), with the ratio to jwt_authn row by row.

Usage: .venv/bin/python benches/envoy_bench.py [--seconds 4] [--passes 3] [--algs ES256,RS256,HS256,EdDSA]
       [--modes hit,miss] [--caches off,on] [--no-build]
Needs: wrk (apt), envoy (make setup), envoy/dist/edgeward.wasm and the noop build
(this script builds both). Every process it starts it stops (by PID), and every load loop is
bounded by --seconds.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVOY = os.path.join(ROOT, ".venv", "bin", "envoy")
WASM = os.path.join(ROOT, "envoy", "dist", "edgeward.wasm")
NOOP = os.path.join(ROOT, "envoy", "dist", "noop.wasm")
ISS = "https://idp.bench"
TICK = os.sysconf("SC_CLK_TCK")
LUA = """
local tokens = {}
for line in io.lines(os.getenv("EDGEWARD_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  if i > #tokens then i = 1 end
  return wrk.format("GET", "/bench", {["Authorization"] = "Bearer " .. tokens[i]})
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys():
    out = {}
    k = ec.generate_private_key(ec.SECP256R1())
    out["ES256"] = (k, dict(json.loads(ECAlgorithm.to_jwk(k.public_key())), kid="k", alg="ES256"))
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    out["RS256"] = (k, dict(json.loads(RSAAlgorithm.to_jwk(k.public_key())), kid="k", alg="RS256"))
    k = ed25519.Ed25519PrivateKey.generate()
    out["EdDSA"] = (k, dict(json.loads(OKPAlgorithm.to_jwk(k.public_key())), kid="k", alg="EdDSA"))
    secret = os.urandom(32)
    out["HS256"] = (secret, {"kty": "oct", "k": jwt.utils.base64url_encode(secret).decode(), "kid": "k", "alg": "HS256"})
    return out


def tokens(key, alg, n):
    now = int(time.time())
    return [jwt.encode({"iss": ISS, "aud": "api", "sub": f"user-{i}", "iat": now, "exp": now + 3600,
                        "jti": f"{i}"}, key, algorithm=alg, headers={"kid": "k"}) for i in range(n)]


def hcm(filters):
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": "bench",
            "normalize_path": True, "merge_slashes": True,
            "path_with_escaped_slashes_action": "REJECT_REQUEST",
            "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok"}}}]}]},
            "http_filters": filters + [{"name": "envoy.filters.http.router", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
        },
    }


def wasm_filter(path, policy):
    return {"name": "envoy.filters.http.wasm", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {"name": "edgeward", "root_id": "edgeward", "failure_policy": "FAIL_CLOSED",
                   "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": json.dumps(policy)},
                   "vm_config": {"vm_id": "edgeward", "runtime": "envoy.wasm.runtime.v8",
                                 "code": {"local": {"filename": path}}}}}}


def jwt_authn_filter(jwk, cache):
    provider = {"issuer": ISS, "audiences": ["api"], "forward": True,
                "local_jwks": {"inline_string": json.dumps({"keys": [jwk]})}}
    if cache:
        provider["jwt_cache_config"] = {"jwt_cache_size": 1000}
    return {"name": "envoy.filters.http.jwt_authn", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        "providers": {"p": provider},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]}}


def edgeward_policy(jwk, cache):
    return {"version": 1, "providers": {"p": {"issuer": ISS, "audiences": ["api"], "forward": True,
                                              "local_jwks": {"keys": [jwk]}}},
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}],
            "token_cache": {"max_entries": 1000 if cache else 0}}


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def run_row(filters, token_file, seconds, workdir):
    """One pass of one row: a fresh Envoy, a 1 s warm-up, one measured wrk run, then stop."""
    port, admin = free_port(), free_port()
    cfg = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
           "static_resources": {"listeners": [{"name": "l", "address": {"socket_address": {
               "address": "127.0.0.1", "port_value": port}}, "filter_chains": [{"filters": [hcm(filters)]}]}]}}
    path = os.path.join(workdir, "envoy.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(workdir, "envoy.log"), "w")
    proc = subprocess.Popen(["taskset", "-c", "0", ENVOY, "-c", path, "--concurrency", "1",
                             "--use-dynamic-base-id", "--log-level", "error"], stdout=log, stderr=log)
    try:
        deadline = time.time() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(open(log.name).read())
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        lua = os.path.join(workdir, "tokens.lua")
        with open(lua, "w") as f:
            f.write(LUA)
        env = dict(os.environ, EDGEWARD_TOKENS=token_file)
        # Warm-up (VM start, JIT tier-up, caches) then the measured run.
        subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c8", "-d1s", "-s", lua,
                        f"http://127.0.0.1:{port}/bench"], env=env, capture_output=True, timeout=30)
        t0 = cpu_ticks(proc.pid)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency",
                              "-s", lua, f"http://127.0.0.1:{port}/bench"],
                             env=env, capture_output=True, text=True, timeout=seconds + 30).stdout
        t1 = cpu_ticks(proc.pid)
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if bad:
            raise RuntimeError(f"{bad.group(1)} wrong verdicts (non-2xx):\n{out}")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = lat(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
        p99 = lat(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
        cpu_us = (t1 - t0) / TICK * 1e6 / max(reqs, 1)
        return rps, p50, p99, cpu_us
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def lat(s):
    v, unit = re.match(r"([\d.]+)(\w+)", s).groups()
    return float(v) * {"us": 1, "ms": 1000, "s": 1e6}[unit]


NOOP_STRIPPED = os.path.join(ROOT, "envoy", "dist", "noop-stripped.wasm")


def build():
    subprocess.run([os.path.join(ROOT, "scripts", "build-envoy.sh")], check=True)
    subprocess.run(["cargo", "build", "-q", "-p", "edgeward-envoy", "--target", "wasm32-wasip1",
                    "--release", "--features", "noop", "--target-dir", os.path.join(ROOT, "target", "noop")],
                   check=True, cwd=ROOT)
    opt = os.path.join(ROOT, "tools", "node_modules", ".bin", "wasm-opt")
    feats = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
             "--enable-mutable-globals"]
    subprocess.run([opt, "-O3", *feats,
                    os.path.join(ROOT, "target", "noop", "wasm32-wasip1", "release", "edgeward_envoy.wasm"),
                    "-o", NOOP], check=True)
    # The same empty filter with the unused callback exports removed, as the real build is.
    subprocess.run(["node", os.path.join(ROOT, "tools", "strip-callbacks.mjs"), NOOP, NOOP_STRIPPED],
                   check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--algs", default="ES256,RS256,HS256,EdDSA")
    ap.add_argument("--modes", default="hit,miss")
    ap.add_argument("--caches", default="off,on")
    ap.add_argument("--distinct", type=int, default=4000,
                    help="tokens in the cache-miss rows (more than the 1000-entry caches hold, so every lookup misses)")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        build()
    work = tempfile.mkdtemp(prefix="edgeward-bench-")
    ks = keys()
    specs = []  # (name, filters, token file, impl, alg, mode)
    any_tokens = os.path.join(work, "plain.txt")
    with open(any_tokens, "w") as f:
        f.write("x\n")
    specs.append(("no filter", [], any_tokens, "none", "-", "-"))
    specs.append(("empty wasm filter (floor)", [wasm_filter(NOOP, {})], any_tokens, "noop", "-", "-"))
    specs.append(("empty wasm filter, unused callbacks stripped", [wasm_filter(NOOP_STRIPPED, {})], any_tokens,
                  "noop-stripped", "-", "-"))
    for alg in a.algs.split(","):
        key, jwk = ks[alg]
        hit = os.path.join(work, f"{alg}-hit.txt")
        miss = os.path.join(work, f"{alg}-miss.txt")
        with open(hit, "w") as f:
            f.write(tokens(key, alg, 1)[0] + "\n")
        with open(miss, "w") as f:
            f.write("\n".join(tokens(key, alg, a.distinct)) + "\n")
        for mode, tf in [("hit", hit), ("miss", miss)]:
            if mode not in a.modes.split(","):
                continue
            for cache in (False, True):
                c = "cache on" if cache else "cache off"
                if ("on" if cache else "off") not in a.caches.split(","):
                    continue
                specs.append((f"jwt_authn {alg} {mode} {c}", [jwt_authn_filter(jwk, cache)], tf,
                              f"jwt_authn/{c}", alg, mode))
                specs.append((f"edgeward {alg} {mode} {c}", [wasm_filter(WASM, edgeward_policy(jwk, cache))], tf,
                              f"edgeward/{c}", alg, mode))
    # Rows are interleaved across passes, so a slow spell of the machine spreads over all rows
    # instead of landing on one.
    samples = {s[0]: [] for s in specs}
    for p in range(a.passes):
        for name, filters, tf, *_ in specs:
            r = run_row(filters, tf, a.seconds, work)
            samples[name].append(r)
            print(f"  pass {p + 1}: {name:46s} {r[0]:9.0f} req/s  cpu {r[3]:6.1f} µs/req",
                  file=sys.stderr, flush=True)
    rows = []
    for name, _, _, impl, alg, mode in specs:
        med = [statistics.median(col) for col in zip(*samples[name])]
        rows.append({"name": name, "impl": impl, "alg": alg, "mode": mode, "rps": med[0], "p50": med[1],
                     "p99": med[2], "cpu": med[3], "cpus": [x[3] for x in samples[name]]})
    base = rows[0]["cpu"]
    print(f"\nEnvoy 1.40 --concurrency 1 (CPU 0), wrk -t1 -c8 (CPU 1), {a.seconds}s x {a.passes} "
          f"interleaved passes, medians\n")
    print("| row | req/s | p50 µs | p99 µs | Envoy CPU µs/req | extra CPU µs/req | vs jwt_authn (extra CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    by = {(r["impl"], r["alg"], r["mode"]): r for r in rows}
    for r in rows:
        extra = r["cpu"] - base
        ratio = ""
        if r["impl"].startswith("edgeward/"):
            ref = by.get(("jwt_authn/" + r["impl"].split("/")[1], r["alg"], r["mode"]))
            if ref and ref["cpu"] - base > 0:
                ratio = f"{extra / (ref['cpu'] - base):.2f}x"
        print(f"| {r['name']} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['cpu']:.1f} | {extra:.1f} | {ratio} |")
    print("\nPer-pass Envoy CPU µs/req (spread):")
    for r in rows:
        print(f"  {r['name']:46s} " + " ".join(f"{c:6.1f}" for c in r["cpus"]))


if __name__ == "__main__":
    main()
