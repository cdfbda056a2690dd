"""Make CDN signed-URL / signed-cookie / token cases for edgeward's tests/cdn.rs, with the vendors' signers.

Every run draws fresh random keys (os.urandom); the keys are written into the output because
the verifier needs them. They are THROWAWAY TEST KEYS that protect nothing.

- Akamai EdgeAuth (Auth Token 2.0): signed by Akamai's reference signer, the `akamai-edgeauth`
  package from PyPI (pinned to 0.3.2 in scripts/setup.sh), through its public API
  (`EdgeAuth(...).generate_acl_token` / `generate_url_token`).
- AWS CloudFront: signed URLs made by botocore's `CloudFrontSigner` (PyPI, pinned in
  scripts/setup.sh) through its public API (`generate_presigned_url`, `build_policy`), with the
  RSA / ECDSA signing callback it asks for written with the `cryptography` package (PKCS#1 v1.5 or
  ECDSA over SHA-1, its documented default, or SHA-256). botocore has no hash-algorithm option:
  for SHA-256 the callback hashes with SHA-256 and `&Hash-Algorithm=SHA256` is appended, as
  CloudFront's pages say to. botocore has no cookie API either: the cookie cases carry the
  values of a botocore-signed URL's parameters, which are the cookie values CloudFront defines.
  Only the public keys (PEM SubjectPublicKeyInfo) are written out; private keys stay in memory.
- Google Cloud CDN: signed by the algorithm exactly as Google's pages give it (there is no
  Google signing package): "Using signed URLs" (https://cloud.google.com/cdn/docs/using-signed-urls,
  "Programmatically creating signed URLs", incl. URL-prefix signed URLs) and "Using signed
  cookies" (https://cloud.google.com/cdn/docs/using-signed-cookies, "Creating a policy").
  Keys are 16 random bytes written as base64url with padding; the signature is the padded
  base64url HMAC-SHA1 of the signed string.

Each case carries the verifier's inputs and the expected outcome: "ok" (with the grant's
fields) or one of edgeward's `SignedError` codes. Times are fixed (NOW below), not the wall
clock, so an output file stays valid when kept for a look.

Usage: python gen_cdn.py OUT.json [--small]
--small keeps one case per error
code and scheme, and one accepted case per form (Google: URL, URL prefix, cookie; Akamai:
algorithm x ACL/URL x escape_early x salt x delimiters).
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
from importlib.metadata import version
from urllib.parse import parse_qs, urlsplit

from akamai.edgeauth import EdgeAuth
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

NOW = 1_800_000_000
EXP = NOW + 600


# ---------------------------------------------------------------- Google Cloud CDN (the pages' algorithm)

def google_key():
    return base64.urlsafe_b64encode(os.urandom(16)).decode()


def _sign(key_b64, message):
    digest = hmac.new(base64.urlsafe_b64decode(key_b64), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode("utf-8")


def google_sign_url(url, key_name, key_b64, expires):
    """Using signed URLs: append Expires and KeyName, sign the whole URL, append Signature."""
    stripped = url.strip()
    query = parse_qs(urlsplit(stripped).query, keep_blank_values=True)
    url_to_sign = f"{stripped}{'&' if query else '?'}Expires={expires}&KeyName={key_name}"
    return f"{url_to_sign}&Signature={_sign(key_b64, url_to_sign)}"


def google_sign_url_prefix(url, url_prefix, key_name, key_b64, expires):
    """Using signed URLs, URL prefix: sign `URLPrefix=..&Expires=..&KeyName=..` only."""
    encoded = base64.urlsafe_b64encode(url_prefix.strip().encode("utf-8")).decode("utf-8")
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    policy = f"URLPrefix={encoded}&Expires={expires}&KeyName={key_name}"
    return f"{url}{'&' if query else '?'}{policy}&Signature={_sign(key_b64, policy)}"


def google_sign_cookie(url_prefix, key_name, key_b64, expires):
    """Using signed cookies: the Cloud-CDN-Cookie value (the part after `Cloud-CDN-Cookie=`)."""
    encoded = base64.urlsafe_b64encode(url_prefix.strip().encode("utf-8")).decode("utf-8")
    policy = f"URLPrefix={encoded}:Expires={expires}:KeyName={key_name}"
    return f"{policy}:Signature={_sign(key_b64, policy)}"


def google_cases():
    k1, k2, stranger = google_key(), google_key(), google_key()
    keys = [["edge-key-1", k1], ["edge_key_2", k2]]
    out = []

    def case(name, kind, expect, now=NOW, **kw):
        c = {"name": name, "kind": kind, "now": now, "expect": expect}
        c.update(kw)
        out.append(c)

    def ok(prefix, key_name="edge-key-1"):
        return {"expires": EXP, "key_name": key_name, "prefix": prefix}

    base = "https://media.example.com/videos/intro.mp4"
    u = google_sign_url(base, "edge-key-1", k1, EXP)
    case("url", "url", "ok", url=u, grant=ok(None))
    u2 = google_sign_url(base + "?quality=hd&lang=en", "edge_key_2", k2, EXP)
    case("url with query", "url", "ok", url=u2, grant=ok(None, "edge_key_2"))
    case("url expired (now == Expires)", "url", "expired", now=EXP, url=u)
    case("url one second before Expires", "url", "ok", now=EXP - 1, url=u, grant=ok(None))
    case("url tampered path", "url", "signature_invalid", url=u.replace("intro", "outro"))
    case("url tampered Expires", "url", "signature_invalid",
         url=u.replace(f"Expires={EXP}", f"Expires={EXP + 1}"))
    case("url wrong key", "url", "signature_invalid", url=google_sign_url(base, "edge-key-1", stranger, EXP))
    case("url unknown key name", "url", "unknown_key", url=google_sign_url(base, "edge-key-9", k1, EXP))
    head, sig = u.rsplit("&Signature=", 1)
    case("url signature without padding", "url", "malformed", url=f"{head}&Signature={sig.rstrip('=')}")
    case("url trailing garbage", "url", "malformed", url=u + "&x=1")
    case("url duplicate Expires", "url", "malformed",
         url=google_sign_url(base + f"?Expires={EXP}", "edge-key-1", k1, EXP))

    prefix = "https://media.example.com/videos/"
    p = google_sign_url_prefix("https://media.example.com/videos/seg-001.ts", prefix, "edge-key-1", k1, EXP)
    case("url prefix", "url", "ok", url=p, grant=ok(prefix))
    p_out = google_sign_url_prefix("https://media.example.com/private/a.ts", prefix, "edge-key-1", k1, EXP)
    case("url prefix, URL outside it", "url", "scope_mismatch", url=p_out)
    case("url prefix expired", "url", "expired", now=EXP + 5, url=p)

    cookie = google_sign_cookie(prefix, "edge_key_2", k2, EXP)
    inside = "https://media.example.com/videos/seg-002.ts"
    case("cookie", "cookie", "ok", cookie=cookie, request_url=inside, grant=ok(prefix, "edge_key_2"))
    case("cookie outside prefix", "cookie", "scope_mismatch", cookie=cookie,
         request_url="https://media.example.com/videos2/a.ts")
    case("cookie expired", "cookie", "expired", now=EXP, cookie=cookie, request_url=inside)
    case("cookie wrong key", "cookie", "signature_invalid",
         cookie=google_sign_cookie(prefix, "edge_key_2", stranger, EXP), request_url=inside)
    case("cookie unknown key name", "cookie", "unknown_key",
         cookie=google_sign_cookie(prefix, "other", k2, EXP), request_url=inside)
    case("cookie tampered prefix", "cookie", "signature_invalid",
         cookie=cookie.replace(cookie.split(":")[0],
                               "URLPrefix=" + base64.urlsafe_b64encode(b"https://media.example.com/").decode()),
         request_url=inside)
    case("cookie trailing garbage", "cookie", "malformed", cookie=cookie + ":x", request_url=inside)
    return keys, out


# ---------------------------------------------------------------- Akamai EdgeAuth (the reference signer)

def akamai_key():
    return os.urandom(32).hex()


def akamai_cases():
    out = []

    def case(name, cfg, token, path, expect, client_ip=None, now=NOW, grant=None):
        c = {"name": name, "now": now, "token": token, "path": path, "client_ip": client_ip, "expect": expect}
        c.update(cfg)
        if grant is not None:
            c["grant"] = grant
        out.append(c)

    def cfg_of(key, algorithm="sha256", salt=None, fd="~", ad="!", escape_early=False):
        return {"key": key, "algorithm": algorithm, "salt": salt, "field_delimiter": fd,
                "acl_delimiter": ad, "escape_early": escape_early}

    def signer(cfg, **kw):
        return EdgeAuth(key=cfg["key"], algorithm=cfg["algorithm"], salt=cfg["salt"],
                        field_delimiter=cfg["field_delimiter"], acl_delimiter=cfg["acl_delimiter"],
                        escape_early=cfg["escape_early"], end_time=kw.pop("end_time", EXP), **kw)

    def grant(expires=EXP, start=None, ip=None, acl=None, url=None, id=None, data=None):
        return {"expires": expires, "start": start, "ip": ip, "acl": acl, "url": url, "id": id, "data": data}

    for alg in ["sha256", "sha1", "md5"]:
        cfg = cfg_of(akamai_key(), alg)
        t = signer(cfg).generate_acl_token("/videos/*")
        case(f"acl {alg}", cfg, t, "/videos/a/b.ts", "ok", grant=grant(acl=["/videos/*"]))
        case(f"acl {alg} outside", cfg, t, "/audio/a.mp3", "scope_mismatch")
        u = signer(cfg).generate_url_token("/downloads/file.zip")
        case(f"url {alg}", cfg, u, "/downloads/file.zip", "ok", grant=grant(url="/downloads/file.zip"))
        case(f"url {alg} other path", cfg, u, "/downloads/other.zip", "signature_invalid")
        other = dict(cfg, key=akamai_key())
        case(f"acl {alg} wrong key", other, t, "/videos/a/b.ts", "signature_invalid")

    cfg = cfg_of(akamai_key())
    # Several ACLs, wildcards, every optional field.
    t = signer(cfg, ip="203.0.113.7", start_time=NOW - 60, session_id="sess-42", payload="user=alice").generate_acl_token(
        ["/live/*/index.m3u8", "/live/?/seg-*.ts"])
    g = grant(start=NOW - 60, ip="203.0.113.7", acl=["/live/*/index.m3u8", "/live/?/seg-*.ts"], id="sess-42",
              data="user=alice")
    case("acl list, ip, st, id, data", cfg, t, "/live/a/seg-9.ts", "ok", client_ip="203.0.113.7", grant=g)
    case("acl list second entry ? is one byte", cfg, t, "/live/ab/seg-9.ts", "scope_mismatch", client_ip="203.0.113.7")
    case("acl list first entry", cfg, t, "/live/x/y/index.m3u8", "ok", client_ip="203.0.113.7",
         grant=g)
    case("wrong client ip", cfg, t, "/live/a/seg-9.ts", "ip_mismatch", client_ip="203.0.113.8")
    case("no client ip", cfg, t, "/live/a/seg-9.ts", "ip_mismatch")
    case("before st", cfg, t, "/live/a/seg-9.ts", "not_yet_valid", client_ip="203.0.113.7", now=NOW - 61)
    case("at st", cfg, t, "/live/a/seg-9.ts", "ok", client_ip="203.0.113.7", now=NOW - 60, grant=g)
    case("expired (now == exp)", cfg, t, "/live/a/seg-9.ts", "expired", client_ip="203.0.113.7", now=EXP)
    case("tampered acl", cfg, t.replace("/live/?/", "/live/*/"), "/live/a/seg-9.ts", "signature_invalid",
         client_ip="203.0.113.7")
    case("tampered exp", cfg, t.replace(f"exp={EXP}", f"exp={EXP + 1000}"), "/live/a/seg-9.ts",
         "signature_invalid", client_ip="203.0.113.7")
    fields, mac = t.rsplit("~hmac=", 1)
    flipped = ("0" if mac[0] != "0" else "1") + mac[1:]
    case("flipped hmac digit", cfg, f"{fields}~hmac={flipped}", "/live/a/seg-9.ts", "signature_invalid",
         client_ip="203.0.113.7")
    case("uppercase hmac", cfg, f"{fields}~hmac={mac.upper()}", "/live/a/seg-9.ts", "malformed",
         client_ip="203.0.113.7")
    case("trailing garbage", cfg, t + "~", "/live/a/seg-9.ts", "malformed", client_ip="203.0.113.7")
    case("duplicate id field", cfg, t.replace("~id=sess-42", "~id=sess-42~id=sess-42"), "/live/a/seg-9.ts",
         "malformed", client_ip="203.0.113.7")
    case("fields out of order", cfg, t.replace(f"st={NOW - 60}~exp={EXP}", f"exp={EXP}~st={NOW - 60}"),
         "/live/a/seg-9.ts", "malformed", client_ip="203.0.113.7")

    # Salt.
    cfg = cfg_of(akamai_key(), "md5", salt="s3cr3t-salt")
    u = signer(cfg).generate_url_token("/a/b.mp4")
    case("url md5 salt", cfg, u, "/a/b.mp4", "ok", grant=grant(url="/a/b.mp4"))
    case("url md5 salt, verifier without salt", dict(cfg, salt=None), u, "/a/b.mp4", "signature_invalid")
    cfg = cfg_of(akamai_key(), "sha256", salt="pepper")
    t = signer(cfg).generate_acl_token("/*")
    case("acl sha256 salt", cfg, t, "/anything", "ok", grant=grant(acl=["/*"]))

    # escape_early: ip, id, data and the URL are quote_plus-encoded with lower-case escapes.
    cfg = cfg_of(akamai_key(), "sha256", escape_early=True)
    path = "/media/a b/caf\u00e9.mp4"
    u = signer(cfg, ip="2001:db8::1", session_id="id/with space", payload="k=v&x=y").generate_url_token(path)
    g = grant(ip="2001%3adb8%3a%3a1", url=path, id="id%2fwith+space", data="k%3dv%26x%3dy")
    case("url escape_early, ipv6, id, data", cfg, u, path, "ok", client_ip="2001:db8::1", grant=g)
    case("url escape_early, other ip", cfg, u, path, "ip_mismatch", client_ip="2001:db8::2")
    case("url escape_early, verifier without escape_early", dict(cfg, escape_early=False), u, path,
         "signature_invalid", client_ip="2001:db8::1")
    t = signer(cfg, payload="a b").generate_acl_token("/media/*")
    case("acl escape_early (acl itself is not escaped)", cfg, t, "/media/x", "ok",
         grant=grant(acl=["/media/*"], data="a+b"))

    # Other delimiters.
    cfg = cfg_of(akamai_key(), "sha1", fd=",", ad=";")
    t = signer(cfg, session_id="x~y").generate_acl_token(["/a/*", "/b/*"])
    case("delimiters , and ;", cfg, t, "/b/c", "ok", grant=grant(acl=["/a/*", "/b/*"], id="x~y"))
    case("delimiters , and ;, verifier with defaults", dict(cfg, field_delimiter="~", acl_delimiter="!"), t,
         "/b/c", "malformed")
    return out


# ---------------------------------------------------------------- AWS CloudFront (botocore's CloudFrontSigner)

def cf_key_id():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "K" + "".join(alphabet[b % 36] for b in os.urandom(13))


def cf_public_pem(private):
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def cf_callback(private, sha256=False):
    """The signing callback CloudFrontSigner takes: bytes -> signature bytes."""
    h = hashes.SHA256() if sha256 else hashes.SHA1()
    if isinstance(private, rsa.RSAPrivateKey):
        return lambda message: private.sign(message, padding.PKCS1v15(), h)
    return lambda message: private.sign(message, ec.ECDSA(h))


def cf_when(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def cf_sign_url(key_id, private, url, sha256=False, policy=None):
    signer = CloudFrontSigner(key_id, cf_callback(private, sha256))
    if policy is None:
        signed = signer.generate_presigned_url(url, date_less_than=cf_when(EXP))
    else:
        signed = signer.generate_presigned_url(url, policy=policy)
    return signed + ("&Hash-Algorithm=SHA256" if sha256 else "")


def cf_policy(resource, start=None, ip=None):
    signer = CloudFrontSigner("unused", None)
    return signer.build_policy(resource, cf_when(EXP), date_greater_than=cf_when(start) if start else None,
                               ip_address=ip)


def cf_cookies_from_url(signed_url):
    """The CloudFront-* cookie values carried by a signed URL's parameters."""
    params = dict(p.split("=", 1) for p in urlsplit(signed_url).query.split("&"))
    return {"policy": params.get("Policy"), "expires": params.get("Expires"), "signature": params["Signature"],
            "key_pair_id": params["Key-Pair-Id"], "hash_algorithm": params.get("Hash-Algorithm")}


