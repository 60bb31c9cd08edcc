"""AWS's own DLQ redrive: ``StartMessageMoveTask``, watched with ``ListMessageMoveTasks``.

It moves *everything* (no filter, no count), server-side, and cannot add a replay record, so it is
offered only for "all, unfiltered", and only between queues of one type (AWS redrives a FIFO DLQ
into a FIFO queue only). Endpoints without it (moto answers HTTP 500) are detected with one
harmless ``ListMessageMoveTasks`` call, which also shows a task already running on the DLQ; the
caller then says so and falls back to client-side replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from edgewatch.aws import AwsClients, describe_error, is_connection_error

TERMINAL = frozenset({"COMPLETED", "CANCELLED", "FAILED"})
ACTIVE = frozenset({"RUNNING", "CANCELLING"})
UNSUPPORTED_CODES = frozenset(
    {"InvalidAction", "UnknownOperationException", "NotImplemented", "UnsupportedOperation"}
)


@dataclass(frozen=True, slots=True)
class NativeSupport:
    """Whether move tasks run here; ``active`` is a task already running on the DLQ (SQS allows
    one per queue at a time, so starting another fails until it ends)."""

    supported: bool
    reason: str
    active: MoveTaskStatus | None = None


@dataclass(frozen=True, slots=True)
class MoveTaskStatus:
    """One ``ListMessageMoveTasks`` entry."""

    task_handle: str | None
    status: str
    moved: int
    to_move: int | None
    failure_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> MoveTaskStatus:
        to_move = raw.get("ApproximateNumberOfMessagesToMove")
        return cls(
            task_handle=raw.get("TaskHandle"),
            status=str(raw.get("Status", "UNKNOWN")),
            moved=int(raw.get("ApproximateNumberOfMessagesMoved") or 0),
            to_move=int(to_move) if to_move is not None else None,
            failure_reason=raw.get("FailureReason"),
        )


def _unsupported(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", "")).rsplit("#", 1)[-1]
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in UNSUPPORTED_CODES or status in (404, 500, 501)


async def detect_native(clients: AwsClients, dlq_arn: str) -> NativeSupport:
    """Whether this endpoint runs message move tasks for ``dlq_arn`` (one read-only call)."""
    sqs = await clients.sqs()
    try:
        resp = await sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)
    except Exception as exc:
        if is_connection_error(exc):
            raise
        if _unsupported(exc):
            return NativeSupport(
                False, "this endpoint does not implement StartMessageMoveTask (moto does not)"
            )
        return NativeSupport(False, f"ListMessageMoveTasks failed: {describe_error(exc)}")
    newest = [MoveTaskStatus.from_api(r) for r in resp.get("Results", [])[:1]]
    active = newest[0] if newest and newest[0].status in ACTIVE else None
    return NativeSupport(True, "StartMessageMoveTask is available", active)


class NativeMove:
    """One move task from a DLQ to a target queue."""

    def __init__(self, clients: AwsClients, source_arn: str, destination_arn: str) -> None:
        self.clients = clients
        self.source_arn = source_arn
        self.destination_arn = destination_arn
        self.task_handle: str | None = None

    async def start(self, rate: float | None) -> str:
        sqs = await self.clients.sqs()
        kwargs: dict[str, Any] = {
            "SourceArn": self.source_arn,
            "DestinationArn": self.destination_arn,
        }
        if rate is not None:
            kwargs["MaxNumberOfMessagesPerSecond"] = max(1, min(500, int(rate)))
        resp = await sqs.start_message_move_task(**kwargs)
        self.task_handle = str(resp["TaskHandle"])
        return self.task_handle

    async def status(self) -> MoveTaskStatus | None:
        """The status of our task (the newest for the source when the handle is not listed)."""
        sqs = await self.clients.sqs()
        resp = await sqs.list_message_move_tasks(SourceArn=self.source_arn, MaxResults=10)
        results = [MoveTaskStatus.from_api(r) for r in resp.get("Results", [])]
        for item in results:
            if item.task_handle == self.task_handle:
                return item
        return results[0] if results else None

    async def cancel(self) -> int | None:
        """CancelMessageMoveTask; returns the messages moved so far, when AWS says."""
        if self.task_handle is None:
            return None
        sqs = await self.clients.sqs()
        resp = await sqs.cancel_message_move_task(TaskHandle=self.task_handle)
        moved = resp.get("ApproximateNumberOfMessagesMoved")
        return int(moved) if moved is not None else None
