"""Typed DLQ messages and queue facts, shared by browse, replay, the CLI and (later) the TUI.

A message body is a ``str`` (SQS bodies are Unicode text), kept exactly as received so that it can
be sent back unchanged; ``body_bytes`` is for sizing, :func:`edgewatch.display.escape.escape` for
display (the one rule for outside text). Bodies are parsed with :mod:`edgewatch.safe_json`, so a
body nested thousands deep is text with a reason, never a ``RecursionError``.
Binary attribute values stay ``bytes`` end to end (botocore base64-decodes and re-encodes them).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from edgewatch import safe_json
from edgewatch.display.escape import escape, is_unsafe
from edgewatch.identifiers import queue_name_from_url

REPLAY_ATTRIBUTE = "edgewatch.replay"
MAX_MESSAGE_ATTRIBUTES = 10
REQUEST_ID_KEYS = ("request_id", "requestId", "request-id", "RequestId")

# Characters SQS accepts in bodies and string attribute values (W3C XML Char); anything else is
# rejected with InvalidMessageContents.
_SQS_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def utf8_len(text: str) -> int:
    """UTF-8 length as SQS counts it; lone surrogates (possible after JSON decoding) count as 3."""
    return len(text.encode("utf-8", "surrogatepass"))


def invalid_sqs_chars(text: str) -> list[str]:
    """The distinct characters SQS would reject, as ``U+XXXX`` (empty when the text is valid)."""
    return sorted({f"U+{ord(c):04X}" for c in _SQS_INVALID.findall(text)})


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """One SQS message attribute: ``String*``/``Number*`` carry text, ``Binary*`` carries bytes."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> MessageAttribute:
        binary = raw.get("BinaryValue")
        if isinstance(binary, str):  # a protocol that left it base64-encoded
            binary = base64.b64decode(binary)
        return cls(
            data_type=str(raw.get("DataType", "String")),
            string_value=raw.get("StringValue"),
            binary_value=binary,
        )

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"DataType": self.data_type}
        if self.binary_value is not None:
            out["BinaryValue"] = self.binary_value
        else:
            out["StringValue"] = self.string_value or ""
        return out

    def size(self, name: str) -> int:
        """Bytes SQS counts for this attribute: name, data type and value."""
        value = (
            len(self.binary_value)
            if self.binary_value is not None
            else utf8_len(self.string_value or "")
        )
        return utf8_len(name) + utf8_len(self.data_type) + value

    def display(self, limit: int = 80) -> str:
        """A printable rendering: binary as base64 (with its length), text escaped."""
        if self.binary_value is not None:
            encoded = base64.b64encode(self.binary_value).decode()
            if len(encoded) > limit:
                encoded = encoded[:limit] + "…"
            return f"<{len(self.binary_value)} bytes> {encoded}"
        return escape(self.string_value or "", limit=limit, one_line=True)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.data_type}
        if self.binary_value is not None:
            out["binary_base64"] = base64.b64encode(self.binary_value).decode()
        else:
            out["string"] = self.string_value
        return out


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    """What ``edgewatch.replay`` says: how often a message was replayed, from where, when.

    ``original_message_id`` is the id of the first DLQ message in the chain (stable across
    replays), so a consumer can deduplicate on it.
    """

    count: int
    dlq: str
    at: str
    message_id: str
    original_message_id: str

    @classmethod
    def parse(cls, attr: MessageAttribute | None) -> ReplayRecord | None:
        if attr is None or attr.string_value is None:
            return None
        try:
            data = safe_json.loads(attr.string_value)
            return cls(
                count=int(data["count"]),
                dlq=str(data.get("dlq", "")),
                at=str(data.get("at", "")),
                message_id=str(data.get("message_id", "")),
                original_message_id=str(data.get("original_message_id", "")),
            )
        except (ValueError, TypeError, KeyError):
            return None

    def to_attribute(self) -> MessageAttribute:
        value = json.dumps(
            {
                "count": self.count,
                "dlq": self.dlq,
                "at": self.at,
                "message_id": self.message_id,
                "original_message_id": self.original_message_id,
            },
            separators=(",", ":"),
        )
        return MessageAttribute("String", string_value=value)


