"""The middlewares' shared recording: request IDs, the echoed header, one event shape."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
from typing import Any

from edgewatch_emitter.asgi import EmitterMiddleware as AsgiMiddleware
from edgewatch_emitter.http_event import new_request_id
from edgewatch_emitter.wsgi import EmitterMiddleware as WsgiMiddleware

HEX32 = re.compile(r"[0-9a-f]{32}")


class Collected:
    """An event sink that keeps what it is given (the middlewares' whole contract with it)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def start(self) -> None:
        pass

    async def flush(self, timeout: float | None = None) -> None:
        pass

    async def aclose(self, timeout: float | None = None) -> None:
        pass


def test_generated_request_ids_are_32_hex_digits_and_unique() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert all(HEX32.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)


def _child_id(queue: Any) -> None:
    queue.put(new_request_id())


def test_a_forked_child_draws_its_own_prefix() -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_id, args=(queue,))
    parent_id = new_request_id()
    child.start()
    child_id = queue.get(timeout=30)
    child.join(30)
    assert HEX32.fullmatch(child_id)
    assert child_id[:16] != parent_id[:16]  # same counter state, different 64-bit prefix


APP_HEADERS = [(b"content-type", b"text/plain")]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = APP_HEADERS if scope["path"] != "/own-id" else [(b"X-Request-Id", b"app-chosen")]
    scope["edgewatch.route"] = "/items/{item_id}"
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"hello"})


async def asgi_call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> list[Any]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
    await app(scope, receive, send)
    return sent


def response_headers(sent: list[Any]) -> list[tuple[bytes, bytes]]:
    return list(sent[0]["headers"])


def test_asgi_echoes_the_id_once_and_leaves_the_apps_headers_alone() -> None:
    sink = Collected()
    middleware = AsgiMiddleware(asgi_app, sink, service="api")
    given = asyncio.run(asgi_call(middleware, "/items/1", [(b"x-request-id", b"req-1")]))
    fresh = asyncio.run(asgi_call(middleware, "/items/2", [(b"x-request-id", b"bad id!")]))
    own = asyncio.run(asgi_call(middleware, "/own-id", []))
    assert APP_HEADERS == [(b"content-type", b"text/plain")]  # the app's list, never appended to
    assert (b"x-request-id", b"req-1") in response_headers(given)
    fresh_id = dict(response_headers(fresh))[b"x-request-id"].decode()
    assert HEX32.fullmatch(fresh_id)
    assert [name.lower() for name, _ in response_headers(own)].count(b"x-request-id") == 1
    assert [e["request_id"] for e in sink.events[:2]] == ["req-1", fresh_id]


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["edgewatch.route"] = "/items/{item_id}"
    headers = [("Content-Type", "text/plain"), ("Content-Length", "5")]
    if environ["PATH_INFO"] == "/own-id":
        headers.append(("X-REQUEST-ID", "app-chosen"))
    start_response("200 OK", headers)
    return [b"hello"]


def wsgi_call(app: Any, path: str, extra: dict[str, str]) -> list[tuple[str, str]]:
    started: list[list[tuple[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(headers)
        return lambda data: None

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", **extra}
    body = app(environ, start_response)
    assert b"".join(body) == b"hello"
    body.close()
    return started[0]


def test_wsgi_echoes_the_id_once() -> None:
    sink = Collected()
    middleware = WsgiMiddleware(wsgi_app, sink, service="api")
    given = wsgi_call(middleware, "/items/1", {"HTTP_X_REQUEST_ID": "req-1"})
    own = wsgi_call(middleware, "/own-id", {})
    assert ("x-request-id", "req-1") in given
    assert [name.lower() for name, _ in own].count("x-request-id") == 1
    assert sink.events[0]["request_id"] == "req-1"


def test_both_middlewares_record_the_same_event_for_the_same_request() -> None:
    asgi_sink, wsgi_sink = Collected(), Collected()
    asgi_headers = [
        (b"x-request-id", b"req-7"),
        (b"cf-ipcountry", b"fr"),
        (b"user-agent", b"agent/1"),
        (b"authorization", b"Bearer secret-token"),
        (b"cookie", b"session=secret-cookie"),
    ]
    asyncio.run(asgi_call(AsgiMiddleware(asgi_app, asgi_sink), "/items/7", asgi_headers))
    environ = {
        "HTTP_X_REQUEST_ID": "req-7",
        "HTTP_CF_IPCOUNTRY": "fr",
        "HTTP_USER_AGENT": "agent/1",
        "HTTP_AUTHORIZATION": "Bearer secret-token",
        "HTTP_COOKIE": "session=secret-cookie",
    }
    wsgi_call(WsgiMiddleware(wsgi_app, wsgi_sink), "/items/7", environ)
    (asgi_event,), (wsgi_event,) = asgi_sink.events, wsgi_sink.events
    timing = {"elapsed_ms", "started_at", "emitted_at"}
    assert asgi_event.keys() == wsgi_event.keys()
    assert {k: v for k, v in asgi_event.items() if k not in timing} == {
        k: v for k, v in wsgi_event.items() if k not in timing
    }
    assert asgi_event["country"] == "FR" and asgi_event["route"] == "/items/{item_id}"
    assert "secret" not in repr(asgi_event) + repr(wsgi_event)
