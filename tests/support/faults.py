"""A real fault-injecting HTTP proxy on 127.0.0.1 in front of moto.

It forwards requests to an upstream endpoint and, by rule, hangs, answers 500 or a throttling
error, or closes the connection, so tests exercise real sockets instead of mocked clients. It also
records the operations it saw, so tests can assert that no API call was made.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    operation: str
    body: bytes


@dataclass
class FailEntries:
    """Rewrite a batch call (``SendMessageBatch``, ``DeleteMessageBatch``, ...): the entries
    ``predicate`` picks are *not* forwarded and come back in ``Failed``; the rest go upstream."""

    predicate: Callable[[dict], bool]
    code: str = "InternalError"
    sender_fault: bool = True
    message: str = "injected by FaultProxy"


@dataclass
class Reply:
    """Answer with this JSON document instead of forwarding (e.g. an API moto lacks)."""

    payload: dict
    status: int = 200


# A rule returns None (forward), "hang", "500", "throttle", "reset", a FailEntries or a Reply.
Rule = Callable[[Request], "str | FailEntries | Reply | None"]


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                req = Request(operation_of(self.path, dict(self.headers), body), body)
                with proxy._lock:
                    proxy.seen.append(req)
                action = next((a for rule in proxy.rules if (a := rule(req))), None)
                if isinstance(action, Reply):
                    self._answer(action.status, json.dumps(action.payload).encode())
                    return
                if isinstance(action, FailEntries):
                    self._fail_entries(body, action)
                    return
                if action == "hang":
                    proxy._release.wait(30)
                    self.close_connection = True
                    return
                if action == "reset":
                    self.close_connection = True
                    return
                if action in ("500", "throttle"):
                    code = "InternalError" if action == "500" else "ThrottlingException"
                    status = 500 if action == "500" else 400
                    payload = json.dumps(
                        {"__type": f"com.amazonaws.sqs#{code}", "message": code}
                    ).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("x-amzn-query-error", f"{code};Sender")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self._forward(body)

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _fail_entries(self, body: bytes, rule: FailEntries) -> None:
                request = json.loads(body)
                failing = [e for e in request.get("Entries", []) if rule.predicate(e)]
                keep = [e for e in request.get("Entries", []) if not rule.predicate(e)]
                failed = [
                    {
                        "Id": e["Id"],
                        "SenderFault": rule.sender_fault,
                        "Code": rule.code,
                        "Message": rule.message,
                    }
                    for e in failing
                ]
                result: dict = {"Successful": [], "Failed": []}
                if keep:
                    request["Entries"] = keep
                    status, _, data = self._upstream(json.dumps(request).encode())
                    if status != 200:
                        self._answer(status, data)
                        return
                    result = json.loads(data)
                result["Failed"] = list(result.get("Failed", [])) + failed
                self._answer(200, json.dumps(result).encode())

            def _upstream(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                up = urlsplit(proxy.upstream)
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length")
                }
                headers["Host"] = f"{up.hostname}:{up.port}"
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                return resp.status, resp.getheaders(), data

            def _forward(self, body: bytes) -> None:
                up = urlsplit(proxy.upstream)
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"{up.hostname}:{up.port}"
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def operations(self) -> list[str]:
        with self._lock:
            return [r.operation for r in self.seen]

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded loopback server that takes a client hanging up mid-answer (a test's timeout, a
    closed pool) as the normal event it is here, instead of printing a traceback to stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def operation_of(path: str, headers: dict[str, str], body: bytes) -> str:
    """The API operation, whatever the protocol: JSON target, rpc-v2-cbor path, or query form."""
    target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    for part in body.split(b"&"):
        if part.startswith(b"Action="):
            return part[7:].decode()
    return "?"
