"""A controllable JWK-set server on 127.0.0.1 for the remote-key tests.

mode: "ok" serves `doc`; "down" answers 503; "garbage" answers 200 with a body that is not a
key set; "slow" waits `delay` seconds before serving. Counts requests in `hits`.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JwksServer:
    def __init__(self, doc=None):
        self.doc = doc or {"keys": []}
        self.mode = "ok"
        self.delay = 0.0
        self.hits = 0
        self.discovery = None  # a dict served at /.well-known/openid-configuration
        self.paths = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner.paths.append(self.path)
                if self.path.endswith("/.well-known/openid-configuration") and owner.discovery:
                    return self._send(200, json.dumps(owner.discovery).encode())
                owner.hits += 1
                if owner.mode == "down":
                    return self._send(503, b"down")
                if owner.mode == "garbage":
                    return self._send(200, b"<html>not a key set</html>")
                if owner.mode == "slow":
                    time.sleep(owner.delay)
                return self._send(200, json.dumps(owner.doc).encode())

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("content-type", "application/json")
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
