#!/usr/bin/env python3
"""Writes the seed corpora for the fuzz targets (fuzz/corpus/<target>/) from the repository's
test vectors and example policies. Run by scripts/fuzz.sh; the corpora are not committed."""
import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def walk(v, found):
    """Collects tokens, JWK sets and JWKs from a vector file."""
    if isinstance(v, dict):
        if "keys" in v and isinstance(v["keys"], list):
            found["jwks"].append(v)
        if "kty" in v:
            found["jwks"].append({"keys": [v]})
        for x in v.values():
            walk(x, found)
    elif isinstance(v, list):
        for x in v:
            walk(x, found)
    elif isinstance(v, str) and v.count(".") in (2, 4) and len(v) > 20 and " " not in v:
        found["tokens"].append(v)


def main():
    found = {"tokens": [], "jwks": []}
    for path in glob.glob(os.path.join(ROOT, "tests", "vectors", "**", "*.json"), recursive=True):
        with open(path) as f:
            walk(json.load(f), found)
    for t in found["tokens"]:
        put("token", t)
        h, p = t.split(".")[:2]
        put("b64_json", h)
        put("request", f"GET /x?access_token={t}\nauthorization: Bearer {t}\ncookie: a=b; session={t}")
        put("request", f"POST /all/../any/%2e/x\nx-token: {t}\nauthorization: Bearer {t}, Bearer {t}")
    for k in found["jwks"]:
        put("jwks", json.dumps(k))
    policies = []
    for path in [os.path.join(ROOT, "envoy", "demo-policy.json"), os.path.join(ROOT, "README.md"),
                 os.path.join(ROOT, "docs", "policy.md")]:
        text = open(path).read()
        if path.endswith(".json"):
            policies.append(text)
        for block in re.findall(r"```json\n(.*?)```", text, re.S):
            if '"version"' in block:
                policies.append(block)
    for p in policies:
        put("policy", p)
        put("b64_json", p)
    for r in ["GET /", "OPTIONS /x\norigin: a\naccess-control-request-method: GET", "GET /public/%2F..",
              "GET /shadow/a\nx-user: spoof", "GET //a/./b/../../c?x=%zz"]:
        put("request", r)
    for c in ["https://cdn.example/a.mp4?Expires=1800000100&KeyName=k&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
              "https://cdn.example/?URLPrefix=aHR0cHM6Ly9jZG4uZXhhbXBsZS8=&Expires=1800000100&KeyName=k&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
              "URLPrefix=aHR0cHM6Ly9jZG4uZXhhbXBsZS8=:Expires=1800000100:KeyName=k:Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nhttps://cdn.example/x",
              "ip=1.2.3.4~st=1799999000~exp=1800000100~acl=/a/*!/b/?~id=x~data=y~hmac=" + "0" * 64 + "\n/a/b",
              "exp=1800000100~hmac=" + "0" * 40 + "\n/path%20with+plus"]:
        put("signed", c)
    # CloudFront: URL forms (canned, custom, SHA-256), a DER ECDSA signature in CloudFront base64,
    # a custom policy and cookie-shaped lines (`policy;expires;signature;hash`).
    der = "MEUCIQDQILUgUjCgYfKpc1F8BPtRRW0Qd8K1nf67kemfgpcWzwIgHEekITyvjilBJA5i8D8zL~N1je309hbiPZuKq-wOzC4_"
    policy = ('{"Statement":[{"Resource":"https://d.example/v/*","Condition":{"DateLessThan":'
              '{"AWS:EpochTime":1800000600},"DateGreaterThan":{"AWS:EpochTime":1},'
              '"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}')
    p64 = base64.b64encode(policy.encode()).decode().replace("+", "-").replace("=", "_").replace("/", "~")
    for c in [f"https://d.example/v/a.mp4?x=1&Expires=1800000600&Signature={der}&Key-Pair-Id=KFUZZ",
              f"https://d.example/v/a.mp4?Policy={p64}&Key-Pair-Id=KFUZZ&Signature={der}&Hash-Algorithm=SHA256",
              f"{p64};;{der};SHA256\nhttps://d.example/v/b.ts",
              f";1800000600;{der};\nhttps://d.example/v/b.ts",
              policy + "\nhttps://d.example/v/x",
              "https://d.example/*/a?.ts\nhttps://d.example/x/a1.ts"]:
        put("signed", c)
    # Revocation lists: payloads (fresh at the fuzz entry's clock, 1800000000, so the whole path
    # after the signature runs), an inline list, and a bundle-shaped JWS.
    lists = [
        '{"iat":1800000000,"seq":2,"jti":[{"iss":"i","jti":"j"}],"subjects":[{"iss":"i","sub":"s",'
        '"issued_before":1}],"issuers":[{"iss":"i","not_before":1}],"exp":1800000600}',
        '{"jti":[{"iss":"i","jti":"a\\"]}\\u00e9"}],"issuers":[]}',
        ' {"iat" : 1799999999 , "seq" : 0 , "subjects" : [ ] } ',
    ]
    for l in lists:
        put("revocation", l)
    h = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"k","typ":"edgeward-revocations+jwt"}')
    put("revocation", h.rstrip(b"=") + b"." + base64.urlsafe_b64encode(lists[0].encode()).rstrip(b"=") + b".AAAA")
    # DPoP: the RFC 9449 example proofs, their claims sets (the fuzz entry signs them), URLs.
    with open(os.path.join(ROOT, "tests", "vectors", "rfc9449", "examples.json")) as f:
        for p in json.load(f)["proofs"]:
            put("dpop", p["proof"])
            claims = p["proof"].split(".")[1]
            put("dpop", base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
            put("dpop", p["htu"] + "\n" + p["htu"].upper() + ":443/a/../%7e?q#f")
    cdn_seeds()
    pop_and_credential_requests()
    counts = {t: len(os.listdir(os.path.join(OUT, t))) for t in os.listdir(OUT)}
    print("seed corpora:", ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))


