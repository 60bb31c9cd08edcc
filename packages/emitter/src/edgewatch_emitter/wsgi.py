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
append. Per request the middleware makes one ``__slots__`` object, which is at once the
``start_response`` it passes on (a bound method) and the response iterable it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Unpack

from edgewatch_emitter.http_event import (
    MAX_PATH,
    MAX_TEXT,
    Exchange,
    Recorder,
    RecorderOptions,
    SyncEventSink,
    request_id,
)

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

__all__ = ["EmitterMiddleware", "SyncEventSink", "record_flask_routes"]


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class EmitterMiddleware(Recorder):
    """``EmitterMiddleware(app, emitter, service=..., ...)``: the options are ``Recorder``'s."""

    def __init__(
        self, app: WSGIApp, emitter: SyncEventSink, **options: Unpack[RecorderOptions]
    ) -> None:
        super().__init__(emitter, **options)
        self.app = app
        self._country_keys = tuple(_environ_key(h) for h in self.country_headers)
        self._request_id_key = _environ_key(self.request_id_header)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        exchange = _Exchange(self, environ, start_response)
        try:
            exchange.body = self.app(environ, exchange.start_response)
        except BaseException as exc:
            exchange.fail(exc)
            exchange.finish()
            raise
        return exchange


class _Exchange(Exchange):
    """One request: its ``start_response`` wrapper and its counted response iterable.

    The event is emitted when the server closes the iterable, so the body iteration counts.
    """

    __slots__ = ("_done", "_iterating", "_start_response", "_write", "body", "environ", "expected")

    def __init__(
        self, middleware: EmitterMiddleware, environ: Environ, start_response: StartResponse
    ) -> None:
        super().__init__(middleware)
        self.environ = environ
        self._start_response = start_response
        self.body: Iterable[bytes] = ()
        self.expected: int | None = None  # the response's Content-Length, if declared
        self._iterating = False
        self._done = False
        self.method = environ.get("REQUEST_METHOD")
        self.path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))[:MAX_PATH]
        self.request_id = request_id(environ.get(middleware._request_id_key))
        environ["edgewatch.request_id"] = self.request_id
        length = environ.get("CONTENT_LENGTH")
        if length and length.isdigit():
            self.request_bytes = int(length)
        user_agent = environ.get("HTTP_USER_AGENT")
        if user_agent:
            self.user_agent = user_agent[:MAX_TEXT]
        for key in middleware._country_keys:
            value = environ.get(key)
            if value:
                self.country = value[:8].upper()
                break
        if middleware.fingerprint_salt is not None and environ.get("HTTP_AUTHORIZATION"):
            self.fingerprint = middleware.fingerprint(environ["HTTP_AUTHORIZATION"])

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        code = status[:3]
        self.status = int(code) if code.isdigit() else None
        echo = self.recorder.request_id_header
        echoed = False
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                if value.isdigit():
                    self.expected = int(value)
            elif lower == echo:
                echoed = True
        if not echoed:
            headers = [*headers, (self.recorder.request_id_echo, self.request_id)]
        self._write = self._start_response(status, headers, exc_info)
        return self.write

    def write(self, data: bytes) -> object:  # the legacy write() path
        self.response_bytes += len(data)
        return self._write(data)

    def __iter__(self) -> Iterator[bytes]:
        self._iterating = True
        try:
            for chunk in self.body:
                self.response_bytes += len(chunk)
                yield chunk
        except Exception as exc:
            self.fail(exc)
            raise
        self._done = True

    def close(self) -> None:
        short = self.expected is None or self.response_bytes < self.expected
        if self._iterating and not self._done and self.error is None and short:
            self.disconnected = True  # the server stopped iterating: the client went away
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.finish()

    def route(self) -> str | None:
        route = self.environ.get("edgewatch.route")
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
