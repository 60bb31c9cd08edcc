"""Pure parts of replay: message model, display safety, filters, batch preparation and sizing."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from rich.text import Text

from edgewatch.display.escape import escape
from edgewatch.dlq.models import ReplayRecord, invalid_sqs_chars
from edgewatch.dlq.replay import (
    REPLAY_ATTRIBUTE,
    DlqMessage,
    MessageAttribute,
    QueueInfo,
)
from edgewatch.dlq.replay.batching import Outgoing, Refusal, batch_limits, chunk, prepare
from edgewatch.dlq.replay.ratelimit import RateLimiter
from edgewatch.dlq.selection import FilterError, MessageFilter, Selection

DLQ = QueueInfo("http://x/1/d", "arn:aws:sqs:us-east-1:1:d", "d", False, 1_048_576, 30, 0, 0)
TARGET = QueueInfo("http://x/1/s", "arn:aws:sqs:us-east-1:1:s", "s", False, 1_048_576, 30, 0, 0)
FIFO_DLQ = QueueInfo("http://x/1/d.fifo", "arn:d.fifo", "d.fifo", True, 1_048_576, 30, 0, 0)
FIFO_TARGET = QueueInfo("http://x/1/s.fifo", "arn:s.fifo", "s.fifo", True, 1_048_576, 30, 0, 0)


def msg(body: str = "{}", attrs: dict | None = None, system: dict | None = None, mid="m-1"):
    return DlqMessage(
        message_id=mid,
        receipt_handle="rh",
        body=body,
        attributes={n: MessageAttribute.from_api(a) for n, a in (attrs or {}).items()},
        system=system or {},
    )


def send(m: DlqMessage, target: QueueInfo = TARGET, dlq: QueueInfo = DLQ, **kw) -> Outgoing:
    out = prepare(
        m,
        dlq=dlq,
        target=target,
        replayed_at="2026-01-01T00:00:00+00:00",
        max_replays=kw.pop("max_replays", 3),
        force=kw.pop("force", False),
    )
    assert isinstance(out, Outgoing), out
    return out


def refuse(m: DlqMessage, target: QueueInfo = TARGET, **kw) -> Refusal:
    out = prepare(
        m,
        dlq=DLQ,
        target=target,
        replayed_at="t",
        max_replays=kw.pop("max_replays", 3),
        force=kw.pop("force", False),
    )
    assert isinstance(out, Refusal), out
    return out


# -- message model ---------------------------------------------------------------------------


def test_system_attributes_and_request_id():
    m = msg(
        json.dumps({"detail": {"request_id": "req-9"}, "x": 1}),
        system={
            "ApproximateReceiveCount": "4",
            "SentTimestamp": "1700000000000",
            "MessageGroupId": "g1",
            "MessageDeduplicationId": "d1",
            "DeadLetterQueueSourceArn": "arn:src",
        },
    )
    assert m.receive_count == 4 and m.group_id == "g1" and m.deduplication_id == "d1"
    assert m.sent_at is not None and m.sent_at.year == 2023
    assert m.source_arn == "arn:src"
    assert m.request_id == "req-9"
    assert msg("not json").request_id is None and msg("[1]").request_id is None
    assert msg('{"request_id": true}').request_id is None


def test_size_counts_body_and_every_attribute_part():
    m = msg(
        "héllo",  # 6 bytes in UTF-8
        {
            "s": {"DataType": "String", "StringValue": "ab"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"},
            "n": {"DataType": "Number.int", "StringValue": "12"},
        },
    )
    assert m.size == 6 + (1 + 6 + 2) + (3 + 6 + 3) + (1 + 10 + 2)


def test_display_is_escaped_and_never_markup():
    body = "[bold red]boom[/] \x1b[2J\x00 line\nnext \u202e"
    shown = escape(body, one_line=True)
    assert "\x1b" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert "\\x1b" in shown and "\\n" in shown and "\n" not in shown
    m = msg(body)
    assert m.binaryish
    console = Console(record=True, width=200, color_system=None)
    console.print(Text(m.preview()))
    assert "[bold red]boom[/]" in console.export_text()
    attr = MessageAttribute("Binary", binary_value=bytes(range(40)))
    assert attr.display(limit=10).startswith("<40 bytes> ")


def test_invalid_characters_found_like_sqs():
    assert invalid_sqs_chars("ok\t\n\r é 😀 \ufffd") == []
    assert invalid_sqs_chars("a\x00b\x1f\ufffe") == ["U+0000", "U+001F", "U+FFFE"]


# -- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "body", "attrs", "expected"),
    [
        ("timeout", '{"e": "timeout"}', None, True),
        ("text:$.x", "has $.x inside", None, True),
        ("$.status >= 500", '{"status": 503}', None, True),
        ("$.status >= 500", '{"status": "503"}', None, True),
        ("$.status >= 500", '{"status": 404}', None, False),
        ("$.status == 500", "not json", None, False),
        ('$.detail.kind == "poison"', '{"detail": {"kind": "poison"}}', None, True),
        ("$.detail.kind == poison", '{"detail": {"kind": "poison"}}', None, True),
        ("$.tags[1] == b", '{"tags": ["a", "b"]}', None, True),
        ("$.missing != 1", '{"x": 1}', None, False),
        ("$.flag == true", '{"flag": true}', None, True),
        ("@tenant == acme", "{}", {"tenant": {"DataType": "String", "StringValue": "acme"}}, True),
        ("@tenant != acme", "{}", {"tenant": {"DataType": "String", "StringValue": "x"}}, True),
        ("@tenant != acme", "{}", None, True),
        ("@n == 1.5", "{}", {"n": {"DataType": "Number", "StringValue": "1.50"}}, True),
        ("@tenant", "{}", None, False),
    ],
)
def test_filters(expr, body, attrs, expected):
    assert MessageFilter.parse(expr).matches(msg(body, attrs)) is expected


def test_bad_filters_and_selection():
    for bad in ("", "$.x", "$.x ~ 1", "@", "$.status >", "$.status == ", "@Kind =="):
        with pytest.raises(FilterError):
            MessageFilter.parse(bad)
    with pytest.raises(FilterError):
        Selection.build(limit=0)
    sel = Selection.build(message_ids=["a"], filters=["x"])
    assert not sel.is_all and Selection().is_all
    assert sel.matches(msg("x", mid="a")) and not sel.matches(msg("x", mid="b"))
    assert not sel.matches(msg("y", mid="a"))


# -- preparing entries -----------------------------------------------------------------------


def test_entry_keeps_body_and_attributes_and_adds_the_replay_record():
    attrs = {
        "bin": {"DataType": "Binary.gz", "BinaryValue": bytes(range(256))},
        "n": {"DataType": "Number", "StringValue": "007"},
    }
    out = send(msg("b\r\nody", attrs, system={"AWSTraceHeader": "Root=1-abc"}))
    entry = out.entry
    assert entry["MessageBody"] == "b\r\nody"
    assert entry["MessageAttributes"]["bin"] == {
        "DataType": "Binary.gz",
        "BinaryValue": bytes(range(256)),
    }
    assert entry["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "007"}
    record = json.loads(entry["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])
    assert record["count"] == 1 and record["dlq"] == DLQ.arn
    assert record["message_id"] == record["original_message_id"] == "m-1"
    assert entry["MessageSystemAttributes"]["AWSTraceHeader"]["StringValue"] == "Root=1-abc"
    assert "MessageGroupId" not in entry and out.tagged


def test_replay_record_is_replaced_not_added_and_limit_holds_back():
    first = ReplayRecord(2, "arn:old", "t0", "m-0", "m-orig").to_attribute()
    m = msg("x", {REPLAY_ATTRIBUTE: first.to_api()}, mid="m-5")
    out = send(m)
    record = json.loads(out.entry["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])
    assert record["count"] == 3 and record["original_message_id"] == "m-orig"
    assert len(out.entry["MessageAttributes"]) == 1
    held = refuse(msg("x", {REPLAY_ATTRIBUTE: out.entry["MessageAttributes"][REPLAY_ATTRIBUTE]}))
    assert held.status == "held" and "already replayed 3" in held.reason
    forced = send(
        msg("x", {REPLAY_ATTRIBUTE: out.entry["MessageAttributes"][REPLAY_ATTRIBUTE]}), force=True
    )
    assert (
        json.loads(forced.entry["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])["count"] == 4
    )


def test_ten_attributes_leave_no_room_for_the_record():
    attrs = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    held = refuse(msg("x", attrs))
    assert held.status == "held" and "10 message attributes" in held.reason
    forced = send(msg("x", attrs), force=True)
    assert not forced.tagged and len(forced.entry["MessageAttributes"]) == 10
    # nine of its own plus an older record: the record is replaced, still ten
    attrs9 = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(9)}
    attrs9[REPLAY_ATTRIBUTE] = ReplayRecord(1, "a", "t", "m", "m").to_attribute().to_api()
    out = send(msg("x", attrs9))
    assert out.tagged and len(out.entry["MessageAttributes"]) == 10


def test_size_limit_and_characters():
    small = QueueInfo("u", "arn", "small", False, 1024, 30, 0, 0)
    assert refuse(msg("x" * 1025), small).status == "failed"
    near = msg("x" * 1000)  # fits alone, not with the ~200-byte record
    assert refuse(near, small).status == "held"
    assert not send(near, small, force=True).tagged
    bad = refuse(msg("nul\x00here"))
    assert bad.status == "failed" and "U+0000" in bad.reason


def test_fifo_entry_has_group_and_dedup_from_the_message_id():
    m = msg("x", system={"MessageGroupId": "g7", "MessageDeduplicationId": "orig"}, mid="abc")
    entry = send(m, FIFO_TARGET, FIFO_DLQ).entry
    assert entry["MessageGroupId"] == "g7" and entry["MessageDeduplicationId"] == "abc"
    assert send(m, FIFO_TARGET, FIFO_DLQ).entry == entry  # stable: a retry is deduplicated
    assert refuse(msg("x"), FIFO_TARGET).reason.startswith("no MessageGroupId")


def test_chunk_by_count_and_bytes_keeps_order():
    items = [send(msg("x" * 300_000, mid=f"m{i}")) for i in range(7)]
    batches = chunk(items, max_entries=10, max_bytes=1_048_576)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [o.message.message_id for b in batches for o in b] == [f"m{i}" for i in range(7)]
    small = [send(msg("y", mid=f"s{i}")) for i in range(23)]
    assert [len(b) for b in chunk(small, max_entries=10, max_bytes=1_048_576)] == [10, 10, 3]
    assert all(sum(o.size for o in b) <= 1_048_576 for b in batches)


async def test_rate_limiter_spaces_batches():
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(5.0, 5, lambda: now[0], fake_sleep)
    for _ in range(4):
        await limiter.acquire(5)
    assert now[0] == pytest.approx(3.0)  # 20 messages at 5/s, the first 5 from the full bucket
    unlimited = RateLimiter(None, 10, lambda: now[0], fake_sleep)
    await unlimited.acquire(1000)
    assert now[0] == pytest.approx(3.0)


def test_batch_limits_follow_rate_and_target():
    small = QueueInfo("u", "arn", "small", False, 2048, 30, 0, 0)
    assert batch_limits(TARGET, None) == (10, 1_048_576)
    assert batch_limits(TARGET, 3.5) == (3, 1_048_576)
    assert batch_limits(small, 0.2) == (1, 2048)
