"""Envoy vs the edge worker: one table of requests, sent to real Envoy (the edgeward filter,
envoy/envoy.yaml) and to wasm/examples/worker/worker.js in real workerd, with the same policy
and the same echo upstream program (envoy/upstream.py). For every row both hosts must give the
same status, body, `WWW-Authenticate` and `Cache-Control: no-store` on a denial, and on an allow
the same forwarded path and the same forwarded values of every header the client sent or the
policy controls.

Where the two hosts cannot agree, the row says so: `Dev(why, {field: (envoy value, worker
value)})` pins what each host does (so a deviation that goes away, or changes, fails the test
too); every other field is still compared.

Not compared, by design: the worker's `Cache-Control: private, no-store` on answers to
credentialed requests (the example's own rule), and the `Cache-Control: no-cache` / `Pragma:
no-cache` that workerd adds upstream for `fetch(..., {cache: 'no-store'})`.

Needs envoy/dist/edgeward.wasm (scripts/build-envoy.sh) and wasm/tests/node_modules (npm install).
Run: .venv/bin/python -m pytest wasm/tests/parity -q
"""
import http.client
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "envoy", "tests"))

import test_cookies  # noqa: E402  (the signed-cookie / signed-URL / session-cookie table and its policy)
import test_envoy  # noqa: E402  (the every-reason table and its policy)
import upstream  # noqa: E402
from harness import WASM, Envoy, free_port  # noqa: E402
from jwks_server import JwksServer, template_with_jwks_cluster  # noqa: E402
from tokens import ISS, provider  # noqa: E402
from workerd import WORKERD, Workerd  # noqa: E402

KEYS = test_envoy.KEYS
TOKEN = KEYS.token()
# Headers the policy sets, strips or consumes: always compared on an allow, sent or not.
CONTROLLED = {"authorization", "cookie", "x-user", "x-evil", "x-admin", "x-roles", "x-jwt-payload", "x-cookie-user",
              *test_cookies.OUTPUTS}
CHALLENGE = {None: 'Bearer realm="api"', "invalid_token": 'Bearer realm="api", error="invalid_token"',
             "invalid_request": 'Bearer realm="api", error="invalid_request"',
             "insufficient_scope": 'Bearer realm="api", error="insufficient_scope"'}


def policy():
    p = test_envoy.policy()
    p["providers"]["cookie"] = provider(KEYS, from_cookies=["session"],
                                        claim_to_headers=[{"header_name": "x-cookie-user", "claim": "sub"}])
    p["providers"]["param"] = provider(KEYS, from_params=["access_token"])
    p["providers"]["fwd"] = provider(KEYS, forward=True)
    p["rules"] = [
        {"match": {"prefix": "/c/"}, "requires": {"provider_name": "cookie"}},
        {"match": {"prefix": "/q/"}, "requires": {"provider_name": "param"}},
        {"match": {"prefix": "/fwd/"}, "requires": {"provider_name": "fwd"}},
    ] + p["rules"]
    return p


@dataclass
class Dev:
    """A documented deviation: why, and per field (envoy value, worker value)."""
    why: str
    fields: dict = field(default_factory=dict)


@dataclass
class Case:
    name: str
    target: object  # str, or bytes sent as they are
    headers: list
    status: int  # the worker's status; Envoy's too unless the deviation pins it
    reason: str = None  # a denial's body (the reason code); None for an allow
    error: str = None  # the challenge's error parameter, for a denial
    path: str = None  # an allow: the path the upstream must receive
    dev: Dev = None
    challenge: bool = True  # a denial carries the Bearer challenge (not for signed or session cookies)


def bearer(t):
    return [("authorization", f"Bearer {t}")]


ENCODED_SEP = ("Envoy's HTTP connection manager refuses %2F, %5C and %00 itself "
               "(path_with_escaped_slashes_action: REJECT_REQUEST, and its own %00 check) with a plain 400 "
               "before the filter runs; the worker has no such layer, so the core answers path_invalid")
ENVOY_PLAIN_400 = {"body": ("", "path_invalid"), "www-authenticate": (None, CHALLENGE["invalid_request"]),
                   "cache-control": (None, "no-store")}

