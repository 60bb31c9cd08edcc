"""A plain ``def handler(event, context)`` Lambda function that emits events and flushes in time.

    uv run python examples/lambda_handler.py       # demo: a local moto SQS and a fake context

Deployed, set ``EDGEWATCH_QUEUE_URL`` on the function; the role's credentials come from the
standard chain (the runtime's environment). The emitter is made once per sandbox, at import.
"""

from __future__ import annotations

import os
from typing import Any

from edgewatch_emitter.aws_lambda import LambdaFlushReport, flush_before_return
from edgewatch_emitter.threaded import ThreadedEmitter

emitter = ThreadedEmitter(os.environ.get("EDGEWATCH_QUEUE_URL", "http://127.0.0.1:9/0/unset"))


def report(flush: LambdaFlushReport) -> None:
    if not flush.complete:  # also logged; here is where a metric would go
        print(f"{flush.unsent} events missed the flush deadline of {flush.deadline_ms} ms")


@flush_before_return(emitter, margin_ms=200, on_report=report)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        emitter.emit({"type": "order_seen", "order_id": record["orderId"]})
    return {"statusCode": 200}


def demo() -> None:
    global emitter
    from _local_sqs import local_queue, print_events
    from edgewatch_emitter.aws_lambda import FakeContext

    with local_queue("lambda-events") as (queue_url, endpoint_url, sqs):
        emitter.close(0)
        emitter = ThreadedEmitter(queue_url, endpoint_url=endpoint_url)
        demo_handler = flush_before_return(emitter, on_report=report)(handler.__wrapped__)
        event = {"Records": [{"orderId": f"o-{n}"} for n in range(3)]}
        print("returned:", demo_handler(event, FakeContext(remaining_ms=3_000)))
        print("flush:", demo_handler.last_report)
        print_events(sqs, queue_url)
        emitter.close()


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    demo()
