"""Queue lookups for browse and replay: name or URL → :class:`QueueInfo`, and a DLQ's sources."""

from __future__ import annotations

from typing import Any

from edgewatch.aws import AwsClients, describe_error
from edgewatch.aws.errors import NO_QUEUE_CODES, error_code
from edgewatch.dlq.models import DlqMessage, QueueInfo
from edgewatch.identifiers import queue_name_from_url

INFO_ATTRIBUTES = ["All"]


class ReplayError(Exception):
    """A problem that stops a browse or replay before it starts, phrased for the operator."""


async def queue_url(clients: AwsClients, name_or_url: str) -> str:
    """A queue URL from a name (GetQueueUrl) or a URL (as is)."""
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    sqs = await clients.sqs()
    try:
        resp = await sqs.get_queue_url(QueueName=name_or_url)
    except Exception as exc:
        if error_code(exc) in NO_QUEUE_CODES:
            raise ReplayError(f"no such queue: {name_or_url}") from None
        raise
    return str(resp["QueueUrl"])


async def queue_info(clients: AwsClients, name_or_url: str) -> QueueInfo:
    """Read a queue's attributes (ARN, FIFO, MaximumMessageSize, depth, RedrivePolicy)."""
    url = await queue_url(clients, name_or_url)
    sqs = await clients.sqs()
    try:
        resp = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=INFO_ATTRIBUTES)
    except Exception as exc:
        if error_code(exc) in NO_QUEUE_CODES:
            raise ReplayError(f"no such queue: {name_or_url}") from None
        raise
    return QueueInfo.from_attributes(url, resp.get("Attributes", {}))


async def source_queues(clients: AwsClients, dlq_url: str) -> list[str]:
    """URLs of the queues whose RedrivePolicy points at this DLQ (ListDeadLetterSourceQueues)."""
    sqs = await clients.sqs()
    urls: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"QueueUrl": dlq_url, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        resp = await sqs.list_dead_letter_source_queues(**kwargs)
        urls.extend(resp.get("queueUrls", []))
        token = resp.get("NextToken")
        if not token:
            return sorted(urls)


async def resolve_target(
    clients: AwsClients, dlq: QueueInfo, explicit: str | None
) -> tuple[QueueInfo, str]:
    """The replay target and how it was found; refuses combinations SQS cannot honour."""
    if explicit:
        target = await queue_info(clients, explicit)
        how = "given with --to"
    else:
        try:
            sources = await source_queues(clients, dlq.url)
        except Exception as exc:
            raise ReplayError(
                f"cannot list the source queues of {dlq.name} ({describe_error(exc)}); "
                "name the target with --to"
            ) from None
        if not sources:
            raise ReplayError(
                f"no queue redrives into {dlq.name} (ListDeadLetterSourceQueues is empty); "
                "name the target with --to"
            )
        if len(sources) > 1:
            names = ", ".join(queue_name_from_url(u) for u in sources)
            raise ReplayError(
                f"{dlq.name} is the DLQ of several queues ({names}); choose one with --to"
            )
        target = await queue_info(clients, sources[0])
        how = "its source queue (ListDeadLetterSourceQueues)"
    if target.url == dlq.url or (target.arn and target.arn == dlq.arn):
        raise ReplayError("the target is the DLQ itself")
    if target.fifo and not dlq.fifo:
        raise ReplayError(
            f"{target.name} is FIFO but {dlq.name} is not: its messages have no MessageGroupId"
        )
    return target, how


async def receive_messages(
    clients: AwsClients,
    url: str,
    *,
    max_messages: int,
    visibility_timeout: int,
    wait_time_s: int,
) -> list[DlqMessage]:
    """One ReceiveMessage with every system and message attribute."""
    sqs = await clients.sqs()
    resp = await sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=max(1, min(10, max_messages)),
        VisibilityTimeout=visibility_timeout,
        WaitTimeSeconds=wait_time_s,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return [DlqMessage.from_api(raw) for raw in resp.get("Messages", [])]