CASES = [Case(n, p, h, s, r, e) for (n, p, h, s, r, e) in test_envoy.CASES] + [
    # ---- paths: what each host normalises before the core sees it --------------------------
    Case("dot-dot out of public", "/public/../x", [], 401, "token_missing"),
    Case("encoded dot-dot out of public", "/public/%2e%2e/x", [], 401, "token_missing"),
    Case("upper-case encoded dot-dot", "/public/%2E%2E/x", [], 401, "token_missing"),
    Case("dot then dot-dot", "/public/./../x", [], 401, "token_missing"),
    Case("empty segment then two dot-dots", "/public//../../x", [], 401, "token_missing"),
    Case("dot-dot above the root (both hosts clamp it)", "/..", [], 401, "token_missing"),
    Case("leading double slash", "//public/a", [], 200, path="/public/a"),
    Case("dot-dot removes the empty segment", "/public//../x", [], 200, path="/public/x"),
    Case("backslash becomes a slash", "/public\\x", [], 200, path="/public/x"),
    Case("encoded unreserved character is decoded", "/public/%61", [], 200, path="/public/a"),
    Case("query kept as sent", "/public/a?x=%2F&y=1", [], 200, path="/public/a?x=%2F&y=1"),
    Case("broken escape", "/public/a%zz", [], 400, "path_invalid", "invalid_request"),
    Case("truncated escape", "/public/a%2", [], 400, "path_invalid", "invalid_request"),
    Case("encoded slash", "/public%2F..%2Fx", [], 400, "path_invalid", "invalid_request",
         dev=Dev(ENCODED_SEP, ENVOY_PLAIN_400)),
    Case("encoded backslash", "/public/..%5Cx", [], 400, "path_invalid", "invalid_request",
         dev=Dev(ENCODED_SEP, ENVOY_PLAIN_400)),
    Case("encoded NUL", "/a%00b", [], 400, "path_invalid", "invalid_request",
         dev=Dev(ENCODED_SEP, ENVOY_PLAIN_400)),
    Case("escape hex case", "/public/a%3fb", [], 200, path="/public/a%3Fb",
         dev=Dev("the worker forwards the path the core judged, whose escapes are upper-cased (RFC 3986 "
                 "6.2.2.1: the same URI); Envoy forwards the escape as the client wrote it",
                 {"path": ("/public/a%3fb", "/public/a%3Fb")})),
    Case("fragment in the request target", "/public/a#frag", [], 200, path="/public/a",
         dev=Dev("Envoy's HTTP/1 codec refuses a '#' in the target with a plain 400; workerd's URL parser "
                 "drops the fragment, and the worker judges and forwards /public/a (the same path)",
                 {"status": (400, 200)})),
    Case("raw non-ASCII path bytes", b"/public/\xc3\xa9", [], 200, path="/public/%C3%A9",
         dev=Dev("Envoy refuses raw non-ASCII in the target (plain 400); workerd percent-encodes it (WHATWG "
                 "URL), so the core judges, and the worker forwards, /public/%C3%A9",
                 {"status": (400, 200)})),
    Case("raw '|' in the path", "/public/a|b", [], 200, path="/public/a|b",
         dev=Dev("Envoy's path normalisation percent-encodes '|' (not allowed in an RFC 3986 path); the WHATWG "
                 "URL parser leaves it, and the core accepts it raw, so the worker forwards it as sent; "
                 "the same rule judged both",
                 {"path": ("/public/a%7Cb", "/public/a|b")})),
    Case("raw backtick in the path", "/public/a`b", [], 400,
         dev=Dev("workerd's own HTTP parser refuses '`', '<' and '>' in the target ('invalid URI', before "
                 "the worker runs); Envoy percent-encodes them and passes /public/a%60b on",
                 {"status": (200, 400), "body": (None, "invalid URI"), "path": ("/public/a%60b", None)})),
    Case("asterisk target", "*", [], 401, "token_missing",
         dev=Dev("Envoy refuses an asterisk-form target for GET (plain 400); workerd hands the worker "
                 "a URL whose path is /*, which needs a token like any other path",
                 {"status": (400, 401), "body": ("Bad Request", "token_missing"),
                  "www-authenticate": (None, CHALLENGE[None]), "cache-control": (None, "no-store")})),
    # ---- header edits ---------------------------------------------------------------------
    Case("allowed: claims to headers, spoofed x-user replaced", "/x",
         bearer(KEYS.token({"roles": ["a", "b"]})) + [("x-user", "mallory"), ("x-other", "kept")], 200, path="/x"),
    Case("CRLF in a claim is never forwarded (no header injection)", "/x",
         bearer(KEYS.token({"evil": "x\r\nx-admin: true"})), 200, path="/x"),
    Case("non-ASCII claim is dropped", "/x", bearer(KEYS.token(sub="\u00e9ve")), 200, path="/x"),
    Case("over-long claim is dropped", "/x", bearer(KEYS.token(sub="a" * 5000)), 200, path="/x"),
    Case("tab inside a claim is kept", "/x", bearer(KEYS.token(sub="a\tb")), 200, path="/x"),
    Case("spaces around a claim: dropped by the core, so no host forwards a trimmed value", "/x",
         bearer(KEYS.token(sub=" alice ")), 200, path="/x"),
    Case("spoofed output headers on an allow_missing route", "/public/info",
         [("x-user", "admin"), ("x-jwt-payload", "e30"), ("x-cookie-user", "root"), ("x-roles", "[]")], 200,
         path="/public/info"),
    Case("lower-case bearer scheme", "/x", [("authorization", f"bearer {TOKEN}")], 200, path="/x"),
    Case("trailing spaces after the token", "/x", [("authorization", f"Bearer {TOKEN}   ")], 200, path="/x"),
    Case("empty authorization header", "/x", [("authorization", "")], 401, "token_missing"),
    Case("non-ASCII token bytes", "/x", [("authorization", b"Bearer \xc3\xa9")], 401, "token_malformed",
         "invalid_token"),
    Case("repeated non-credential header passes through", "/public/a", [("x-multi", "a"), ("x-multi", "b")], 200,
         path="/public/a"),
    Case("repeated authorization on the allow_missing route", "/public/a", bearer(TOKEN) + bearer(TOKEN), 400,
         "token_ambiguous", "invalid_request"),
    Case("authorization folded by a proxy", "/x", [("authorization", f"Bearer {TOKEN}, Bearer {TOKEN}")], 400,
         "token_ambiguous", "invalid_request"),
    Case("forward: true keeps the token header", "/fwd/a", bearer(TOKEN), 200, path="/fwd/a"),
    # ---- cookies and query parameters ------------------------------------------------------
    Case("token in a cookie", "/c/a", [("cookie", f"theme=dark; session={TOKEN}")], 200, path="/c/a"),
    Case("two session cookies in one header", "/c/a", [("cookie", f"session={TOKEN}; session={TOKEN}")], 400,
         "token_ambiguous", "invalid_request"),
    # A Fetch Headers object joins repeated fields with ", "; edgeward.js hands the core each
    # Cookie field again (splitting at ", ", which no RFC 6265 cookie holds), as Envoy does.
    Case("session cookie in a second Cookie header", "/c/a", [("cookie", "theme=dark"), ("cookie", f"session={TOKEN}")],
         200, path="/c/a",
         dev=Dev("same verdict and claims; but workerd sends the two Cookie fields upstream as one, joined "
                 "with ', ' (Fetch Headers), where Envoy forwards both fields",
                 {"h:cookie": (tuple(sorted(["theme=dark", f"session={TOKEN}"])), (f"theme=dark, session={TOKEN}",))})),
    Case("two Cookie headers each with a session", "/c/a", [("cookie", f"session={TOKEN}"), ("cookie", f"session={TOKEN}")],
         400, "token_ambiguous", "invalid_request"),
    Case("expired session in a second Cookie header on the allow_missing route", "/public/a",
         [("cookie", "theme=dark"), ("cookie", f"session={KEYS.token(exp=int(time.time()) - 300)}")],
         401, "token_expired", "invalid_token"),
    Case("token in a query parameter", f"/q/a?access_token={TOKEN}&x=1", [], 200,
         path=f"/q/a?access_token={TOKEN}&x=1"),
    Case("query parameter twice", f"/q/a?access_token={TOKEN}&access_token={TOKEN}", [], 400, "token_ambiguous",
         "invalid_request"),
    Case("empty query parameter", "/q/a?access_token=", [], 401, "token_malformed", "invalid_token"),
]


