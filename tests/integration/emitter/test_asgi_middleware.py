"""The ASGI middleware driving a real ASGI app, emitting through a real Emitter into moto."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import httpx
from edgewatch_emitter import Emitter
from edgewatch_emitter.asgi import EmitterMiddleware

from edgewatch.simulator.moto_server import MotoServer
from tests.support.sqs import receive_all

SECRETS = ("TOKEN-SECRET-1234", "COOKIE-SECRET-5678", "APIKEY-SECRET-9012", "QUERY-SECRET-3456")
SALT = b"test-salt"
CHUNKS = (b"first,", b"second,", b"third")


class StreamTimes:
    """When the app began streaming and when it handed over its last chunk."""

    first: float = 0.0
    last: float = 0.0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A pure ASGI app: a templated route, a streamed response, an upload, a crash."""
    assert scope["type"] == "http"
    path = scope["path"]
    if path.startswith("/items/"):
        scope["edgewatch.route"] = "/items/{item_id}"
        body = json.dumps({"item": path.rsplit("/", 1)[1]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        StreamTimes.first = time.perf_counter()
        for chunk in CHUNKS[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0.02)  # the stream takes a while: elapsed must cover it
        StreamTimes.last = time.perf_counter()
        await send({"type": "http.response.body", "body": CHUNKS[-1]})
    elif path == "/upload":
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})
    elif path == "/boom":
        raise RuntimeError("the handler crashed")
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_events_record_requests_and_never_secrets(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="requests")["QueueUrl"]
    emitter = Emitter(queue_url, endpoint_url=moto_server.endpoint_url)
    middleware = EmitterMiddleware(app, emitter, service="api", fingerprint_salt=SALT)
    token, cookie, api_key, query = SECRETS
    secret_headers = {
        "authorization": f"Bearer {token}",
        "cookie": f"session={cookie}",
        "x-api-key": api_key,
        "user-agent": "pytest-agent/1.0",
        "cf-ipcountry": "de",
    }
    transport = httpx.ASGITransport(app=middleware, raise_app_exceptions=False)
    async with emitter, httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        item = await client.get(
            f"/items/42?token={query}", headers={**secret_headers, "x-request-id": "req-123"}
        )
        stream = await client.get("/stream", headers={**secret_headers, "x-request-id": "bad id!"})
        upload = await client.post("/upload", content=b"x" * 1234, headers=secret_headers)
        boom = await client.get("/boom", headers=secret_headers)
        result = await emitter.flush(20)
    assert result.complete and result.stats.sent == 4
    assert (item.status_code, stream.content, upload.text, boom.status_code) == (
        200,
        b"".join(CHUNKS),
        "1234",
        500,
    )

    messages = await receive_all(boto3_sqs, queue_url, 4)
    for message in messages:
        for secret in SECRETS:
            assert secret not in json.dumps(message)
    events = {e["path"]: e for e in (json.loads(m["Body"]) for m in messages)}

    items = events["/items/42"]
    assert items["route"] == "/items/{item_id}"
    assert items["request_id"] == "req-123" == item.headers["x-request-id"]
    assert (items["method"], items["status"], items["country"]) == ("GET", 200, "DE")
    assert items["user_agent"] == "pytest-agent/1.0"
    assert items["service"] == "api" and items["type"] == "http_request"
    expected = hmac.new(SALT, token.encode(), hashlib.sha256).hexdigest()[:16]
    assert items["token_fingerprint"] == expected
    assert items["started_at"] <= items["emitted_at"]

    streamed = events["/stream"]
    assert streamed["response_bytes"] == len(b"".join(CHUNKS))
    assert streamed["elapsed_ms"] >= (StreamTimes.last - StreamTimes.first) * 1000.0
    assert streamed["request_id"] == stream.headers["x-request-id"]
    assert streamed["request_id"] != "bad id!" and len(streamed["request_id"]) == 32

    uploaded = events["/upload"]
    assert (uploaded["status"], uploaded["request_bytes"]) == (201, 1234)
    assert uploaded["route"] is None

    crashed = events["/boom"]
    assert (crashed["status"], crashed["error"]) == (500, "RuntimeError")


async def drive_lifespan(asgi: Any, requests: Any) -> list[str]:
    """Run startup, ``requests()``, shutdown through the lifespan protocol; returns sent types."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            started.set()

    task = asyncio.create_task(
        asgi({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait_for(started.wait(), 10)
    await requests()
    await inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(task, 20)
    return sent


async def test_lifespan_shutdown_drains_the_emitter(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="lifespan")["QueueUrl"]
    emitter = Emitter(queue_url, endpoint_url=moto_server.endpoint_url, linger_ms=60_000)
    middleware = EmitterMiddleware(app, emitter)  # the app itself does not speak lifespan

    async def requests() -> None:
        transport = httpx.ASGITransport(app=middleware)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for i in range(3):
                assert (await client.get(f"/items/{i}")).status_code == 200

    sent = await drive_lifespan(middleware, requests)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    closed = await emitter.aclose()  # already closed by the shutdown: same result
    assert closed.complete and closed.stats.sent == 3
    messages = await receive_all(boto3_sqs, queue_url, 3)
    assert sorted(json.loads(m["Body"])["path"] for m in messages) == [
        "/items/0",
        "/items/1",
        "/items/2",
    ]


def load_example() -> Any:
    path = Path(__file__).resolve().parents[3] / "examples" / "asgi_app.py"
    spec = importlib.util.spec_from_file_location("edgewatch_example_asgi_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_example_app_works(moto_server: MotoServer, boto3_sqs: Any) -> None:
    example = load_example()
    queue_url = boto3_sqs.create_queue(QueueName="example")["QueueUrl"]
    emitter = Emitter(queue_url, endpoint_url=moto_server.endpoint_url)
    asgi = example.build_app(emitter)

    async def requests() -> None:
        await example.exercise(asgi)

    sent = await drive_lifespan(asgi, requests)
    assert sent[-1] == "lifespan.shutdown.complete"
    messages = await receive_all(boto3_sqs, queue_url, emitter.stats().sent)
    paths = {json.loads(m["Body"])["path"] for m in messages}
    assert {"/", "/stream"} <= paths
