"""A controllable JWK-set server on 127.0.0.1 for the remote-key tests.

mode: "ok" serves `doc`; "down" answers 503; "garbage" answers 200 with a body that is not a
key set; "slow" waits `delay` seconds before serving. Counts requests in `hits`.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """An HTTP/1.1 server on 127.0.0.1 (a free port) in a daemon thread. `respond(path)` gives
    (status, content type, body) for each GET. `stop()` shuts it down."""

    def __init__(self, respond):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status, ctype, body = respond(self.path)
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class JwksServer:
    def __init__(self, doc=None):
        self.doc = doc or {"keys": []}
        self.mode = "ok"
        self.delay = 0.0
        self.hits = 0
        self.discovery = None  # a dict served at /.well-known/openid-configuration
        self.paths = []
        self.http = LoopbackServer(self._respond)
        self.port = self.http.port

    def _respond(self, path):
        self.paths.append(path)
        if path.endswith("/.well-known/openid-configuration") and self.discovery:
            return 200, "application/json", json.dumps(self.discovery).encode()
        self.hits += 1
        if self.mode == "down":
            return 503, "application/json", b"down"
        if self.mode == "garbage":
            return 200, "application/json", b"<html>not a key set</html>"
        if self.mode == "slow":
            time.sleep(self.delay)
        return 200, "application/json", json.dumps(self.doc).encode()

    def stop(self):
        self.http.stop()


def template_with_jwks_cluster(template_text, port):
    """The shipped envoy.yaml plus a `jwks` cluster pointing at the test server."""
    cluster = (
        "  - name: jwks\n"
        "    connect_timeout: 1s\n"
        "    type: STATIC\n"
        "    load_assignment:\n"
        "      cluster_name: jwks\n"
        "      endpoints:\n"
        "      - lb_endpoints:\n"
        f"        - endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}}}\n"
    )
    return template_text.rstrip("\n") + "\n" + cluster
