"""Remote key sets in real Envoy: fetched in the background by the filter's root context from a
local JWK-set server; no fetch per request. Every server and Envoy is stopped by its test."""
import json
import os
import re
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from harness import ENVOY_DIR, Envoy
from jwks_server import JwksServer, template_with_jwks_cluster
from tokens import ISS, Keys

KEYS = Keys()


def jwk(key, kid):
    j = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    j.update({"kid": kid, "alg": "ES256"})
    return j


def remote_policy(port, rules=None, **remote):
    r = {"uri": f"http://127.0.0.1:{port}/jwks.json", "cluster": "jwks", "timeout_seconds": 1,
         "cache_duration_seconds": 5, "max_stale_seconds": 3, "unknown_kid_cooldown_seconds": 1}
    r.update(remote)
    return {"version": 1, "realm": "api",
            "providers": {"idp": {"issuer": ISS, "audiences": ["api"], "remote_jwks": r}},
            "rules": rules or [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]}


def start(tmp_path, server, policy, concurrency=1):
    with open(os.path.join(ENVOY_DIR, "envoy.yaml")) as f:
        tpl = template_with_jwks_cluster(f.read(), server.port)
    path = tmp_path / "envoy.yaml"
    path.write_text(tpl)
    return Envoy(policy, template=str(path), concurrency=concurrency).start()


def bearer(t):
    return [("authorization", f"Bearer {t}")]


@pytest.fixture
def keys():
    return {"a": ec.generate_private_key(ec.SECP256R1()), "b": ec.generate_private_key(ec.SECP256R1())}


def tok(keys, kid):
    return KEYS.token(key=keys[kid], kid=kid)


