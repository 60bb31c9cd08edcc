"""A release and an extension of the same lease must not overlap (real moto behind a proxy).

An extension sent just before a release, but served after it, would hide again a message that
nobody holds any more: for a whole visibility timeout the DLQ would look one message short.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from edgewatch.aws import AwsClients
from edgewatch.dlq.lease import LeaseKeeper
from tests.support.faults import FaultProxy, Request
from tests.support.sqs import Pair, depth, fill
from tests.support.waiting import async_wait_until


async def test_a_release_waits_for_an_extension_in_flight(
    pair: Pair, boto3_sqs: Any, proxy: FaultProxy, proxy_clients: AwsClients
) -> None:
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "held"}])
    (message,) = boto3_sqs.receive_message(QueueUrl=pair.dlq_url, VisibilityTimeout=30)["Messages"]
    keeper = LeaseKeeper(proxy_clients, pair.dlq_url, visibility_timeout=30)
    keeper.add(message["MessageId"], message["ReceiptHandle"], time.monotonic() - 20)  # due

    def slow_extension(request: Request) -> None:
        if request.operation == "ChangeMessageVisibilityBatch":
            entries = json.loads(request.body)["Entries"]
            if entries[0]["VisibilityTimeout"] > 0:
                time.sleep(0.5)  # the extension reaches moto after the release was sent
        return None

    proxy.rules.append(slow_extension)
    extending = asyncio.create_task(keeper.extend_due())
    await async_wait_until(lambda: "ChangeMessageVisibilityBatch" in proxy.operations())
    assert await keeper.release() == 1
    await extending
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0)  # visible again, not hidden by the extension