def send(port, target, headers, method="GET"):
    """One HTTP/1.1 request with the target and header bytes exactly as given."""
    t = target if isinstance(target, bytes) else target.encode()
    lines = [method.encode() + b" " + t + b" HTTP/1.1", b"Host: parity.test"]
    for k, v in headers:
        lines.append(k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("latin-1")))
    lines.append(b"Connection: close")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        r = http.client.HTTPResponse(s)
        r.begin()
        body = r.read()
        return r.status, [(k.lower(), v) for k, v in r.getheaders()], body
    finally:
        s.close()


def observe(port, case):
    status, headers, body = send(port, case.target, case.headers)
    h = dict(headers)
    try:
        echo = json.loads(body)
    except ValueError:
        echo = None
    if status == 200 and echo is not None and echo.get("upstream") == "edgeward-demo":
        got = {"status": status, "path": echo["path"]}
        compared = ({k.lower() for k, _ in case.headers} | CONTROLLED) - {"host"}
        for name in sorted(compared):
            got["h:" + name] = tuple(sorted(v for k, v in echo["headers"] if k == name))
        return got
    return {"status": status, "body": body.decode("latin-1"), "www-authenticate": h.get("www-authenticate"),
            "cache-control": h.get("cache-control")}


def require_builds():
    assert os.path.exists(WASM), f"{WASM} is missing: run scripts/build-envoy.sh"
    assert os.path.exists(WORKERD), f"{WORKERD} is missing: cd wasm/tests && npm ci (then install the tarball)"


