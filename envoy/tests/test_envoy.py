"""edgeward's optimised .wasm inside real Envoy 1.40 (V8), loopback only.

Build first: scripts/build-envoy.sh (make test does). Each module-scoped Envoy is stopped by
its fixture.
"""
import json
import os
import time

import jwt
import pytest

from harness import WASM, Envoy, header, template_with
from tokens import ISS, Keys, provider

KEYS = Keys()


def policy():
    return {
        "version": 1,
        "realm": "api",
        "providers": {
            "idp": provider(KEYS, claim_to_headers=[
                {"header_name": "x-user", "claim": "sub"},
                {"header_name": "x-evil", "claim": "evil"},
                {"header_name": "x-roles", "claim": "roles"},
            ], forward_payload_header="x-jwt-payload"),
            "scoped": provider(KEYS, required_scopes=["admin"], subjects=[{"prefix": "svc-"}],
                               claim_rules=[{"claim": "/tenant", "equals": "t1"}],
                               max_lifetime_seconds=3600, typ=["at+jwt"]),
        },
        "rules": [
            {"match": {"prefix": "/public/"}, "requires": {"allow_missing": {}}},
            {"match": {"prefix": "/scoped/"}, "requires": {"provider_name": "scoped"}},
            {"match": {"prefix": "/either/"}, "requires": {"requires_any": [
                {"provider_name": "scoped"}, {"provider_name": "idp"}]}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}},
        ],
    }


@pytest.fixture(scope="module")
def envoy():
    e = Envoy(policy()).start()
    yield e
    e.stop()


def bearer(t):
    return [("authorization", f"Bearer {t}")]


def now():
    return int(time.time())


def scoped_token(**kw):
    claims = {"sub": "svc-reporter", "tenant": "t1", "scope": "read admin"}
    claims.update({k: v for k, v in kw.items() if k not in ("headers",)})
    return KEYS.token(claims, headers=kw.get("headers", {"typ": "at+jwt"}))


def none_token():
    return jwt.encode({"iss": ISS, "aud": "api", "exp": now() + 60}, None, algorithm="none")


def jws_raw(payload: bytes):
    return jwt.api_jws.encode(payload, KEYS.es, algorithm="ES256", headers={"kid": "es"})


CASES = [
    # (name, path, headers, status, reason, error param). path_invalid cannot reach the filter in
# Envoy: normalize_path / REJECT_REQUEST handle those paths first (see the path tests below).
    ("missing", "/x", [], 401, "token_missing", None),
    ("basic scheme is not a token", "/x", [("authorization", "Basic dTpw")], 401, "token_missing", None),
    ("malformed", "/x", bearer("not-a-jwt"), 401, "token_malformed", "invalid_token"),
    ("jwe", "/x", bearer("a.b.c.d.e"), 401, "token_is_jwe", "invalid_token"),
    ("too large", "/x", bearer("a" * 9000), 401, "token_too_large", "invalid_token"),
    ("alg none", "/x", bearer(none_token()), 401, "alg_not_allowed", "invalid_token"),
    ("crit", "/x", bearer(KEYS.token(headers={"crit": ["exp"], "exp": 1})), 401, "crit_unsupported", "invalid_token"),
    ("dpop typ", "/x", bearer(KEYS.token(headers={"typ": "dpop+jwt"})), 401, "typ_not_allowed", "invalid_token"),
    ("unknown kid", "/x", bearer(KEYS.token(kid="nope")), 401, "key_not_found", "invalid_token"),
    ("wrong key", "/x", bearer(KEYS.token(key=KEYS.other_es)), 401, "signature_invalid", "invalid_token"),
    ("rs key as es", "/x", bearer(KEYS.token(kid="rs")), 401, "alg_not_allowed", "invalid_token"),
    ("not json", "/x", bearer(jws_raw(b"hello")), 401, "claims_malformed", "invalid_token"),
    ("expired", "/x", bearer(KEYS.token(exp=now() - 120)), 401, "token_expired", "invalid_token"),
    ("not yet", "/x", bearer(KEYS.token(nbf=now() + 3600)), 401, "token_not_yet_valid", "invalid_token"),
    ("iat future", "/x", bearer(KEYS.token(iat=now() + 3600)), 401, "token_issued_in_future", "invalid_token"),
    ("exp string", "/x", bearer(KEYS.token(exp=str(now() + 60))), 401, "claim_invalid", "invalid_token"),
    ("exp missing", "/x", bearer(KEYS.token(exp=None)), 401, "claim_missing", "invalid_token"),
    ("issuer", "/x", bearer(KEYS.token(iss="https://evil.test")), 401, "issuer_mismatch", "invalid_token"),
    ("audience", "/x", bearer(KEYS.token(aud="other")), 403, "audience_mismatch", "invalid_token"),
    ("cnf", "/x", bearer(KEYS.token(cnf={"jkt": "x"})), 401, "token_binding_unsupported", "invalid_token"),
    ("two authorization headers", "/x", bearer(KEYS.token()) + bearer(KEYS.token()), 400, "token_ambiguous", "invalid_request"),
    ("scope", "/scoped/a", bearer(scoped_token(scope="read")), 403, "scope_insufficient", "insufficient_scope"),
    ("subject", "/scoped/a", bearer(scoped_token(sub="alice")), 401, "subject_mismatch", "invalid_token"),
    ("claim rule", "/scoped/a", bearer(scoped_token(tenant="t2")), 401, "claim_mismatch", "invalid_token"),
    ("lifetime", "/scoped/a", bearer(scoped_token(exp=now() + 7200)), 401, "token_lifetime_exceeded", "invalid_token"),
    ("typ list", "/scoped/a", bearer(scoped_token(headers={"typ": "JWT"})), 401, "typ_not_allowed", "invalid_token"),
]


