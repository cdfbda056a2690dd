"""DPoP (RFC 9449) and one-time tokens in real Envoy. Proofs and tokens are made with PyJWT and
an ES256 key drawn at run time; the RFC 7638 thumbprint (`cnf.jkt`) is computed here, apart
from the core's. The jti replay store lives in Envoy's shared data, so a replay is refused
whichever worker VM gets it. Every Envoy is stopped by its test."""
import base64
import hashlib
import json
import os
import re
import threading
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from harness import Envoy, header, template_with
from tokens import ISS, Keys, provider

KEYS = Keys()
ORIGIN = "https://api.example.test"
NONCE_ENV = "EDGEWARD_TEST_DPOP_NONCE"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Holder:
    """A client's DPoP key."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        canonical = json.dumps({m: self.jwk[m] for m in ("crv", "kty", "x", "y")},
                               sort_keys=True, separators=(",", ":"))
        self.jkt = b64u(hashlib.sha256(canonical.encode()).digest())

    def token(self, **claims):
        return KEYS.token(claims={"cnf": {"jkt": self.jkt}, "jti": str(uuid.uuid4()), **claims})

    def proof(self, token, method="GET", path="/items", nonce=None, **override):
        c = {"jti": str(uuid.uuid4()), "htm": method, "htu": ORIGIN + path, "iat": int(time.time()),
             "ath": b64u(hashlib.sha256(token.encode()).digest())}
        if nonce is not None:
            c["nonce"] = nonce
        c.update(override)
        return jwt.encode(c, self.key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk})


def policy():
    req = provider(KEYS, dpop="required", dpop_proof={"algorithms": ["ES256"]})
    nonce = provider(KEYS, dpop="required",
                     dpop_proof={"algorithms": ["ES256"], "nonce_secret_from_env": NONCE_ENV})
    opt = provider(KEYS, dpop="optional", dpop_proof={"algorithms": ["ES256"]})
    return {"version": 1, "realm": "api", "public_origin": ORIGIN,
            "providers": {"req": req, "nonce": nonce, "opt": opt, "plain": provider(KEYS)},
            "rules": [
                {"match": {"prefix": "/nonce/"}, "requires": {"provider_name": "nonce"}},
                {"match": {"prefix": "/opt/"}, "requires": {"provider_name": "opt"}},
                {"match": {"prefix": "/once/"}, "requires": {"provider_name": "plain"},
                 "one_time_jti": True},
                {"match": {"prefix": "/shadow/"}, "requires": {"provider_name": "plain"},
                 "one_time_jti": True, "mode": "report"},
                {"match": {"prefix": "/"}, "requires": {"provider_name": "req"}}]}


class DpopEnvoy:
    """Envoy with policy(), the nonce secret and `env` in the VM's environment (host_env_keys);
    the variables leave this process's environment when it stops."""

    def __init__(self, tmp_path, concurrency=1, **env):
        self.env = {NONCE_ENV: b64u(os.urandom(32)), **env}
        tpl = template_with(tmp_path, "                  vm_id: edgeward\n",
                            "                  vm_id: edgeward\n"
                            "                  environment_variables:\n"
                            f"                    host_env_keys: [{', '.join(self.env)}]\n")
        self.envoy = Envoy(policy(), template=tpl, concurrency=concurrency)
        os.environ.update(self.env)  # read when Envoy starts

    def stop(self):
        self.envoy.stop()
        for k in self.env:
            os.environ.pop(k, None)


@pytest.fixture
def envoy(request, tmp_path):
    d = DpopEnvoy(tmp_path, getattr(request, "param", 1))
    try:
        d.envoy.start()
        yield d.envoy
    finally:
        d.stop()


def dpop(token, proof):
    h = [("authorization", f"DPoP {token}")]
    return h + [("dpop", proof)] if proof is not None else h


def challenges(headers):
    return [v for k, v in headers if k == "www-authenticate"]


INVALID = 'DPoP realm="api", algs="ES256", error="invalid_dpop_proof"'


def test_bound_token_with_a_matching_proof_passes(envoy):
    h = Holder()
    t = h.token()
    status, _, body = envoy.request("/items?x=1", dpop(t, h.proof(t)))
    assert status == 200, body
    sent = dict(envoy.upstream_headers(body))
    assert "authorization" not in sent, "the token is not forwarded"
    assert "dpop" not in sent, "nor the proof"
    status, _, _ = envoy.request("/items", dpop(t, h.proof(t, method="POST")), method="POST")
    assert status == 200


