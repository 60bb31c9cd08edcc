"""The request event both middlewares record (ASGI and WSGI): one shape, one set of rules.

Recorded: method, path (no query string: that is where ``?api_key=`` lives), route template,
status, country (from the edge's header, e.g. ``CloudFront-Viewer-Country`` or
``CF-IPCountry``), user agent, byte counts, elapsed time and the request ID. Never recorded:
``Authorization``, cookies, API-key headers, any other header. A ``token_fingerprint`` (salted
HMAC of a bearer token, 16 hex digits) is added only when a salt is configured.

This sits on every request of the service, so it is written for cost: one ``Exchange`` object
(``__slots__``) per request holds what the middleware saw, and ``finish()`` builds the event as
one dict literal and hands it to the emitter.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypedDict

REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
REQUEST_ID_BYTES = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
MAX_TEXT = 512
MAX_PATH = MAX_TEXT * 2
DEFAULT_COUNTRY_HEADERS = ("cloudfront-viewer-country", "cf-ipcountry", "x-country-code")

log = logging.getLogger("edgewatch_emitter.middleware")


class SyncEventSink(Protocol):
    """What recording needs from an emitter: ``Emitter`` and ``ThreadedEmitter`` fit."""

    def emit(self, event: Any) -> None: ...


# ------------------------------------------------------------------------------ request IDs ---
class _RequestIds:
    """Fresh request IDs: 32 hex digits, a per-process random prefix and a counter.

    ``os.urandom(16).hex()`` (or ``uuid4``) costs a system call per request; this costs a
    counter step and a format. The 64-bit prefix is drawn from ``os.urandom`` at import and again
    in every forked child (a pre-fork server's workers must not share it), so IDs stay unique
    across processes and restarts with the odds of a 64-bit collision, and within a process
    by the counter. They are identifiers, not secrets: the next one is guessable.
    """

    __slots__ = ("counter", "prefix")

    def __init__(self) -> None:
        self.renew()

    def renew(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()  # next() on it is atomic under the GIL: thread safe

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_ids = _RequestIds()
os.register_at_fork(after_in_child=_ids.renew)


def new_request_id() -> str:
    """A fresh request ID (see ``_RequestIds``)."""
    return _ids.new()


def request_id(proposed: str | None) -> str:
    """The caller's ID when well-formed (it is echoed back), else a fresh one."""
    if proposed is not None and REQUEST_ID.fullmatch(proposed):
        return proposed
    return _ids.new()


# -------------------------------------------------------------------------------- recording ---
class RecorderOptions(TypedDict, total=False):
    """The keyword options both middlewares take (defaults: ``Recorder``)."""

    service: str | None
    event_type: str
    country_headers: Sequence[str]
    request_id_header: str
    fingerprint_salt: bytes | None
    clock: Callable[[], float]


class Recorder:
    """The options both middlewares take, and what they need of them per request.

    ``service`` and ``event_type`` go into every event; ``country_headers`` are looked for in
    order of arrival, the first present wins; ``request_id_header`` is read and echoed;
    ``fingerprint_salt`` turns on ``token_fingerprint``; ``clock`` times ``elapsed_ms``.
    """

    def __init__(
        self,
        emitter: SyncEventSink,
        *,
        service: str | None = None,
        event_type: str = "http_request",
        country_headers: Sequence[str] = DEFAULT_COUNTRY_HEADERS,
        request_id_header: str = "x-request-id",
        fingerprint_salt: bytes | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.emitter = emitter
        self.service = service
        self.event_type = event_type
        self.country_headers = tuple(h.lower() for h in country_headers)
        self.request_id_header = request_id_header.lower()
        self.request_id_echo = request_id_header  # as spelled by the caller, for the response
        self.fingerprint_salt = fingerprint_salt
        self._clock = clock

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


class Exchange:
    """One request as a middleware saw it; ``finish()`` records it, once."""

    __slots__ = (
        "country",
        "disconnected",
        "emitted",
        "error",
        "fingerprint",
        "method",
        "path",
        "recorder",
        "request_bytes",
        "request_id",
        "response_bytes",
        "started",
        "started_at",
        "status",
        "user_agent",
    )
    # Set by each middleware's own exchange, from its scope or environ:
    method: str | None
    path: str
    request_id: str

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.started = recorder._clock()
        self.started_at = time.time()
        self.status: int | None = None
        self.request_bytes = 0
        self.response_bytes = 0
        self.error: str | None = None
        self.disconnected = False
        self.emitted = False
        self.country: str | None = None
        self.user_agent: str | None = None
        self.fingerprint: str | None = None

    def fail(self, exc: BaseException) -> None:
        self.error = type(exc).__name__
        if self.status is None:
            self.status = 500

    def route(self) -> str | None:
        """The route template, read when the request is done (the app sets it while routing)."""
        return None

    def finish(self) -> None:
        if self.emitted:
            return
        self.emitted = True
        recorder = self.recorder
        event: dict[str, Any] = {
            "type": recorder.event_type,
            "request_id": self.request_id,
            "service": recorder.service,
            "method": self.method,
            "path": self.path,
            "route": self.route(),
            "status": self.status,
            "country": self.country,
            "user_agent": self.user_agent,
            "request_bytes": self.request_bytes,
            "response_bytes": self.response_bytes,
            "elapsed_ms": round((recorder._clock() - self.started) * 1000.0, 3),
            "started_at": self.started_at,
            "emitted_at": time.time(),
        }
        if self.disconnected:
            event["client_disconnected"] = True
        if self.error:
            event["error"] = self.error
        if self.fingerprint:
            event["token_fingerprint"] = self.fingerprint
        try:
            recorder.emitter.emit(event)
        except Exception:  # an analytics problem must never fail the request
            log.exception("request event not emitted")