def _epoch_ms(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class DlqMessage:
    """A message received from a DLQ, with everything needed to show it and to send it back."""

    message_id: str
    receipt_handle: str = field(repr=False)
    body: str
    attributes: Mapping[str, MessageAttribute] = field(default_factory=dict)
    system: Mapping[str, str] = field(default_factory=dict)
    md5_of_body: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> DlqMessage:
        attrs = {
            name: MessageAttribute.from_api(value)
            for name, value in (raw.get("MessageAttributes") or {}).items()
        }
        return cls(
            message_id=str(raw["MessageId"]),
            receipt_handle=str(raw["ReceiptHandle"]),
            body=str(raw.get("Body", "")),
            attributes=attrs,
            system={k: str(v) for k, v in (raw.get("Attributes") or {}).items()},
            md5_of_body=raw.get("MD5OfBody"),
        )

    # -- system attributes ---------------------------------------------------------------------

    @property
    def receive_count(self) -> int:
        try:
            return int(self.system.get("ApproximateReceiveCount", "0"))
        except ValueError:
            return 0

    @property
    def sent_at(self) -> datetime | None:
        return _epoch_ms(self.system.get("SentTimestamp"))

    @property
    def group_id(self) -> str | None:
        return self.system.get("MessageGroupId")

    @property
    def deduplication_id(self) -> str | None:
        return self.system.get("MessageDeduplicationId")

    @property
    def sequence_number(self) -> str | None:
        return self.system.get("SequenceNumber")

    @property
    def source_arn(self) -> str | None:
        """``DeadLetterQueueSourceArn``: the queue the message was dead-lettered from (AWS only)."""
        return self.system.get("DeadLetterQueueSourceArn")

    @property
    def trace_header(self) -> str | None:
        return self.system.get("AWSTraceHeader")

    # -- body ----------------------------------------------------------------------------------

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8", "surrogatepass")

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:
        stripped = self.body.lstrip()
        if not stripped or stripped[0] not in "{[":
            return None, None
        try:
            return safe_json.loads(self.body), None
        except safe_json.JsonTooDeep as exc:
            return None, exc.reason
        except ValueError:
            return None, None

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON (or nested too deep)."""
        return self._parsed[0]

    @property
    def json_problem(self) -> str | None:
        """Why a JSON-looking body is shown as text (nested too deep), else ``None``."""
        return self._parsed[1]

    @property
    def request_id(self) -> str | None:
        """The request ID in a JSON body: a top-level key, or one level down (``detail``, ...)."""
        data = self.json
        if not isinstance(data, dict):
            return None
        for scope in (data, *(v for v in data.values() if isinstance(v, dict))):
            for key in REQUEST_ID_KEYS:
                value = scope.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    return str(value)
        return None

    @property
    def binaryish(self) -> bool:
        """The body holds control characters or replacement characters: show it escaped."""
        return is_unsafe(self.body) or "\ufffd" in self.body

    def preview(self, limit: int = 120) -> str:
        """One safe line for a list view."""
        return escape(self.body, limit=limit, one_line=True)

    # -- replay bookkeeping --------------------------------------------------------------------

    @property
    def replay(self) -> ReplayRecord | None:
        return ReplayRecord.parse(self.attributes.get(REPLAY_ATTRIBUTE))

    @property
    def replay_count(self) -> int:
        record = self.replay
        return record.count if record else 0

    @property
    def size(self) -> int:
        """Bytes SQS counts toward MaximumMessageSize: body plus every attribute."""
        return utf8_len(self.body) + sum(a.size(n) for n, a in self.attributes.items())

    def to_json(self, *, body_limit: int | None = None) -> dict[str, Any]:
        """The documented JSON shape (``edgewatch dlq list --json``); body text kept exact."""
        body = self.body if body_limit is None else self.body[:body_limit]
        return {
            "message_id": self.message_id,
            "body": body,
            "body_truncated": body_limit is not None and len(self.body) > body_limit,
            "size": self.size,
            "receive_count": self.receive_count,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "group_id": self.group_id,
            "deduplication_id": self.deduplication_id,
            "source_arn": self.source_arn,
            "request_id": self.request_id,
            "replay_count": self.replay_count,
            "attributes": {n: a.to_json() for n, a in sorted(self.attributes.items())},
        }


# A cut-off JSON body (a classic poison message) still names its request: find it as text.
_REQUEST_ID_TEXT = re.compile(
    '"(?:' + "|".join(map(re.escape, REQUEST_ID_KEYS)) + r')"\s*:\s*"([^"\\]{1,200})"'
)


def request_id_of(msg: DlqMessage) -> str | None:
    """The message's request ID: from its JSON, else from the text of a malformed body.

    Following a dead-lettered request to its logs matters most for bodies that did not parse.
    """
    if msg.request_id:
        return msg.request_id
    found = _REQUEST_ID_TEXT.search(msg.body)
    return found.group(1) if found else None


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What replay needs to know about a queue, read once with GetQueueAttributes."""

    url: str
    arn: str
    name: str
    fifo: bool
    max_message_size: int
    visibility_timeout: int
    visible: int
    in_flight: int
    redrive_dlq_arn: str | None = None
    content_based_dedup: bool = False

    @classmethod
    def from_attributes(cls, url: str, attrs: Mapping[str, str]) -> QueueInfo:
        dlq_arn = None
        if attrs.get("RedrivePolicy"):
            try:
                dlq_arn = safe_json.loads(attrs["RedrivePolicy"]).get("deadLetterTargetArn")
            except (ValueError, AttributeError):
                dlq_arn = None
        name = queue_name_from_url(url)
        return cls(
            url=url,
            arn=attrs.get("QueueArn", ""),
            name=name,
            fifo=attrs.get("FifoQueue", "false").lower() == "true" or name.endswith(".fifo"),
            max_message_size=int(attrs.get("MaximumMessageSize", 1_048_576)),
            visibility_timeout=int(attrs.get("VisibilityTimeout", 30)),
            visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            redrive_dlq_arn=dlq_arn,
            content_based_dedup=attrs.get("ContentBasedDeduplication", "false").lower() == "true",
        )

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "arn": self.arn, "fifo": self.fifo}
