"""SQS over its JSON protocol: signed requests, and answers classified for retry.

One request is ``POST /`` with ``X-Amz-Target: AmazonSQS.<Operation>`` and an
``application/x-amz-json-1.0`` body. The body is serialised once; those exact bytes are hashed
into the signature and sent. Errors carry ``__type`` (``com.amazonaws.sqs#Code``) and, for the
query-compatible codes, an ``x-amzn-query-error: Code;Sender`` header, which wins when present.
Nothing derived from the request headers ever reaches an error message. Requests go through the
built-in ``AsyncioTransport`` (serialised here) or through an ``httpx.AsyncClient`` / httpx
transport the caller supplied (the optional ``httpx`` extra; imported only then).

A clock that is off by more than SigV4's five minutes makes every request fail
(``RequestTimeTooSkewed``, or ``InvalidSignatureException`` / ``SignatureDoesNotMatch`` with a
"Signature expired" message). The answer's ``Date`` header tells the server's time: the client
keeps the offset, signs with it from then on, and resends the request once at once.
"""

from __future__ import annotations

import email.utils
import json
import json.decoder
import json.encoder
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any, Literal
from urllib.parse import urlsplit

from botocore.credentials import ReadOnlyCredentials

from edgewatch_emitter.batch import BatchResult, classify_batch
from edgewatch_emitter.codes import EXPIRED_CODES, SKEW_CODES, THROTTLE_CODES
from edgewatch_emitter.credentials import CredentialSource, CredentialUnavailable
from edgewatch_emitter.sigv4 import REDACTED, RequestSigner, amz_date, redact_headers
from edgewatch_emitter.wire import AsyncioTransport, RawResponse, TransportError

log = logging.getLogger("edgewatch_emitter")

CONTENT_TYPE = "application/x-amz-json-1.0"
USER_AGENT = "edgewatch-emitter/0.1"
_USER_AGENT_LINE = f"User-Agent: {USER_AGENT}\r\n"
RETRYABLE_CODES = THROTTLE_CODES | {"RequestTimeout", "RequestTimeoutException", "InternalError"}
_MESSAGE_LIMIT = 300
_SKEW_TOLERANCE_S = 60.0  # a smaller difference cannot be what the server refused
# One encoder for every request: json.dumps() with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_STRING = json.encoder.encode_basestring  # a JSON string literal
_ENTRY_SEPARATORS = ('{"Id":"0",', *(f',{{"Id":"{i}",' for i in range(1, 10)))
_IDS = tuple(str(i) for i in range(10))
_ID_LISTS = tuple(list(_IDS[:n]) for n in range(11))
_ID_OF = itemgetter("Id")
# The decoder's scanner (the C one when available); typeshed does not declare the attribute.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]

Verdict = Literal["ok", "retry", "reject"]