def cdn_cases():
    """The CDN cases of tests/vectors/cdn/gen_cdn.py (the vendors' signers): from the file
    EDGEWARD_CDN_VECTORS names, or made now (--small) with the project venv's signers. None when
    neither is there (a machine without the venv seeds from the hand-written lines alone)."""
    path = os.environ.get("EDGEWARD_CDN_VECTORS")
    if path:
        with open(path) as f:
            return json.load(f)
    py = os.path.join(ROOT, ".venv", "bin", "python")
    if not os.path.exists(py):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cdn.json")
        r = subprocess.run([py, os.path.join(ROOT, "tests", "vectors", "cdn", "gen_cdn.py"), out, "--small"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print("seed: gen_cdn.py failed, CDN vector seeds skipped:", r.stderr.strip()[-200:])
            return None
        with open(out) as f:
            return json.load(f)


def cdn_seeds():
    """Signed URLs, cookies and tokens made by the vendors' signers, in the `signed` target's
    line format and as requests on the fuzz policy's signed routes (their keys differ from the
    fuzz policy's, so these drive everything up to the signature)."""
    cases = cdn_cases()
    if not cases:
        return
    for c in cases["google"]:
        if c["kind"] == "url":
            put("signed", c["url"])
            put("request", "GET /g/" + c["url"].split("/", 3)[3])
        else:
            put("signed", c["cookie"] + "\n" + c["request_url"])
            put("request", f"GET /gc/x\ncookie: Cloud-CDN-Cookie={c['cookie']}")
    for c in cases["akamai"]:
        put("signed", c["token"] + "\n" + c["path"])
        put("request", f"GET /ak{c['path']}\ncookie: __token__={c['token']}\n:peer: {c['client_ip'] or '192.0.2.7'}")
        put("request", f"GET /aku{c['path']}?__token__={c['token']}")
    for c in cases["cloudfront"]:
        ip = c["client_ip"] or "192.0.2.7"
        if c["kind"] == "url":
            put("signed", c["url"])
            put("request", f"GET /cf/{c['url'].split('/', 3)[3]}\n:peer: 10.0.0.1\nx-forwarded-for: {ip}")
        else:
            k = c["cookies"]
            put("signed", ";".join(k[f] or "" for f in ("policy", "expires", "signature", "hash_algorithm"))
                + "\n" + c["request_url"])
            jar = "; ".join(f"CloudFront-{n}={k[f]}" for n, f in (
                ("Policy", "policy"), ("Expires", "expires"), ("Signature", "signature"),
                ("Key-Pair-Id", "key_pair_id"), ("Hash-Algorithm", "hash_algorithm")) if k[f])
            put("request", f"GET /cfc/x\ncookie: {jar}\n:peer: {ip}")


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pop_and_credential_requests():
    """Requests on the fuzz policy's DPoP, certificate-bound, session-cookie and one-time
    routes: the RFC 9449 example proofs with their tokens, client certificates on the
    connection and in a terminator's header (from a trusted and an untrusted peer), session
    cookie shapes, and a session's claims for the `signed` target's minting part."""
    with open(os.path.join(ROOT, "tests", "vectors", "rfc9449", "examples.json")) as f:
        ex = json.load(f)
    token = next(p["access_token"] for p in ex["proofs"] if p.get("access_token"))
    for p in ex["proofs"]:
        token = p.get("access_token") or token
        put("request", f"GET /pop/r\nauthorization: DPoP {token}\ndpop: {p['proof']}")
        put("request", f"POST /popopt/r\nauthorization: Bearer {token}\ndpop: {p['proof']}, {p['proof']}")
        put("request", f"GET /ps/x\ncookie: __Host-pop-session={token}\ndpop: {p['proof']}")
    digest = "ab" * 32
    put("request", f"GET /mtls/r\nauthorization: Bearer {token}\n:cert: {digest}")
    put("request", f"GET /mtls/r\nauthorization: Bearer {token}\n:peer: 10.0.0.9\n"
                   f"x-client-cert: By=spiffe://a;Hash={digest};Subject=\"CN=a,O=b\"")
    put("request", f"GET /mtls/r\nauthorization: Bearer {token}\n:peer: 192.0.2.9\n"
                   f"x-client-cert: Hash={digest},Hash={digest}")
    head = b64url('{"alg":"HS256","typ":"edgeward-session+jwt","kid":"s1"}')
    body = b64url('{"iss":"https://api.fuzz/session","aud":"app","sub":"alice","iat":1800000000,'
                  '"exp":1800000600,"cip":"10.1.2.3"}')
    cookie = f"{head}.{body}.{b64url(bytes(32))}"
    put("request", f"GET /app/x\ncookie: __Host-edgeward-session={cookie}\n:peer: 10.1.2.3")
    put("request", f"GET /app/x\ncookie: __Host-edgeward-session={cookie}; __Host-edgeward-session=x\n"
                   f":peer: 10.0.0.1\nforwarded: for=\"[2001:db8::7]:4711\"\nx-forwarded-for: 10.1.2.3")
    put("request", f"GET /once/x\nauthorization: Bearer {token}")
    put("signed", cookie + "\n10.1.2.3")
    put("signed", '{"sub":"alice","exp":1800000600,"scope":"read","tenant":"t1","cnf":{"jkt":"x"}}\n10.1.2.3')


if __name__ == "__main__":
    main()
