"""A Flask app (WSGI) whose every request becomes one event on SQS, via a ThreadedEmitter.

    uv run python examples/flask_app.py            # demo: a local moto SQS, events printed

With a real queue, under gunicorn (each worker builds its own emitter after the fork)::

    EDGEWATCH_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/edge-events \\
        gunicorn -w 4 'examples.flask_app:create_app()'
"""

from __future__ import annotations

import os

from edgewatch_emitter.threaded import ThreadedEmitter
from edgewatch_emitter.wsgi import EmitterMiddleware, record_flask_routes
from flask import Flask, request


def create_app(emitter: ThreadedEmitter | None = None) -> Flask:
    # One emitter per process; at exit it flushes (atexit, 5 s by default).
    emitter = emitter or ThreadedEmitter(os.environ["EDGEWATCH_QUEUE_URL"])
    app = Flask("shop")

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, object]:
        return {"item": item_id, "request_id": request.environ["edgewatch.request_id"]}

    record_flask_routes(app)  # events carry the route template, /items/<int:item_id>
    app.wsgi_app = EmitterMiddleware(app.wsgi_app, emitter, service="shop-web")  # type: ignore[method-assign]
    return app


def demo() -> None:
    from _local_sqs import local_queue, print_events

    with local_queue("flask-events") as (queue_url, endpoint_url, sqs):
        emitter = ThreadedEmitter(queue_url, endpoint_url=endpoint_url)
        client = create_app(emitter).test_client()
        for n in (1, 2, 3):
            client.get(f"/items/{n}", headers={"CF-IPCountry": "FR"}).close()  # as servers do
        emitter.close(10)  # sync: no event loop anywhere in this program
        print_events(sqs, queue_url)


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    demo()
