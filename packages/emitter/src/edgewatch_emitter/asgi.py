"""Pure ASGI middleware that emits one analytics event per HTTP request, after it completes.

Recorded per request (the event's JSON keys; the rules are in ``http_event``)::

    type, request_id, service, method, path, route, status, country, user_agent,
    request_bytes, response_bytes, elapsed_ms, started_at, emitted_at,
    [client_disconnected], [error], [token_fingerprint]

``elapsed_ms`` runs from the request's arrival in the middleware until the last body chunk has
been handed to the server, so streamed responses are measured in full. The request ID comes from
``request_id_header`` when it is well-formed, else is generated; it is echoed in the response and
placed in ``scope["edgewatch.request_id"]`` for the app. Lifespan shutdown drains the emitter.

Per request it costs one pass over the request headers (a dict look-up each, keeping only the
ones it records), one small ``__slots__`` object whose bound methods wrap ``receive`` and
``send``, and the echoed header as bytes ready for the server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol, Unpack

from edgewatch_emitter.http_event import (
    MAX_PATH,
    MAX_TEXT,
    REQUEST_ID_BYTES,
    Exchange,
    Recorder,
    RecorderOptions,
    new_request_id,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("edgewatch_emitter.asgi")


class EventSink(Protocol):
    """What the middleware needs from an emitter (``edgewatch_emitter.Emitter`` fits)."""

    def emit(self, event: Any) -> None: ...

    def start(self) -> None: ...

    async def flush(self, timeout: float | None = ...) -> Any: ...

    async def aclose(self, timeout: float | None = ...) -> Any: ...


# What the one pass over the request headers keeps, by header name.
_USER_AGENT, _REQUEST_ID, _COUNTRY, _LENGTH, _AUTHORIZATION = range(5)


class EmitterMiddleware(Recorder):
    """``EmitterMiddleware(app, emitter, service=..., ...)``: the options are ``Recorder``'s,
    plus what the lifespan shutdown does with the emitter (``aclose``, or only ``flush``) and
    within how long."""

    def __init__(
        self,
        app: ASGIApp,
        emitter: EventSink,
        *,
        close_on_shutdown: bool = True,
        shutdown_timeout_s: float = 5.0,
        **options: Unpack[RecorderOptions],
    ) -> None:
        super().__init__(emitter, **options)
        self.app = app
        self._sink = emitter
        self._echo_name = self.request_id_header.encode("latin-1")
        wanted = {b"user-agent": _USER_AGENT, b"content-length": _LENGTH}
        wanted.update((h.encode("latin-1"), _COUNTRY) for h in self.country_headers)
        if self.fingerprint_salt is not None:
            wanted[b"authorization"] = _AUTHORIZATION
        wanted[self._echo_name] = _REQUEST_ID
        self._wanted = wanted
        self._close_on_shutdown = close_on_shutdown
        self._shutdown_timeout_s = shutdown_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "lifespan":
                await self._lifespan(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except BaseException as exc:
            exchange.fail(exc)
            raise
        finally:
            if not exchange.emitted:  # usually done already, at the last body chunk
                exchange.finish()

    # ------------------------------------------------------------------------------- lifespan ---
    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        received_any = False

        async def receive_starting() -> Message:
            nonlocal received_any
            received_any = True
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._sink.start()
            return message

        async def send_draining(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self._drain()
            await send(message)

        try:
            await self.app(scope, receive_starting, send_draining)
        except Exception:
            if received_any:
                raise
            # The app does not speak lifespan: speak it on its behalf, so the drain still runs.
            await self._own_lifespan(receive, send)

    async def _own_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._sink.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._drain()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _drain(self) -> None:
        try:
            if self._close_on_shutdown:
                await self._sink.aclose(self._shutdown_timeout_s)
            else:
                await self._sink.flush(self._shutdown_timeout_s)
        except Exception:
            log.exception("emitter drain at shutdown failed")


class _Exchange(Exchange):
    """One HTTP request: what the headers said, and ``receive``/``send`` as counted."""

    __slots__ = ("_echo", "_receive", "_received", "_scope", "_send")

    def __init__(
        self, middleware: EmitterMiddleware, scope: Scope, receive: Receive, send: Send
    ) -> None:
        super().__init__(middleware)
        self._scope = scope
        self._receive = receive
        self._send = send
        self.method = scope.get("method")
        self.path = str(scope.get("path") or "")[:MAX_PATH]
        proposed = None
        declared = 0
        wanted = middleware._wanted
        for name, value in scope.get("headers") or ():
            kind = wanted.get(name)
            if kind is None:
                continue
            if kind == _USER_AGENT:
                self.user_agent = value[:MAX_TEXT].decode("latin-1")
            elif kind == _COUNTRY:
                if self.country is None:
                    self.country = value[:8].decode("latin-1").upper() or None
            elif kind == _REQUEST_ID:
                proposed = value
            elif kind == _LENGTH:
                declared = int(value) if value.isdigit() else 0
            else:  # _AUTHORIZATION, only looked for when fingerprints are on
                self.fingerprint = middleware.fingerprint(value.decode("latin-1"))
        self.request_bytes = declared  # until the app reads the body: then what it read
        self._received = 0
        if proposed is not None and REQUEST_ID_BYTES.fullmatch(proposed):
            self.request_id = proposed.decode("ascii")
        else:
            self.request_id = new_request_id()
            proposed = self.request_id.encode("ascii")
        self._echo = (middleware._echo_name, proposed)
        scope["edgewatch.request_id"] = self.request_id

    async def receive(self) -> Message:
        message = await self._receive()
        kind = message["type"]
        if kind == "http.request":
            received = self._received + len(message.get("body", b""))
            self._received = received
            if received:
                self.request_bytes = received
        elif kind == "http.disconnect":
            self.disconnected = True
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        finished = False
        if kind == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers") or ()
            if not isinstance(headers, list | tuple):
                headers = list(headers)
            echo = self._echo
            for name, _ in headers:
                if name.lower() == echo[0]:
                    break
            else:  # the app did not set one: echo ours (never the app's own headers mutated)
                message = {**message, "headers": [*headers, echo]}
        elif kind == "http.response.body":
            self.response_bytes += len(message.get("body", b""))
            finished = not message.get("more_body", False)
        elif kind == "http.response.pathsend":
            finished = True
        try:
            await self._send(message)
        except OSError:
            self.disconnected = True
            raise
        if finished:
            self.finish()

    def route(self) -> str | None:
        """The route template if the framework left one in the scope (Starlette, FastAPI, us)."""
        scope = self._scope
        route = scope.get("edgewatch.route") or scope.get("route")
        if route is None or isinstance(route, str):
            return route
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        return template if isinstance(template, str) else None
