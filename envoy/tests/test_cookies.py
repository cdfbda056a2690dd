"""Signed cookies, signed URLs and session cookies through edgeward's .wasm in real Envoy.

Credentials come from signers that are not edgeward's (signers.py: Akamai's `akamai-edgeauth`,
Google's published signed-URL algorithm, AWS's botocore `CloudFrontSigner`, PyJWT for session
cookies), with keys drawn for this run and handed to Envoy the way an operator would:
environment variables that the policy names (`secret_from_env`, `secrets_from_env`) and
`vm_config.environment_variables.host_env_keys` passes into the VM; CloudFront's public keys
are inline in the policy (`public_key_pem`), as CloudFront's own key groups hold them.
Akamai tokens are read from the `__token__` cookie, a request header (`from_headers`) and, as URL
tokens, the `__token__` query parameter; Google's from the URL and the `Cloud-CDN-Cookie` cookie.

The client address. envoy/envoy.yaml sets `use_remote_address: true`, so the filter's
`source.address` is the TCP peer (here always 127.0.0.1), never an address Envoy took from
X-Forwarded-For. The core reads forwarded headers itself, and only when that peer is one of the
policy's `trusted_proxies`: the main policy trusts 10.0.0.0/8 (so 127.0.0.1 is an untrusted
client, and its X-Forwarded-For / Forwarded / CF-Connecting-IP are ignored); a second Envoy
trusts 127.0.0.1/32, so the same headers then name the client.

Dot-segments. The core refuses a raw path with `.`/`..` segments on a signed route
(`path_invalid`), but in Envoy that cannot happen: `normalize_path` resolves them before any
filter runs, and the filter judges, and the upstream gets, the resolved path. The rows below
pin that: climbing out of an ACL lands outside it (`cookie_scope_mismatch`), and a URL signed
for /g/v/a.mp4 reached through /g/x/../v/a.mp4 serves /g/v/a.mp4, the resource it was signed
for. (wasm/tests/node and the core's tests/credentials.rs show `path_invalid` on raw paths.)

Each module-scoped Envoy is stopped by its fixture, by PID (harness.Envoy.stop).
"""
import base64
import http.client
import json
import os
from dataclasses import dataclass, field

import pytest

from harness import Envoy, header, template_with
from signers import SESSION_COOKIE, Secrets, cloudfront_policy, now, target_of
from tokens import provider
from test_envoy import KEYS

ORIGIN = "https://cdn.example.com"
SESSION_ISS = "https://edge.test/session"
CLIENT = "127.0.0.1"  # every test request's TCP peer
ELSEWHERE = "198.51.100.7"  # another client (TEST-NET-2)
AKAMAI_HEADER = "x-akamai-token"  # the akheader provider's source (consumed: never forwarded)
SECRETS = Secrets()


