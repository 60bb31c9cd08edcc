"""The apps the middleware benchmark serves, chosen by ``EDGEWATCH_BENCH_APP`` and ``_MODE``.

ASGI (uvicorn ``--factory benchmarks.web_apps:asgi_app``): ``EDGEWATCH_BENCH_APP=bare`` is a raw
ASGI callable, ``fastapi`` a FastAPI app with one path-parameter route returning a dict (the
shape of the app Sentry's SDK was measured on). Modes: ``plain`` (no instrumentation),
``middleware`` (``EmitterMiddleware`` + ``Emitter``, fire-and-forget; FastAPI gets it through
``add_middleware``, as the docs show), ``middleware-null`` (the middleware with an emitter that
discards: its own cost), ``blocking`` (bare only: the handler awaits one signed ``SendMessage``
per request before answering — what ``await send(event)`` costs).

WSGI (gunicorn ``benchmarks.web_apps:wsgi_app()``): ``bare`` is a plain WSGI callable, ``flask``
a Flask app with one route returning a dict. Modes ``plain``, ``middleware-null`` and
``middleware`` (``ThreadedEmitter``, created in each worker after the fork, since gunicorn
loads the app in the worker). For both, ``middleware-linger`` is ``middleware`` with the
emitter's ``linger_ms`` set to ``EDGEWATCH_BENCH_LINGER_MS`` (25 by default) instead of 5.

``fastapi-cpu`` is the FastAPI app with a handler that first does ``EDGEWATCH_BENCH_CPU_MS`` (1 by
default) of CPU work, as a service's handler does (rendering, a database driver): what the
instrumentation costs an app whose requests are not empty.

``EDGEWATCH_BENCH_WORK_MS``: the handler's own time (``asyncio.sleep`` for ASGI, bare only).
The queue is ``EDGEWATCH_BENCH_SINK`` (``benchmarks/sqs_sink.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from edgewatch_emitter import Emitter, EmitterOptions
from edgewatch_emitter.asgi import EmitterMiddleware as AsgiMiddleware
from edgewatch_emitter.credentials import CredentialSource
from edgewatch_emitter.sqs_json import SqsJsonClient
from edgewatch_emitter.wire import AsyncioTransport

CREDENTIALS = ("AKIDBENCHMARK", "benchmark-secret-key")
QUEUE_PATH = "/123456789012/bench-events"
BODY = b'{"item":"1"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]


def _settings() -> tuple[str, str, float]:
    mode = os.environ.get("EDGEWATCH_BENCH_MODE", "plain")
    if mode not in ("plain", "middleware", "middleware-null", "middleware-linger", "blocking"):
        raise SystemExit(f"unknown EDGEWATCH_BENCH_MODE {mode!r}")
    if mode == "middleware-linger":  # the emitter with EDGEWATCH_BENCH_LINGER_MS (see _options)
        mode = "middleware"
    sink = os.environ.get("EDGEWATCH_BENCH_SINK", "http://127.0.0.1:9")
    work_s = float(os.environ.get("EDGEWATCH_BENCH_WORK_MS", "0")) / 1000.0
    return mode, sink, work_s


def _options(sink: str) -> EmitterOptions:
    options = EmitterOptions(
        credentials=CREDENTIALS, region="us-east-1", endpoint_url=sink, max_message_bytes=262_144
    )
    if os.environ.get("EDGEWATCH_BENCH_MODE") == "middleware-linger":
        return options.replace(linger_ms=float(os.environ.get("EDGEWATCH_BENCH_LINGER_MS", "25")))
    return options


def _app_kind() -> str:
    return os.environ.get("EDGEWATCH_BENCH_APP", "bare")


def asgi_app() -> Any:
    mode, sink, work_s = _settings()
    queue_url = f"{sink}{QUEUE_PATH}"
    if _app_kind() in ("fastapi", "fastapi-cpu"):
        return _fastapi_app(mode, queue_url, sink)
    client: SqsJsonClient | None = None

    async def service(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal client
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        scope["edgewatch.route"] = "/items/{item_id}"
        if work_s:
            await asyncio.sleep(work_s)
        if mode == "blocking":
            if client is None:
                client = SqsJsonClient(
                    queue_url=queue_url,
                    endpoint_url=sink,
                    region="us-east-1",
                    credentials=CredentialSource(CREDENTIALS),
                    http=AsyncioTransport(max_connections=64),
                    timeout_s=10.0,
                )
            event = {"type": "http_request", "path": scope["path"], "at": time.time()}
            body = json.dumps({"QueueUrl": queue_url, "MessageBody": json.dumps(event)})
            await client.call("SendMessage", body.encode())  # the request waits for SQS
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})

    if mode == "middleware":
        return AsgiMiddleware(service, Emitter(queue_url, _options(sink)), service="bench")
    if mode == "middleware-null":  # the middleware's own cost: events built, then discarded
        return AsgiMiddleware(service, _NullSink(), service="bench")
    return service


def _fastapi_app(mode: str, queue_url: str, sink: str) -> Any:
    from fastapi import FastAPI

    app = FastAPI()
    cpu_s = (
        float(os.environ.get("EDGEWATCH_BENCH_CPU_MS", "1")) / 1000.0
        if _app_kind() == "fastapi-cpu"
        else 0.0
    )

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        if cpu_s:
            _burn(cpu_s)
        return {"item": item_id}

    if mode == "middleware":
        app.add_middleware(
            AsgiMiddleware, emitter=Emitter(queue_url, _options(sink)), service="bench"
        )
    elif mode == "middleware-null":
        app.add_middleware(AsgiMiddleware, emitter=_NullSink(), service="bench")
    return app


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU (not wall-clock: a busy machine stretches it)."""
    clock = time.thread_time
    until = clock() + seconds
    while clock() < until:
        pass


