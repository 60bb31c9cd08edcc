"""SQS over its JSON protocol: signed requests, and answers classified for retry.

One request is ``POST /`` with ``X-Amz-Target: AmazonSQS.<Operation>`` and an
``application/x-amz-json-1.0`` body. The body is serialised once; those exact bytes are hashed
into the signature and sent. Errors carry ``__type`` (``com.amazonaws.sqs#Code``) and, for the
query-compatible codes, an ``x-amzn-query-error: Code;Sender`` header, which wins when present.
Nothing derived from the request headers ever reaches an error message. Requests go through the
built-in ``AsyncioTransport`` (serialised here, no httpx objects on the hot path) or through any
``httpx.AsyncClient`` / httpx transport the caller supplied.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from edgewatch.aws.errors import THROTTLE_CODES
from edgewatch.aws.sigv4 import REDACTED, redact_headers, sign_request
from edgewatch.emitter.credentials import CredentialSource, CredentialUnavailable
from edgewatch.emitter.wire import AsyncioTransport

log = logging.getLogger("edgewatch.emitter")

CONTENT_TYPE = "application/x-amz-json-1.0"
USER_AGENT = "edgewatch-emitter/0.1"
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
RETRYABLE_CODES = THROTTLE_CODES | {"RequestTimeout", "RequestTimeoutException", "InternalError"}
_MESSAGE_LIMIT = 300
# One encoder for every request: json.dumps() with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

Verdict = Literal["ok", "retry", "reject"]


@dataclass(slots=True)
class EntryFailure:
    id: str
    sender_fault: bool
    code: str | None
    message: str


@dataclass(slots=True)
class Answer:
    """The outcome of one request. ``verdict`` says what to do with the whole request."""

    verdict: Verdict
    status: int | None = None
    code: str | None = None
    message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    failed: list[EntryFailure] = field(default_factory=list)
    succeeded: set[str] = field(default_factory=set)
    message_ids: dict[str, str] = field(default_factory=dict)  # entry Id -> MessageId
    sequence_numbers: dict[str, str] = field(default_factory=dict)  # FIFO queues only
    elapsed_s: float | None = None
    credentials_expired: bool = False


class Redactor:
    """Scrubs every credential value this client has used from text bound for logs or callbacks."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def remember(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= 8:
                self._secrets.add(value)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "Signature=" in text:
            head, _, tail = text.partition("Signature=")
            text = head + "Signature=" + REDACTED + tail.lstrip("0123456789abcdef")
        return text[:_MESSAGE_LIMIT]


