"""The JSON-lines file source, followed like ``tail -F``, on real files in tmp_path."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from edgewatch.logs.file import FileSource
from edgewatch.logs.models import LogSourceError
from edgewatch.logs.search import LogQuery
from edgewatch.logs.tail import LogTail
from tests.support.logs import Collector, Done, Steps, now_ms, record

POLL = 0.25


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


async def follow(source: FileSource, *actions) -> Collector:
    out = Collector()
    source.sleep = Steps(POLL, *actions)
    with pytest.raises(Done):
        await asyncio.wait_for(source.run(out), timeout=30)
    return out


async def test_appends_are_followed_and_partial_lines_wait_for_their_newline(tmp_path):
    path = tmp_path / "worker.jsonl"
    path.write_text(record("r1", 1) + "\n" + "plain text line\n")
    out = await follow(
        FileSource(path),
        lambda: append(path, record("r2", 2) + "\n" + '{"request_id": "r3", "n"'),
        lambda: append(path, ": 3}\n"),
        None,
    )
    assert [line.request_id for line in out.lines] == ["r1", None, "r2", "r3"]
    assert out.lines[1].parsed is None and out.lines[1].message == "plain text line"
    assert out.lines[3].parsed == {"request_id": "r3", "n": 3}
    assert {line.source for line in out.lines} == {"file"}
    assert len({line.event_id for line in out.lines}) == 4


async def test_truncation_reads_from_the_start_again(tmp_path):
    path = tmp_path / "worker.jsonl"
    path.write_text("one\ntwo\nthree\n")

    def truncate_and_write() -> None:
        path.write_text("four\n")  # shorter than before: truncation, then a write

    out = await follow(FileSource(path), truncate_and_write, lambda: append(path, "five\n"))
    assert out.messages == ["one", "two", "three", "four", "five"]
    assert [n.kind for n in out.notices] == ["truncated"]


async def test_rotation_drains_the_old_file_then_follows_the_new_one(tmp_path):
    path = tmp_path / "worker.jsonl"
    path.write_text("a1\n")

    def rotate() -> None:
        append(path, "a2\na3-no-newline")  # written just before the move
        path.rename(tmp_path / "worker.jsonl.1")
        path.write_text("b1\n")

    def moved_away() -> None:
        path.rename(tmp_path / "worker.jsonl.2")  # no successor for a while

    def recreated() -> None:
        append(tmp_path / "worker.jsonl.2", "b2\n")  # the old file still gets a last line
        path.write_text("c1\n")

    out = await follow(FileSource(path), rotate, moved_away, None, recreated, None)
    assert out.messages == ["a1", "a2", "a3-no-newline", "b1", "b2", "c1"]
    assert [n.kind for n in out.notices] == ["rotated", "rotated"]


async def test_a_missing_file_is_waited_for_in_follow_mode_and_an_error_once(tmp_path):
    path = tmp_path / "later.jsonl"
    with pytest.raises(LogSourceError, match="file not found"):
        await FileSource(path, follow=False).run(Collector())
    out = await follow(FileSource(path), None, lambda: path.write_text("hello\n"), None)
    assert out.messages == ["hello"]
    assert [n.kind for n in out.notices] == ["waiting", "ok"]


async def test_a_fifo_or_a_directory_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(LogSourceError, match="not a regular file"):
            await FileSource(path, follow=False).run(Collector())


async def test_from_end_skips_what_is_there(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text("old\n")
    out = await follow(FileSource(path, from_end=True), lambda: append(path, "new\n"), None)
    assert out.messages == ["new"]


async def test_since_request_id_and_text_filters(tmp_path):
    path = tmp_path / "w.jsonl"
    old = now_ms() - 3_600_000
    lines = [
        json.dumps({"timestamp": old, "request_id": "a", "msg": "old"}),
        json.dumps({"timestamp": "2099-01-01T00:00:00Z", "request_id": "a", "msg": "future"}),
        json.dumps({"request_id": "a", "msg": "no time"}),
        json.dumps({"ts": now_ms() / 1000, "request_id": "b", "msg": "other"}),
        "text mentioning a",
    ]
    path.write_text("\n".join(lines) + "\n")
    start = now_ms() - 60_000
    out = Collector()
    await FileSource(path, follow=False, start_ms=start, query=LogQuery(request_id="a")).run(out)
    assert [line.get("msg") for line in out.lines] == ["future", "no time"]
    assert out.lines[0].iso_time == "2099-01-01T00:00:00.000Z"
    out = Collector()
    await FileSource(path, follow=False, query=LogQuery(text="other")).run(out)
    assert [line.get("msg") for line in out.lines] == ["other"]


async def test_long_lines_are_bounded_and_invalid_utf8_is_kept_as_text(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_bytes(b"x" * 5000 + b"\n" + b"caf\xe9\n")
    out = Collector()
    await FileSource(path, follow=False, chunk_bytes=1024, max_line_bytes=2048).run(out)
    assert sum(len(m) for m in out.messages[:-1]) == 5000
    assert all(len(m) <= 2048 + 1024 for m in out.messages[:-1])
    assert out.messages[-1] == "caf\ufffd"


async def test_pause_stops_reading_and_resume_continues(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text("first\n")
    advance = asyncio.Event()
    polls = 0

    async def hand_cranked(delay: float) -> None:  # one poll per advance.set()
        nonlocal polls
        polls += 1
        await advance.wait()
        advance.clear()

    source = FileSource(path, sleep=hand_cranked)
    tail = LogTail([source])
    async with tail:
        batch = await asyncio.wait_for(anext(tail), timeout=10)
        assert [line.message for line in batch.lines] == ["first"]
        tail.pause()
        advance.set()  # the source leaves its sleep and stops at the gate
        append(path, "second\n")
        for _ in range(50):
            await asyncio.sleep(0)
        assert polls == 1 and tail.pending_lines == 0 and tail.paused
        tail.resume()
        batch = await asyncio.wait_for(anext(tail), timeout=10)
        assert [line.message for line in batch.lines] == ["second"]
        assert polls == 2