def cloudfront_cases():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_id, ec_id = cf_key_id(), cf_key_id()
    keys = [[rsa_id, cf_public_pem(rsa_key)], [ec_id, cf_public_pem(ec_key)]]
    out = []

    def case(name, expect, url=None, cookies=None, request_url=None, client_ip=None, now=NOW, grant=None):
        c = {"name": name, "kind": "url" if url else "cookies", "now": now, "client_ip": client_ip,
             "expect": expect}
        if url:
            c["url"] = url
        else:
            c["cookies"] = cookies
            c["request_url"] = request_url
        if grant is not None:
            c["grant"] = grant
        out.append(c)

    def ok(key_id, kind="canned", hash="SHA1", start=None, resource=None, source_ip=None):
        return {"expires": EXP, "start": start, "key_pair_id": key_id, "resource": resource,
                "source_ip": source_ip, "kind": kind, "hash": hash}

    base = "https://d111111abcdef8.cloudfront.net/videos/intro.mp4"
    for key_id, private, kt in [(rsa_id, rsa_key, "rsa"), (ec_id, ec_key, "ecdsa")]:
        for sha256 in [False, True]:
            h = "SHA256" if sha256 else "SHA1"
            u = cf_sign_url(key_id, private, base, sha256)
            case(f"{kt} {h} canned url", "ok", url=u, grant=ok(key_id, hash=h))
            case(f"{kt} {h} canned url, other path", "signature_invalid", url=u.replace("intro", "outro"))
            case(f"{kt} {h} canned url expired", "expired", url=u, now=EXP)
            flipped = u.replace("&Hash-Algorithm=SHA256", "") if sha256 else u + "&Hash-Algorithm=SHA256"
            case(f"{kt} {h} canned url, hash algorithm changed", "signature_invalid", url=flipped)

    u = cf_sign_url(rsa_id, rsa_key, base + "?quality=hd&lang=en")
    case("rsa canned url with the client's query", "ok", url=u, grant=ok(rsa_id))
    case("rsa canned url, client query changed", "signature_invalid", url=u.replace("quality=hd", "quality=4k"))
    case("rsa canned url one second before Expires", "ok", url=u, now=EXP - 1, grant=ok(rsa_id))
    case("rsa canned url tampered Expires", "signature_invalid",
         url=u.replace(f"Expires={EXP}", f"Expires={EXP + 3600}"))
    case("rsa canned url, signed by another key", "signature_invalid",
         url=cf_sign_url(rsa_id, stranger, base))
    case("canned url, unknown key pair id", "unknown_key", url=cf_sign_url("KUNKNOWN0000", rsa_key, base))
    case("canned url, trailing parameter", "malformed", url=u + "&x=1")
    std_sig = re.sub(r"Signature=[^&]*",
                     lambda m: m.group(0).replace("-", "+").replace("~", "/").replace("_", "="), u)
    assert std_sig != u
    case("canned url, standard base64 signature", "malformed", url=std_sig)
    head, sig = u.split("&Signature=")
    case("canned url, duplicate Signature", "malformed", url=f"{head}&Signature={sig.split('&')[0]}&Signature={sig}")

    # Custom policy: wildcard resource, start time, source IP.
    resource = "https://d111111abcdef8.cloudfront.net/videos/*"
    for key_id, private, kt, sha256 in [(rsa_id, rsa_key, "rsa", False), (ec_id, ec_key, "ecdsa", True),
                                         (rsa_id, rsa_key, "rsa", True), (ec_id, ec_key, "ecdsa", False)]:
        h = "SHA256" if sha256 else "SHA1"
        pol = cf_policy(resource, start=NOW - 60, ip="192.0.2.0/24")
        u = cf_sign_url(key_id, private, base, sha256, policy=pol)
        g = ok(key_id, "custom", h, start=NOW - 60, resource=resource, source_ip="192.0.2.0/24")
        case(f"{kt} {h} custom url", "ok", url=u, client_ip="192.0.2.10", grant=g)
        case(f"{kt} {h} custom url, other path under the wildcard", "ok",
             url=u.replace("intro.mp4", "hd/seg-1.ts"), client_ip="192.0.2.10", grant=g)
        case(f"{kt} {h} custom url, path outside the resource", "scope_mismatch",
             url=u.replace("/videos/", "/private/"), client_ip="192.0.2.10")
        case(f"{kt} {h} custom url, client outside the network", "ip_mismatch", url=u, client_ip="198.51.100.1")
        case(f"{kt} {h} custom url, IPv6 client", "ip_mismatch", url=u, client_ip="2001:db8::1")
        case(f"{kt} {h} custom url, no client address", "ip_mismatch", url=u)
        case(f"{kt} {h} custom url, before DateGreaterThan", "not_yet_valid", url=u, client_ip="192.0.2.10",
             now=NOW - 61)
        case(f"{kt} {h} custom url, at DateGreaterThan", "ok", url=u, client_ip="192.0.2.10", now=NOW - 60,
             grant=g)
        case(f"{kt} {h} custom url expired", "expired", url=u, client_ip="192.0.2.10", now=EXP)
    pol = cf_policy(resource)
    u = cf_sign_url(rsa_id, rsa_key, base, policy=pol)
    other = json.dumps(json.loads(pol), separators=(",", ":")).replace("/videos/*", "/*")
    enc = base64.b64encode(other.encode()).decode().replace("+", "-").replace("=", "_").replace("/", "~")
    case("rsa custom url, policy swapped for a wider one", "signature_invalid",
         url=re.sub(r"Policy=[^&]*", "Policy=" + enc, u))
    case("rsa custom url, policy re-serialised with spaces", "signature_invalid",
         url=re.sub(r"Policy=[^&]*", "Policy=" + base64.b64encode(json.dumps(json.loads(pol)).encode()).decode()
                    .replace("+", "-").replace("=", "_").replace("/", "~"), u))
    case("custom url with Expires as well", "malformed", url=u + f"&Expires={EXP}")

    # Cookies: the values of botocore-signed URLs' parameters.
    c = cf_cookies_from_url(cf_sign_url(ec_id, ec_key, base, True))
    case("ecdsa SHA256 canned cookies", "ok", cookies=c, request_url=base, grant=ok(ec_id, hash="SHA256"))
    case("ecdsa SHA256 canned cookies, other URL", "signature_invalid", cookies=c, request_url=base + "?x=1")
    case("ecdsa SHA256 canned cookies expired", "expired", cookies=c, request_url=base, now=EXP)
    c = cf_cookies_from_url(cf_sign_url(rsa_id, rsa_key, base, policy=cf_policy(resource, ip="203.0.113.5")))
    g = ok(rsa_id, "custom", resource=resource, source_ip="203.0.113.5/32")
    case("rsa custom cookies", "ok", cookies=c, request_url=base.replace("intro", "a/b"), client_ip="203.0.113.5",
         grant=g)
    case("rsa custom cookies, outside the resource", "scope_mismatch", cookies=c,
         request_url="https://d111111abcdef8.cloudfront.net/audio/a.mp3", client_ip="203.0.113.5")
    case("rsa custom cookies, other client", "ip_mismatch", cookies=c, request_url=base, client_ip="203.0.113.6")
    case("rsa custom cookies, unknown key pair id", "unknown_key", cookies=dict(c, key_pair_id="KNOTINGROUP"),
         request_url=base, client_ip="203.0.113.5")
    case("rsa custom cookies with Expires as well", "malformed", cookies=dict(c, expires=str(EXP)),
         request_url=base, client_ip="203.0.113.5")
    return keys, out


