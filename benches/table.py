#!/usr/bin/env python3
"""Print the criterion results of benches/benches/verify.rs as a table with ratios.

Reads target/criterion/<group>/<function>/new/estimates.json (median, in ns).
Usage: python3 benches/table.py [TARGET_DIR]
"""
import json
import os
import sys

root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "target", "criterion")


def median_us(group, fn):
    path = os.path.join(root, group, fn, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1000.0
    except (OSError, KeyError, ValueError):
        return None


algs = ["HS256", "RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"]
print("| algorithm | edgeward µs | jsonwebtoken (aws-lc-rs) µs | edgeward / reference |")
print("|---|---:|---:|---:|")
for a in algs:
    e = median_us(f"verify_{a}", "edgeward")
    r = median_us(f"verify_{a}", "jsonwebtoken")
    if e is None:
        continue
    ratio = f"{e / r:.2f}x" if r else "n/a (no ES512 in jsonwebtoken)"
    rs = f"{r:.1f}" if r else "-"
    print(f"| {a} | {e:.1f} | {rs} | {ratio} |")
print()
print("| setup / decision | µs |")
print("|---|---:|")
for g, fn in [("setup", "jwks_parse_7_keys"), ("setup", "policy_load"), ("decide", "HS256_request")]:
    v = median_us(g, fn)
    if v is not None:
        print(f"| {g}/{fn} | {v:.1f} |")
print()
print("| signed credential, whole decision (native) | µs | verifications/s | vs RS256 bearer |")
print("|---|---:|---:|---:|")
rs = median_us("signed_decide", "rs256_bearer")
for fn in ["google_signed_url", "google_signed_cookie", "akamai_cookie", "cloudfront_signed_url",
           "cloudfront_signed_cookie", "session_cookie", "rs256_bearer"]:
    v = median_us("signed_decide", fn)
    if v is not None:
        ratio = f"{v / rs:.2f}x" if rs else "-"
        print(f"| {fn} | {v:.1f} | {1e6 / v:,.0f} | {ratio} |")