class SqsJsonClient:
    """Signs and sends SQS JSON requests for one queue."""

    def __init__(
        self,
        *,
        queue_url: str,
        endpoint_url: str,
        region: str,
        credentials: CredentialSource,
        http: httpx.AsyncClient | httpx.AsyncBaseTransport,
        timeout_s: float,
    ) -> None:
        self.queue_url = queue_url
        parts = urlsplit(endpoint_url)
        self._host = parts.netloc
        self._url = f"{parts.scheme}://{parts.netloc}/"
        self._httpx_url = httpx.URL(self._url)
        self.region = region
        self._credentials = credentials
        self._http = http
        self._timeout = httpx.Timeout(timeout_s)
        self._timeouts = self._timeout.as_dict()
        self._timeout_ext = {"timeout": self._timeouts}
        self._scheme = parts.scheme
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._connect_host = parts.hostname or ""
        self.redact = Redactor()

    async def call(self, operation: str, body: bytes) -> Answer:
        """Send one request; never raises for transport trouble (it becomes a ``retry`` answer)."""
        try:
            creds = await self._credentials.get()
        except CredentialUnavailable as exc:
            return Answer("retry", code="CredentialsUnavailable", message=str(exc))
        except Exception as exc:  # a provider's refresh failed; the type name is safe to show
            return Answer(
                "retry", code="CredentialsUnavailable", message=f"refresh: {type(exc).__name__}"
            )
        self.redact.remember(creds.secret_key, creds.token)
        headers = sign_request(
            "POST",
            self._url,
            (
                ("Host", self._host),
                ("Content-Type", CONTENT_TYPE),
                ("X-Amz-Target", f"AmazonSQS.{operation}"),
            ),
            body,
            credentials=creds,
            region=self.region,
            service="sqs",
        )
        headers.append(("User-Agent", USER_AGENT))
        if log.isEnabledFor(logging.DEBUG):  # for diagnosing signatures; credentials redacted
            log.debug(
                "%s %s (%d bytes) %s", operation, self._url, len(body), redact_headers(headers)
            )
        started = time.perf_counter()
        try:
            status, query_error, content = await self._send(body, headers)
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            detail = self.redact(str(exc)) if str(exc) else ""
            return Answer("retry", code=kind, message=f"{kind}: {detail}".rstrip(": "))
        answer = self._classify(status, query_error, content)
        answer.elapsed_s = time.perf_counter() - started
        return answer

    async def _send(
        self, body: bytes, headers: list[tuple[str, str]]
    ) -> tuple[int, str | None, bytes]:
        """POST ``body``; returns status, the ``x-amzn-query-error`` header, and the content."""
        http = self._http
        if isinstance(http, AsyncioTransport):
            head = "".join([f"{name}: {value}\r\n" for name, value in headers])
            data = (
                f"POST / HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1")
                + body
            )
            raw = await http.send_raw(
                self._scheme, self._connect_host, self._port, data, self._timeouts
            )
            query_error = raw.header(b"x-amzn-query-error")
            return (
                raw.status,
                query_error.decode("latin-1") if query_error is not None else None,
                bytes(raw.body),
            )
        if isinstance(http, httpx.AsyncClient):
            request = http.build_request(
                "POST", self._httpx_url, content=body, headers=headers, timeout=self._timeout
            )
            response = await http.send(request)
        else:  # any other httpx transport: no cookies, redirects or auth hooks needed for SQS
            request = httpx.Request(
                "POST", self._httpx_url, content=body, headers=headers, extensions=self._timeout_ext
            )
            response = await http.handle_async_request(request)
            await response.aread()
        return response.status_code, response.headers.get("x-amzn-query-error"), response.content

    def _classify(self, status: int, query_error: str | None, content: bytes) -> Answer:
        try:
            payload = json.loads(content) if content else {}
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            # A proxy's HTML error page, or a truncated answer: judge by the status alone.
            verdict: Verdict = "retry" if status >= 500 or status in (200, 408, 429) else "reject"
            return Answer(verdict, status=status, code=f"HTTP{status}", message="non-JSON answer")
        if status == 200:
            return Answer("ok", status=status, payload=payload)
        codes = _error_codes(query_error, payload)
        code = codes[0] if codes else None
        message = self.redact(str(payload.get("message") or payload.get("Message") or ""))
        expired = any(c in EXPIRED_CODES for c in codes)
        if expired:
            self._credentials.invalidate()
        retry = (
            status >= 500
            or status in (408, 429)
            or expired
            or any(c in RETRYABLE_CODES or c.rsplit(".", 1)[-1] in RETRYABLE_CODES for c in codes)
        )
        return Answer(
            "retry" if retry else "reject",
            status=status,
            code=code or f"HTTP{status}",
            message=message,
            credentials_expired=expired,
        )

    def batch_body(self, entries: list[dict[str, Any]]) -> bytes:
        for index, entry in enumerate(entries):
            entry["Id"] = str(index)
        return _ENCODE({"QueueUrl": self.queue_url, "Entries": entries}).encode("utf-8")

    async def send_message_batch(self, entries: list[dict[str, Any]]) -> Answer:
        """One SendMessageBatch; entry ``Id``s are their positions in ``entries``."""
        answer = await self.call("SendMessageBatch", self.batch_body(entries))
        if answer.verdict != "ok":
            return answer
        payload = answer.payload
        for item in payload.get("Successful") or ():
            key = str(item.get("Id"))
            answer.succeeded.add(key)
            answer.message_ids[key] = str(item.get("MessageId") or "")
            if item.get("SequenceNumber") is not None:
                answer.sequence_numbers[key] = str(item["SequenceNumber"])
        for item in payload.get("Failed") or ():
            answer.failed.append(
                EntryFailure(
                    id=str(item.get("Id")),
                    sender_fault=bool(item.get("SenderFault", True)),
                    code=str(item.get("Code") or "") or None,
                    message=self.redact(str(item.get("Message") or "")),
                )
            )
        return answer

    async def get_queue_attributes(self, names: list[str]) -> dict[str, str]:
        body = json.dumps({"QueueUrl": self.queue_url, "AttributeNames": names}).encode()
        answer = await self.call("GetQueueAttributes", body)
        if answer.verdict != "ok":
            raise LookupError(f"{answer.code}: {answer.message}".rstrip(": "))
        attributes = answer.payload.get("Attributes") or {}
        return {str(k): str(v) for k, v in attributes.items()}


def _error_codes(query_error: str | None, payload: dict[str, Any]) -> list[str]:
    """Error codes, the query-compatible one (``x-amzn-query-error``) first when present."""
    codes = []
    if query_error:
        codes.append(query_error.split(";", 1)[0].strip())
    type_code = str(payload.get("__type") or payload.get("code") or "")
    codes.append(type_code.rsplit("#", 1)[-1].split(":", 1)[0])
    return [c for c in codes if c]