def policy(trusted_proxies=("10.0.0.0/8",)):
    return {
        "version": 1,
        "realm": "api",
        "public_origin": ORIGIN,
        "trusted_proxies": list(trusted_proxies),
        "providers": {
            "idp": provider(KEYS, claim_to_headers=[{"header_name": "x-user", "claim": "sub"}]),
            "akamai": {"kind": "signed_cookie",
                       "signed": {"scheme": "akamai_edgeauth", "keys": [{"secret_from_env": "EDGEWARD_AKAMAI_KEY"}]},
                       "claim_to_headers": [{"header_name": "x-token-data", "claim": "data"},
                                            {"header_name": "x-token-ip", "claim": "ip"}]},
            # The same Akamai key, the token in a request header instead (from_headers replaces
            # the default __token__ cookie), and as URL tokens in the default __token__ parameter.
            "akheader": {"kind": "signed_cookie",
                         "signed": {"scheme": "akamai_edgeauth", "keys": [{"secret_from_env": "EDGEWARD_AKAMAI_KEY"}]},
                         "from_headers": [{"name": AKAMAI_HEADER}],
                         "claim_to_headers": [{"header_name": "x-token-data", "claim": "data"}]},
            "akurl": {"kind": "signed_url",
                      "signed": {"scheme": "akamai_edgeauth", "keys": [{"secret_from_env": "EDGEWARD_AKAMAI_KEY"}]},
                      "claim_to_headers": [{"header_name": "x-token-data", "claim": "data"}]},
            "gurl": {"kind": "signed_url",
                     "signed": {"scheme": "google_cloud_cdn",
                                "keys": [{"name": "edge-key", "secret_from_env": "EDGEWARD_GOOGLE_KEY"}]},
                     "claim_to_headers": [{"header_name": "x-key-name", "claim": "kid"}]},
            "gcookie": {"kind": "signed_cookie",
                        "signed": {"scheme": "google_cloud_cdn",
                                   "keys": [{"name": "edge-key", "secret_from_env": "EDGEWARD_GOOGLE_KEY"}]},
                        "claim_to_headers": [{"header_name": "x-gc-key", "claim": "kid"},
                                             {"header_name": "x-gc-prefix", "claim": "url_prefix"}]},
            "cfurl": {"kind": "signed_url", "signed": {"scheme": "cloudfront", "keys": SECRETS.cloudfront_keys()},
                      "claim_to_headers": [{"header_name": "x-cf-key", "claim": "kid"}]},
            "cfcookie": {"kind": "signed_cookie", "signed": {"scheme": "cloudfront", "keys": SECRETS.cloudfront_keys()},
                         "claim_to_headers": [{"header_name": "x-cf-resource", "claim": "resource"},
                                              {"header_name": "x-cf-ip", "claim": "ip"}]},
            "session": {"kind": "session_cookie", "issuer": SESSION_ISS, "audiences": ["app"],
                        "secrets_from_env": [{"env": "EDGEWARD_SESSION_KEY", "alg": "HS256", "kid": "s1"}],
                        "session": {"lifetime_seconds": 600, "bind_client_ip": True},
                        "claim_to_headers": [{"header_name": "x-session-user", "claim": "sub"}]},
        },
        "rules": [
            {"match": {"prefix": "/ak/"}, "requires": {"provider_name": "akamai"}},
            {"match": {"prefix": "/akh/"}, "requires": {"provider_name": "akheader"}},
            {"match": {"prefix": "/aku/"}, "requires": {"provider_name": "akurl"}},
            {"match": {"prefix": "/g/"}, "requires": {"provider_name": "gurl"}},
            {"match": {"prefix": "/gc/"}, "requires": {"provider_name": "gcookie"}},
            {"match": {"prefix": "/cf/u/"}, "requires": {"provider_name": "cfurl"}},
            {"match": {"prefix": "/cf/"}, "requires": {"provider_name": "cfcookie"}},
            {"match": {"prefix": "/app/"}, "requires": {"requires_any": [
                {"provider_name": "session"}, {"provider_name": "idp"}]}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}},
        ],
    }


# Headers the policy sets or consumes: checked on every allow (None: must not reach the upstream).
OUTPUTS = ("x-user", "x-token-data", "x-token-ip", "x-key-name", "x-session-user", "x-cf-key", "x-cf-resource",
           "x-cf-ip", "x-gc-key", "x-gc-prefix", AKAMAI_HEADER)


@dataclass
class Row:
    name: str
    target: str
    headers: list
    status: int
    reason: str = None  # a denial's body
    up: dict = field(default_factory=dict)  # an allow: output headers the upstream must get
    path: str = None  # an allow: the path the upstream must get (default: the target)


def cookie(name, value):
    return [("cookie", f"{name}={value}")]


def token(value):
    return cookie("__token__", value)


def xff(addr):
    return [("x-forwarded-for", addr)]


def gcookie(*values):
    """Cloud-CDN-Cookie values, all in one Cookie header."""
    return [("cookie", "; ".join(f"Cloud-CDN-Cookie={v}" for v in values))]


def resigned(value, sep):
    """`value` with its base64url signature (after `sep`) changed in its first character, so it
    stays canonical base64 (the last character's unused bits are untouched) but no longer verifies."""
    head, sig = value.rsplit(sep, 1)
    return f"{head}{sep}{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"


def widened(value, sep, prefix):
    """A Google credential (cookie value, or URL whose signing parameters start at URLPrefix=)
    with its URLPrefix replaced by `prefix`, the signature left as it was."""
    head, rest = value.split("URLPrefix=", 1)
    return f"{head}URLPrefix={base64.urlsafe_b64encode(prefix.encode()).decode()}{sep}{rest.split(sep, 1)[1]}"


def cf_cookies(pairs):
    """CloudFront's cookies in one Cookie header."""
    return [("cookie", "; ".join(f"{n}={v}" for n, v in pairs))]


def session(cip=CLIENT, **kw):
    return cookie(SESSION_COOKIE, SECRETS.session_cookie(SESSION_ISS, "app", cip=cip, **kw))