@pytest.fixture(scope="module")
def hosts():
    require_builds()
    p = policy()
    up = upstream.serve(free_port())
    threading.Thread(target=up.serve_forever, daemon=True).start()
    envoy = worker = None
    try:
        envoy = Envoy(p).start()
        worker = Workerd(p, f"http://127.0.0.1:{up.server_address[1]}").start()
        yield envoy, worker
    finally:
        for h in (worker, envoy):
            if h:
                h.stop()
        up.shutdown()
        up.server_close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_answer_from_envoy_and_the_worker(hosts, case):
    compare(*hosts, case)


def compare(envoy, worker, case):
    e, w = observe(envoy.port, case), observe(worker.port, case)
    dev = case.dev.fields if case.dev else {}
    # The worker answers as the row says.
    assert w["status"] == case.status, w
    if case.reason is not None:
        challenge = CHALLENGE[case.error] if case.challenge and case.status != 503 else None
        assert (w["body"], w["www-authenticate"], w["cache-control"]) == (case.reason, challenge, "no-store"), w
    else:
        assert w.get("path") == case.path, w
    # A documented deviation is exactly as documented.
    for k, (want_e, want_w) in dev.items():
        assert (e.get(k), w.get(k)) == (want_e, want_w), f"deviation changed: {k}: envoy {e.get(k)!r}, worker {w.get(k)!r}"
    # Everything else is the same on both hosts.
    for k in sorted((set(e) & set(w)) - set(dev)):
        assert e[k] == w[k], f"{k}: envoy {e[k]!r} != worker {w[k]!r}"
    assert set(e) == set(w) or "status" in dev, (e, w)


# ---- signed cookies, signed URLs, session cookies ------------------------------------------------
#
# envoy/tests/test_cookies.py's table (Akamai tokens in a cookie, a header and the URL, Google signed
# URL and signed cookie, CloudFront signed URL and signed cookies, session cookies, from independent
# signers; spoofed X-Forwarded-For / Forwarded / CF-Connecting-IP from an untrusted peer), sent to both hosts with its policy. Both judge the client by the TCP peer
# (127.0.0.1): Envoy's `source.address` (use_remote_address); the worker's
# `request.cf.clientIp`, which self-hosted workerd fills in, or, with Cloudflare's edge modelled
# in front (workerd.py `cloudflare_peer`), the edge-set CF-Connecting-IP. Both forward X-Forwarded-For as the
# client sent it (envoy.yaml's skip_xff_append), so the allowed row that carries one compares
# equal too. Dot-segments are resolved by both before the core sees the path.

# Rows of that table where the hosts cannot agree: the worker's (status, reason) and the Dev.
COOKIE_DEVS = {
    "akamai header: two header fields are ambiguous": (403, "cookie_malformed", Dev(
        "a Fetch Headers object joins the two fields into one value with ', ', which the worker cannot "
        "undo for a token that may hold commas: the core sees one value repeating fields "
        "(cookie_malformed, as for two tokens a proxy joined); Envoy hands it each field (ambiguous). "
        "Both refuse",
        {"status": (400, 403), "body": ("token_ambiguous", "cookie_malformed")})),
}


def cookie_case(r):
    status, reason, dev = COOKIE_DEVS.get(r.name, (r.status, r.reason, None))
    return Case(r.name, r.target, r.headers, status, reason, path=r.path or r.target, dev=dev, challenge=False)


COOKIE_CASES = [cookie_case(r) for r in test_cookies.ROWS]
assert set(COOKIE_DEVS) <= {c.name for c in COOKIE_CASES}, "a pinned row is gone from test_cookies"


