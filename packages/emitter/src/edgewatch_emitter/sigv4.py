"""SigV4 signing for requests that botocore does not send itself (the emitter's own requests).

The cryptography and canonicalisation are botocore's own ``SigV4Auth``; this module only feeds it
a request and a fixed timestamp, and hands back the header list to put on the wire. The caller
sends exactly the ``body`` bytes that were signed and exactly the returned headers (plus unsigned
ones such as ``User-Agent``), which is what makes the signature hold.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

SENSITIVE_HEADERS = frozenset({"authorization", "x-amz-security-token"})
REDACTED = "[redacted]"


# botocore ships no type information (imported with ignore_missing_imports), so SigV4Auth is Any.
class _SigV4AtTime(SigV4Auth):  # type: ignore[misc]
    """botocore's signer with the time supplied by the caller (the test vectors fix it).

    The payload hash is taken over the body bytes given to ``sign_request`` (the bytes that will
    be sent), instead of botocore's ``request.body``, which re-prepares the whole request.
    """

    def __init__(self, credentials: ReadOnlyCredentials, service: str, region: str, body: bytes):
        super().__init__(credentials, service, region)
        self._body = body

    def payload(self, request: AWSRequest) -> str:
        return hashlib.sha256(self._body).hexdigest()

    def add_auth_at(self, request: AWSRequest, amz_date: str) -> None:
        # The same steps as SigV4Auth.add_auth, which reads the wall clock itself.
        request.context["timestamp"] = amz_date
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


_last_date: tuple[int, str] = (-1, "")


def amz_date(now: _dt.datetime | None = None, offset_s: float = 0.0) -> str:
    """The ``X-Amz-Date`` form of ``now`` (UTC), default the clock plus ``offset_s`` (a learnt
    clock skew); the current second's string is cached."""
    global _last_date
    if now is not None:
        return now.astimezone(_dt.UTC).strftime(SIGV4_TIMESTAMP)
    second = int(time.time() + offset_s)
    if _last_date[0] != second:
        stamp = _dt.datetime.fromtimestamp(second, _dt.UTC).strftime(SIGV4_TIMESTAMP)
        _last_date = (second, stamp)
    return _last_date[1]


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    *,
    credentials: ReadOnlyCredentials,
    region: str,
    service: str,
    timestamp: str | None = None,
) -> list[tuple[str, str]]:
    """Sign a request; returns every header to send, ``Authorization`` last.

    ``headers`` may repeat a name (pairs are kept in order). ``X-Amz-Date`` is set from
    ``timestamp`` (``YYYYMMDDTHHMMSSZ``, default now) and ``X-Amz-Security-Token`` from the
    credentials' token, which is signed (SQS requires the token to be part of the signature).
    """
    request = AWSRequest(method=method, url=url, data=body)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        request.headers[name] = value  # HTTPHeaders appends: duplicates are preserved
    _SigV4AtTime(credentials, service, region, body).add_auth_at(request, timestamp or amz_date())
    return list(request.headers.items())


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A copy fit for logs and error reports: credentials-bearing values replaced."""
    return [
        (name, REDACTED if name.lower() in SENSITIVE_HEADERS else value) for name, value in headers
    ]


class RequestSigner:
    """SigV4 for one request shape only: ``POST /`` to one host, no query, a fixed header set.

    The emitter signs every batch; botocore's general signer (above) builds an ``AWSRequest``
    and an ``email.message`` header object each time and derives the signing key per request,
    about half the emitter's CPU per event. This signer builds the canonical request for the
    known headers directly and caches the derived key per (secret, day), as the SigV4
    specification allows. Tests check its output header for header against ``sign_request``.
    """

    def __init__(self, host: str, region: str, service: str, content_type: str) -> None:
        self.host = host
        self.region = region
        self.service = service
        self.content_type = content_type
        self._keys: dict[tuple[str, str], _HmacPads] = {}
        # The parts of the canonical request and of the head that never change.
        self._canonical_head = (
            f"POST\n/\n\ncontent-type:{_trim(content_type)}\nhost:{_trim(host)}\n"
        )
        self._wire_head = f"Host: {host}\r\nContent-Type: {content_type}\r\n"
        self._target_lines: dict[str, str] = {}

    def _key(self, secret: str, day: str) -> _HmacPads:
        pads = self._keys.get((secret, day))
        if pads is None:
            if len(self._keys) > 8:  # old days and rotated secrets
                self._keys.clear()
            key = _hmac(("AWS4" + secret).encode("utf-8"), day)
            for part in (self.region, self.service, "aws4_request"):
                key = _hmac(key, part)
            pads = self._keys[(secret, day)] = _HmacPads(key)
        return pads

    def _signature(
        self, target: str, body: bytes, credentials: ReadOnlyCredentials, timestamp: str
    ) -> tuple[str, str]:
        """The signed-headers list and the ``Authorization`` value for one request."""
        token = credentials.token
        if token:
            signed = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
            token_line = f"x-amz-security-token:{_trim(token)}\n"
        else:
            signed = "content-type;host;x-amz-date;x-amz-target"
            token_line = ""
        target_line = self._target_lines.get(target)
        if target_line is None:
            target_line = self._target_lines[target] = f"x-amz-target:{_trim(target)}\n"
        request = (
            f"{self._canonical_head}x-amz-date:{timestamp}\n{token_line}{target_line}\n"
            f"{signed}\n{hashlib.sha256(body).hexdigest()}"
        )
        day = timestamp[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        string_to_sign = (
            f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n"
            f"{hashlib.sha256(request.encode('utf-8')).hexdigest()}"
        )
        signature = (
            self._key(credentials.secret_key, day).digest(string_to_sign.encode("utf-8")).hex()
        )
        return signed, (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )

    def sign(
        self, target: str, body: bytes, credentials: ReadOnlyCredentials, timestamp: str
    ) -> list[tuple[str, str]]:
        """Every header to send for ``POST /`` with ``X-Amz-Target: target``."""
        _signed, authorization = self._signature(target, body, credentials, timestamp)
        headers = [
            ("Host", self.host),
            ("Content-Type", self.content_type),
            ("X-Amz-Target", target),
            ("X-Amz-Date", timestamp),
        ]
        if credentials.token:
            headers.append(("X-Amz-Security-Token", credentials.token))
        headers.append(("Authorization", authorization))
        return headers

    def request_head(
        self,
        target: str,
        body: bytes,
        credentials: ReadOnlyCredentials,
        timestamp: str,
        extra: str = "",
    ) -> bytes:
        """The HTTP/1.1 request head for ``sign()``'s headers, the same values in the same order.

        ``extra`` is further header lines (``"Name: value\\r\\n"``, unsigned, e.g. the
        User-Agent). One string format instead of a header list joined per request: the
        emitter sends one of these per batch.
        """
        _signed, authorization = self._signature(target, body, credentials, timestamp)
        token = credentials.token
        token_line = f"X-Amz-Security-Token: {token}\r\n" if token else ""
        return (
            f"POST / HTTP/1.1\r\n{self._wire_head}X-Amz-Target: {target}\r\n"
            f"X-Amz-Date: {timestamp}\r\n{token_line}Authorization: {authorization}\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")


class _HmacPads:
    """HMAC-SHA256 under one key with the padded key's two hash states computed once.

    ``hmac.digest`` looks the digest up by name on every call (slow with OpenSSL 3) and hashes
    both padded keys again; copying two ready states costs less than half of that, and the
    derived key is fixed for a day. The result is RFC 2104's, byte for byte (tested).
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # the SHA-256 block size (a derived SigV4 key is 32 bytes)
            key = hashlib.sha256(key).digest()
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _trim(value: str) -> str:
    return " ".join(value.split())