def _rows():
    s, t = SECRETS, now()
    ak = s.akamai("/ak/*", data="tier-gold")
    videos = s.akamai("/ak/videos/*")
    ak_url = s.akamai_url("/aku/v/a.ts", data="tier-url")
    gprefix = f"{ORIGIN}/gc/videos/"
    gc = s.google_cookie(gprefix)
    signed = s.google_url(f"{ORIGIN}/g/v/a.mp4?quality=hd")
    prefixed = s.google_url_prefix(f"{ORIGIN}/g/videos/seg-1.ts", f"{ORIGIN}/g/videos/")
    outside = s.google_url_prefix(f"{ORIGIN}/g/private/seg-1.ts", f"{ORIGIN}/g/videos/")
    bearer = [("authorization", f"Bearer {KEYS.token()}")]
    rsa_id, ec_id = s.cloudfront["rsa"].id, s.cloudfront["ecdsa"].id
    cf_canned = target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/v/a.mp4?quality=hd"), ORIGIN)
    cf_custom = target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/videos/a.ts", key="ecdsa", sha256=True,
                                           policy=cloudfront_policy(f"{ORIGIN}/cf/u/videos/*", start=t - 5)), ORIGIN)
    cf_url_elsewhere = target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/v/a.mp4", policy=cloudfront_policy(
        f"{ORIGIN}/cf/u/*", ip="198.51.100.0/24")), ORIGIN)
    wild = f"{ORIGIN}/cf/*"
    here = s.cloudfront_cookies(wild, ip=f"{CLIENT}/32")
    here_ec = s.cloudfront_cookies(wild, ip=f"{CLIENT}/32", key="ecdsa", sha256=True)
    cf_videos = s.cloudfront_cookies(f"{ORIGIN}/cf/videos/*")
    there = s.cloudfront_cookies(wild, ip="198.51.100.0/24")
    other_policy = dict(s.cloudfront_cookies(f"{ORIGIN}/*", ip=f"{CLIENT}/32"))["CloudFront-Policy"]
    cf_tampered = [(n, other_policy if n == "CloudFront-Policy" else v) for n, v in here]
    return [
        # ---- Akamai EdgeAuth token in the __token__ cookie ---------------------------------
        Row("akamai: valid, spoofed output header replaced", "/ak/a.ts",
            token(ak) + [("x-token-data", "forged")], 200, up={"x-token-data": "tier-gold"}),
        Row("akamai: among other cookies", "/ak/a.ts", [("cookie", f"theme=dark; __token__={ak}; lang=en")], 200,
            up={"x-token-data": "tier-gold"}),
        # docs/policy.md section 16: a cookie value wrapped in double quotes loses them.
        Row("akamai: quoted cookie value", "/ak/a.ts", [("cookie", f'theme=dark; __token__="{ak}"')], 200,
            up={"x-token-data": "tier-gold"}),
        # Cookies are split on ';' only: a comma in a signed data= field is part of the value
        # (Akamai's signer leaves commas unescaped unless escape_early).
        Row("akamai: a comma in data= inside the cookie", "/ak/a.ts", token(s.akamai("/ak/*", data="gold,hd")), 200,
            up={"x-token-data": "gold,hd"}),
        Row("akamai: missing", "/ak/a.ts", [], 403, "cookie_missing"),
        Row("akamai: tampered data", "/ak/a.ts", token(ak.replace("data=tier-gold", "data=tier-platinum")), 403,
            "signature_invalid"),
        Row("akamai: wrong key", "/ak/a.ts", token(s.akamai("/ak/*", key=os.urandom(32).hex())), 403,
            "signature_invalid"),
        Row("akamai: expired", "/ak/a.ts", token(s.akamai("/ak/*", start=t - 600, end=t - 60)), 403, "cookie_expired"),
        Row("akamai: not yet valid", "/ak/a.ts", token(s.akamai("/ak/*", start=t + 300, end=t + 900)), 403,
            "cookie_not_yet_valid"),
        Row("akamai: outside the ACL", "/ak/music/x.mp3", token(videos), 403, "cookie_scope_mismatch"),
        Row("akamai: dot-dot out of the ACL is resolved first, then outside it", "/ak/videos/../music/x.mp3",
            token(videos), 403, "cookie_scope_mismatch"),
        Row("akamai: encoded dot-dot out of the ACL likewise", "/ak/videos/%2e%2e/music/x.mp3", token(videos), 403,
            "cookie_scope_mismatch"),
        Row("akamai: dot-dot inside the ACL: the resolved path is judged and served", "/ak/videos/a/../b.ts",
            token(videos), 200, path="/ak/videos/b.ts"),
        Row("akamai: malformed", "/ak/a.ts", token("exp=1"), 403, "cookie_malformed"),
        Row("akamai: cookie tossing, twice in one Cookie header", "/ak/a.ts",
            [("cookie", f"__token__={ak}; __token__={videos}")], 400, "token_ambiguous"),
        Row("akamai: cookie tossing, a second Cookie header", "/ak/a.ts", token(ak) + token(videos), 400,
            "token_ambiguous"),
        # IP binding: the peer is 127.0.0.1, which the policy does not trust.
        Row("akamai: bound to this client", "/ak/a.ts", token(s.akamai("/ak/*", ip=CLIENT)), 200,
            up={"x-token-ip": CLIENT}),
        Row("akamai: bound to another client", "/ak/a.ts", token(s.akamai("/ak/*", ip=ELSEWHERE)), 403,
            "cookie_ip_mismatch"),
        Row("akamai: bound to another client, spoofed X-Forwarded-For from an untrusted peer", "/ak/a.ts",
            token(s.akamai("/ak/*", ip=ELSEWHERE)) + xff(ELSEWHERE), 403, "cookie_ip_mismatch"),
        Row("akamai: bound to another client, spoofed Forwarded", "/ak/a.ts",
            token(s.akamai("/ak/*", ip=ELSEWHERE)) + [("forwarded", f"for={ELSEWHERE}")], 403, "cookie_ip_mismatch"),
        Row("akamai: bound to another client, spoofed CF-Connecting-IP", "/ak/a.ts",
            token(s.akamai("/ak/*", ip=ELSEWHERE)) + [("cf-connecting-ip", ELSEWHERE)], 403, "cookie_ip_mismatch"),
        Row("akamai: bound to this client, X-Forwarded-For naming another is ignored", "/ak/a.ts",
            token(s.akamai("/ak/*", ip=CLIENT)) + xff(ELSEWHERE), 200, up={"x-token-ip": CLIENT}),
        # ---- Akamai EdgeAuth token in a request header (from_headers) --------------------------
        Row("akamai header: valid, the header consumed", "/akh/a.ts", [(AKAMAI_HEADER, s.akamai("/akh/*", data="hdr"))],
            200, up={"x-token-data": "hdr"}),
        Row("akamai header: outside the ACL", "/akh/music/x.mp3", [(AKAMAI_HEADER, s.akamai("/akh/videos/*"))], 403,
            "cookie_scope_mismatch"),
        Row("akamai header: the default __token__ cookie is not read", "/akh/a.ts", token(s.akamai("/akh/*")), 403,
            "cookie_missing"),
        # docs/policy.md section 16: an Akamai header is one token, commas and all (a JWT header
        # is split on commas); two header fields are two credentials.
        Row("akamai header: a comma in data= is part of the token", "/akh/a.ts",
            [(AKAMAI_HEADER, s.akamai("/akh/*", data="gold,hd"))], 200, up={"x-token-data": "gold,hd"}),
        Row("akamai header: two header fields are ambiguous", "/akh/a.ts",
            [(AKAMAI_HEADER, s.akamai("/akh/*")), (AKAMAI_HEADER, s.akamai("/akh/*", data="x"))], 400,
            "token_ambiguous"),
        # (the joined value repeats fields, so it is not even a well-formed token)
        Row("akamai header: two tokens joined by a comma are refused", "/akh/a.ts",
            [(AKAMAI_HEADER, s.akamai("/akh/*") + ", " + s.akamai("/akh/*", data="x"))], 403,
            "cookie_malformed"),
        # ---- Akamai EdgeAuth URL token (?__token__=; the path is signed, not carried) -----------
        Row("akamai url: valid", f"/aku/v/a.ts?__token__={ak_url}", [], 200, up={"x-token-data": "tier-url"}),
        Row("akamai url: presented for another path", f"/aku/v/b.ts?__token__={ak_url}", [], 403,
            "signature_invalid"),
        Row("akamai url: missing", "/aku/v/a.ts", [], 403, "cookie_missing"),
        # ---- Google Cloud CDN signed cookie (Cloud-CDN-Cookie: URLPrefix:Expires:KeyName:Signature) --
        Row("google cookie: valid, spoofed output header replaced", "/gc/videos/a.ts",
            gcookie(gc) + [("x-gc-prefix", f"{ORIGIN}/")], 200, up={"x-gc-key": "edge-key", "x-gc-prefix": gprefix}),
        Row("google cookie: among other cookies", "/gc/videos/hd/b.ts",
            [("cookie", f"theme=dark; Cloud-CDN-Cookie={gc}; lang=en")], 200,
            up={"x-gc-key": "edge-key", "x-gc-prefix": gprefix}),
        Row("google cookie: tampered signature", "/gc/videos/a.ts", gcookie(resigned(gc, ":Signature=")), 403,
            "signature_invalid"),
        Row("google cookie: tampered prefix", "/gc/videos/a.ts", gcookie(widened(gc, ":", f"{ORIGIN}/gc/")),
            403, "signature_invalid"),
        Row("google cookie: wrong key under the same KeyName", "/gc/videos/a.ts",
            gcookie(s.google_cookie(gprefix, key_b64=base64.urlsafe_b64encode(os.urandom(16)).decode())), 403,
            "signature_invalid"),
        Row("google cookie: unknown key name", "/gc/videos/a.ts", gcookie(s.google_cookie(gprefix, key_name="other")),
            403, "key_not_found"),
        Row("google cookie: expired", "/gc/videos/a.ts", gcookie(s.google_cookie(gprefix, expires=t - 1)), 403,
            "cookie_expired"),
        Row("google cookie: outside the prefix", "/gc/private/a.ts", gcookie(gc), 403, "cookie_scope_mismatch"),
        Row("google cookie: dot-dot out of the prefix is resolved first, then outside it",
            "/gc/videos/../private/a.ts", gcookie(gc), 403, "cookie_scope_mismatch"),
        Row("google cookie: cookie tossing, twice in one Cookie header", "/gc/videos/a.ts",
            gcookie(gc, s.google_cookie(f"{ORIGIN}/gc/")), 400, "token_ambiguous"),
        Row("google cookie: cookie tossing, a second Cookie header", "/gc/videos/a.ts",
            gcookie(gc) + gcookie(s.google_cookie(f"{ORIGIN}/gc/")), 400, "token_ambiguous"),
        Row("google cookie: malformed", "/gc/videos/a.ts", gcookie(gc + ":x"), 403, "cookie_malformed"),
        Row("google cookie: missing", "/gc/videos/a.ts", [], 403, "cookie_missing"),
        # ---- Google Cloud CDN signed URLs (checked against public_origin + the raw target) -----
        Row("google: valid (Host is 127.0.0.1, the URL is judged against public_origin)", target_of(signed, ORIGIN),
            [], 200, up={"x-key-name": "edge-key"}),
        Row("google: tampered path", target_of(signed, ORIGIN).replace("a.mp4", "b.mp4"), [], 403,
            "signature_invalid"),
        Row("google: tampered query", target_of(signed, ORIGIN).replace("quality=hd", "quality=4k"), [], 403,
            "signature_invalid"),
        Row("google: expired", target_of(s.google_url(f"{ORIGIN}/g/v/a.mp4", expires=t - 1), ORIGIN), [], 403,
            "cookie_expired"),
        Row("google: unknown key name", target_of(s.google_url(f"{ORIGIN}/g/v/a.mp4", key_name="other"), ORIGIN), [],
            403, "key_not_found"),
        Row("google: signed for another origin", target_of(s.google_url("http://127.0.0.1/g/v/a.mp4"),
                                                           "http://127.0.0.1"), [], 403, "signature_invalid"),
        Row("google: URL prefix", target_of(prefixed, ORIGIN), [], 200, up={"x-key-name": "edge-key"}),
        Row("google: URL prefix, URL outside it", target_of(outside, ORIGIN), [], 403, "cookie_scope_mismatch"),
        Row("google: URL prefix, tampered prefix", target_of(widened(prefixed, "&", f"{ORIGIN}/g/"),
                                                                     ORIGIN), [], 403, "signature_invalid"),
        Row("google: URL prefix, tampered signature", target_of(resigned(prefixed, "&Signature="), ORIGIN), [], 403,
            "signature_invalid"),
        Row("google: missing", "/g/v/a.mp4", [], 403, "cookie_missing"),
        Row("google: malformed", "/g/v/a.mp4?Expires=1", [], 403, "cookie_malformed"),
        Row("google: dot-dot resolved first, so the signed resource is what is served",
            target_of(signed, ORIGIN).replace("/g/v/", "/g/x/../v/"), [], 200,
            up={"x-key-name": "edge-key"}, path=target_of(signed, ORIGIN)),
        # ---- AWS CloudFront signed URLs (botocore; judged against public_origin + the raw target) --
        Row("cloudfront url: canned, RSA SHA-1", cf_canned, [], 200, up={"x-cf-key": rsa_id}),
        Row("cloudfront url: canned, ECDSA P-256 SHA-256",
            target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/v/a.mp4", key="ecdsa", sha256=True), ORIGIN), [], 200,
            up={"x-cf-key": ec_id}),
        Row("cloudfront url: custom policy, wildcard resource", cf_custom, [], 200, up={"x-cf-key": ec_id}),
        Row("cloudfront url: custom policy, another path under the wildcard", cf_custom.replace("a.ts", "hd/b.ts"),
            [], 200, up={"x-cf-key": ec_id}),
        Row("cloudfront url: tampered path", cf_canned.replace("a.mp4", "b.mp4"), [], 403, "signature_invalid"),
        Row("cloudfront url: tampered query", cf_canned.replace("quality=hd", "quality=4k"), [], 403,
            "signature_invalid"),
        Row("cloudfront url: tampered Expires", cf_canned.replace("Expires=", "Expires=1"), [], 403,
            "signature_invalid"),
        Row("cloudfront url: SHA-256 requested of a SHA-1 signature", cf_canned + "&Hash-Algorithm=SHA256", [], 403,
            "signature_invalid"),
        Row("cloudfront url: signed by another key", target_of(s.cloudfront_url(
            f"{ORIGIN}/cf/u/v/a.mp4", private=s.cloudfront["ecdsa"].private, key_pair_id=rsa_id), ORIGIN), [], 403,
            "signature_invalid"),
        Row("cloudfront url: expired", target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/v/a.mp4", expires=t - 1), ORIGIN),
            [], 403, "cookie_expired"),
        Row("cloudfront url: unknown key pair id", target_of(s.cloudfront_url(f"{ORIGIN}/cf/u/v/a.mp4",
                                                                            key_pair_id="KUNKNOWNKEY0001"), ORIGIN),
            [], 403, "key_not_found"),
        Row("cloudfront url: signed for another origin", target_of(s.cloudfront_url("http://127.0.0.1/cf/u/v/a.mp4"),
                                                                   "http://127.0.0.1"), [], 403, "signature_invalid"),
        Row("cloudfront url: custom policy, path outside the resource", cf_custom.replace("/videos/", "/private/"), [],
            403, "cookie_scope_mismatch"),
        Row("cloudfront url: IP-bound to another block, spoofed X-Forwarded-For from an untrusted peer",
            cf_url_elsewhere, xff("198.51.100.7"), 403, "cookie_ip_mismatch"),
        Row("cloudfront url: a parameter after the signature", cf_canned + "&x=1", [], 403, "cookie_malformed"),
        Row("cloudfront url: missing", "/cf/u/v/a.mp4", [], 403, "cookie_missing"),
        # ---- AWS CloudFront signed cookies (CloudFront-Policy/-Signature/-Key-Pair-Id: one credential)
        Row("cloudfront cookies: custom policy, wildcard resource, IP 127.0.0.1/32", "/cf/a/b.ts", cf_cookies(here),
            200, up={"x-cf-resource": wild, "x-cf-ip": f"{CLIENT}/32"}),
        Row("cloudfront cookies: the same, ECDSA P-256 SHA-256", "/cf/c.ts", cf_cookies(here_ec), 200,
            up={"x-cf-resource": wild, "x-cf-ip": f"{CLIENT}/32"}),
        Row("cloudfront cookies: among other cookies, spoofed output header replaced", "/cf/a/b.ts",
            [("cookie", f"theme=dark; {cf_cookies(here)[0][1]}; lang=en"), ("x-cf-ip", "0.0.0.0/0")], 200,
            up={"x-cf-resource": wild, "x-cf-ip": f"{CLIENT}/32"}),
        Row("cloudfront cookies: canned, for one URL", "/cf/v/a.mp4",
            cf_cookies(s.cloudfront_cookies(None, url=f"{ORIGIN}/cf/v/a.mp4")), 200),
        Row("cloudfront cookies: canned, another URL", "/cf/v/b.mp4",
            cf_cookies(s.cloudfront_cookies(None, url=f"{ORIGIN}/cf/v/a.mp4")), 403, "signature_invalid"),
        Row("cloudfront cookies: tampered policy", "/cf/a/b.ts", cf_cookies(cf_tampered), 403, "signature_invalid"),
        Row("cloudfront cookies: expired", "/cf/a/b.ts", cf_cookies(s.cloudfront_cookies(wild, expires=t - 60)), 403,
            "cookie_expired"),
        Row("cloudfront cookies: not yet valid", "/cf/a/b.ts",
            cf_cookies(s.cloudfront_cookies(wild, start=t + 300)), 403, "cookie_not_yet_valid"),
        Row("cloudfront cookies: outside the resource", "/cf/music/x.mp3", cf_cookies(cf_videos), 403,
            "cookie_scope_mismatch"),
        Row("cloudfront cookies: unknown key pair id", "/cf/a/b.ts",
            cf_cookies(s.cloudfront_cookies(wild, key_pair_id="KUNKNOWNKEY0001")), 403, "key_not_found"),
        Row("cloudfront cookies: IP-bound to another block", "/cf/a/b.ts", cf_cookies(there), 403, "cookie_ip_mismatch"),
        Row("cloudfront cookies: IP-bound to another block, spoofed X-Forwarded-For from an untrusted peer",
            "/cf/a/b.ts", cf_cookies(there) + xff(ELSEWHERE), 403, "cookie_ip_mismatch"),
        Row("cloudfront cookies: IP-bound to another block, spoofed Forwarded", "/cf/a/b.ts",
            cf_cookies(there) + [("forwarded", f"for={ELSEWHERE}")], 403, "cookie_ip_mismatch"),
        Row("cloudfront cookies: tossing, a second CloudFront-Key-Pair-Id", "/cf/a/b.ts",
            [("cookie", f"{cf_cookies(here)[0][1]}; CloudFront-Key-Pair-Id={ec_id}")], 400, "token_ambiguous"),
        Row("cloudfront cookies: tossing, a second set in a second Cookie header", "/cf/a/b.ts",
            cf_cookies(here) + cf_cookies(here_ec), 400, "token_ambiguous"),
        Row("cloudfront cookies: one missing", "/cf/a/b.ts", cf_cookies(here[:2]), 403, "cookie_malformed"),
        Row("cloudfront cookies: missing", "/cf/a/b.ts", [], 403, "cookie_missing"),
        # ---- edgeward session cookies, bound to the client (route: session or IdP token) ---------
        Row("session: valid, bound to this client", "/app/a", session(), 200, up={"x-session-user": "alice"}),
        Row("session: bound to another client", "/app/a", session(cip=ELSEWHERE), 401, "cookie_ip_mismatch"),
        Row("session: bound to another client, spoofed X-Forwarded-For", "/app/a", session(cip=ELSEWHERE) + xff(ELSEWHERE),
            401, "cookie_ip_mismatch"),
        Row("session: not bound at all", "/app/a", session(cip=None), 401, "cookie_ip_mismatch"),
        Row("session: expired", "/app/a", session(iat=t - 900, exp=t - 300), 401, "cookie_expired"),
        Row("session: another issuer", "/app/a", cookie(SESSION_COOKIE, s.session_cookie("https://idp.test", "app",
                                                                                          cip=CLIENT)),
            401, "cookie_scope_mismatch"),
        Row("session: not the session typ", "/app/a", session(typ="JWT"), 401, "typ_not_allowed"),
        Row("session: wrong key", "/app/a", session(key=os.urandom(32)), 401, "signature_invalid"),
        Row("session: two session cookies", "/app/a", session() + session(), 400, "token_ambiguous"),
        Row("session route: an IdP bearer token instead", "/app/a", bearer, 200, up={"x-user": "alice"}),
    ]