@pytest.mark.parametrize("case", ["no proof", "htm", "htu", "ath", "two proofs", "other key", "old iat"])
def test_bad_proofs_get_the_dpop_challenge(envoy, case):
    h = Holder()
    t = h.token()
    proof = {
        "no proof": None,
        "htm": h.proof(t, method="POST"),
        "htu": h.proof(t, path="/other"),
        "ath": h.proof(h.token()),
        "two proofs": h.proof(t),
        "other key": Holder().proof(t),
        "old iat": h.proof(t, iat=int(time.time()) - 3600),
    }[case]
    headers = dpop(t, proof) + ([("dpop", h.proof(t))] if case == "two proofs" else [])
    status, rh, body = envoy.request("/items", headers)
    if case == "other key":
        # The proof is valid but made with a key the token is not bound to.
        assert (status, body) == (401, b"token_binding_mismatch")
        assert challenges(rh) == ['DPoP realm="api", algs="ES256", error="invalid_token"']
        return
    assert (status, body) == (401, b"dpop_proof_invalid")
    assert challenges(rh) == [INVALID]
    assert header(rh, "cache-control") == "no-store"


def test_bound_token_as_bearer_is_refused(envoy):
    h = Holder()
    t = h.token()
    for path in ("/items", "/opt/items"):
        status, _, body = envoy.request(path, [("authorization", f"Bearer {t}"), ("dpop", h.proof(t, path=path))])
        assert (status, body) == (401, b"token_binding_mismatch"), path
    # optional: an unbound Bearer token passes; a missing token is challenged with both schemes.
    assert envoy.request("/opt/items", [("authorization", f"Bearer {KEYS.token()}")])[0] == 200
    status, rh, _ = envoy.request("/opt/items")
    assert status == 401
    assert challenges(rh) == ['Bearer realm="api"', 'DPoP realm="api", algs="ES256"']


def test_server_nonce_is_asked_for_then_accepted(envoy):
    h = Holder()
    t = h.token()
    status, rh, body = envoy.request("/nonce/a", dpop(t, h.proof(t, path="/nonce/a")))
    assert (status, body) == (401, b"dpop_nonce_required")
    assert challenges(rh) == ['DPoP realm="api", algs="ES256", error="use_dpop_nonce"']
    nonce = header(rh, "dpop-nonce")
    assert nonce
    status, _, _ = envoy.request("/nonce/a", dpop(t, h.proof(t, path="/nonce/a", nonce=nonce)))
    assert status == 200
    status, rh, body = envoy.request("/nonce/a", dpop(t, h.proof(t, path="/nonce/a", nonce="x" + nonce)))
    assert (status, body) == (401, b"dpop_nonce_required")
    assert header(rh, "dpop-nonce")


def test_a_replayed_proof_is_refused(envoy):
    h = Holder()
    t = h.token()
    p = h.proof(t)
    assert envoy.request("/items", dpop(t, p))[0] == 200
    status, rh, body = envoy.request("/items", dpop(t, p))
    assert (status, body) == (401, b"token_replayed")
    assert challenges(rh) == [INVALID]
    assert envoy.request("/items", dpop(t, h.proof(t)))[0] == 200, "a new proof passes"


def test_one_time_token_is_used_once(envoy):
    t = KEYS.token(jti=str(uuid.uuid4()))
    assert envoy.request("/once/a", [("authorization", f"Bearer {t}")])[0] == 200
    status, _, body = envoy.request("/once/a", [("authorization", f"Bearer {t}")])
    assert (status, body) == (401, b"token_replayed")
    assert envoy.request("/once/b", [("authorization", f"Bearer {KEYS.token(jti=str(uuid.uuid4()))}")])[0] == 200


def test_report_mode_reports_replays(envoy):
    """A report-mode one_time_jti rule records the jti and reports a replay (counted as
    reported) instead of refusing it."""
    t = KEYS.token(jti=str(uuid.uuid4()))
    auth = [("authorization", f"Bearer {t}")]
    assert envoy.request("/shadow/a", auth)[0] == 200
    time.sleep(0.5)  # counters reach Envoy on the filter's 250 ms tick
    assert envoy.stats().get("wasmcustom.edgeward.reported", 0) == 0
    assert envoy.request("/shadow/a", auth)[0] == 200  # a replay, reported
    deadline = time.time() + 3
    while envoy.stats().get("wasmcustom.edgeward.reported", 0) < 1 and time.time() < deadline:
        time.sleep(0.1)
    assert envoy.stats()["wasmcustom.edgeward.reported"] >= 1
    # The jti was recorded all the same: the enforcing rule refuses the token.
    assert envoy.request("/once/a", auth)[2] == b"token_replayed"


