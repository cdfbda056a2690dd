"""Run wasm/examples/worker/worker.js, unchanged, in real workerd on 127.0.0.1 (the Python twin
of wasm/tests/workerd/launch.mjs, for the parity test).

A temp dir gets a copy of the worker, the installed npm package's files (from
wasm/tests/node_modules/edgeward) and a generated capnp config. workerd resolves imports as
paths against the importing module's name: the worker's bare `import 'edgeward'` finds the
module named "edgeward" (the package's workers.js), whose `./edgeward.js` and `./dist/...`
imports find the modules of those names. The socket listens on port 0; workerd reports the port
on its control fd. `stop()` ends the process by PID.
"""
import http.client
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
WORKER_JS = os.path.join(os.path.dirname(TESTS), "examples", "worker", "worker.js")
PKG = os.path.join(TESTS, "node_modules", "edgeward")
WORKERD = os.path.join(TESTS, "node_modules", ".bin", "workerd")

# (module name, file in the package, capnp module kind)
PACKAGE_MODULES = [
    ("edgeward", "workers.js", "esModule"),
    ("edgeward.js", "edgeward.js", "esModule"),
    ("dist/edgeward_wasm.js", "dist/edgeward_wasm.js", "esModule"),
    ("dist/edgeward_wasm_bg.wasm", "dist/edgeward_wasm_bg.wasm", "wasm"),
]


# Cloudflare's edge, as far as the worker can tell: a `cf` object on every request.
EDGE_JS = "export default { fetch: (request, env) => env.WORKER.fetch(request, { cf: { colo: 'TEST' } }) };\n"


def _text(s):
    return json.dumps(str(s))  # a capnp text literal, for plain ASCII values


class Workerd:
    """`cloudflare_peer` (an address) puts Cloudflare's edge in front, as launch.mjs's
    `cloudflareEdge` does: the socket sets `CF-Connecting-IP: <peer>` (replacing the client's),
    and an "edge" worker hands each request on through a service binding with a `cf` object, so
    the worker sees `request.cf.colo` and reads the edge-set header. Without it, the worker
    sees self-hosted workerd's `request.cf.clientIp`, the TCP peer."""

    def __init__(self, policy, origin, variables=None, cloudflare_peer=None):
        self.policy, self.origin, self.variables = policy, origin, variables or {}
        self.cloudflare_peer = cloudflare_peer
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="edgeward-workerd-")
        self.log_path = os.path.join(self.dir, "workerd.log")

    def _config(self):
        modules = ['(name = "worker.js", esModule = embed "worker.js")'] + [
            f"(name = {_text(name)}, {kind} = embed {_text('pkg/' + f)})" for name, f, kind in PACKAGE_MODULES]
        bindings = ['(name = "POLICY", text = embed "policy.json")', f'(name = "ORIGIN", text = {_text(self.origin)})'] + [
            f"(name = {_text(k)}, text = {_text(v)})" for k, v in self.variables.items()]
        sep = ",\n    "
        edge, http, front = "", "()", "main"
        if self.cloudflare_peer:
            edge = ('(name = "edge", worker = (modules = [(name = "edge.js", esModule = embed "edge.js")], '
                    'compatibilityDate = "2025-01-01", bindings = [(name = "WORKER", service = "main")])),')
            http = f'(injectRequestHeaders = [(name = "cf-connecting-ip", value = {_text(self.cloudflare_peer)})])'
            front = "edge"
        return f"""using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    {edge}
    (name = "net", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = {http}, service = "{front}")],
);
const worker :Workerd.Worker = (
  modules = [
    {sep.join(modules)}
  ],
  compatibilityDate = "2025-01-01",
  bindings = [
    {sep.join(bindings)}
  ],
  globalOutbound = "net",
);
"""

    def start(self, timeout=15):
        os.makedirs(os.path.join(self.dir, "pkg", "dist"))
        shutil.copyfile(WORKER_JS, os.path.join(self.dir, "worker.js"))
        for _, f, _ in PACKAGE_MODULES:
            shutil.copyfile(os.path.join(PKG, f), os.path.join(self.dir, "pkg", f))
        with open(os.path.join(self.dir, "policy.json"), "w") as f:
            json.dump(self.policy, f)
        with open(os.path.join(self.dir, "edge.js"), "w") as f:
            f.write(EDGE_JS)
        cfg = os.path.join(self.dir, "config.capnp")
        with open(cfg, "w") as f:
            f.write(self._config())
        self.ctl, w = os.pipe()
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([WORKERD, "serve", cfg, f"--control-fd={w}"], cwd=self.dir, pass_fds=(w,),
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        os.close(w)
        buf, deadline = b"", time.time() + timeout
        while time.time() < deadline:
            ready, _, _ = select.select([self.ctl], [], [], 0.2)
            if ready:
                chunk = os.read(self.ctl, 4096)
                if not chunk:
                    break  # workerd exited
                buf += chunk
                for line in buf.split(b"\n"):
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if ev.get("event") == "listen" and ev.get("socket") == "http":
                        self.port = ev["port"]
                        return self
            if self.proc.poll() is not None:
                break
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"workerd did not start:\n{logs}")

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
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "ctl", None) is not None:
            os.close(self.ctl)
            self.ctl = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        shutil.rmtree(self.dir, ignore_errors=True)

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