class _NullSink:
    def emit(self, event: Any) -> None:
        pass

    def start(self) -> None:
        pass

    async def flush(self, timeout: float | None = None) -> None:
        pass

    async def aclose(self, timeout: float | None = None) -> None:
        pass


def wsgi_app() -> Callable[..., Iterable[bytes]]:
    mode, sink, work_s = _settings()

    def service(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["edgewatch.route"] = "/items/{item_id}"
        if work_s:
            time.sleep(work_s)
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
        )
        return [BODY]

    flask_app = _flask_app() if _app_kind() == "flask" else None
    app: Callable[..., Iterable[bytes]] = flask_app.wsgi_app if flask_app else service
    if mode in ("middleware", "middleware-null"):
        from edgewatch_emitter.threaded import ThreadedEmitter
        from edgewatch_emitter.wsgi import EmitterMiddleware as WsgiMiddleware
        from edgewatch_emitter.wsgi import record_flask_routes

        emitter: Any = (
            ThreadedEmitter(f"{sink}{QUEUE_PATH}", _options(sink))
            if mode == "middleware"
            else _NullSink()
        )
        if flask_app is not None:
            record_flask_routes(flask_app)
        app = WsgiMiddleware(app, emitter, service="bench")
    if flask_app is not None:
        flask_app.wsgi_app = app
        return flask_app
    return app


def _flask_app() -> Any:
    from flask import Flask

    app = Flask("bench")

    @app.get("/items/<item_id>")
    def item(item_id: str) -> dict[str, str]:
        return {"item": item_id}

    return app


# ------------------------------------------------------------------ in-process, no server ---
# The middleware's own cost per request, with nothing else around it: the apps above called
# directly, in a loop, with a minimal request and an emitter that discards.
_SCOPE_HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"cloudfront-viewer-country", b"DE"),
    (b"user-agent", b"loadgen/1"),
]
_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/items/1",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "127.0.0.1:8000",
    "HTTP_CLOUDFRONT_VIEWER_COUNTRY": "DE",
    "HTTP_USER_AGENT": "loadgen/1",
}


async def _bare_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope["edgewatch.route"] = "/items/{item_id}"
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def _bare_wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    environ["edgewatch.route"] = "/items/{item_id}"
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "12")])
    return [BODY]


def _time_asgi(app: Any, calls: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    async def run() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            scope = {"type": "http", "method": "GET", "path": "/items/1"}
            scope["headers"] = _SCOPE_HEADERS
            await app(scope, receive, send)
        return (time.perf_counter() - started) / calls * 1e6

    return asyncio.run(run())


def _time_wsgi(app: Any, calls: int) -> float:
    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return len

    started = time.perf_counter()
    for _ in range(calls):
        body = app(dict(_ENVIRON), start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - started) / calls * 1e6


def _asgi_middleware() -> Any:
    return AsgiMiddleware(_bare_asgi, _NullSink(), service="bench")


def _wsgi_middleware() -> Any:
    from edgewatch_emitter.wsgi import EmitterMiddleware as WsgiMiddleware

    return WsgiMiddleware(_bare_wsgi, _NullSink(), service="bench")


RUNS: dict[str, Callable[[int], float]] = {  # name: calls -> µs per call
    "asgi-bare": lambda calls: _time_asgi(_bare_asgi, calls),
    "asgi-middleware": lambda calls: _time_asgi(_asgi_middleware(), calls),
    "wsgi-bare": lambda calls: _time_wsgi(_bare_wsgi, calls),
    "wsgi-middleware": lambda calls: _time_wsgi(_wsgi_middleware(), calls),
}