@pytest.mark.parametrize("name,path,headers,status,reason,error", CASES, ids=[c[0] for c in CASES])
def test_every_reason_through_envoy(envoy, name, path, headers, status, reason, error):
    got, h, body = envoy.request(path, headers)
    assert (got, body.decode()) == (status, reason), name
    assert header(h, "cache-control") == "no-store"
    want = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
    assert header(h, "www-authenticate") == want


def test_allowed_requests_and_header_edits(envoy):
    t = KEYS.token({"evil": "x\r\nx-admin: true", "roles": ["a", "b"]})
    status, _, body = envoy.request("/x", bearer(t) + [("x-user", "mallory"), ("x-jwt-payload", "e30")])
    assert status == 200
    up = envoy.upstream_headers(body)
    names = [k for k, _ in up]
    assert ("x-user", "alice") in up and names.count("x-user") == 1
    assert ("x-roles", '["a","b"]') in up
    assert "x-evil" not in names and "x-admin" not in names, "CRLF-bearing claim must not be forwarded"
    assert "authorization" not in names, "forward=false removes the token"
    payload = dict(up)["x-jwt-payload"]
    assert json.loads(jwt.utils.base64url_decode(payload))["sub"] == "alice"
    # Every algorithm the keys are bound to.
    for alg in ["ES256", "RS256", "EdDSA"]:
        assert envoy.request("/x", bearer(KEYS.token(alg=alg)))[0] == 200, alg


def test_allow_missing_route_strips_spoofed_outputs(envoy):
    status, _, body = envoy.request("/public/info", [("x-user", "admin"), ("x-jwt-payload", "e30")])
    assert status == 200
    names = [k for k, _ in envoy.upstream_headers(body)]
    assert "x-user" not in names and "x-jwt-payload" not in names
    # A present but invalid token is still refused there.
    status, _, body = envoy.request("/public/info", bearer(KEYS.token(exp=now() - 300)))
    assert (status, body) == (401, b"token_expired")


def test_requirement_trees_and_rules(envoy):
    assert envoy.request("/either/a", bearer(KEYS.token()))[0] == 200
    assert envoy.request("/either/a", bearer(scoped_token()))[0] == 200
    assert envoy.request("/scoped/a", bearer(scoped_token()))[0] == 200
    assert envoy.request("/scoped/a", bearer(KEYS.token()))[0] in (401, 403)


@pytest.mark.parametrize("path", ["/public/../x", "/public/./../x", "/public/%2e%2e/x", "/public//../../x"])
def test_traversal_out_of_public_is_judged_as_target(envoy, path):
    status, _, _ = envoy.request(path)
    assert status == 401


def test_filter_and_upstream_agree_on_the_path(envoy):
    # Envoy removes dot-segments before merging slashes; so does the core. What the filter
    # judged is what the upstream serves.
    status, _, body = envoy.request("/public//../x")
    assert status == 200
    assert json.loads(body)["path"] == "/public/x"
    # Envoy turns a raw backslash into a slash before the filter runs; the core sees (and the
    # upstream gets) /public/x. (Hosts that pass raw paths get 400 path_invalid from the core.)
    status, _, body = envoy.request("/public\\x")
    assert (status, json.loads(body)["path"]) == (200, "/public/x")


