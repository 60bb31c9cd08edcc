"""A FastAPI service whose every request becomes one event on SQS, fire-and-forget.

    uv run python examples/fastapi_app.py          # demo: a local moto SQS, events printed

With a real queue (credentials from the standard AWS chain)::

    EDGEWATCH_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/edge-events \\
        uvicorn --factory examples.fastapi_app:create_app
"""

from __future__ import annotations

import asyncio
import os

import httpx
from edgewatch_emitter import Emitter
from edgewatch_emitter.asgi import EmitterMiddleware
from fastapi import FastAPI, Request


def create_app(emitter: Emitter | None = None) -> FastAPI:
    emitter = emitter or Emitter(os.environ["EDGEWATCH_QUEUE_URL"])
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: Request) -> dict[str, object]:
        # The middleware's request ID, also echoed in the response's x-request-id header.
        return {"item": item_id, "request_id": request.scope["edgewatch.request_id"]}

    # Outermost, so that it times the whole request; the lifespan shutdown drains the emitter.
    app.add_middleware(EmitterMiddleware, emitter=emitter, service="shop-api")
    return app


async def demo() -> None:
    from _local_sqs import local_queue, print_events

    with local_queue("fastapi-events") as (queue_url, endpoint_url, sqs):
        async with Emitter(queue_url, endpoint_url=endpoint_url) as emitter:
            app = create_app(emitter)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
                for n in (1, 2, 3):
                    await client.get(f"/items/{n}", headers={"CloudFront-Viewer-Country": "DE"})
            await emitter.flush(10)
        print_events(sqs, queue_url)


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    asyncio.run(demo())
