"""Pure ASGI middleware that emits one analytics event per HTTP request, after it completes.

Recorded per request (the event's JSON keys; the rules are in ``http_event``)::

    type, request_id, service, method, path, route, status, country, user_agent,
    request_bytes, response_bytes, elapsed_ms, started_at, emitted_at,
    [client_disconnected], [error], [token_fingerprint]

``elapsed_ms`` runs from the request's arrival in the middleware until the last body chunk has
been handed to the server, so streamed responses are measured in full. The request ID comes from
``request_id_header`` when it is well-formed, else is generated; it is echoed in the response and
placed in ``scope["edgewatch.request_id"]`` for the app. Lifespan shutdown drains the emitter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Protocol

from edgewatch_emitter.http_event import DEFAULT_COUNTRY_HEADERS, MAX_TEXT, RequestRecorder

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


class EmitterMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        emitter: EventSink,
        *,
        service: str | None = None,
        event_type: str = "http_request",
        country_headers: Sequence[str] = DEFAULT_COUNTRY_HEADERS,
        request_id_header: str = "x-request-id",
        fingerprint_salt: bytes | None = None,
        close_on_shutdown: bool = True,
        shutdown_timeout_s: float = 5.0,
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
        self._country_headers = tuple(h.encode("latin-1") for h in self.recorder.country_headers)
        self._request_id_header = self.recorder.request_id_header.encode("latin-1")
        self._fingerprint = fingerprint_salt is not None
        self._close_on_shutdown = close_on_shutdown
        self._shutdown_timeout_s = shutdown_timeout_s
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # ----------------------------------------------------------------------------------- http ---
    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = self._clock()
        started_at = time.time()
        country = user_agent = proposed_id = fingerprint = None
        declared_length = 0
        for name, value in scope.get("headers") or ():
            if name == b"user-agent":
                user_agent = value.decode("latin-1")[:MAX_TEXT]
            elif name == self._request_id_header:
                proposed_id = value.decode("latin-1")
            elif name in self._country_headers and country is None:
                country = self.recorder.country(value.decode("latin-1"))
            elif name == b"content-length":
                declared_length = int(value) if value.isdigit() else 0
            elif name == b"authorization" and self._fingerprint:
                fingerprint = self.recorder.fingerprint(value.decode("latin-1"))
        request_id = self.recorder.request_id(proposed_id)
        scope["edgewatch.request_id"] = request_id
        state = _Exchange()
        echo = (self._request_id_header, request_id.encode("latin-1"))

        def emit() -> None:  # once: at the last body chunk, or when the app returns or raises
            self._emit(
                scope,
                state,
                started,
                started_at,
                request_id,
                country,
                user_agent,
                fingerprint,
                declared_length,
            )

        async def receive_counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state.request_bytes += len(message.get("body", b""))
            elif message["type"] == "http.disconnect":
                state.disconnected = True
            return message

        async def send_recording(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                state.status = message["status"]
                headers = list(message.get("headers") or ())
                if not any(name.lower() == echo[0] for name, _ in headers):
                    headers.append(echo)
                message = {**message, "headers": headers}
            elif kind == "http.response.body":
                state.response_bytes += len(message.get("body", b""))
                state.finished = not message.get("more_body", False)
            elif kind == "http.response.pathsend":
                state.finished = True
            try:
                await send(message)
            except OSError:
                state.disconnected = True
                raise
            if state.finished and not state.emitted:
                emit()

        try:
            await self.app(scope, receive_counting, send_recording)
        except BaseException as exc:
            state.error = type(exc).__name__
            if state.status is None:
                state.status = 500
            raise
        finally:
            if not state.emitted:
                emit()

    def _emit(
        self,
        scope: Scope,
        state: _Exchange,
        started: float,
        started_at: float,
        request_id: str,
        country: str | None,
        user_agent: str | None,
        fingerprint: str | None,
        declared_length: int,
    ) -> None:
        state.emitted = True
        event = self.recorder.event(
            request_id=request_id,
            method=scope.get("method"),
            path=str(scope.get("path", "")),
            route=_route_of(scope),
            status=state.status,
            country=country,
            user_agent=user_agent,
            request_bytes=state.request_bytes or declared_length,
            response_bytes=state.response_bytes,
            elapsed_ms=(self._clock() - started) * 1000.0,
            started_at=started_at,
            disconnected=state.disconnected,
            error=state.error,
            fingerprint=fingerprint,
        )
        try:
            self.emitter.emit(event)
        except Exception:  # an analytics problem must never fail the request
            log.exception("request event not emitted")

    # ------------------------------------------------------------------------------- lifespan ---
    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        received_any = False

        async def receive_starting() -> Message:
            nonlocal received_any
            received_any = True
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.emitter.start()
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
                self.emitter.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._drain()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _drain(self) -> None:
        try:
            if self._close_on_shutdown:
                await self.emitter.aclose(self._shutdown_timeout_s)
            else:
                await self.emitter.flush(self._shutdown_timeout_s)
        except Exception:
            log.exception("emitter drain at shutdown failed")


class _Exchange:
    __slots__ = (
        "disconnected",
        "emitted",
        "error",
        "finished",
        "request_bytes",
        "response_bytes",
        "status",
    )

    def __init__(self) -> None:
        self.status: int | None = None
        self.request_bytes = 0
        self.response_bytes = 0
        self.finished = False
        self.emitted = False
        self.disconnected = False
        self.error: str | None = None


def _route_of(scope: Scope) -> str | None:
    """The route template if the framework left one in the scope (Starlette, FastAPI, or us)."""
    route = scope.get("edgewatch.route") or scope.get("route")
    if route is None:
        return None
    if isinstance(route, str):
        return route
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None
