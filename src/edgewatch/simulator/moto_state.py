"""Read (and trim) moto's in-process state, for what no AWS API offers.

moto runs in this process, so the age of a queue's oldest message can be computed exactly from
the messages' sent timestamps, and the data moto would otherwise keep forever (CloudWatch
datapoints, receipt handles of deleted messages) can be trimmed for runs of many hours.

These are moto internals: every access is guarded, and a moto change degrades to "no value"
(``None``, no datapoint) or "no trimming", never to an exception.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DELETED_HANDLES_KEPT = 20_000


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """A queue as moto holds it right now (counts as SQS's ``ApproximateNumberOf*`` would say)."""

    visible: int
    in_flight: int
    delayed: int
    oldest_age_s: float  # 0.0 for an empty queue, as AWS reports for an active queue


def _sqs_queues(account: str, region: str) -> dict[str, Any]:
    from moto.sqs.models import sqs_backends

    return sqs_backends[account][region].queues


def queue_snapshot(
    account: str, region: str, name: str, now: float | None = None
) -> QueueSnapshot | None:
    """The queue's counts and oldest-message age, or ``None`` if moto's internals changed."""
    try:
        queue = _sqs_queues(account, region).get(name)
        if queue is None:
            return None
        messages = list(queue._messages)  # a copy: server threads mutate the list
        now_ms = (time.time() if now is None else now) * 1000
        visible = in_flight = delayed = 0
        oldest: float | None = None
        for message in messages:
            if message.delayed_until > now_ms:
                delayed += 1
            elif message.visible_at > now_ms:
                in_flight += 1
            else:
                visible += 1
            sent = message.sent_timestamp
            if sent is not None and (oldest is None or sent < oldest):
                oldest = float(sent)
        age = 0.0 if oldest is None else max(0.0, (now_ms - oldest) / 1000)
        return QueueSnapshot(
            visible=visible, in_flight=in_flight, delayed=delayed, oldest_age_s=age
        )
    except Exception:
        return None


def _before(timestamp: Any, cutoff: datetime) -> bool:
    if not isinstance(timestamp, datetime):
        return False
    if timestamp.tzinfo is None:  # moto stores naive UTC for datapoints without a Timestamp
        timestamp = timestamp.replace(tzinfo=UTC)
    return bool(timestamp < cutoff)


def trim(account: str, region: str, *, namespace: str, keep_s: float) -> None:
    """Bound moto's memory: old datapoints of ``namespace`` and deleted receipt handles.

    The datapoint list is replaced by a filtered copy; datapoints that other clients append
    while it is built are carried over.
    """
    try:
        from moto.cloudwatch.models import cloudwatch_backends

        backend = cloudwatch_backends[account][region]
        cutoff = datetime.now(UTC) - timedelta(seconds=keep_s)
        data = backend.metric_data
        count = len(data)
        kept = [
            d for d in data[:count] if d.namespace != namespace or not _before(d.timestamp, cutoff)
        ]
        if len(kept) < count:
            backend.metric_data = kept
            kept.extend(data[count:])
    except Exception:
        pass
    try:
        for queue in list(_sqs_queues(account, region).values()):
            if len(queue.deleted_messages) > DELETED_HANDLES_KEPT:
                queue.deleted_messages = set()
    except Exception:
        pass