ROWS = _rows()


def row_named(name):
    return next(r for r in ROWS if r.name == name)


def cookie_template(tmp_path):
    """envoy/envoy.yaml with the VM given the keys' environment variables (by name; the values
    stay in Envoy's environment, out of its configuration and config dump)."""
    keys = ", ".join(SECRETS.env)
    return template_with(tmp_path, "                  vm_id: edgeward\n",
                         "                  vm_id: edgeward\n"
                         "                  environment_variables:\n"
                         f"                    host_env_keys: [{keys}]\n")


def start_envoy(tmp_path, p):
    old = {k: os.environ.get(k) for k in SECRETS.env}
    os.environ.update(SECRETS.env)
    try:
        return Envoy(p, template=cookie_template(tmp_path)).start()
    finally:
        # Envoy copied its environment at start; nothing else in this process needs the keys.
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def envoy(tmp_path_factory):
    e = start_envoy(tmp_path_factory.mktemp("cookies"), policy())
    yield e
    e.stop()


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """The same policy trusting 127.0.0.1/32: the test client plays a trusted proxy."""
    e = start_envoy(tmp_path_factory.mktemp("proxied"), policy(trusted_proxies=["127.0.0.1/32"]))
    yield e
    e.stop()


def check(e, row):
    status, h, body = e.request(row.target, row.headers)
    if row.reason is not None:
        assert (status, body.decode()) == (row.status, row.reason), row.name
        assert header(h, "www-authenticate") is None, "no Bearer challenge for signed or session cookies"
        assert header(h, "cache-control") == "no-store"
        return None
    assert status == row.status, (row.name, body)
    up = e.upstream_headers(body)
    assert json.loads(body)["path"] == (row.path or row.target)
    for name in OUTPUTS:
        got = [v for k, v in up if k == name]
        want = [row.up[name]] if name in row.up else []
        assert got == want, (row.name, name, got)
    return up


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_signed_and_session_cookies_through_envoy(envoy, row):
    check(envoy, row)


