"""An SQS JSON-protocol server on 127.0.0.1 whose answers follow a script, on real sockets.

Each ``SendMessageBatch`` request consumes the next scripted action (then ``default``):
``OK``, an error answer (500, throttling, access denied), a partial ``Failed`` list, a hang, a
connection reset (RST) or a close without answer. It verifies every request's SigV4 signature
with botocore's ``SigV4Auth`` (independently of edgewatch's signer) and records what it accepted,
so tests can check delivery exactly, not just counters.

What real AWS enforces and moto does not, on demand: ``valid_access_keys`` (any other key gets
``ExpiredToken``, as a revoked or rotated session does); ``clock_skew_s`` (the server's clock is
that far off, and a request whose ``X-Amz-Date`` is more than five minutes from it is refused
with ``skew_code``); ``ssl_context`` (serve HTTPS). Every answer carries the server's ``Date``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import socket
import ssl
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from edgewatch_emitter import BackoffPolicy, DeliveryFailure, Emitter


@dataclass(frozen=True)
class Error:
    status: int
    code: str
    message: str = "scripted error"
    query_header: bool = False
    echo_credentials: bool = False  # put the request's Authorization and token in the message


@dataclass(frozen=True)
class Partial:
    """Fail the entries at these positions: ``{position: sender_fault}``."""

    failures: dict[int, bool]


@dataclass(frozen=True)
class Raw:
    """Answer 200 with exactly these bytes (hand-written answers, odd or hostile ones); the
    request's entries are recorded as received, not as delivered."""

    content: bytes


OK = "ok"
HANG = "hang"
RESET = "reset"
CLOSE = "close"
SERVER_ERROR = Error(500, "InternalError")
THROTTLE = Error(400, "ThrottlingException")
THROTTLE_QUERY = Error(400, "RequestThrottled", query_header=True)
DENIED = Error(403, "AccessDenied", "not allowed")

Action = str | Error | Partial | Raw


@dataclass
class Received:
    target: str
    headers: dict[str, str]
    payload: dict[str, Any]
    signature_ok: bool