@dataclass(slots=True)
class Answer:
    """The outcome of one request. ``verdict`` says what to do with the whole request."""

    verdict: Verdict
    status: int | None = None
    code: str | None = None
    message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    entries: BatchResult | None = None  # batch calls: the per-entry outcomes
    elapsed_s: float | None = None
    credentials_expired: bool = False
    server_date: float | None = None  # the answer's Date header (epoch seconds), on errors
    signed_offset_s: float = 0.0  # the clock offset the request was signed with
    all_sent: bool = False  # a batch call whose every entry is in Successful, none in Failed


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
        http: Any,
        timeout_s: float,
    ) -> None:
        self.queue_url = queue_url
        self._queue_json = _STRING(queue_url)
        parts = urlsplit(endpoint_url)
        self._host = parts.netloc
        self._url = f"{parts.scheme}://{parts.netloc}/"
        self.region = region
        self._signer = RequestSigner(self._host, region, "sqs", CONTENT_TYPE)
        self._credentials = credentials
        self._http = http
        self._timeout_s = timeout_s
        self._timeouts = {
            "connect": timeout_s,
            "read": timeout_s,
            "write": timeout_s,
            "pool": timeout_s,
        }
        self.clock_offset_s = 0.0  # server time minus ours, learnt from a skew error
        self.skew_corrections = 0
        self._scheme = parts.scheme
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._connect_host = parts.hostname or ""
        self.redact = Redactor()
        self._remembered: ReadOnlyCredentials | None = None
        self._use_raw = isinstance(http, AsyncioTransport)
        self._batch_open = f'{{"QueueUrl":{self._queue_json},"Entries":['

    async def call(self, operation: str, body: bytes, entries: int = 0) -> Answer:
        """Send one request; never raises for transport trouble (it becomes a ``retry`` answer).

        ``entries``: for a batch call, how many entries ``body`` holds (ids ``"0"``...); an
        answer that plainly acknowledges all of them is marked ``all_sent``.
        """
        answer = await self._call_once(operation, body, entries)
        if answer.verdict != "ok" and self._correct_skew(answer):
            # re-signed with the server's time
            answer = await self._call_once(operation, body, entries)
        return answer

    def _correct_skew(self, answer: Answer) -> bool:
        """Adopt the server's clock if the answer blames ours; True if a resend may now work."""
        if answer.code not in SKEW_CODES or answer.server_date is None:
            return False
        if answer.signed_offset_s != self.clock_offset_s:
            return True  # a concurrent request has corrected the clock since this one was signed
        offset = answer.server_date - time.time()
        if abs(offset - self.clock_offset_s) < _SKEW_TOLERANCE_S:
            return False  # not a clock problem we can fix (or already fixed)
        log.warning(
            "emitter: the local clock is %+.0f s off the endpoint's; signing with its time",
            -offset,
        )
        self.clock_offset_s = offset
        self.skew_corrections += 1
        return True

    async def _call_once(self, operation: str, body: bytes, entries: int = 0) -> Answer:
        creds = self._credentials.current()
        if creds is None:
            try:
                creds = await self._credentials.get()
            except CredentialUnavailable as exc:
                return Answer("retry", code="CredentialsUnavailable", message=str(exc))
            except Exception as exc:  # a provider's refresh failed; the type name is safe to show
                return Answer(
                    "retry",
                    code="CredentialsUnavailable",
                    message=f"refresh: {type(exc).__name__}",
                )
        if creds is not self._remembered:  # frozen credentials: a new object on each refresh
            self.redact.remember(creds.secret_key, creds.token)
            self._remembered = creds
        offset = self.clock_offset_s
        target = f"AmazonSQS.{operation}"
        timestamp = amz_date(offset_s=offset)
        if log.isEnabledFor(logging.DEBUG):  # for diagnosing signatures; credentials redacted
            headers = self._signer.sign(target, body, creds, timestamp)
            headers.append(("User-Agent", USER_AGENT))
            log.debug(
                "%s %s (%d bytes) %s", operation, self._url, len(body), redact_headers(headers)
            )
        started = time.perf_counter()
        try:
            if self._use_raw:
                raw = await self._http.send_raw(
                    self._scheme,
                    self._connect_host,
                    self._port,
                    self._signer.request_head(target, body, creds, timestamp, _USER_AGENT_LINE)
                    + body,
                    self._timeouts,
                )
                status, query_error, date, content = _parts(raw)
            else:
                headers = self._signer.sign(target, body, creds, timestamp)
                headers.append(("User-Agent", USER_AGENT))
                status, query_error, date, content = await self._send_httpx(body, headers)
        except TransportError as exc:
            kind = type(exc).__name__
            detail = self.redact(str(exc)) if str(exc) else ""
            return Answer("retry", code=kind, message=f"{kind}: {detail}".rstrip(": "))
        answer = self._classify(status, query_error, content, entries)
        answer.elapsed_s = time.perf_counter() - started
        answer.signed_offset_s = offset
        if answer.verdict != "ok" and date:
            answer.server_date = _parse_date(date)
        return answer

    async def _send_httpx(
        self, body: bytes, headers: list[tuple[str, str]]
    ) -> tuple[int, str | None, str | None, bytes]:
        """Through a caller-supplied httpx client or transport (the ``httpx`` extra)."""
        import httpx

        http = self._http
        timeout = httpx.Timeout(self._timeout_s)
        try:
            if isinstance(http, httpx.AsyncClient):
                request = http.build_request(
                    "POST", self._url, content=body, headers=headers, timeout=timeout
                )
                response = await http.send(request)
            else:  # an httpx transport: no cookies, redirects or auth hooks needed for SQS
                request = httpx.Request(
                    "POST",
                    self._url,
                    content=body,
                    headers=headers,
                    extensions={"timeout": timeout.as_dict()},
                )
                response = await http.handle_async_request(request)
                await response.aread()
        except httpx.TransportError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from None
        return (
            response.status_code,
            response.headers.get("x-amzn-query-error"),
            response.headers.get("date"),
            response.content,
        )

    def _classify(
        self, status: int, query_error: str | None, content: bytes, entries: int = 0
    ) -> Answer:
        try:
            payload = _loads(content) if content else {}
        except ValueError:
            payload = None
        if type(payload) is not dict:
            # A proxy's HTML error page, or a truncated answer: judge by the status alone.
            verdict: Verdict = "retry" if status >= 500 or status in (200, 408, 429) else "reject"
            return Answer(verdict, status=status, code=f"HTTP{status}", message="non-JSON answer")
        if status == 200:
            sent = entries > 0 and _all_sent(payload, entries)
            return Answer("ok", status=status, payload=payload, all_sent=sent)
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
        """The request body; entry ``Id``s are set to the entries' positions."""
        parts = []
        for index, entry in enumerate(entries):
            entry["Id"] = str(index)
            if len(entry) == 2:  # Id and MessageBody only (the common case): no dict walk
                parts.append(f'{{"Id":"{index}","MessageBody":{_STRING(entry["MessageBody"])}}}')
            else:
                parts.append(_ENCODE(entry))
        return f'{{"QueueUrl":{self._queue_json},"Entries":[{",".join(parts)}]}}'.encode()

    async def send_message_batch(self, entries: list[dict[str, Any]]) -> Answer:
        """One SendMessageBatch; entry ``Id``s are their positions in ``entries``."""
        answer = await self.call("SendMessageBatch", self.batch_body(entries), len(entries))
        if answer.verdict == "ok":
            answer.entries = classify_batch(
                map(str, range(len(entries))), answer.payload, clean=self.redact
            )
        return answer

    async def send_entries(self, fragments: list[str]) -> Answer:
        """One SendMessageBatch of pre-rendered entries (see ``entry_fragment``), ≤ 10.

        Entry ``Id``s are their positions. ``entries`` of the answer is filled only when it
        does not plainly acknowledge every entry (``all_sent``): the common case needs no
        per-entry walk.
        """
        count = len(fragments)
        if count > len(_ENTRY_SEPARATORS):
            raise ValueError("a SendMessageBatch holds at most 10 entries")
        # One join: separators and fragments interleaved, no string per entry.
        entries = chain.from_iterable(zip(_ENTRY_SEPARATORS, fragments, strict=False))
        body = (self._batch_open + "".join(entries) + "]}").encode()
        answer = await self._call_once("SendMessageBatch", body, count)  # call(), one level less
        if answer.verdict != "ok" and self._correct_skew(answer):
            answer = await self._call_once("SendMessageBatch", body, count)
        if answer.verdict == "ok" and not answer.all_sent:
            answer.entries = classify_batch(_IDS[:count], answer.payload, clean=self.redact)
        return answer

    async def get_queue_attributes(self, names: list[str]) -> dict[str, str]:
        body = json.dumps({"QueueUrl": self.queue_url, "AttributeNames": names}).encode()
        answer = await self.call("GetQueueAttributes", body)
        if answer.verdict != "ok":
            raise LookupError(f"{answer.code}: {answer.message}".rstrip(": "))
        attributes = answer.payload.get("Attributes") or {}
        return {str(k): str(v) for k, v in attributes.items()}