@pytest.fixture(scope="module", params=["self-hosted workerd", "Cloudflare edge modelled"])
def cookie_hosts(request, tmp_path_factory):
    require_builds()
    p = test_cookies.policy()
    peer = test_cookies.CLIENT if request.param.startswith("Cloudflare") else None
    up = upstream.serve(free_port())
    threading.Thread(target=up.serve_forever, daemon=True).start()
    envoy = worker = None
    try:
        envoy = test_cookies.start_envoy(tmp_path_factory.mktemp("parity-cookies"), p)
        worker = Workerd(p, f"http://127.0.0.1:{up.server_address[1]}", variables=test_cookies.SECRETS.env,
                         cloudflare_peer=peer).start()
        yield envoy, worker
    finally:
        for h in (worker, envoy):
            if h:
                h.stop()
        up.shutdown()
        up.server_close()


@pytest.mark.parametrize("case", COOKIE_CASES, ids=[c.name for c in COOKIE_CASES])
def test_same_answer_for_cookies_and_signed_urls(cookie_hosts, case):
    compare(*cookie_hosts, case)


def test_the_table_covers_every_reason_the_hosts_can_produce():
    # Every reason code of test_envoy's table, plus path_invalid, has a row here.
    seen = {c.reason for c in CASES if c.reason}
    assert {c[4] for c in test_envoy.CASES} | {"path_invalid", "token_missing"} <= seen
    cookie_reasons = {"cookie_missing", "cookie_malformed", "cookie_expired", "cookie_not_yet_valid",
                      "cookie_scope_mismatch", "cookie_ip_mismatch"}
    assert cookie_reasons <= {c.reason for c in COOKIE_CASES}
    # ... and every scheme answers them: CloudFront (URL and cookies) included, tossing too.
    cloudfront = [c for c in COOKIE_CASES if c.name.startswith("cloudfront")]
    assert cookie_reasons | {"signature_invalid", "key_not_found", "token_ambiguous"} <= {c.reason for c in cloudfront}
    allowed = {c.target.startswith("/cf/u/") for c in cloudfront if c.status == 200}
    assert allowed == {True, False}, "an allowed signed URL and an allowed set of signed cookies"


def test_allowed_request_details(hosts):
    # The rows compare Envoy and the worker; this pins what they both forward for the main row.
    envoy, worker = hosts
    case = next(c for c in CASES if c.name.startswith("allowed: claims"))
    for port in (envoy.port, worker.port):
        got = observe(port, case)
        assert got["h:x-user"] == ("alice",) and got["h:x-roles"] == ('["a","b"]',)
        assert got["h:x-other"] == ("kept",) and got["h:authorization"] == ()
    case = next(c for c in CASES if c.name.startswith("CRLF"))
    for port in (envoy.port, worker.port):
        got = observe(port, case)
        assert got["h:x-evil"] == () and got["h:x-admin"] == () and got["h:x-user"] == ("alice",)


def test_jwks_unavailable_then_keys(tmp_path):
    """A remote key set that cannot be fetched: both hosts answer 503 jwks_unavailable the same way,
    then accept the token once the set is served."""
    require_builds()
    server = JwksServer()
    server.mode = "down"
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "r1", "alg": "ES256"})
    server.doc = {"keys": [jwk]}
    p = {"version": 1, "realm": "api", "providers": {"idp": {
        "issuer": ISS, "audiences": ["api"],
        "remote_jwks": {"uri": f"http://127.0.0.1:{server.port}/jwks.json", "cluster": "jwks", "timeout_seconds": 1,
                        "cache_duration_seconds": 300, "unknown_kid_cooldown_seconds": 1}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]}
    with open(os.path.join(ROOT, "envoy", "envoy.yaml")) as f:
        tpl = tmp_path / "envoy.yaml"
        tpl.write_text(template_with_jwks_cluster(f.read(), server.port))
    up = upstream.serve(free_port())
    threading.Thread(target=up.serve_forever, daemon=True).start()
    envoy = worker = None
    try:
        envoy = Envoy(p, template=str(tpl)).start()
        worker = Workerd(p, f"http://127.0.0.1:{up.server_address[1]}").start()
        case = Case("remote", "/x", bearer(KEYS.token(key=key, kid="r1")), 503, "jwks_unavailable")
        e, w = observe(envoy.port, case), observe(worker.port, case)
        assert e == w == {"status": 503, "body": "jwks_unavailable", "www-authenticate": None,
                          "cache-control": "no-store"}
        server.mode = "ok"
        for port in (envoy.port, worker.port):
            deadline = time.time() + 6
            while observe(port, case)["status"] != 200 and time.time() < deadline:
                time.sleep(0.2)
        e, w = observe(envoy.port, case), observe(worker.port, case)
        assert e == w and e["status"] == 200 and e["path"] == "/x", (e, w)
    finally:
        for h in (worker, envoy):
            if h:
                h.stop()
        up.shutdown()
        up.server_close()
        server.stop()
