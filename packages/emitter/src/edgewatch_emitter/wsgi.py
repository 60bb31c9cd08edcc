"""WSGI middleware (Flask, Django, any WSGI app): one event per request, as the ASGI one records.

The event has the same keys as ``edgewatch_emitter.asgi`` records (see ``http_event``).
``elapsed_ms`` runs until the server closes the response iterable, so the body iteration
(templates rendered lazily, streamed files) is included. The request ID comes from
``request_id_header`` when well-formed, else is generated; it is echoed in the response and
placed in ``environ["edgewatch.request_id"]``. The route template is taken from
``environ["edgewatch.route"]``, which ``record_flask_routes(app)`` fills for Flask (a Django
view or middleware can set it from ``request.resolver_match.route``). ``Authorization``, cookies and
API-key headers are never recorded.

The emitter is a ``ThreadedEmitter`` (WSGI servers have no event loop); ``emit()`` is an O(1)
append, so the middleware costs the request a few microseconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from edgewatch_emitter.http_event import DEFAULT_COUNTRY_HEADERS, MAX_TEXT, RequestRecorder

log = logging.getLogger("edgewatch_emitter.wsgi")

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class SyncEventSink(Protocol):
    """What the middleware needs: ``edgewatch_emitter.threaded.ThreadedEmitter`` fits."""

    def emit(self, event: Any) -> None: ...


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class EmitterMiddleware:
    def __init__(
        self,
        app: WSGIApp,
        emitter: SyncEventSink,
        *,
        service: str | None = None,
        event_type: str = "http_request",
        country_headers: Sequence[str] = DEFAULT_COUNTRY_HEADERS,
        request_id_header: str = "x-request-id",
        fingerprint_salt: bytes | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.emitter = emitter
        self.recorder = RequestRecorder(
            service=service,
            event_type=event_type,
            country_headers=country_headers,
            request_id_header=request_id_header,
            fingerprint_salt=fingerprint_salt,
        )
        self._country_keys = tuple(_environ_key(h) for h in self.recorder.country_headers)
        self._request_id_key = _environ_key(request_id_header)
        self._request_id_header = request_id_header
        self._fingerprint = fingerprint_salt is not None
        self._clock = clock

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        exchange = _Exchange(self, environ)
        request_id = exchange.request_id
        echo = self._request_id_header.lower()

        def start_recording(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            exchange.status = int(status[:3]) if status[:3].isdigit() else None
            for name, value in headers:
                if name.lower() == "content-length" and value.isdigit():
                    exchange.expected_bytes = int(value)
            if not any(name.lower() == echo for name, _ in headers):
                headers = [*headers, (self._request_id_header, request_id)]
            write = start_response(status, headers, exc_info)

            def write_counting(data: bytes) -> object:  # the legacy write() path
                exchange.response_bytes += len(data)
                return write(data)

            return write_counting

        try:
            body = self.app(environ, start_recording)
        except BaseException as exc:
            exchange.fail(exc)
            exchange.finish()
            raise
        return _Body(body, exchange)

    def _emit(self, event: dict[str, Any]) -> None:
        try:
            self.emitter.emit(event)
        except Exception:  # an analytics problem must never fail the request
            log.exception("request event not emitted")


class _Exchange:
    """One request as the middleware saw it; ``finish()`` emits its event, once."""

    __slots__ = (
        "country",
        "disconnected",
        "emitted",
        "environ",
        "error",
        "expected_bytes",
        "fingerprint",
        "middleware",
        "request_id",
        "response_bytes",
        "started",
        "started_at",
        "status",
    )

    def __init__(self, middleware: EmitterMiddleware, environ: Environ) -> None:
        self.middleware = middleware
        self.environ = environ
        self.started = middleware._clock()
        self.started_at = time.time()
        recorder = middleware.recorder
        self.request_id = recorder.request_id(environ.get(middleware._request_id_key))
        environ["edgewatch.request_id"] = self.request_id
        self.country: str | None = None
        for key in middleware._country_keys:
            value = environ.get(key)
            if value:
                self.country = recorder.country(value)
                break
        self.fingerprint: str | None = None
        if middleware._fingerprint and environ.get("HTTP_AUTHORIZATION"):
            self.fingerprint = recorder.fingerprint(environ["HTTP_AUTHORIZATION"])
        self.status: int | None = None
        self.response_bytes = 0
        self.expected_bytes: int | None = None  # the response's Content-Length, if declared
        self.error: str | None = None
        self.disconnected = False
        self.emitted = False

    def fail(self, exc: BaseException) -> None:
        self.error = type(exc).__name__
        if self.status is None:
            self.status = 500

    def finish(self) -> None:
        if self.emitted:
            return
        self.emitted = True
        middleware, environ = self.middleware, self.environ
        length = environ.get("CONTENT_LENGTH") or ""
        user_agent = environ.get("HTTP_USER_AGENT")
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        event = middleware.recorder.event(
            request_id=self.request_id,
            method=environ.get("REQUEST_METHOD"),
            path=path,
            route=_route_of(environ),
            status=self.status,
            country=self.country,
            user_agent=user_agent[:MAX_TEXT] if user_agent else None,
            request_bytes=int(length) if length.isdigit() else 0,
            response_bytes=self.response_bytes,
            elapsed_ms=(middleware._clock() - self.started) * 1000.0,
            started_at=self.started_at,
            disconnected=self.disconnected,
            error=self.error,
            fingerprint=self.fingerprint,
        )
        middleware._emit(event)


class _Body:
    """The app's response iterable, counted; the event is emitted when the server closes it."""

    __slots__ = ("_body", "_done", "_exchange", "_started")

    def __init__(self, body: Iterable[bytes], exchange: _Exchange) -> None:
        self._body = body
        self._exchange = exchange
        self._started = False
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        exchange = self._exchange
        self._started = True
        try:
            for chunk in self._body:
                exchange.response_bytes += len(chunk)
                yield chunk
        except Exception as exc:
            exchange.fail(exc)
            raise
        self._done = True

    def close(self) -> None:
        exchange = self._exchange
        short = exchange.expected_bytes is None or exchange.response_bytes < exchange.expected_bytes
        if self._started and not self._done and exchange.error is None and short:
            exchange.disconnected = True  # the server stopped iterating: the client went away
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._exchange.finish()


def _route_of(environ: Environ) -> str | None:
    route = environ.get("edgewatch.route")
    return route if isinstance(route, str) else None


def record_flask_routes(app: Any) -> None:
    """Let the middleware record Flask's matched rule (``/items/<int:item_id>``) as the route."""
    from flask import request  # only called by Flask apps

    def _record_route() -> None:
        rule = request.url_rule
        if rule is not None:
            request.environ["edgewatch.route"] = rule.rule

    # Registered by call, not as a decorator: ``app`` is untyped, so a decorator would make the
    # function untyped too. Flask's before_request returns the function unchanged either way.
    app.before_request(_record_route)