def wait_for(pred, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_down_at_start_requests_wait_then_pass(tmp_path, keys):
    server = JwksServer({"keys": [jwk(keys["a"], "a")]})
    server.mode = "down"
    e = start(tmp_path, server, remote_policy(server.port))
    try:
        result = {}
        t = threading.Thread(target=lambda: result.update(r=e.request("/x", bearer(tok(keys, "a")))))
        t.start()
        time.sleep(0.8)
        assert "r" not in result, "the request waits for the first key set"
        server.mode = "ok"
        t.join(timeout=10)
        assert result["r"][0] == 200
        assert e.stats()["wasmcustom.edgeward.paused"] >= 1
    finally:
        e.stop()
        server.stop()


def test_never_available_gives_503_after_the_wait(tmp_path, keys):
    server = JwksServer()
    server.mode = "down"
    e = start(tmp_path, server, remote_policy(server.port))
    try:
        t0 = time.time()
        status, h, body = e.request("/x", bearer(tok(keys, "a")))
        assert (status, body) == (503, b"jwks_unavailable")
        assert time.time() - t0 < 6
        assert dict(h).get("cache-control") == "no-store"
    finally:
        e.stop()
        server.stop()


def test_rotation_unknown_kid_refetch_and_cooldown(tmp_path, keys):
    server = JwksServer({"keys": [jwk(keys["a"], "a")]})
    e = start(tmp_path, server, remote_policy(server.port, unknown_kid_cooldown_seconds=3))
    try:
        assert e.request("/x", bearer(tok(keys, "a")))[0] == 200
        fetches = server.hits
        # The IdP starts publishing b alongside a (overlap).
        server.doc = {"keys": [jwk(keys["a"], "a"), jwk(keys["b"], "b")]}
        status, _, body = e.request("/x", bearer(tok(keys, "b")))
        assert (status, body) == (401, b"key_not_found"), "answered at once, never queued"
        assert wait_for(lambda: e.request("/x", bearer(tok(keys, "b")))[0] == 200)
        assert server.hits == fetches + 1
        assert e.request("/x", bearer(tok(keys, "a")))[0] == 200, "old and new pass during overlap"
        # Within the cooldown another unknown kid is rejected without a fetch.
        c = ec.generate_private_key(ec.SECP256R1())
        hits = server.hits
        assert e.request("/x", bearer(KEYS.token(key=c, kid="c")))[2] == b"key_not_found"
        time.sleep(0.6)
        assert server.hits == hits
    finally:
        e.stop()
        server.stop()


def test_garbage_keeps_last_good_and_outage_serves_stale_then_503(tmp_path, keys):
    server = JwksServer({"keys": [jwk(keys["a"], "a")]})
    e = start(tmp_path, server, remote_policy(server.port))
    try:
        good = bearer(tok(keys, "a"))
        assert e.request("/x", good)[0] == 200
        server.mode = "garbage"
        # Force a refetch with an unknown kid: the garbage is refused, the last good set stays.
        e.request("/x", bearer(tok(keys, "b")))
        assert wait_for(lambda: e.stats().get("wasmcustom.edgeward.provider.idp.jwks_fetch_failure", 0) >= 1)
        assert e.request("/x", good)[0] == 200
        server.mode = "down"
        # cache_duration 5 s + max_stale 3 s: served until then, 503 jwks_unavailable after.
        assert wait_for(lambda: e.request("/x", good)[2] == b"jwks_unavailable", timeout=12)
        server.mode = "ok"
        assert wait_for(lambda: e.request("/x", good)[0] == 200, timeout=12)
    finally:
        e.stop()
        server.stop()


def test_cve_2025_64527_shape_allow_missing_or_failed_failed_fetch_many_tokens(tmp_path, keys):
    # jwt_authn crashed with remote JWKS + allow_missing_or_failed + several tokens + a failed
    # fetch. Here: the request is allowed (nothing forwarded), and Envoy keeps serving.
    server = JwksServer()
    server.mode = "down"
    rules = [{"match": {"prefix": "/"}, "requires": {"allow_missing_or_failed": {}}}]
    e = start(tmp_path, server, remote_policy(server.port, rules=rules))
    try:
        many = bearer(tok(keys, "a")) + bearer(tok(keys, "b")) + bearer("x.y.z")
        for _ in range(3):
            assert e.request("/x", many)[0] == 200
        assert e.request("/x")[0] == 200
        # One token: verified against a provider with no key set (jwks_unavailable), allowed.
        assert e.request("/x", bearer(tok(keys, "a")))[0] == 200
        assert e.proc.poll() is None
    finally:
        e.stop()
        server.stop()


def test_concurrency_two_workers_one_fetch(tmp_path, keys):
    server = JwksServer({"keys": [jwk(keys["a"], "a")]})
    e = start(tmp_path, server, remote_policy(server.port), concurrency=2)
    try:
        good = bearer(tok(keys, "a"))
        assert [e.request("/x", good)[0] for _ in range(60)] == [200] * 60
        # One VM took the lease and fetched; the others installed the shared bytes.
        assert server.hits == 1, server.hits
        # Both workers served requests (each VM logs once when it first serves).
        vms = set(re.findall(r"edgeward: vm ([0-9a-f]{16}) serving requests", e.logs()))
        assert len(vms) >= 2, vms
        # A rotation seen by one worker reaches all of them with one more fetch.
        server.doc = {"keys": [jwk(keys["a"], "a"), jwk(keys["b"], "b")]}
        assert e.request("/x", bearer(tok(keys, "b")))[2] == b"key_not_found"
        assert wait_for(lambda: all(e.request("/x", bearer(tok(keys, "b")))[0] == 200 for _ in range(10)))
        assert server.hits == 2, server.hits
    finally:
        e.stop()
        server.stop()


def test_oidc_discovery(tmp_path, keys):
    server = JwksServer({"keys": [jwk(keys["a"], "a")]})
    issuer = f"http://127.0.0.1:{server.port}"
    server.discovery = {"issuer": issuer, "jwks_uri": f"{issuer}/keys/v1"}
    p = remote_policy(server.port)
    p["providers"]["idp"]["issuer"] = issuer
    r = p["providers"]["idp"]["remote_jwks"]
    del r["uri"]
    r["oidc_discovery"] = True
    e = start(tmp_path, server, p)
    try:
        t = KEYS.token(key=keys["a"], kid="a", iss=issuer)
        assert e.request("/x", bearer(t))[0] == 200
        assert server.paths[:2] == ["/.well-known/openid-configuration", "/keys/v1"]
    finally:
        e.stop()
    # A discovery document naming another issuer is refused: no keys, 503 after the wait.
    server.discovery = {"issuer": "https://evil.example", "jwks_uri": f"{issuer}/keys/v1"}
    server.paths.clear()
    e = start(tmp_path, server, p)
    try:
        t = KEYS.token(key=keys["a"], kid="a", iss=issuer)
        assert e.request("/x", bearer(t))[2] == b"jwks_unavailable"
        assert "/keys/v1" not in server.paths
        assert "discovery issuer differs" in e.logs()
    finally:
        e.stop()
        server.stop()
