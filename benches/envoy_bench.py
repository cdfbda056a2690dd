#!/usr/bin/env python3
"""Envoy benchmark: edgeward's filter against Envoy's native jwt_authn, in one run, loopback.

Rows: Envoy with no filter (the limit); an empty pass-through wasm filter (the floor any wasm
filter pays); jwt_authn cache off/on; edgeward cache off/on; per algorithm; one repeated
token (hit) and thousands of distinct tokens (miss). Envoy answers with direct_response (no
upstream), runs with --concurrency 1 pinned to CPU 0; wrk is pinned to CPU 1. Each row is
measured in several passes; the table shows medians of req/s, p50/p99 latency, Envoy CPU µs
per request (from /proc) and the extra CPU µs per request over the no-filter row (the steadier
figure on a noisy machine), with the ratio to jwt_authn row by row.

--schemes adds rows for signed URLs, signed cookies and session cookies (default: none), each
on the same kind of route as the edgeward RS256 miss row (one rule on "/", direct_response),
with --distinct distinct credentials cycled, as the miss rows do:
  session            an edgeward session cookie (HS256 JWS, PyJWT) on a route taking a session
                     cookie or an RS256 IdP token (requires_any); token cache off and on, as
                     --caches says (a session cookie is a JWT, so the verified-token cache
                     applies); plus the RS256 bearer token on that same route
  akamai             an Akamai EdgeAuth cookie (__token__, HMAC-SHA256; akamai-edgeauth)
  google             a Google Cloud CDN signed URL (HMAC-SHA1; Google's published algorithm)
  google_cookie      a Google Cloud CDN signed cookie (Cloud-CDN-Cookie over a URL prefix;
                     Google's published algorithm)
  cloudfront_url     a CloudFront signed URL, canned policy, RSA-2048 SHA-1 (botocore)
  cloudfront_url_ecdsa  a CloudFront signed URL, canned policy, ECDSA P-256 SHA-256 (botocore)
  cloudfront_cookie  CloudFront signed cookies, custom policy with a wildcard Resource, RSA-2048
                     SHA-1 (botocore's policy builder and encoding)
Signed URLs and cookies never use the token cache (one row each). A second table gives, per
scheme row: extra CPU µs/request over no filter, req/s, verifications/s per core (1e6 / extra
CPU µs) and the extra-CPU ratio to the edgeward RS256 miss row and to jwt_authn RS256 miss
(the anchor), both measured in the same run (--algs must include RS256 for the ratios).
Keys are drawn at run time; secrets reach Envoy as environment variables named by the policy
(vm_config.environment_variables.host_env_keys), never in a file.

Usage: .venv/bin/python benches/envoy_bench.py [--seconds 4] [--passes 3] [--algs ES256,RS256,HS256,EdDSA]
       (ES384 and ES512 too)
       [--modes hit,miss] [--caches off,on] [--schemes session,akamai,google,google_cookie,
       cloudfront_url,cloudfront_url_ecdsa,cloudfront_cookie]
       [--no-build]
Needs: wrk (apt), envoy (make setup), envoy/dist/edgeward.wasm and the noop build
(this script builds both). Every process it starts it stops (by PID), and every load loop is
bounded by --seconds.
"""
import argparse
import atexit
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import jwt
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVOY = os.path.join(ROOT, ".venv", "bin", "envoy")
sys.path.insert(0, os.path.join(ROOT, "envoy", "tests"))
from harness import wait_ready  # noqa: E402  (the Envoy tests' helpers)
WASM = os.path.join(ROOT, "envoy", "dist", "edgeward.wasm")
NOOP = os.path.join(ROOT, "envoy", "dist", "noop.wasm")
ISS = "https://idp.bench"
SCHEMES = ["session", "akamai", "google", "google_cookie", "cloudfront_url", "cloudfront_url_ecdsa",
           "cloudfront_cookie"]