@dataclass
class FaultServer:
    secret_key: str = "testing"
    default: Action = OK
    max_message_size: int = 262_144
    script: deque[Action] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    valid_access_keys: set[str] | None = None
    clock_skew_s: float = 0.0
    skew_code: str = "RequestTimeTooSkewed"
    ssl_context: ssl.SSLContext | None = None
    refused: list[str] = field(default_factory=list)  # codes of the requests refused as above

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._release = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def queue_url(self) -> str:
        return f"{self.endpoint_url}/123456789012/events"

    @property
    def batches(self) -> list[Received]:
        return [r for r in self.received if r.target.endswith("SendMessageBatch")]

    def bodies(self) -> list[str]:
        return [entry["MessageBody"] for entry in self.delivered]

    async def start(self) -> FaultServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._release.set()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def __aenter__(self) -> FaultServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -----------------------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self._answer(method, path, headers, body, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:  # stop(): end quietly (streams log cancelled handlers)
            return
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        writer: asyncio.StreamWriter,
    ) -> bool:
        target = headers.get("x-amz-target", "")
        payload = json.loads(body) if body else {}
        received = Received(target, headers, payload, self._verify(method, path, headers, body))
        self.received.append(received)
        if not received.signature_ok:
            return await self._send_error(writer, Error(403, "SignatureDoesNotMatch"), headers)
        refusal = self._refusal(headers)
        if refusal is not None:
            self.refused.append(refusal.code)
            return await self._send_error(writer, refusal, headers)
        if target.endswith("GetQueueAttributes"):
            attributes = {"MaximumMessageSize": str(self.max_message_size)}
            return await self._send(writer, 200, {"Attributes": attributes})
        action = self.script.popleft() if self.script else self.default
        if action == HANG:
            await self._release.wait()
            return False
        if action == RESET:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if action == CLOSE:
            writer.close()
            return False
        if isinstance(action, Error):
            return await self._send_error(writer, action, headers)
        if isinstance(action, Raw):
            return await self._send_raw(writer, action.content)
        entries = payload.get("Entries", [])
        failures = action.failures if isinstance(action, Partial) else {}
        successful, failed = [], []
        for position, entry in enumerate(entries):
            if position in failures:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": failures[position],
                        "Code": "InvalidParameterValue" if failures[position] else "InternalError",
                        "Message": "scripted entry failure",
                    }
                )
                continue
            self.delivered.append(entry)
            md5 = hashlib.md5(entry["MessageBody"].encode(), usedforsecurity=False).hexdigest()
            successful.append(
                {
                    "Id": entry["Id"],
                    "MessageId": f"m-{len(self.delivered)}",
                    "MD5OfMessageBody": md5,
                }
            )
        return await self._send(writer, 200, {"Successful": successful, "Failed": failed})

    async def _send_error(
        self, writer: asyncio.StreamWriter, error: Error, headers: dict[str, str]
    ) -> bool:
        message = error.message
        if error.echo_credentials:
            message += (
                f" auth={headers.get('authorization')} token={headers.get('x-amz-security-token')}"
            )
        extra = {"x-amzn-query-error": f"{error.code};Sender"} if error.query_header else {}
        body = {"__type": f"com.amazonaws.sqs#{error.code}", "message": message}
        return await self._send(writer, error.status, body, extra)

    async def _send_raw(self, writer: asyncio.StreamWriter, content: bytes) -> bool:
        date = email.utils.formatdate(self.now(), usegmt=True)
        head = f"HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: {len(content)}\r\n\r\n"
        writer.write(head.encode() + content)
        await writer.drain()
        return True

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: dict[str, Any],
        extra: dict[str, str] | None = None,
    ) -> bool:
        data = json.dumps(payload).encode()
        date = email.utils.formatdate(self.now(), usegmt=True)
        head = [f"HTTP/1.1 {status} X", "Content-Type: application/x-amz-json-1.0", f"Date: {date}"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        head.append(f"Content-Length: {len(data)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        return True

    def now(self) -> float:
        """The server's clock."""
        return time.time() + self.clock_skew_s

    def _refusal(self, headers: dict[str, str]) -> Error | None:
        authorization = headers.get("authorization", "")
        key = authorization.split("Credential=", 1)[-1].split("/", 1)[0]
        if self.valid_access_keys is not None and key not in self.valid_access_keys:
            return Error(400, "ExpiredToken", "The security token in the request is expired")
        try:
            signed_at = dt.datetime.strptime(headers.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ")
        except ValueError:
            return Error(400, "IncompleteSignature", "no X-Amz-Date")
        if abs(signed_at.replace(tzinfo=dt.UTC).timestamp() - self.now()) > 300:
            return Error(
                400 if self.skew_code != "RequestTimeTooSkewed" else 403,
                self.skew_code,
                "Signature expired: the request time is more than 5 minutes from the server's",
            )
        return None

    def _verify(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Recompute the signature with botocore from what arrived on the wire."""
        authorization = headers.get("authorization", "")
        try:
            credential = authorization.split("Credential=", 1)[1].split(",", 1)[0]
            signed = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
            signature = authorization.split("Signature=", 1)[1].strip()
        except IndexError:
            return False
        access_key, _date, region, service, _ = credential.split("/")
        request = AWSRequest(
            method=method,
            url=f"http://{headers.get('host', '')}{path}",
            headers={name: headers.get(name, "") for name in signed},
            data=body,
        )
        request.context["timestamp"] = headers.get("x-amz-date", "")
        creds = ReadOnlyCredentials(
            access_key, self.secret_key, headers.get("x-amz-security-token")
        )
        signer = SigV4Auth(creds, service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return expected == signature


# Emitter options that make retries instant against the fault server.
FAST = {
    "credentials": ("AKIDTEST", "testing"),
    "region": "us-east-1",
    "backoff": BackoffPolicy(0.001, 0.005),
    "max_message_bytes": 262_144,
    "request_timeout_s": 5.0,
}


def make_emitter(
    server: FaultServer, failures: list[DeliveryFailure] | None = None, **kw: Any
) -> Emitter:
    """An emitter aimed at ``server`` with :data:`FAST` options; failures appended to a list."""
    options = {**FAST, **kw}
    if failures is not None:
        options["on_error"] = failures.append
    return Emitter(server.queue_url, **options)