def entry_fragment(entry: dict[str, Any]) -> str:
    """A batch entry as JSON without its opening brace and ``Id`` (which is set per request)."""
    if len(entry) == 1:  # MessageBody only (the common case): no dict walk
        return f'"MessageBody":{_STRING(entry["MessageBody"])}}}'
    return _ENCODE(entry)[1:]


def json_text_fragment(body: str) -> str:
    """``entry_fragment`` for a body that is ASCII JSON text: only quotes and backslashes need
    escaping (JSON text outside its strings, and ASCII-escaped strings, hold no control
    characters), which two ``str.replace`` do faster than the general JSON string encoder."""
    if "\\" in body:
        body = body.replace("\\", "\\\\")
    return '"MessageBody":"' + body.replace('"', '\\"') + '"}'


def _loads(content: bytes) -> Any:
    """``json.loads(content)``, through the C scanner directly for the common answer (UTF-8,
    one JSON value, nothing around it): ``json.loads`` adds a Python encoding detection and two
    whitespace regexes per call. Anything else goes to ``json.loads`` itself, which gives the
    same result or raises the same error."""
    try:
        text = content.decode("utf-8")
        value, end = _SCAN(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return json.loads(content)
    if end != len(text):
        return json.loads(content)
    return value


def _all_sent(payload: dict[str, Any], count: int) -> bool:
    """True only if ``Successful`` holds exactly the ids ``"0"``..``count-1``, in order, and
    ``Failed`` is absent or empty: the one answer that needs no per-entry classification.

    Anything else (a failure, a missing, repeated, reordered or non-string id, an odd type) is
    False, and the caller classifies the answer entry by entry.
    """
    if count > len(_IDS) or payload.get("Failed"):
        return False
    successful = payload.get("Successful")
    if type(successful) is not list or len(successful) != count:
        return False
    try:  # an item that is not an object, or has no "Id", raises
        return list(map(_ID_OF, successful)) == _ID_LISTS[count]
    except (KeyError, TypeError):
        return False


def _parts(raw: RawResponse) -> tuple[int, str | None, str | None, bytes]:
    """The status, ``x-amzn-query-error``, ``Date`` and the content of an answer."""
    status = raw.status
    if status == 200:  # neither header is read from a success
        return status, None, None, bytes(raw.body)
    query_error = raw.header(b"x-amzn-query-error")
    date = raw.header(b"date")
    return (
        status,
        query_error.decode("latin-1") if query_error is not None else None,
        date.decode("latin-1") if date is not None else None,
        bytes(raw.body),
    )


def _error_codes(query_error: str | None, payload: dict[str, Any]) -> list[str]:
    """Error codes, the query-compatible one (``x-amzn-query-error``) first when present."""
    codes = []
    if query_error:
        codes.append(query_error.split(";", 1)[0].strip())
    type_code = str(payload.get("__type") or payload.get("code") or "")
    codes.append(type_code.rsplit("#", 1)[-1].split(":", 1)[0])
    return [c for c in codes if c]


def _parse_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
