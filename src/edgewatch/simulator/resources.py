"""The embedded stack's resources: a standard and a FIFO queue, each with a DLQ, and per source
queue a Lambda function with an SQS event source mapping and its ``/aws/lambda/<name>`` group.

Creation is idempotent: SQS ``CreateQueue`` with identical attributes returns the existing queue,
and an existing log group or stream is accepted. moto keeps state for the whole process, so a
second stack in the same process finds the first one's resources and reuses them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from edgewatch.aws import AwsClients, error_code
from edgewatch.simulator.lambda_functions import FunctionRef, create_function

QUEUE_NAME = "edge-analytics"
DLQ_NAME = "edge-analytics-dlq"
FIFO_QUEUE_NAME = "edge-analytics.fifo"
FIFO_DLQ_NAME = "edge-analytics-dlq.fifo"
FUNCTION_NAME = "edge-analytics-consumer"  # plain-text logs
FIFO_FUNCTION_NAME = "edge-analytics-fifo-consumer"  # JSON logs, Powertools-style records
LOG_GROUP_NAME = f"/aws/lambda/{FUNCTION_NAME}"
MAX_RECEIVE_COUNT = 3
# Short enough that a message whose worker died comes back within seconds (the consumer itself
# hands failed messages back sooner, see pipeline.py), long enough for any healthy batch.
VISIBILITY_TIMEOUT_S = 5
# As AWS advises: a DLQ keeps messages longer than its source, so that replayed or inspected
# messages do not expire first (expiry counts from the original enqueue time, even in a DLQ).
DLQ_RETENTION_S = 14 * 24 * 3600  # the SQS maximum
EXISTS_CODES = frozenset({"ResourceAlreadyExistsException"})


@dataclass(frozen=True, slots=True)
class QueueRef:
    """One queue: its name, URL (as the local endpoint spells it), ARN and DLQ (if any)."""

    name: str
    url: str
    arn: str
    fifo: bool
    dlq: QueueRef | None = None  # None for the DLQs themselves


@dataclass(frozen=True, slots=True)
class StackResources:
    """Everything the simulated pipeline uses and ``edgewatch demo`` prints."""

    queue: QueueRef
    fifo_queue: QueueRef
    function: FunctionRef  # the standard queue's consumer
    fifo_function: FunctionRef
    log_stream: str  # the first stream each function writes to (they rotate later)
    region: str

    @property
    def log_group(self) -> str:
        """The standard queue's consumer group (plain-text Lambda logs)."""
        return self.function.log_group

    @property
    def log_groups(self) -> tuple[str, str]:
        return (self.function.log_group, self.fifo_function.log_group)

    @property
    def functions(self) -> tuple[FunctionRef, FunctionRef]:
        """Per source queue (same order as :attr:`sources`), its consumer function."""
        return (self.function, self.fifo_function)

    @property
    def dlq(self) -> QueueRef:
        assert self.queue.dlq is not None
        return self.queue.dlq

    @property
    def fifo_dlq(self) -> QueueRef:
        assert self.fifo_queue.dlq is not None
        return self.fifo_queue.dlq

    @property
    def sources(self) -> tuple[QueueRef, QueueRef]:
        """The queues that receive traffic (each redrives into its DLQ)."""
        return (self.queue, self.fifo_queue)

    @property
    def queues(self) -> tuple[QueueRef, ...]:
        """All four queues, each source followed by its DLQ."""
        return (self.queue, self.dlq, self.fifo_queue, self.fifo_dlq)


def queue_arn(url: str, region: str) -> str:
    """The ARN for a queue URL (``…/<account>/<name>``, the same shape on AWS and moto)."""
    account, name = urlsplit(url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def log_stream_name(at: datetime | None = None, seq: int = 0) -> str:
    """A Lambda stream name: ``2026/12/01/[$LATEST]<32 hex>`` (one per execution environment)."""
    at = at or datetime.now(UTC)
    suffix = f"{int(at.timestamp() * 1000):016x}{seq:016x}"
    return f"{at:%Y/%m/%d}/[$LATEST]{suffix}"


async def _create_queue(
    clients: AwsClients, name: str, dlq: QueueRef | None, *, retention_s: int | None = None
) -> QueueRef:
    sqs = await clients.sqs()
    fifo = name.endswith(".fifo")
    attributes = {"VisibilityTimeout": str(VISIBILITY_TIMEOUT_S)}
    if retention_s is not None:
        attributes["MessageRetentionPeriod"] = str(retention_s)
    if fifo:
        attributes["FifoQueue"] = "true"
    if dlq is not None:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
        )
    response = await sqs.create_queue(QueueName=name, Attributes=attributes)
    url = response["QueueUrl"]
    return QueueRef(name=name, url=url, arn=queue_arn(url, clients.region), fifo=fifo, dlq=dlq)


async def create_log_stream(clients: AwsClients, group: str, stream: str) -> None:
    """Create ``stream`` in ``group``; an existing stream is fine."""
    logs = await clients.logs()
    try:
        await logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except Exception as exc:
        if error_code(exc) not in EXISTS_CODES:
            raise


async def _create_log_group(clients: AwsClients, group: str, stream: str) -> None:
    logs = await clients.logs()
    try:
        await logs.create_log_group(logGroupName=group)
    except Exception as exc:
        if error_code(exc) not in EXISTS_CODES:
            raise
    await create_log_stream(clients, group, stream)


async def create_resources(clients: AwsClients) -> StackResources:
    """Create (or find) the queues, the functions with their mappings and their log groups;
    safe to call again."""
    stream = log_stream_name()
    # The DLQs first (the sources' redrive policies name their ARNs); each pair in parallel.
    dlq, fifo_dlq = await asyncio.gather(
        _create_queue(clients, DLQ_NAME, None, retention_s=DLQ_RETENTION_S),
        _create_queue(clients, FIFO_DLQ_NAME, None, retention_s=DLQ_RETENTION_S),
    )
    queue, fifo_queue = await asyncio.gather(
        _create_queue(clients, QUEUE_NAME, dlq),
        _create_queue(clients, FIFO_QUEUE_NAME, fifo_dlq),
    )
    # One at a time: both share the IAM role, created by the first.
    function = await create_function(
        clients, FUNCTION_NAME, queue.arn, log_format="Text", batch_size=10
    )
    fifo_function = await create_function(
        clients, FIFO_FUNCTION_NAME, fifo_queue.arn, log_format="JSON", batch_size=10
    )
    await asyncio.gather(
        *(_create_log_group(clients, f.log_group, stream) for f in (function, fifo_function))
    )
    return StackResources(
        queue=queue,
        fifo_queue=fifo_queue,
        function=function,
        fifo_function=fifo_function,
        log_stream=stream,
        region=clients.region,
    )
