"""A counting HTTP proxy for benchmarks: forwards every request to an upstream endpoint and
counts API operations (JSON ``X-Amz-Target``, rpc-v2-cbor path, or query ``Action``).

Run as its own process so its work is not counted as the console's:
``python benchmarks/counting_proxy.py http://127.0.0.1:PORT`` prints ``proxy_url=...``; then
``GET /_counts`` answers the counts so far as JSON and ``POST /_reset`` zeroes them.

With ``-`` as the upstream it answers 503 to every call until ``POST /_upstream`` (body: the
URL) names one: a console can be started before the stack it watches is up.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.faults import QuietHTTPServer, operation_of  # the fault proxy's own


def serve(upstream: str) -> None:
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    target = {"up": urlsplit(upstream) if upstream != "-" else None}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, data: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with lock:
                data = json.dumps(dict(counts)).encode()
            self._reply(200, data, [("Content-Type", "application/json")])

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_reset":
                with lock:
                    counts.clear()
                self._reply(200, b"{}", [])
                return
            if self.path == "/_upstream":
                target["up"] = urlsplit(body.decode().strip())
                self._reply(200, b"{}", [])
                return
            up = target["up"]
            if up is None:
                self._reply(503, b"upstream not up yet", [("Content-Type", "text/plain")])
                return
            with lock:
                counts[operation_of(self.path, dict(self.headers), body)] += 1
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = f"{up.hostname}:{up.port}"
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            self._reply(resp.status, data, resp.getheaders())

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    print(f"proxy_url=http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1])