def test_what_the_upstream_gets_besides_the_outputs(envoy):
    # Cookies are forwarded as sent, the signed one included: `forward: false` removes a
    # consumed Authorization-style header, and a Cookie header carries the origin's other
    # cookies too (the core removes header sources only).
    row = row_named("akamai: among other cookies")
    up = check(envoy, row)
    assert [v for k, v in up if k == "cookie"] == [row.headers[0][1]]
    # skip_xff_append: X-Forwarded-For reaches the upstream as the client sent it (the filter
    # judged the client by the TCP peer alone); Envoy names that peer in
    # x-envoy-external-address, overwriting a client's own.
    row = row_named("akamai: bound to this client, X-Forwarded-For naming another is ignored")
    up = check(envoy, Row(row.name, row.target, row.headers + [("x-envoy-external-address", ELSEWHERE)],
                          row.status, up=row.up))
    assert [v for k, v in up if k == "x-forwarded-for"] == [ELSEWHERE]
    assert [v for k, v in up if k == "x-envoy-external-address"] == [CLIENT]


def test_behind_a_trusted_proxy_forwarded_headers_name_the_client(behind_proxy):
    s = SECRETS
    bound = token(s.akamai("/ak/*", ip=ELSEWHERE))
    rows = [
        # The proxy (127.0.0.1) forwards for 198.51.100.7: the first untrusted hop from the
        # right is the client.
        Row("bound client via X-Forwarded-For", "/ak/a.ts", bound + xff(ELSEWHERE), 200, up={"x-token-ip": ELSEWHERE}),
        Row("bound client via Forwarded", "/ak/a.ts", bound + [("forwarded", f"for={ELSEWHERE}")], 200,
            up={"x-token-ip": ELSEWHERE}),
        Row("a spoofed hop left of the real client is not read", "/ak/a.ts", bound + xff(f"203.0.113.66, {ELSEWHERE}"),
            200, up={"x-token-ip": ELSEWHERE}),
        Row("the proxy's own request (nothing forwarded): the client is the proxy", "/ak/a.ts", bound, 403,
            "cookie_ip_mismatch"),
        Row("forwarded for someone else", "/ak/a.ts", bound + xff("203.0.113.66"), 403, "cookie_ip_mismatch"),
        Row("X-Forwarded-For and Forwarded disagree: the client is unknown", "/ak/a.ts",
            bound + xff(ELSEWHERE) + [("forwarded", "for=203.0.113.66")], 403, "cookie_ip_mismatch"),
        Row("a token bound to the proxy is not the forwarded client's", "/ak/a.ts",
            token(s.akamai("/ak/*", ip=CLIENT)) + xff(ELSEWHERE), 403, "cookie_ip_mismatch"),
        Row("cloudfront cookies bound to the forwarded client", "/cf/a.ts",
            cf_cookies(s.cloudfront_cookies(f"{ORIGIN}/cf/*", ip=ELSEWHERE)) + xff(ELSEWHERE), 200,
            up={"x-cf-resource": f"{ORIGIN}/cf/*", "x-cf-ip": f"{ELSEWHERE}/32"}),
        Row("cloudfront cookies bound to the forwarded client, sent directly", "/cf/a.ts",
            cf_cookies(s.cloudfront_cookies(f"{ORIGIN}/cf/*", ip=ELSEWHERE)), 403, "cookie_ip_mismatch"),
        Row("session bound to the forwarded client", "/app/a", session(cip=ELSEWHERE) + xff(ELSEWHERE), 200,
            up={"x-session-user": "alice"}),
        Row("session bound to the forwarded client, sent directly", "/app/a", session(cip=ELSEWHERE), 401,
            "cookie_ip_mismatch"),
    ]
    for row in rows:
        check(behind_proxy, row)


def test_keys_stay_out_of_the_config_dump(envoy):
    c = http.client.HTTPConnection("127.0.0.1", envoy.admin, timeout=5)
    c.request("GET", "/config_dump")
    dump = c.getresponse().read().decode()
    assert "EDGEWARD_AKAMAI_KEY" in dump, "the dump names the variables"
    for v in SECRETS.env.values():
        assert v not in dump


def test_logs_never_contain_cookies(envoy):
    row = row_named("akamai: tampered data")
    envoy.request(row.target, row.headers)
    logs = envoy.logs()
    assert "edgeward: denied signature_invalid" in logs
    value = row.headers[0][1].split("=", 1)[1]
    assert value not in logs and "hmac=" not in logs
