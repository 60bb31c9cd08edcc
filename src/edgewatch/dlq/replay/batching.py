"""Turning DLQ messages into ``SendMessageBatch`` entries, and entries into batches.

Decisions that keep a replay honest:

- **The replay record.** Every replayed message carries ``edgewatch.replay`` (String, JSON:
  ``count``, ``dlq``, ``at``, ``message_id``, ``original_message_id``). A message that already has
  one gets it *replaced* (count + 1), so replays never add a second attribute. A message already
  replayed ``max_replays`` times is held back unless forced.
- **No room for the record.** SQS allows 10 attributes and ``MaximumMessageSize`` bytes (body plus
  every attribute's name, type and value). A message with 10 attributes of its own, or one the
  record would push over the size limit, is held back unless forced; forced, it is sent
  *without* the record (and counted as untagged). A message too large for the target even
  without the record fails: it stays in the DLQ.
- **Characters.** A body or string attribute with characters SQS rejects fails before sending, so
  it cannot fail a whole batch.
- **FIFO.** The original MessageGroupId, and the DLQ message id as MessageDeduplicationId: a
  retry after a crash within 5 minutes is deduplicated by SQS instead of duplicated.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edgewatch.dlq.models import (
    MAX_MESSAGE_ATTRIBUTES,
    REPLAY_ATTRIBUTE,
    DlqMessage,
    MessageAttribute,
    QueueInfo,
    ReplayRecord,
    invalid_sqs_chars,
    utf8_len,
)

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576  # SQS: the sum of a batch's messages, whatever the queue's own limit


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready to send: the batch entry (without ``Id``), its counted size, and the
    MD5s SQS must answer with if it stored exactly this (checked before the DLQ copy goes)."""

    message: DlqMessage
    entry: dict[str, Any]
    size: int
    tagged: bool
    md5_body: str
    md5_attributes: str | None

    def mismatch(self, answer: Mapping[str, Any]) -> str | None:
        """What the target's answer says it stored differently, or None."""
        body = answer.get("MD5OfMessageBody")
        if body and body != self.md5_body:
            return "body"
        attrs = answer.get("MD5OfMessageAttributes")
        if attrs and self.md5_attributes and attrs != self.md5_attributes:
            return "message attributes"
        return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not sent: ``held`` (policy; forcing would send it) or ``failed``."""

    message: DlqMessage
    status: Literal["held", "failed"]
    reason: str


def dedup_id(msg: DlqMessage) -> str:
    """A FIFO deduplication id derived from the DLQ message, stable across crash and retry."""
    return msg.message_id[:128]


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def md5_of_attributes(attrs: Mapping[str, MessageAttribute]) -> str | None:
    """SQS's MD5OfMessageAttributes: per name in order, length-prefixed name, type and value."""
    if not attrs:
        return None
    digest = hashlib.md5(usedforsecurity=False)

    def put(data: bytes) -> None:
        digest.update(struct.pack("!I", len(data)))
        digest.update(data)

    for name in sorted(attrs):
        attr = attrs[name]
        put(name.encode("utf-8"))
        put(attr.data_type.encode("utf-8"))
        if attr.binary_value is not None:
            digest.update(b"\x02")
            put(attr.binary_value)
        else:
            digest.update(b"\x01")
            put((attr.string_value or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _attrs_size(attrs: dict[str, MessageAttribute]) -> int:
    return sum(a.size(n) for n, a in attrs.items())


def prepare(
    msg: DlqMessage,
    *,
    dlq: QueueInfo,
    target: QueueInfo,
    replayed_at: str,
    max_replays: int,
    force: bool,
) -> Outgoing | Refusal:
    """Decide how ``msg`` is sent to ``target``, or why it is not."""
    bad = invalid_sqs_chars(msg.body)
    for name, attr in msg.attributes.items():
        if attr.string_value is not None:
            bad += [f"{c} in @{name}" for c in invalid_sqs_chars(attr.string_value)]
    if bad:
        return Refusal(msg, "failed", "characters SQS rejects: " + ", ".join(bad[:5]))
    if target.fifo and not msg.group_id:
        return Refusal(msg, "failed", "no MessageGroupId, required by the FIFO target")

    previous = msg.replay
    count = previous.count if previous else 0
    if count >= max_replays and not force:
        return Refusal(
            msg,
            "held",
            f"already replayed {count} time(s) (limit {max_replays}; force to replay anyway)",
        )
    own = {n: a for n, a in msg.attributes.items() if n != REPLAY_ATTRIBUTE}
    record = ReplayRecord(
        count=count + 1,
        dlq=dlq.arn,
        at=replayed_at,
        message_id=msg.message_id,
        original_message_id=previous.original_message_id
        if previous and previous.original_message_id
        else msg.message_id,
    )
    tagged = {**own, REPLAY_ATTRIBUTE: record.to_attribute()}
    body_size = utf8_len(msg.body)
    untagged_size = body_size + _attrs_size(own)
    tagged_size = body_size + _attrs_size(tagged)
    limit = target.max_message_size

    if untagged_size > limit:
        return Refusal(
            msg,
            "failed",
            f"{untagged_size} bytes, over {target.name}'s MaximumMessageSize ({limit})",
        )
    attrs, size, is_tagged = tagged, tagged_size, True
    if len(tagged) > MAX_MESSAGE_ATTRIBUTES or tagged_size > limit:
        why = (
            f"{len(own)} message attributes already (SQS allows {MAX_MESSAGE_ATTRIBUTES})"
            if len(tagged) > MAX_MESSAGE_ATTRIBUTES
            else f"the replay record would exceed MaximumMessageSize ({limit})"
        )
        if not force:
            return Refusal(
                msg, "held", f"no room for the {REPLAY_ATTRIBUTE} record: {why}; force to send"
            )
        attrs, size, is_tagged = own, untagged_size, False

    entry: dict[str, Any] = {"MessageBody": msg.body}
    if attrs:
        entry["MessageAttributes"] = {n: a.to_api() for n, a in attrs.items()}
    if target.fifo:
        entry["MessageGroupId"] = msg.group_id
        entry["MessageDeduplicationId"] = dedup_id(msg)
    if msg.trace_header:
        entry["MessageSystemAttributes"] = {
            "AWSTraceHeader": {"DataType": "String", "StringValue": msg.trace_header}
        }
    return Outgoing(msg, entry, size, is_tagged, md5_of_body(msg.body), md5_of_attributes(attrs))


def batch_limits(target: QueueInfo, rate: float | None) -> tuple[int, int]:
    """(entries, bytes) per SendMessageBatch; a low rate gets smaller batches for a smooth flow."""
    count = MAX_BATCH_ENTRIES
    if rate is not None:
        count = max(1, min(count, int(rate)))
    return count, min(target.max_message_size, MAX_BATCH_BYTES)


def chunk(items: Iterable[Outgoing], *, max_entries: int, max_bytes: int) -> list[list[Outgoing]]:
    """Split in order into batches within both limits (order matters for FIFO)."""
    batches: list[list[Outgoing]] = []
    current: list[Outgoing] = []
    used = 0
    for item in items:
        if current and (len(current) >= max_entries or used + item.size > max_bytes):
            batches.append(current)
            current, used = [], 0
        current.append(item)
        used += item.size
    if current:
        batches.append(current)
    return batches
