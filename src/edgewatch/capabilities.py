"""What this endpoint does differently from AWS, found with a few read-only calls.

Local stand-ins (moto, LocalStack) differ from AWS in ways that otherwise show up as a silent 0 or
an unexplained fallback: no ``ApproximateAgeOfOldestMessage`` datapoints, no message move tasks,
queue URLs on a host that does not resolve. Each check answers with one line for the operator; the
console shows the differences as notifications, ``edgewatch status`` prints them under its table,
and ``edgewatch capabilities [--json]`` lists them all. (JSON filter patterns the endpoint ignores
are told by the log tail itself, when it sees it happen.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from edgewatch.aws import AwsClients, describe_error, is_connection_error
from edgewatch.dlq.replay.native import detect_native

AGE_METRIC = "ApproximateAgeOfOldestMessage"
RESOLVE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Capability:
    """One behaviour: ``available`` is ``None`` when it could not be told (said in ``note``)."""

    key: str
    available: bool | None
    note: str

    @property
    def differs(self) -> bool:
        """Worth telling the operator: it is missing here (or unknown for a reason)."""
        return self.available is False

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "available": self.available, "note": self.note}


async def oldest_age_metric(clients: AwsClients) -> Capability:
    """Does CloudWatch hold ``AWS/SQS`` ``ApproximateAgeOfOldestMessage`` here?"""
    cloudwatch = await clients.cloudwatch()
    try:
        ages = await cloudwatch.list_metrics(Namespace="AWS/SQS", MetricName=AGE_METRIC)
        if ages.get("Metrics"):
            return Capability("oldest_age", True, f"CloudWatch has AWS/SQS {AGE_METRIC}")
        any_sqs = await cloudwatch.list_metrics(Namespace="AWS/SQS")
    except Exception as exc:
        if is_connection_error(exc):
            raise
        return Capability(
            "oldest_age", None, f"CloudWatch ListMetrics failed: {describe_error(exc)}"
        )
    if any_sqs.get("Metrics"):
        return Capability(
            "oldest_age",
            False,
            f"this endpoint publishes AWS/SQS metrics but not {AGE_METRIC} (LocalStack does "
            "so): oldest age shows n/a",
        )
    return Capability(
        "oldest_age",
        False,
        "no AWS/SQS metrics here (moto publishes none; AWS only for active queues, each "
        "minute): oldest age shows n/a",
    )


async def move_tasks(clients: AwsClients, dlq_arn: str | None) -> Capability:
    if dlq_arn is None:
        return Capability("move_tasks", None, "no DLQ to ask about message move tasks")
    support = await detect_native(clients, dlq_arn)
    if support.supported:
        return Capability("move_tasks", True, "StartMessageMoveTask runs here (native replay)")
    return Capability("move_tasks", False, f"{support.reason}: replay runs client-side")


async def _resolves(host: str) -> bool:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        return False
    return True


async def queue_url_host(endpoint_url: str | None, queue_url: str | None) -> Capability:
    """Queue URLs name a host; edgewatch sends to the endpoint, but other tools use the URL."""
    if queue_url is None:
        return Capability("queue_url_host", None, "no queue to look at")
    host = urlsplit(queue_url).hostname or ""
    endpoint_host = urlsplit(endpoint_url).hostname if endpoint_url else None
    if host == endpoint_host or await _resolves(host):
        return Capability("queue_url_host", True, "queue URLs name a host that resolves")
    where = endpoint_url or "the regional endpoint"
    return Capability(
        "queue_url_host",
        False,
        f"queue URLs name {host}, which does not resolve here (LocalStack's do not offline): "
        f"edgewatch sends every call to {where}; give an emitter endpoint_url as well",
    )


async def probe(
    clients: AwsClients,
    *,
    endpoint_url: str | None,
    queue_url: str | None,
    dlq_arn: str | None,
) -> list[Capability]:
    """Every check, concurrently; a connection error propagates (the endpoint is down)."""
    results = await asyncio.gather(
        oldest_age_metric(clients),
        move_tasks(clients, dlq_arn),
        queue_url_host(endpoint_url, queue_url),
    )
    return list(results)


async def probe_endpoint(clients: AwsClients, endpoint_url: str | None) -> list[Capability]:
    """:func:`probe` on the first queue listed and the first DLQ a redrive policy names."""
    sqs = await clients.sqs()
    urls = (await sqs.list_queues(MaxResults=50)).get("QueueUrls", [])
    dlq_arn: str | None = None
    for url in urls[:20]:
        attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
        policy = attrs.get("Attributes", {}).get("RedrivePolicy")
        if policy and dlq_arn is None:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                dlq_arn = str(json.loads(policy)["deadLetterTargetArn"])
        if dlq_arn is not None:
            break
    return await probe(
        clients, endpoint_url=endpoint_url, queue_url=urls[0] if urls else None, dlq_arn=dlq_arn
    )