@pytest.mark.parametrize("path", ["/public%2F..%2Fx", "/public/..%5Cx", "/a%00b"])
def test_encoded_separators_never_reach_upstream(envoy, path):
    status, _, _ = envoy.request(path)
    assert status == 400


def test_metrics_count_by_reason(envoy):
    # Per-request counts reach Envoy on the filter's 250 ms tick: let earlier ones land first.
    time.sleep(0.6)
    before = envoy.stats()
    envoy.request("/x")
    envoy.request("/x", bearer(KEYS.token()))
    time.sleep(0.6)
    after = envoy.stats()
    assert after["wasmcustom.edgeward.reason.token_missing"] == before["wasmcustom.edgeward.reason.token_missing"] + 1
    assert after["wasmcustom.edgeward.provider.idp.allowed"] == before["wasmcustom.edgeward.provider.idp.allowed"] + 1


def test_logs_never_contain_tokens(envoy):
    t = KEYS.token(exp=now() - 300)
    envoy.request("/x", bearer(t))
    time.sleep(0.2)
    logs = envoy.logs()
    assert "edgeward: denied token_expired" in logs
    assert t not in logs and t.split(".")[1] not in logs


def test_concurrency_two_serves_on_both_workers():
    with Envoy(policy(), concurrency=2) as e:
        good = bearer(KEYS.token())
        results = [e.request("/x", good)[0] for _ in range(60)] + [e.request("/x")[0] for _ in range(20)]
        assert results.count(200) == 60 and results.count(401) == 20


def test_bad_policy_is_refused_with_the_field_named():
    bad = policy()
    bad["rules"] = bad["rules"][:-1]  # no catch-all
    e = Envoy(bad).start(expect_ready=False)
    code = e.wait_exit(timeout=30)
    assert code != 0
    logs = e.logs()
    assert "edgeward: invalid configuration: policy: rules:" in logs, logs[-2000:]
    bad = policy()
    bad["providers"]["idp"]["audience"] = ["typo"]
    e = Envoy(bad).start(expect_ready=False)
    assert e.wait_exit(timeout=30) != 0
    assert "unknown field `audience`" in e.logs()


