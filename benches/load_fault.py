#!/usr/bin/env python3
"""Load and faults: Envoy with the edgeward filter held at saturation by wrk on loopback for a
bounded time while the key-set server rotates keys, goes down and comes back, serves garbage,
and the revocation publisher pushes new lists, goes down and serves tampered bundles. Not a
timed test: a run reports what happened and exits non-zero on a wrong verdict or a dead Envoy.

Every request is labelled with the verdict it must get (`x-edgeward-expect: <status> <code>`),
chosen so that no fault may change it:
  ok           a valid token of key K1 or K2, which every published key set carries     200 ok
  revoked      a valid token whose jti is in every revocation bundle                    401 token_revoked
  expired      a token of K1 expired an hour ago                                        401 token_expired
  bad_sig      a token of K1 with a changed signature byte                              401 signature_invalid
  unknown_kid  a token of a key never published (each one asks for a refetch, rate-limited
               by the cooldown, during the rotations and the outages)                   401 key_not_found
  wrong_aud    a valid token for another audience                                       403 audience_mismatch
  no_token     no Authorization header                                                  401 token_missing
The key set is served stale while its server is down (max_stale_seconds 3600), and a held
revocation list stays fresh through its publisher's outages (max_stale_seconds 600), so
these verdicts hold whatever the faults do. wrk runs one connection per thread, so a
thread's response() answers the request it just made: each thread checks status and body
against that request's label and counts wrong verdicts and non-2xx responses by cause.

Envoy runs --concurrency 2 (two worker VMs, so the fetch lease and the shared-data
publication are under load too) pinned to CPU 0; wrk and this script (the servers) are
pinned to CPU 1. Pushes grow the list by 2000 entries for the first half of the run and
then only re-publish it, so memory is read at the start (after a warm-up), halfway (the list
at its final size) and at the end, which should match halfway: the
filter's `edgeward.vm.memory_bytes` gauge (a VM's Wasm linear memory; the last worker VM to
write it), Envoy's /memory (allocated, heap) and the process's resident set.

Usage: .venv/bin/python benches/load_fault.py [--minutes 2] [--threads 8] [--no-build]
Needs: wrk (apt), envoy (make setup), envoy/dist/edgeward.wasm (built unless --no-build).
Every process it starts it stops by PID; the load is bounded by --minutes.
"""
import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "envoy", "tests"))
from harness import wait_ready  # noqa: E402  (the Envoy tests' helpers)
from jwks_server import LoopbackServer  # noqa: E402
ENVOY = os.path.join(ROOT, ".venv", "bin", "envoy")
WASM = os.path.join(ROOT, "envoy", "dist", "edgeward.wasm")
ISS = "https://idp.load"
POOL = 64  # distinct tokens per class (the token cache sees hits and misses)

CLASSES = {
    "ok": (200, "ok"),
    "revoked": (401, "token_revoked"),
    "expired": (401, "token_expired"),
    "bad_sig": (401, "signature_invalid"),
    "unknown_kid": (401, "key_not_found"),
    "wrong_aud": (403, "audience_mismatch"),
    "no_token": (401, "token_missing"),
}
# Share of each class in the traffic (out of 20 requests).
MIX = {"ok": 8, "revoked": 3, "expired": 2, "bad_sig": 2, "unknown_kid": 2, "wrong_aud": 2, "no_token": 1}

