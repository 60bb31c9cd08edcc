"""For the examples' self-contained demos: a moto server standing in for SQS, and a queue on it.

Not part of the emitter: in a real service the queue URL comes from configuration and the
credentials from the standard AWS chain.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3

from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer


@contextlib.contextmanager
def local_queue(name: str) -> Iterator[tuple[str, str, Any]]:
    """Yields (queue URL, endpoint URL, a boto3 SQS client to read events back)."""
    with MotoServer() as moto:
        sqs = boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=moto.endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS[0],
            aws_secret_access_key=FAKE_CREDENTIALS[1],
        )
        yield sqs.create_queue(QueueName=name)["QueueUrl"], moto.endpoint_url, sqs


def print_events(sqs: Any, queue_url: str) -> None:
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    for message in answer.get("Messages", []):
        print(json.dumps(json.loads(message["Body"])))