def small(cases, keyfn):
    seen, keep = set(), []
    for c in cases:
        k = keyfn(c)
        if k not in seen:
            seen.add(k)
            keep.append(c)
    return keep


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    google_keys, google = google_cases()
    akamai = akamai_cases()
    cloudfront_keys, cloudfront = cloudfront_cases()
    if "--small" in sys.argv:
        google = small(google, lambda c: (c["kind"], c["expect"],
                                          c["expect"] == "ok" and "URLPrefix=" in c.get("url", "")))
        akamai = small(akamai, lambda c: (c["algorithm"], "acl=" in c["token"], c["escape_early"], c["salt"] is None,
                                          c["field_delimiter"]) if c["expect"] == "ok" else c["expect"])
        cloudfront = small(cloudfront, lambda c: (c["kind"], c["expect"], c.get("grant", {}).get("kind"),
                                                  c.get("grant", {}).get("hash"), c["name"].split()[0]))
    head = {
        "generator": "tests/vectors/cdn/gen_cdn.py" + (" --small" if "--small" in sys.argv else ""),
        "signers": {"akamai": f"akamai-edgeauth {version('akamai-edgeauth')} (PyPI)",
                    "google": "the algorithm from Google's 'Using signed URLs' / 'Using signed cookies' pages",
                    "cloudfront": f"botocore {version('botocore')} CloudFrontSigner (PyPI), signing callback with "
                                  f"cryptography {version('cryptography')}"},
        "keys": "THROWAWAY TEST KEYS, freshly random per run; they protect nothing",
        "google_keys": google_keys,
        "cloudfront_keys": cloudfront_keys,
    }
    # One case per line: small, and diffs stay readable.
    lines = [json.dumps(head, ensure_ascii=False)[:-1]]
    for name, cases in [("google", google), ("akamai", akamai), ("cloudfront", cloudfront)]:
        body = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in cases)
        lines.append(f', "{name}": [\n  {body}\n ]')
    with open(args[0], "w") as f:
        f.write("\n".join(lines) + "\n}\n")
    print(f"{args[0]}: {len(google)} google, {len(akamai)} akamai, {len(cloudfront)} cloudfront cases")


if __name__ == "__main__":
    main()