ORIGIN = "https://cdn.example.com"  # public_origin: signed URLs are judged against it
SESSION_ISS = "https://edge.bench/session"
CF_KEY_ID = "K2JCJMDEHXQW5F"
LIFETIME = 3 * 3600  # every credential outlives the longest run
TICK = os.sysconf("SC_CLK_TCK")
# One request per line of the file: PATH <tab> HEADER NAME <tab> HEADER VALUE (no header when the
# name is empty), read once; requests cycle through the lines.
LUA = """
local paths, headers = {}, {}
for line in io.lines(os.getenv("EDGEWARD_TOKENS")) do
  local p, h, v = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  paths[#paths + 1] = p
  headers[#headers + 1] = h ~= "" and {[h] = v} or {}
end
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i], headers[i])
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys():
    out = {}
    for alg, curve in (("ES256", ec.SECP256R1()), ("ES384", ec.SECP384R1()), ("ES512", ec.SECP521R1())):
        k = ec.generate_private_key(curve)
        out[alg] = (k, dict(json.loads(ECAlgorithm.to_jwk(k.public_key())), kid="k", alg=alg))
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


def bearer_requests(toks):
    return [("/bench", "Authorization", "Bearer " + t) for t in toks]


def write_requests(path, reqs):
    """reqs: (path, header name or "", header value); one line each, as LUA reads them."""
    with open(path, "w") as f:
        for r in reqs:
            assert all("\t" not in x and "\n" not in x for x in r), r
            f.write("\t".join(r) + "\n")


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


def wasm_filter(path, policy, env_keys=()):
    vm = {"vm_id": "edgeward", "runtime": "envoy.wasm.runtime.v8", "code": {"local": {"filename": path}}}
    if env_keys:
        # Secrets by name: Envoy passes these variables of its own environment into the VM.
        vm["environment_variables"] = {"host_env_keys": list(env_keys)}
    return {"name": "envoy.filters.http.wasm", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {"name": "edgeward", "root_id": "edgeward", "failure_policy": "FAIL_CLOSED",
                   "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": json.dumps(policy)},
                   "vm_config": vm}}}


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


# ---------------------------------------------------------------- signed and session credentials

def scheme_rows(schemes, wasm, rs256_jwk, rs256_miss, caches, n, work):
    """Rows (name, filters, requests file, impl, alg, mode, secrets) for --schemes, each with n
    distinct credentials from signers that are not edgeward's, keys drawn now. rs256_jwk is
    the RS256 rows' key, for the session route's IdP provider; rs256_miss, a requests file of
    distinct bearer tokens signed with it."""
    from signers import SESSION_COOKIE, Secrets  # akamai-edgeauth, Google's algorithm, PyJWT

    sec = Secrets()  # fresh keys; the environment variables the policies name
    t = int(time.time())
    exp = t + LIFETIME

    def policy(providers, rule, cache=True):
        return {"version": 1, "public_origin": ORIGIN, "providers": providers,
                "rules": [{"match": {"prefix": "/"}, "requires": rule}],
                "token_cache": {"max_entries": 1000 if cache else 0}}

    def one(provider):
        return policy({"p": provider}, {"provider_name": "p"})

    def row(name, pol, reqs, impl, scheme):
        path = os.path.join(work, f"{scheme}-{impl.replace('/', '-')}.txt")
        write_requests(path, reqs)
        return (name, [wasm_filter(wasm, pol, sec.env)], path, impl, scheme, "miss", sec.env)

    out = []
    if "session" in schemes:
        providers = {
            "session": {"kind": "session_cookie", "issuer": SESSION_ISS, "audiences": ["app"],
                        "secrets_from_env": [{"env": "EDGEWARD_SESSION_KEY", "alg": "HS256", "kid": "s1"}],
                        "session": {"lifetime_seconds": LIFETIME + 60}},
            "idp": {"issuer": ISS, "audiences": ["api"], "forward": True, "local_jwks": {"keys": [rs256_jwk]}},
        }
        rule = {"requires_any": [{"provider_name": "session"}, {"provider_name": "idp"}]}
        cookies = [("/bench", "Cookie", f"{SESSION_COOKIE}="
                    + sec.session_cookie(SESSION_ISS, "app", sub=f"user-{i}", lifetime=LIFETIME, jti=f"{i}"))
                   for i in range(n)]
        with open(rs256_miss) as f:
            bearers = [tuple(line.rstrip("\n").split("\t")) for line in f]
        for cache in (False, True):
            c = "on" if cache else "off"
            if c not in caches:
                continue
            pol = policy(providers, rule, cache)
            out.append(row(f"edgeward session cookie miss cache {c}", pol, cookies, f"scheme/{c}", "session"))
            out.append(row(f"edgeward RS256 miss cache {c}, session route", pol, bearers, f"scheme/{c}",
                           "RS256 (session route)"))
    if "akamai" in schemes:
        pol = one({"kind": "signed_cookie", "signed": {"scheme": "akamai_edgeauth",
                                                       "keys": [{"secret_from_env": "EDGEWARD_AKAMAI_KEY"}]}})
        # Distinct tokens: one expiry each (Akamai's signer has no jti).
        reqs = [("/bench", "Cookie", "__token__=" + sec.akamai("/*", start=t - 5, end=exp + i)) for i in range(n)]
        out.append(row("edgeward Akamai EdgeAuth cookie miss", pol, reqs, "scheme/-", "akamai"))
    if "google" in schemes:
        pol = one({"kind": "signed_url", "signed": {"scheme": "google_cloud_cdn", "keys": [
            {"name": "edge-key", "secret_from_env": "EDGEWARD_GOOGLE_KEY"}]}})
        reqs = [(sec.google_url(f"{ORIGIN}/v/seg-{i}.ts", expires=exp)[len(ORIGIN):], "", "") for i in range(n)]
        out.append(row("edgeward Google signed URL miss", pol, reqs, "scheme/-", "google"))
    if "google_cookie" in schemes:
        pol = one({"kind": "signed_cookie", "signed": {"scheme": "google_cloud_cdn", "keys": [
            {"name": "edge-key", "secret_from_env": "EDGEWARD_GOOGLE_KEY"}]}})
        # Distinct by expiry; the cookie covers every URL of the origin (its prefix).
        reqs = [("/bench", "Cookie", "Cloud-CDN-Cookie=" + sec.google_cookie(f"{ORIGIN}/", expires=exp + i))
                for i in range(n)]
        out.append(row("edgeward Google signed cookie miss", pol, reqs, "scheme/-", "google_cookie"))
    if "cloudfront_url_ecdsa" in schemes:
        pol = one({"kind": "signed_url", "signed": {"scheme": "cloudfront", "keys": sec.cloudfront_keys()}})
        reqs = [(sec.cloudfront_url(f"{ORIGIN}/v/seg-{i}.ts", key="ecdsa", sha256=True, expires=exp)[len(ORIGIN):],
                 "", "") for i in range(n)]
        out.append(row("edgeward CloudFront signed URL (canned, ECDSA SHA-256) miss", pol, reqs, "scheme/-",
                       "cloudfront_url_ecdsa"))
    if "cloudfront_url" in schemes or "cloudfront_cookie" in schemes:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        signer = CloudFrontSigner(CF_KEY_ID, lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA1()))
        keys = [{"name": CF_KEY_ID, "public_key_pem": pem}]
        until = datetime.fromtimestamp(exp, timezone.utc)
        if "cloudfront_url" in schemes:
            pol = one({"kind": "signed_url", "signed": {"scheme": "cloudfront", "keys": keys}})
            reqs = [(signer.generate_presigned_url(f"{ORIGIN}/v/seg-{i}.ts", date_less_than=until)[len(ORIGIN):],
                     "", "") for i in range(n)]
            out.append(row("edgeward CloudFront signed URL (canned, RSA) miss", pol, reqs, "scheme/-",
                           "cloudfront_url"))
        if "cloudfront_cookie" in schemes:
            pol = one({"kind": "signed_cookie", "signed": {"scheme": "cloudfront", "keys": keys}})
            reqs = []
            for i in range(n):
                # A custom policy over every URL of the origin (what cookies are for), distinct
                # by expiry; botocore's policy builder, signer and CloudFront base64.
                doc = signer.build_policy(f"{ORIGIN}/*", datetime.fromtimestamp(exp + i, timezone.utc)).encode()
                b64 = signer._url_b64encode  # pylint: disable=protected-access
                reqs.append(("/bench", "Cookie", f"CloudFront-Policy={b64(doc).decode()}; "
                             f"CloudFront-Signature={b64(signer.rsa_signer(doc)).decode()}; "
                             f"CloudFront-Key-Pair-Id={CF_KEY_ID}"))
            out.append(row("edgeward CloudFront signed cookie (custom, RSA) miss", pol, reqs, "scheme/-",
                           "cloudfront_cookie"))
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def run_row(filters, token_file, seconds, workdir, secrets=None):
    """One pass of one row: a fresh Envoy, a 1 s warm-up, one measured wrk run, then stop.
    `secrets` go into Envoy's environment only (not wrk's, not a file)."""
    port, admin = free_port(), free_port()
    cfg = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
           "static_resources": {"listeners": [{"name": "l", "address": {"socket_address": {
               "address": "127.0.0.1", "port_value": port}}, "filter_chains": [{"filters": [hcm(filters)]}]}]}}
    path = os.path.join(workdir, "envoy.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(workdir, "envoy.log"), "w")
    proc = subprocess.Popen(["taskset", "-c", "0", ENVOY, "-c", path, "--concurrency", "1",
                             "--use-dynamic-base-id", "--log-level", "error"], stdout=log, stderr=log,
                            env=dict(os.environ, **(secrets or {})))
    try:
        log.flush()
        wait_ready(proc, admin, log.name)
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
    ap.add_argument("--schemes", default="",
                    help="comma-separated rows to add: " + ",".join(SCHEMES) + " (default: none)")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    schemes = [x for x in a.schemes.split(",") if x]
    for x in schemes:
        if x not in SCHEMES:
            ap.error(f"--schemes: unknown {x}; choose from {','.join(SCHEMES)}")
    if not a.no_build:
        build()
    work = tempfile.mkdtemp(prefix="edgeward-bench-")
    atexit.register(shutil.rmtree, work, True)  # configs and credentials (no keys) go with it
    # Every Envoy of this run loads the same bytes, even if envoy/dist is rebuilt meanwhile.
    wasm, noop, noop_stripped = (shutil.copy(f, os.path.join(work, os.path.basename(f)))
                                 for f in (WASM, NOOP, NOOP_STRIPPED))
    ks = keys()
    specs = []  # (name, filters, requests file, impl, alg, mode, secrets for Envoy's environment)
    any_tokens = os.path.join(work, "plain.txt")
    write_requests(any_tokens, bearer_requests(["x"]))
    specs.append(("no filter", [], any_tokens, "none", "-", "-", None))
    specs.append(("empty wasm filter (floor)", [wasm_filter(noop, {})], any_tokens, "noop", "-", "-", None))
    specs.append(("empty wasm filter, unused callbacks stripped", [wasm_filter(noop_stripped, {})], any_tokens,
                  "noop-stripped", "-", "-", None))
    for alg in a.algs.split(","):
        key, jwk = ks[alg]
        hit = os.path.join(work, f"{alg}-hit.txt")
        miss = os.path.join(work, f"{alg}-miss.txt")
        write_requests(hit, bearer_requests(tokens(key, alg, 1)))
        write_requests(miss, bearer_requests(tokens(key, alg, a.distinct)))
        for mode, tf in [("hit", hit), ("miss", miss)]:
            if mode not in a.modes.split(","):
                continue
            for cache in (False, True):
                c = "cache on" if cache else "cache off"
                if ("on" if cache else "off") not in a.caches.split(","):
                    continue
                specs.append((f"jwt_authn {alg} {mode} {c}", [jwt_authn_filter(jwk, cache)], tf,
                              f"jwt_authn/{c}", alg, mode, None))
                specs.append((f"edgeward {alg} {mode} {c}", [wasm_filter(wasm, edgeward_policy(jwk, cache))], tf,
                              f"edgeward/{c}", alg, mode, None))
    if schemes:
        rs_miss = os.path.join(work, "RS256-session-route.txt")
        write_requests(rs_miss, bearer_requests(tokens(ks["RS256"][0], "RS256", a.distinct)))
        specs += scheme_rows(schemes, wasm, ks["RS256"][1], rs_miss, a.caches.split(","), a.distinct, work)
    # Rows are interleaved across passes, so a slow spell of the machine spreads over all rows
    # instead of landing on one.
    samples = {s[0]: [] for s in specs}
    for p in range(a.passes):
        for name, filters, tf, *_, secrets in specs:
            r = run_row(filters, tf, a.seconds, work, secrets)
            samples[name].append(r)
            print(f"  pass {p + 1}: {name:46s} {r[0]:9.0f} req/s  cpu {r[3]:6.1f} µs/req",
                  file=sys.stderr, flush=True)
    rows = []
    for name, _, _, impl, alg, mode, _ in specs:
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
    if schemes:
        scheme_table(rows, base)
    print("\nPer-pass Envoy CPU µs/req (spread):")
    for r in rows:
        print(f"  {r['name']:46s} " + " ".join(f"{c:6.1f}" for c in r["cpus"]))


def scheme_table(rows, base):
    """Per scheme row: its extra CPU over no filter, and that against the RS256 anchors of this run
    (same token-cache setting for session rows; cache off for signed rows, which have none)."""
    by = {(r["impl"], r["alg"], r["mode"]): r for r in rows}

    def ref(impl, cache):
        for c in ([cache] if cache != "-" else []) + ["off", "on"]:
            r = by.get((f"{impl}/cache {c}", "RS256", "miss"))
            if r and r["cpu"] - base > 0:
                return r
        return None

    def ratio(extra, r):
        return f"{extra / (r['cpu'] - base):.2f}x ({r['name']})" if r else "-"

    print("\nSigned URLs, signed cookies and session cookies: distinct credentials per request (miss), "
          "ratios of extra CPU µs/req (below 1: cheaper than the anchor)\n")
    print("| row | extra CPU µs/req | req/s | verifications/s per core (1e6 / extra CPU) "
          "| vs edgeward RS256 miss | vs jwt_authn RS256 miss |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        if not r["impl"].startswith("scheme/"):
            continue
        cache = r["impl"].split("/")[1]
        extra = r["cpu"] - base
        per_core = f"{1e6 / extra:,.0f}" if extra > 0 else "-"
        print(f"| {r['name']} | {extra:.1f} | {r['rps']:.0f} | {per_core} | {ratio(extra, ref('edgeward', cache))} "
              f"| {ratio(extra, ref('jwt_authn', cache))} |")


if __name__ == "__main__":
    main()