@pytest.mark.parametrize("envoy", [2], indirect=True)
def test_replays_are_refused_on_every_worker(envoy):
    """--concurrency 2: a new connection per request lands on either worker VM; the replay
    store is in shared data, so every replay is refused, and of proofs raced on parallel
    connections exactly one passes."""
    h = Holder()
    t = h.token()
    for _ in range(40):  # new connections until both workers have served
        assert envoy.request("/items", dpop(t, h.proof(t)))[0] == 200
        if len(set(re.findall(r"edgeward: vm ([0-9a-f]{16}) serving", envoy.logs()))) >= 2:
            break
    vms = set(re.findall(r"edgeward: vm ([0-9a-f]{16}) serving", envoy.logs()))
    assert len(vms) == 2, f"requests reached {len(vms)} worker VM(s)"

    for _ in range(3):
        p = h.proof(t)
        assert envoy.request("/items", dpop(t, p))[0] == 200
        replays = [envoy.request("/items", dpop(t, p)) for _ in range(12)]
        assert [(s, b) for s, _, b in replays] == [(401, b"token_replayed")] * 12

    one = KEYS.token(jti=str(uuid.uuid4()))
    assert envoy.request("/once/a", [("authorization", f"Bearer {one}")])[0] == 200
    for _ in range(12):
        assert envoy.request("/once/a", [("authorization", f"Bearer {one}")])[2] == b"token_replayed"

    for _ in range(5):
        p = h.proof(t)
        start = threading.Barrier(8)
        out = []

        def send():
            start.wait()
            out.append(envoy.request("/items", dpop(t, p))[0])

        threads = [threading.Thread(target=send) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=15)
        assert sorted(out) == [200] + [401] * 7, out


def test_a_full_replay_bucket_refuses_new_proofs_and_never_evicts(tmp_path):
    """EDGEWARD_DPOP_REPLAY_SHARDS / _BUCKET_ENTRIES shrink the store to one ring of 2-proof
    buckets: a third new proof of one slot is refused (the store never evicts, so the first two
    stay refused as replays), while a proof of another slot has its own bucket."""
    d = DpopEnvoy(tmp_path, EDGEWARD_DPOP_REPLAY_SHARDS="1", EDGEWARD_DPOP_REPLAY_BUCKET_ENTRIES="2")
    try:
        e = d.envoy.start()
        logs = e.logs()
        bound = re.search(r"jti replay store in shared data, at most (\d+) bytes "
                          r"\(1 DPoP shards of 2 proofs per (\d+)-second slot\)", logs)
        assert bound, logs[-2000:]
        slot = int(bound.group(2))  # max(max_future_seconds, 60): 65 with the default skew
        h = Holder()
        t = h.token()
        now = int(time.time())
        previous = (now // slot - 1) * slot  # all three land in the previous slot, within max_age
        proofs = [h.proof(t, iat=previous + 1 + i) for i in range(3)]
        got = [e.request("/items", dpop(t, p))[::2] for p in proofs]
        assert got == [(200, got[0][1]), (200, got[1][1]), (401, b"token_replayed")], got
        assert e.request("/items", dpop(t, proofs[0]))[::2] == (401, b"token_replayed"), "still recorded"
        assert e.request("/items", dpop(t, h.proof(t)))[0] == 200, "another slot, another bucket"
    finally:
        d.stop()


@pytest.mark.parametrize("env", [{"EDGEWARD_DPOP_REPLAY_SHARDS": "0"},
                                 {"EDGEWARD_DPOP_REPLAY_SHARDS": "257"},
                                 {"EDGEWARD_DPOP_REPLAY_BUCKET_ENTRIES": "many"},
                                 {"EDGEWARD_DPOP_REPLAY_BUCKET_ENTRIES": "65537"}])
def test_replay_store_sizes_out_of_range_are_refused(tmp_path, env):
    d = DpopEnvoy(tmp_path, **env)
    try:
        e = d.envoy.start(expect_ready=False)
        assert e.wait_exit(timeout=30) != 0
        assert "edgeward: invalid configuration: DPoP replay store" in e.logs()
    finally:
        d.stop()
