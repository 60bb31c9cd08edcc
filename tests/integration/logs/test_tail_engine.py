"""The pieces around the sources: parsing, queries, ``--since``, the buffer, the tail's queue."""

from __future__ import annotations

import asyncio
import json

import pytest

from edgewatch.config import LogsSettings
from edgewatch.logs.models import LineBuffer, LogBatch, epoch_ms, make_line, parse_message
from edgewatch.logs.search import LogQuery, parse_since
from edgewatch.logs.tail import (
    LogTail,
    TailTargets,
    build_tail,
    resolve_targets,
)

pytestmark = pytest.mark.backends  # moto and LocalStack

NOW = 1_800_000_000.0


def line(n: int, message: str | None = None):
    return make_line(
        event_id=str(n),
        timestamp=n,
        log_group="/g",
        stream="s",
        message=message or json.dumps({"request_id": f"r{n}"}),
    )


def test_parse_json_text_and_lambda_text_format():
    assert parse_message('{"a": 1}') == {"a": 1}
    assert parse_message("[1, 2]") is None and parse_message("plain") is None
    assert parse_message('{"a": 1') is None
    lam = '2026-11-23T04:00:00.000Z\tabc-123\tINFO\t{"request_id": "abc-123", "level": "warn"}'
    parsed = make_line(event_id="1", timestamp=0, log_group="g", stream="s", message=lam)
    assert parsed.request_id == "abc-123" and parsed.level == "WARN"
    assert (
        make_line(event_id="1", timestamp=0, log_group="g", stream="s", message="x").parsed is None
    )


def test_epoch_ms_units():
    assert epoch_ms(1_800_000_000) == 1_800_000_000_000
    assert epoch_ms(1_800_000_000_123) == 1_800_000_000_123
    assert epoch_ms("2027-01-15T08:00:00+01:00") == epoch_ms("2027-01-15T07:00:00Z")
    assert epoch_ms(True) is None and epoch_ms("soon") is None and epoch_ms(-1) is None


def test_query_patterns():
    # A quoted term, not a JSON pattern: it also matches Lambda's START/END/REPORT text lines.
    assert LogQuery(request_id="abc-1").filter_pattern() == '"abc-1"'
    assert LogQuery(message_id="m-1").filter_pattern() == '"m-1"'
    assert LogQuery(any_ids=("m-1", "r-1")).filter_pattern() == '?"m-1" ?"r-1"'
    assert LogQuery(request_id='a"b').filter_pattern() is None  # client-side only
    assert LogQuery(text="disk full").filter_pattern() == '"disk full"'
    assert LogQuery(text='say "hi"').filter_pattern() is None
    assert LogQuery(request_id="r", text="x").filter_pattern() == '"r"'  # the ID narrows
    assert LogQuery().filter_pattern() is None and LogQuery().empty
    both = LogQuery(request_id="r1", text="boom")
    assert both.matches(line(1, json.dumps({"request_id": "r1", "e": "boom"})))
    assert not both.matches(line(1, json.dumps({"request_id": "r1"})))
    with pytest.raises(ValueError):
        LogQuery(text="")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", NOW - 30),
        ("15m", NOW - 900),
        ("2h", NOW - 7200),
        ("1d", NOW - 86_400),
        ("1.5h", NOW - 5400),
        ("2027-01-15T08:00:00Z", 1_800_000_000.0),
        ("2027-01-15T08:00:00", 1_800_000_000.0),
        ("2027-01-15T09:00:00+01:00", 1_800_000_000.0),
    ],
)
def test_parse_since(text, expected):
    assert parse_since(text, NOW) == pytest.approx(expected)


def test_parse_since_rejects_nonsense():
    with pytest.raises(ValueError, match="expected a duration"):
        parse_since("15 minutes", NOW)


def test_line_buffer_is_bounded_and_counts_what_is_new():
    buf = LineBuffer(maxlen=3)
    assert buf.extend(line(i) for i in range(2)) == 0
    mark = buf.total
    assert buf.extend(line(i) for i in range(2, 6)) == 3
    assert [ln.event_id for ln in buf] == ["3", "4", "5"] and buf.total == 6
    assert [ln.event_id for ln in buf.since(mark)] == ["3", "4", "5"]  # 2 fell off already
    assert [ln.event_id for ln in buf.since(5)] == ["5"] and buf.since(6) == []
    assert [ln.event_id for ln in buf.find("r4")] == ["4"]
    with pytest.raises(ValueError):
        LineBuffer(maxlen=0)


class ListSource:
    """An in-memory source: many small batches as fast as the tail accepts them."""

    name = "mem"

    def __init__(self, batches: int, size: int) -> None:
        self.batches, self.size, self.sent = batches, size, 0

    async def run(self, emit, running=None) -> None:
        for b in range(self.batches):
            if running is not None:
                await running.wait()
            await emit(LogBatch(lines=tuple(line(b * self.size + i) for i in range(self.size))))
            self.sent += 1


async def test_back_pressure_bounds_pending_lines_and_batches_are_coalesced():
    source = ListSource(batches=100, size=10)
    tail = LogTail([source], max_pending_lines=50, max_batch_lines=30)
    async with tail:
        for _ in range(20):
            await asyncio.sleep(0)
        assert tail.pending_lines <= 50 and source.sent <= 6  # blocked, nothing dropped
        sizes = []
        ids: list[str] = []
        async for batch in tail:
            sizes.append(len(batch.lines))
            ids += [ln.event_id for ln in batch.lines]
            assert tail.pending_lines <= 50
    assert ids == [str(i) for i in range(1000)]
    assert max(sizes) <= 30 and sizes[0] == 30  # several ready batches merged into one
    assert tail.delivered == 1000 and tail.finished


async def test_run_with_a_callback_and_an_empty_tail():
    got: list[int] = []
    await LogTail([ListSource(3, 2)]).run(lambda b: got.append(len(b.lines)))
    assert sum(got) == 6
    assert [b async for b in LogTail([])] == []


def test_targets_precedence():
    configured = LogsSettings(groups=["/cfg"], file="/tmp/w.jsonl")
    assert resolve_targets(configured, groups=["/a", "/a", "/b"]) == TailTargets(("/a", "/b"))
    assert resolve_targets(configured, file="/f") == TailTargets((), "/f")
    # Without flags, the configured sources plus the consumers' groups, discovered later.
    assert resolve_targets(configured) == TailTargets(("/cfg",), "/tmp/w.jsonl", discover=True)
    unconfigured = resolve_targets(LogsSettings())
    assert unconfigured.needs_aws and unconfigured.discover
    with pytest.raises(ValueError, match="discover"):
        build_tail(unconfigured, clients=None, logs=configured)
    with pytest.raises(ValueError, match="clients"):
        build_tail(TailTargets(("/g",)), clients=None, logs=configured)
    assert not TailTargets(file="/f").needs_aws
