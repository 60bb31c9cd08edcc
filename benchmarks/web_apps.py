"""The apps the middleware benchmark serves, chosen by ``EDGEWATCH_BENCH_MODE``.

ASGI (uvicorn ``--factory benchmarks.web_apps:asgi_app``), modes:
``plain`` (no instrumentation), ``middleware`` (``EmitterMiddleware``, fire-and-forget),
``middleware-null`` (the middleware with an emitter that discards: its own cost),
``blocking`` (the handler awaits one signed ``SendMessage`` per request before answering — what
``await send(event)`` costs). WSGI (gunicorn ``benchmarks.web_apps:wsgi_app()``), modes ``plain``
and ``middleware`` (``ThreadedEmitter``, created in each worker after the fork).
``EDGEWATCH_BENCH_WORK_MS``: the handler's own time (``asyncio.sleep`` for ASGI). The queue is
``EDGEWATCH_BENCH_SINK`` (``benchmarks/sqs_sink.py``).
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
    sink = os.environ.get("EDGEWATCH_BENCH_SINK", "http://127.0.0.1:9")
    work_s = float(os.environ.get("EDGEWATCH_BENCH_WORK_MS", "0")) / 1000.0
    return mode, sink, work_s


def _options(sink: str) -> EmitterOptions:
    return EmitterOptions(
        credentials=CREDENTIALS, region="us-east-1", endpoint_url=sink, max_message_bytes=262_144
    )


def asgi_app() -> Any:
    mode, sink, work_s = _settings()
    queue_url = f"{sink}{QUEUE_PATH}"
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

    if mode == "middleware":
        from edgewatch_emitter.threaded import ThreadedEmitter
        from edgewatch_emitter.wsgi import EmitterMiddleware as WsgiMiddleware

        emitter = ThreadedEmitter(f"{sink}{QUEUE_PATH}", _options(sink))
        return WsgiMiddleware(service, emitter, service="bench")
    return service
