"""A pure ASGI service instrumented with edgewatch's emitter middleware.

Every request becomes one event on SQS, sent after the response completed and costing the
request path a few microseconds. Run the self-contained demo (an embedded moto server stands in
for SQS; the events are read back and printed)::

    uv run python examples/asgi_app.py

or serve it with any ASGI server against a real queue (credentials from the standard AWS chain)::

    EDGEWATCH_EMITTER_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/edge-events \\
        uvicorn --factory examples.asgi_app:create_app
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx
from edgewatch_emitter import Emitter
from edgewatch_emitter.asgi import ASGIApp, EmitterMiddleware, Receive, Scope, Send


async def service(scope: Scope, receive: Receive, send: Send) -> None:
    """The application itself: knows nothing about analytics."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/":
        await _json(send, 200, {"hello": "edge"})
    elif path.startswith("/items/"):
        scope["edgewatch.route"] = "/items/{item_id}"  # the template, for grouping in analytics
        await _json(send, 200, {"item": path.removeprefix("/items/")})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n in range(3):
            await send({"type": "http.response.body", "body": b"%d\n" % n, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b"done\n"})
    else:
        await _json(send, 404, {"error": "not found"})


async def _json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_app(emitter: Emitter) -> ASGIApp:
    return EmitterMiddleware(
        service,
        emitter,
        service="example-api",
        country_headers=("cloudfront-viewer-country", "cf-ipcountry"),
        fingerprint_salt=os.environ.get("EDGEWATCH_FINGERPRINT_SALT", "").encode() or None,
    )


def create_app() -> ASGIApp:
    """Factory for ASGI servers: the queue URL comes from ``EDGEWATCH_EMITTER_QUEUE_URL``."""
    queue_url = os.environ["EDGEWATCH_EMITTER_QUEUE_URL"]
    endpoint_url = os.environ.get("EDGEWATCH_EMITTER_ENDPOINT_URL") or None
    return build_app(Emitter(queue_url, endpoint_url=endpoint_url))


async def exercise(app: ASGIApp) -> None:
    """A few requests through the app (in-process, via httpx's ASGI transport)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
        await client.get("/", headers={"cf-ipcountry": "NL", "authorization": "Bearer demo"})
        await client.get("/items/7", headers={"x-request-id": "demo-request-1"})
        await client.get("/stream")
        await client.get("/missing")


async def _demo() -> None:
    from _local_sqs import local_queue, print_events

    from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

    with local_queue("edge-events") as (queue_url, endpoint_url, sqs):
        emitter = Emitter(queue_url, endpoint_url=endpoint_url, credentials=FAKE_CREDENTIALS)
        async with emitter:
            await exercise(build_app(emitter))
            result = await emitter.flush(10)
        print(f"sent {result.stats.sent} events; reading them back from SQS:")
        print_events(sqs, queue_url)


if __name__ == "__main__":
    asyncio.run(_demo())