def test_broken_wasm_fails_closed(tmp_path):
    broken = tmp_path / "broken.wasm"
    with open(WASM, "rb") as f:
        data = f.read()
    broken.write_bytes(data[: len(data) // 2])
    e = Envoy(policy(), wasm=str(broken)).start(expect_ready=False)
    assert e.wait_exit(timeout=30) != 0, "Envoy must refuse to serve with a filter that cannot load"


def test_cache_report_mode_cors_and_route_names(tmp_path):
    p = policy()
    p["bypass_cors_preflight"] = True
    p["rules"] = [
        {"match": {"prefix": "/shadow/"}, "requires": {"provider_name": "idp"}, "mode": "report"},
        {"match": {"prefix": "/", "route": "admin-route"}, "requires": {"provider_name": "scoped"}},
    ] + p["rules"]
    # A second, named route: Envoy's router picks it, the policy keys a rule on its name.
    tpl = template_with(tmp_path, '              - name: default\n',
                        '              - name: admin-route\n'
                        '                match: {prefix: "/admin/"}\n'
                        '                route: {cluster: upstream}\n'
                        '              - name: default\n')
    with Envoy(p, template=tpl) as e:
        good = bearer(KEYS.token(alg="RS256"))
        for _ in range(5):
            assert e.request("/x", good)[0] == 200
        # Cache gauges are published on the filter's 250 ms timer.
        deadline = time.time() + 3
        while e.stats().get("wasmcustom.edgeward.cache.hits", 0) < 4 and time.time() < deadline:
            time.sleep(0.1)
        assert e.stats()["wasmcustom.edgeward.cache.hits"] >= 4
        # A cached token is still checked for time: an expired one is denied, cache or not.
        old = bearer(KEYS.token(exp=now() - 300))
        assert e.request("/x", old)[2] == b"token_expired"
        # Report mode: passes, counted as reported, nothing forwarded.
        status, _, body = e.request("/shadow/a", [("x-user", "spoof")])
        assert status == 200 and "x-user" not in dict(e.upstream_headers(body))
        # Counters, too, reach Envoy on the tick.
        deadline = time.time() + 3
        while e.stats().get("wasmcustom.edgeward.reported", 0) < 1 and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        assert e.stats()["wasmcustom.edgeward.reported"] == 1
        assert e.request("/shadow/a", good)[0] == 200
        # Route names: /admin/ takes the admin-route, which needs the scoped provider.
        assert e.request("/admin/a", good)[0] == 401
        assert e.request("/admin/a", bearer(scoped_token()))[0] == 200
        # CORS preflight bypass, and only for real preflights.
        pre = [("origin", "https://app.test"), ("access-control-request-method", "POST")]
        assert e.request("/x", pre, method="OPTIONS")[0] == 200
        assert e.request("/x", pre[:1], method="OPTIONS")[0] == 401


def test_verdict_reaches_the_access_log(tmp_path):
    log_path = tmp_path / "access.log"
    fmt = "%RESPONSE_CODE% %FILTER_STATE(wasm.edgeward_verdict:PLAIN)% %FILTER_STATE(wasm.edgeward_reason:PLAIN)% %FILTER_STATE(wasm.edgeward_provider:PLAIN)%\\n"
    tpl = template_with(tmp_path, "          stat_prefix: ingress\n",
                        "          stat_prefix: ingress\n"
                        "          access_log:\n"
                        "          - name: envoy.access_loggers.file\n"
                        "            typed_config:\n"
                        '              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog\n'
                        f"              path: {log_path}\n"
                        f'              log_format: {{text_format_source: {{inline_string: "{fmt}"}}}}\n')
    with Envoy(policy(), template=tpl) as e:
        e.request("/x")
        e.request("/x", bearer(KEYS.token()))
        e.request("/x", bearer(KEYS.token(exp=now() - 300)))
        deadline = time.time() + 5
        while time.time() < deadline and (not log_path.exists() or len(log_path.read_text().splitlines()) < 3):
            time.sleep(0.1)
    lines = log_path.read_text().splitlines()
    assert lines[0] == "401 deny token_missing idp", lines
    assert lines[1] == "200 allow - idp", lines
    assert lines[2] == "401 deny token_expired idp", lines


def test_hmac_secret_from_vm_environment_stays_out_of_config_dump(tmp_path):
    secret = os.urandom(32)
    encoded = jwt.utils.base64url_encode(secret).decode()
    p = {"version": 1, "providers": {"svc": {"issuer": ISS, "audiences": ["api"],
         "secrets_from_env": [{"env": "EDGEWARD_SVC_SECRET", "alg": "HS256", "kid": "svc"}]}},
         "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "svc"}}]}
    tpl = template_with(tmp_path, "                  vm_id: edgeward\n",
                        "                  vm_id: edgeward\n"
                        "                  environment_variables:\n"
                        "                    host_env_keys: [EDGEWARD_SVC_SECRET]\n")
    os.environ["EDGEWARD_SVC_SECRET"] = encoded
    try:
        with Envoy(p, template=tpl) as e:
            t = jwt.encode({"iss": ISS, "aud": "api", "exp": now() + 60}, secret, algorithm="HS256",
                           headers={"kid": "svc"})
            assert e.request("/x", bearer(t))[0] == 200
            forged = jwt.encode({"iss": ISS, "aud": "api", "exp": now() + 60}, b"x" * 32, algorithm="HS256",
                                headers={"kid": "svc"})
            assert e.request("/x", bearer(forged))[2] == b"signature_invalid"
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", e.admin, timeout=5)
            c.request("GET", "/config_dump")
            dump = c.getresponse().read().decode()
            assert encoded not in dump
    finally:
        del os.environ["EDGEWARD_SVC_SECRET"]


def test_a_crashed_vm_fails_closed(tmp_path):
    # A test-only build whose VM panics on a header (never shipped): after the crash, Envoy
    # must not let requests through unchecked.
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.path.join(root, "target", "crash-test")
    subprocess.run(["cargo", "build", "-q", "-p", "edgeward-envoy", "--target", "wasm32-wasip1", "--release",
                    "--features", "crash-test", "--target-dir", target], check=True, cwd=root)
    crash_wasm = os.path.join(target, "wasm32-wasip1", "release", "edgeward_envoy.wasm")
    with Envoy(policy(), wasm=crash_wasm) as e:
        good = bearer(KEYS.token())
        assert e.request("/x", good)[0] == 200
        status, _, _ = e.request("/x", good + [("x-edgeward-crash-test", "1")])
        assert status >= 500
        for _ in range(5):
            status, _, body = e.request("/x", good)
            assert status != 200 or b"upstream" not in body, "a dead VM must not fail open"
            assert e.request("/x")[0] != 200, "no token must never pass"
