"""The embedded stack's resources, created on a real moto server over HTTP."""

from __future__ import annotations

import json

from edgewatch.aws import AwsClients
from edgewatch.simulator.resources import (
    DLQ_NAME,
    FIFO_DLQ_NAME,
    FIFO_QUEUE_NAME,
    LOG_GROUP_NAME,
    MAX_RECEIVE_COUNT,
    QUEUE_NAME,
    create_resources,
)


async def test_queues_and_redrive_policies(aws_clients: AwsClients) -> None:
    res = await create_resources(aws_clients)
    sqs = await aws_clients.sqs()

    assert [q.name for q in res.queues] == [QUEUE_NAME, DLQ_NAME, FIFO_QUEUE_NAME, FIFO_DLQ_NAME]
    listed = (await sqs.list_queues())["QueueUrls"]
    assert sorted(listed) == sorted(q.url for q in res.queues)

    for source in res.sources:
        attrs = (await sqs.get_queue_attributes(QueueUrl=source.url, AttributeNames=["All"]))[
            "Attributes"
        ]
        assert attrs["QueueArn"] == source.arn
        policy = json.loads(attrs["RedrivePolicy"])
        assert source.dlq is not None
        assert policy["deadLetterTargetArn"] == source.dlq.arn
        assert int(policy["maxReceiveCount"]) == MAX_RECEIVE_COUNT
        dlq_attrs = (
            await sqs.get_queue_attributes(QueueUrl=source.dlq.url, AttributeNames=["All"])
        )["Attributes"]
        assert dlq_attrs["QueueArn"] == source.dlq.arn
        assert "RedrivePolicy" not in dlq_attrs
        assert (attrs.get("FifoQueue") == "true") is source.fifo
        assert (dlq_attrs.get("FifoQueue") == "true") is source.fifo

    assert res.fifo_queue.fifo and res.fifo_dlq.fifo
    assert not res.queue.fifo and not res.dlq.fifo


async def test_functions_mappings_and_log_groups(aws_clients: AwsClients) -> None:
    res = await create_resources(aws_clients)
    logs = await aws_clients.logs()
    groups = (await logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/"))["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == sorted(res.log_groups)
    assert res.log_group == LOG_GROUP_NAME
    for group in res.log_groups:
        streams = (await logs.describe_log_streams(logGroupName=group))["logStreams"]
        assert res.log_stream in [s["logStreamName"] for s in streams]
        assert "/[$LATEST]" in res.log_stream
    lam = await aws_clients.client("lambda")
    for queue, function in zip(res.sources, res.functions, strict=True):
        mappings = await lam.list_event_source_mappings(EventSourceArn=queue.arn)
        (mapping,) = mappings["EventSourceMappings"]
        assert mapping["FunctionArn"] == function.arn
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert [f.log_format for f in res.functions] == ["Text", "JSON"]


async def test_creation_is_idempotent(aws_clients: AwsClients) -> None:
    first = await create_resources(aws_clients)
    again = await create_resources(aws_clients)
    assert again.queues == first.queues
    assert again.log_groups == first.log_groups
    assert again.functions == first.functions
    sqs = await aws_clients.sqs()
    assert len((await sqs.list_queues())["QueueUrls"]) == 4
