"""The WSGI middleware under a real WSGI server (wsgiref, real sockets), with a Flask app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import flask
from edgewatch_emitter.threaded import ThreadedEmitter
from edgewatch_emitter.wsgi import EmitterMiddleware, record_flask_routes

from edgewatch.simulator.moto_server import MotoServer
from tests.support.sqs import receive_all


class ListSink:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def emit(self, event: Any) -> None:
        self.events.append(event)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def flask_app() -> flask.Flask:
    app = flask.Flask("shop")

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> Any:
        return {"id": item_id}

    @app.get("/slow-stream")
    def stream() -> Any:
        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                time.sleep(0.05)  # body iteration the elapsed time must include
                yield b"x" * 10

        return flask.Response(chunks())

    @app.get("/boom")
    def boom() -> Any:
        raise RuntimeError("broken")

    record_flask_routes(app)
    return app


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_records_method_route_status_country_and_echoes_the_request_id() -> None:
    sink = ListSink()
    with serving(EmitterMiddleware(flask_app().wsgi_app, sink, service="shop")) as base:
        status, headers, body = get(
            f"{base}/items/7?api_key=SECRET-QUERY",
            {
                "X-Request-Id": "req-123",
                "CloudFront-Viewer-Country": "de",
                "Authorization": "Bearer SECRET-TOKEN",
                "Cookie": "session=SECRET-COOKIE",
                "X-Api-Key": "SECRET-KEY",
                "User-Agent": "probe/1.0",
            },
        )
        get(f"{base}/items/8", {"CF-IPCountry": "fr"})
    assert status == 200 and json.loads(body) == {"id": 7}
    assert headers["x-request-id"] == "req-123"
    first, second = sink.events
    assert first["request_id"] == "req-123" and first["method"] == "GET"
    assert first["path"] == "/items/7" and first["route"] == "/items/<int:item_id>"
    assert first["status"] == 200 and first["country"] == "DE"
    assert first["user_agent"] == "probe/1.0" and first["response_bytes"] == len(body)
    assert second["country"] == "FR" and second["request_id"] != "req-123"
    assert "SECRET" not in json.dumps(sink.events)


def test_elapsed_includes_the_body_iteration_and_errors_are_recorded() -> None:
    sink = ListSink()
    with serving(EmitterMiddleware(flask_app().wsgi_app, sink)) as base:
        _, _, body = get(f"{base}/slow-stream")
        status, _, _ = get(f"{base}/boom")
    assert body == b"x" * 30
    streamed, failed = sink.events
    assert streamed["elapsed_ms"] >= 150 and streamed["response_bytes"] == 30
    assert status == 500 and failed["status"] == 500  # Flask turned the exception into a 500


def test_events_reach_sqs_through_a_threaded_emitter(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    url = boto3_sqs.create_queue(QueueName="wsgi-events")["QueueUrl"]
    emitter = ThreadedEmitter(url, endpoint_url=moto_server.endpoint_url)
    try:
        with serving(EmitterMiddleware(flask_app().wsgi_app, emitter)) as base:
            ids = [get(f"{base}/items/{i}")[1]["x-request-id"] for i in range(5)]
        assert emitter.flush(20).complete
    finally:
        emitter.close()
    messages = asyncio.run(receive_all(boto3_sqs, url, 5))
    assert sorted(json.loads(m["Body"])["request_id"] for m in messages) == sorted(ids)
