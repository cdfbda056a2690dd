#!/usr/bin/env python3
"""Render envoy/envoy.yaml: fill ports, the .wasm path and the policy JSON.

Usage: render.py --policy FILE --wasm FILE --listen PORT --admin PORT --upstream PORT [--template F]
The policy is embedded as a YAML double-quoted scalar (a JSON string literal is one).
"""
import argparse
import json
import os
import string
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def render(template, policy_text, wasm, listen, admin, upstream):
    json.loads(policy_text)  # refuse to embed something that is not JSON at all
    with open(template) as f:
        t = string.Template(f.read())
    return t.substitute(
        POLICY_JSON=json.dumps(policy_text),
        WASM=json.dumps(os.path.abspath(wasm)),
        LISTEN_PORT=listen,
        ADMIN_PORT=admin,
        UPSTREAM_PORT=upstream,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", required=True)
    ap.add_argument("--wasm", required=True)
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--admin", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--template", default=os.path.join(HERE, "envoy.yaml"))
    a = ap.parse_args()
    with open(a.policy) as f:
        policy = f.read()
    sys.stdout.write(render(a.template, policy, a.wasm, a.listen, a.admin, a.upstream))


if __name__ == "__main__":
    main()
