#!/usr/bin/env python3
"""Writes the seed corpora for the fuzz targets (fuzz/corpus/<target>/) from the repository's
test vectors and example policies. Run by scripts/fuzz.sh; the corpora are not committed."""
import base64
import glob
import hashlib
import json
import os
import re

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
    counts = {t: len(os.listdir(os.path.join(OUT, t))) for t in os.listdir(OUT)}
    print("seed corpora:", ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
