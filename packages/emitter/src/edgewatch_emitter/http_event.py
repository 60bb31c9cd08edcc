"""The request event both middlewares record (ASGI and WSGI): one shape, one set of rules.

Recorded: method, path (no query string: that is where ``?api_key=`` lives), route template,
status, country (from the edge's header, e.g. ``CloudFront-Viewer-Country`` or
``CF-IPCountry``), user agent, byte counts, elapsed time and the request ID. Never recorded:
``Authorization``, cookies, API-key headers, any other header. A ``token_fingerprint`` (salted
HMAC of a bearer token, 16 hex digits) is added only when a salt is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Sequence
from typing import Any

REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
MAX_TEXT = 512
DEFAULT_COUNTRY_HEADERS = ("cloudfront-viewer-country", "cf-ipcountry", "x-country-code")


class RequestRecorder:
    """The options of a middleware and the event it builds from what it saw."""

    def __init__(
        self,
        *,
        service: str | None,
        event_type: str,
        country_headers: Sequence[str],
        request_id_header: str,
        fingerprint_salt: bytes | None,
    ) -> None:
        self.service = service
        self.event_type = event_type
        self.country_headers = tuple(h.lower() for h in country_headers)
        self.request_id_header = request_id_header.lower()
        self.fingerprint_salt = fingerprint_salt

    @staticmethod
    def request_id(proposed: str | None) -> str:
        """The caller's ID when well-formed (it is echoed back), else a fresh one."""
        if proposed is not None and REQUEST_ID.fullmatch(proposed):
            return proposed
        return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID

    @staticmethod
    def country(value: str) -> str | None:
        return value[:8].upper() or None

    def fingerprint(self, authorization: str) -> str | None:
        if self.fingerprint_salt is None:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = hmac.new(self.fingerprint_salt, token.strip().encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def event(
        self,
        *,
        request_id: str,
        method: str | None,
        path: str,
        route: str | None,
        status: int | None,
        country: str | None,
        user_agent: str | None,
        request_bytes: int,
        response_bytes: int,
        elapsed_ms: float,
        started_at: float,
        disconnected: bool,
        error: str | None,
        fingerprint: str | None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": self.event_type,
            "request_id": request_id,
            "service": self.service,
            "method": method,
            "path": path[: MAX_TEXT * 2],
            "route": route,
            "status": status,
            "country": country,
            "user_agent": user_agent[:MAX_TEXT] if user_agent else None,
            "request_bytes": request_bytes,
            "response_bytes": response_bytes,
            "elapsed_ms": round(elapsed_ms, 3),
            "started_at": round(started_at, 6),
            "emitted_at": round(time.time(), 6),
        }
        if disconnected:
            event["client_disconnected"] = True
        if error:
            event["error"] = error
        if fingerprint:
            event["token_fingerprint"] = fingerprint
        return event