# One request per line: EXPECTED STATUS <tab> EXPECTED BODY <tab> HEADER NAME <tab> VALUE.
LUA = r"""
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end
function init(args)
  lines = {}
  for line in io.lines(os.getenv("EDGEWARD_REQUESTS")) do
    local s, b, h, v = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {["Host"] = "127.0.0.1", ["x-edgeward-expect"] = s .. " " .. b}
    if h ~= "" then headers[h] = v end
    lines[#lines + 1] = {status = tonumber(s), body = b, req = wrk.format("GET", "/load", headers)}
  end
  i = offset
  last = nil
  wrong = 0
  causes = {}
  examples = {}
end
function request()
  i = i + 1
  if i > #lines then i = 1 end
  last = lines[i]
  return last.req
end
function response(status, headers, body)
  if last == nil then return end
  if status ~= last.status or body ~= last.body then
    wrong = wrong + 1
    if #examples < 5 then
      examples[#examples + 1] = "expected " .. last.status .. " " .. last.body ..
        ", got " .. status .. " " .. string.sub(body or "", 1, 40)
    end
  end
  if status >= 300 then
    local k = status .. " " .. string.sub(body or "", 1, 40)
    causes[k] = (causes[k] or 0) + 1
  end
end
function done(summary, latency, requests)
  local all_wrong, all_causes, all_examples = 0, {}, {}
  for _, t in ipairs(threads) do
    all_wrong = all_wrong + t:get("wrong")
    for k, n in pairs(t:get("causes")) do all_causes[k] = (all_causes[k] or 0) + n end
    for _, e in ipairs(t:get("examples")) do all_examples[#all_examples + 1] = e end
  end
  io.write("EDGEWARD wrong " .. all_wrong .. "\n")
  for k, n in pairs(all_causes) do io.write("EDGEWARD cause " .. n .. " " .. k .. "\n") end
  for _, e in ipairs(all_examples) do io.write("EDGEWARD example " .. e .. "\n") end
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ec_key(kid):
    k = ec.generate_private_key(ec.SECP256R1())
    return k, dict(json.loads(ECAlgorithm.to_jwk(k.public_key())), kid=kid, alg="ES256")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Servers:
    """The key-set server (/jwks.json) and the revocation publisher (/revocations.jwt) on one
    loopback port, each with its own mode: "ok", "down" (503), "garbage" (JWKS) or "tampered"
    (revocations: a newer bundle with a changed signature byte)."""

    def __init__(self, stable_jwks, revoked_jti):
        self.stable = stable_jwks
        self.rotating = ec_key("r-0")[1]
        self.rotations = 0
        self.rev_key, self.rev_jwk = ec_key("rev-1")
        self.revoked = list(revoked_jti)
        self.filler = 0
        self.seq = 1
        self.jwks_mode = "ok"
        self.rev_mode = "ok"
        self.hits = {"jwks": 0, "rev": 0}
        self.lock = threading.Lock()
        self.http = LoopbackServer(self._respond)
        self.port = self.http.port

    def _respond(self, path):
        with self.lock:
            if path.startswith("/jwks"):
                self.hits["jwks"] += 1
                mode = self.jwks_mode
                body = {"down": b"down", "garbage": b"<html>not a key set</html>"}.get(mode)
                if body is None:
                    body = json.dumps({"keys": self.stable + [self.rotating]}).encode()
                return 503 if mode == "down" else 200, "application/json", body
            self.hits["rev"] += 1
            mode = self.rev_mode
            if mode == "down":
                return 503, "application/jwt", b"down"
            return 200, "application/jwt", self.bundle(tampered=mode == "tampered")

    def bundle(self, tampered=False):
        jti = [{"iss": ISS, "jti": j} for j in self.revoked]
        jti += [{"iss": ISS, "jti": f"filler-{i}"} for i in range(self.filler)]
        seq = self.seq + 1 if tampered else self.seq
        b = jwt.encode({"iat": int(time.time()), "seq": seq, "jti": jti}, self.rev_key, algorithm="ES256",
                       headers={"kid": "rev-1", "typ": "edgeward-revocations+jwt"}).encode()
        if tampered:
            head, payload, sig = b.split(b".")
            raw = bytearray(base64.urlsafe_b64decode(sig + b"=" * (-len(sig) % 4)))
            raw[7] ^= 0x01
            b = b".".join([head, payload, b64u(bytes(raw)).encode()])
        return b

    def rotate(self):
        with self.lock:
            self.rotations += 1
            self.rotating = ec_key(f"r-{self.rotations}")[1]

    def push(self, more):
        with self.lock:
            self.seq += 1
            self.filler += more

    def stop(self):
        self.http.stop()


def requests_file(path, k1, k2, unknown, n=POOL):
    now = int(time.time())

    def tok(key, kid, i, **c):
        claims = {"iss": ISS, "aud": "api", "sub": f"u-{i}", "iat": now - 10, "exp": now + 6 * 3600,
                  "jti": f"{kid}-{i}-{os.urandom(4).hex()}"}
        claims.update(c)
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})

    pools = {c: [] for c in CLASSES}
    revoked = []
    for i in range(n):
        key, kid = (k1, "k1") if i % 2 else (k2, "k2")
        pools["ok"].append(tok(key, kid, i))
        t = tok(k1, "k1", i, jti=f"revoked-{i}")
        revoked.append(f"revoked-{i}")
        pools["revoked"].append(t)
        pools["expired"].append(tok(k1, "k1", i, iat=now - 7200, exp=now - 3600))
        good = tok(k1, "k1", i).split(".")
        raw = bytearray(base64.urlsafe_b64decode(good[2] + "=" * (-len(good[2]) % 4)))
        raw[3] ^= 0x01
        pools["bad_sig"].append(".".join(good[:2] + [b64u(bytes(raw))]))
        pools["unknown_kid"].append(tok(unknown, f"gone-{i % 8}", i))
        pools["wrong_aud"].append(tok(k1, "k1", i, aud="other"))
        pools["no_token"].append(None)
    lines = []
    for i in range(n):
        for cls, share in MIX.items():
            for _ in range(share):
                status, body = CLASSES[cls]
                t = pools[cls][(i * share + _) % n]
                h, v = ("authorization", f"Bearer {t}") if t else ("", "")
                lines.append("\t".join([str(status), body, h, v]))
    # Interleave the classes so every stretch of traffic has all of them.
    lines = [lines[(i * 7919) % len(lines)] for i in range(len(lines))]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return revoked, len(lines)


def envoy_config(port, admin, servers_port, policy):
    wasm = {"name": "envoy.filters.http.wasm", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {"name": "edgeward", "root_id": "edgeward", "failure_policy": "FAIL_CLOSED",
                   "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": json.dumps(policy)},
                   "vm_config": {"vm_id": "edgeward", "runtime": "envoy.wasm.runtime.v8",
                                 "code": {"local": {"filename": WASM_COPY}}}}}}
    hcm = {"name": "envoy.filters.network.http_connection_manager", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "load", "normalize_path": True, "merge_slashes": True,
        "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
            {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok"}}}]}]},
        "http_filters": [wasm, {"name": "envoy.filters.http.router", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}
    cluster = {"name": "keys", "connect_timeout": "1s", "type": "STATIC", "load_assignment": {
        "cluster_name": "keys", "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
            "address": "127.0.0.1", "port_value": servers_port}}}}]}]}}
    return {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
            "static_resources": {
                "listeners": [{"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                               "filter_chains": [{"filters": [hcm]}]}],
                "clusters": [cluster]}}


WASM_COPY = None


def admin_get(admin, path):
    return urllib.request.urlopen(f"http://127.0.0.1:{admin}{path}", timeout=5).read().decode()


def stats(admin):
    out = {}
    for line in admin_get(admin, "/stats?filter=edgeward").splitlines():
        k, _, v = line.partition(": ")
        if v.strip().isdigit():
            out[k.replace("wasmcustom.edgeward.", "")] = int(v)
    return out


def memory(admin, pid):
    m = json.loads(admin_get(admin, "/memory"))
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024
    # The gauge shows the last worker VM to write it: read it over a second, keep the largest.
    vm = 0
    for _ in range(5):
        vm = max(vm, stats(admin).get("vm.memory_bytes", 0))
        time.sleep(0.25)
    return {"vm_linear_memory": vm, "allocated": int(m["allocated"]), "heap_size": int(m["heap_size"]),
            "rss": rss}


def mib(n):
    return f"{n / 1048576:.1f} MiB"


def faults(servers, stop, log, grow_for):
    """The fault schedule, one step a second until `stop` is set (a cycle of 60 s). Pushes add
    2000 entries each for the first `grow_for` seconds, then only re-publish with a new seq,
    so memory measured after that should stay flat."""
    t = 0
    while not stop.wait(1.0):
        t += 1
        step = t % 60
        if step % 15 == 0:
            servers.rotate()
            log.append((t, "jwks: rotated the extra key"))
        if step % 10 == 5:
            more = 2000 if t < grow_for else 0
            servers.push(more)
            log.append((t, f"revocation: pushed seq {servers.seq} (+{more} entries)"))
        if step == 20:
            servers.jwks_mode = "down"
            log.append((t, "jwks: down"))
        if step == 32:
            servers.jwks_mode = "garbage"
            log.append((t, "jwks: garbage"))
        if step == 38:
            servers.jwks_mode = "ok"
            log.append((t, "jwks: up"))
        if step == 42:
            servers.rev_mode = "down"
            log.append((t, "revocation: down"))
        if step == 50:
            servers.rev_mode = "tampered"
            log.append((t, "revocation: tampered bundles"))
        if step == 57:
            servers.rev_mode = "ok"
            log.append((t, "revocation: up"))


def main():
    global WASM_COPY
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=8, help="wrk threads = connections")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not 0.1 <= a.minutes <= 60:
        sys.exit("--minutes: 0.1 to 60")
    if shutil.which("wrk") is None:
        sys.exit("wrk not found (apt-get install wrk)")
    if not a.no_build:
        subprocess.run([os.path.join(ROOT, "scripts", "build-envoy.sh")], check=True)
    # The servers and wrk share CPU 1; Envoy gets CPU 0.
    os.sched_setaffinity(0, {1})
    work = tempfile.mkdtemp(prefix="edgeward-load-")
    WASM_COPY = os.path.join(work, "edgeward.wasm")
    shutil.copy(WASM, WASM_COPY)  # a rebuild during the run cannot change it

    k1, j1 = ec_key("k1")
    k2, j2 = ec_key("k2")
    unknown, _ = ec_key("gone")
    reqs = os.path.join(work, "requests.tsv")
    revoked, n_lines = requests_file(reqs, k1, k2, unknown)
    servers = Servers([j1, j2], revoked)
    policy = {
        "version": 1, "realm": "api",
        "providers": {"idp": {"issuer": ISS, "audiences": ["api"], "remote_jwks": {
            "uri": f"http://127.0.0.1:{servers.port}/jwks.json", "cluster": "keys", "timeout_seconds": 1,
            "cache_duration_seconds": 8, "max_stale_seconds": 3600, "unknown_kid_cooldown_seconds": 2}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}],
        "token_cache": {"max_entries": 1000},
        "revocation": {"remote": {
            "uri": f"http://127.0.0.1:{servers.port}/revocations.jwt", "cluster": "keys",
            "keys": {"keys": [servers.rev_jwk]}, "timeout_seconds": 1,
            "refresh_seconds": 5, "max_stale_seconds": 600}},
    }
    port, admin = free_port(), free_port()
    cfg = os.path.join(work, "envoy.json")
    with open(cfg, "w") as f:
        json.dump(envoy_config(port, admin, servers.port, policy), f)
    lua = os.path.join(work, "load.lua")
    with open(lua, "w") as f:
        f.write(LUA)
    log = open(os.path.join(work, "envoy.log"), "w")
    proc = subprocess.Popen(["taskset", "-c", "0", ENVOY, "-c", cfg, "--concurrency", "2",
                             "--use-dynamic-base-id", "--log-level", "warn",
                             "--component-log-level", "wasm:info"], stdout=log, stderr=log)
    stop = threading.Event()
    events = []
    wrk = None
    code = 1
    try:
        log.flush()
        wait_ready(proc, admin, log.name)
        env = dict(os.environ, EDGEWARD_REQUESTS=reqs)
        url = f"http://127.0.0.1:{port}/load"
        wrk_cmd = ["taskset", "-c", "1", "wrk", f"-t{a.threads}", f"-c{a.threads}", "-s", lua, url]
        # Warm-up: the first key set and bundle, JIT tier-up; its verdicts are checked too.
        warm = subprocess.run(wrk_cmd[:5] + ["-d3s"] + wrk_cmd[5:], env=env, capture_output=True, text=True,
                              timeout=60).stdout
        warm_wrong = int(re.search(r"EDGEWARD wrong (\d+)", warm).group(1))
        mem0 = memory(admin, proc.pid)
        stats0 = stats(admin)
        seconds = int(a.minutes * 60)
        threading.Thread(target=faults, args=(servers, stop, events, seconds // 2), daemon=True).start()
        t0 = time.time()
        wrk = subprocess.Popen(wrk_cmd[:5] + [f"-d{seconds}s", "--timeout", "5s"] + wrk_cmd[5:], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Halfway, with the list at its final size (plus one refresh to install it).
        time.sleep(max(0.0, seconds // 2 + 8 - (time.time() - t0)))
        mem_mid = memory(admin, proc.pid) if proc.poll() is None else None
        out, _ = wrk.communicate(timeout=seconds + 60)
        elapsed = time.time() - t0
        stop.set()
        alive = proc.poll() is None
        mem1 = memory(admin, proc.pid) if alive else None
        stats1 = stats(admin) if alive else {}

        served = int(re.search(r"(\d+) requests in", out).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        wrong = int(re.search(r"EDGEWARD wrong (\d+)", out).group(1))
        errors = re.search(r"Socket errors: (.*)", out)
        causes = sorted(((int(n), k) for n, k in re.findall(r"EDGEWARD cause (\d+) (.*)", out)), reverse=True)
        examples = re.findall(r"EDGEWARD example (.*)", out)

        print(f"\nload and faults: Envoy 1.40 --concurrency 2 (CPU 0), wrk -t{a.threads} -c{a.threads} (CPU 1), "
              f"{elapsed:.0f} s, {n_lines} labelled requests cycled")
        print(f"  served           {served} ({rps:.0f} req/s)")
        print(f"  socket errors    {errors.group(1) if errors else 'none'}")
        print(f"  wrong verdicts   {wrong} (warm-up: {warm_wrong})")
        for e in examples:
            print(f"    {e}")
        print("  non-2xx by cause")
        for n, k in causes:
            print(f"    {n:>10}  {k}")
        d = {k: stats1.get(k, 0) - stats0.get(k, 0) for k in stats1}
        print(f"  key-set fetches  {d.get('provider.idp.jwks_fetch_success', 0)} ok, "
              f"{d.get('provider.idp.jwks_fetch_failure', 0)} failed; {servers.hits['jwks']} served by the key server, "
              f"{servers.rotations} rotations")
        print(f"  revocation       {d.get('revocation.fetch_success', 0)} ok, {d.get('revocation.fetch_failure', 0)} "
              f"failed; seq {stats1.get('revocation.seq', 0)} held of {servers.seq} published, "
              f"{len(revoked) + servers.filler} entries in the last list")
        print(f"  faults           {len(events)} events: " + "; ".join(f"{t}s {e}" for t, e in events[:12])
              + (" ..." if len(events) > 12 else ""))
        memory_ok = False
        if mem1 and mem_mid:
            print(f"  memory (start -> {seconds // 2 + 8} s, the list at its final size -> end)")
            for k in ("vm_linear_memory", "allocated", "heap_size", "rss"):
                print(f"    {k:<17} {mib(mem0[k])} -> {mib(mem_mid[k])} -> {mib(mem1[k])}")
            # Past halfway nothing more is stored for good (the list is at its final size, the
            # caches are full), so the VM's linear memory (which never shrinks) must not grow
            # beyond allocator slack: 10% + 1 MiB.
            grew = mem1["vm_linear_memory"] - mem_mid["vm_linear_memory"]
            limit = mem_mid["vm_linear_memory"] // 10 + (1 << 20)
            memory_ok = mem_mid["vm_linear_memory"] > 0 and grew <= limit
            print(f"  memory check     VM linear memory grew {mib(max(grew, 0))} in the second half "
                  f"(limit {mib(limit)}): {'ok' if memory_ok else 'FAILED'}")
        else:
            print("  memory check     not measured: FAILED")
        print(f"  envoy            {'alive' if alive else 'DIED'}; work dir {work}")
        code = 0 if (wrong == 0 and warm_wrong == 0 and alive and memory_ok) else 1
    finally:
        stop.set()
        if wrk and wrk.poll() is None:
            wrk.terminate()
            wrk.wait()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        servers.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
