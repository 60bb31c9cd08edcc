"""``emit()`` refuses at once what SQS would refuse, and accepts the rest without a loop."""

from __future__ import annotations

from typing import Any

import pytest
from edgewatch_emitter import Emitter
from edgewatch_emitter.emitter import _region_from_host

STANDARD = "https://sqs.eu-west-1.amazonaws.com/123456789012/events"
FIFO = "https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo"


def emitter(url: str = STANDARD, **kw: Any) -> Emitter:
    return Emitter(url, credentials=("AKID", "secret"), max_message_bytes=1024, **kw)


@pytest.mark.parametrize(
    ("event", "kwargs", "message"),
    [
        ("", {}, "empty message body"),
        ("bad \x00 char", {}, "U\\+0000"),
        ("bell \x07", {}, "U\\+0007"),
        ("lone \ud800 surrogate", {}, "U\\+D800"),
        ("\ufffe", {}, "U\\+FFFE"),
        ("x" * 1025, {}, "exceeds the queue's maximum of 1024"),
        ("é" * 600, {}, "exceeds"),
        ("x" * 1000, {"attributes": {"pad": "y" * 30}}, "exceeds"),
        (b"\xff\xfe not utf-8", {}, "UTF-8"),
        ("ok", {"attributes": {f"a{i}": "v" for i in range(11)}}, "at most 10"),
        ("ok", {"attributes": {"AWS.trace": "v"}}, "reserved"),
        ("ok", {"attributes": {"amazon.x": "v"}}, "reserved"),
        ("ok", {"attributes": {"has space": "v"}}, "1-256 characters"),
        ("ok", {"attributes": {".lead": "v"}}, "leading"),
        ("ok", {"attributes": {"a..b": "v"}}, "double"),
        ("ok", {"attributes": {"empty": ""}}, "empty value"),
        ("ok", {"attributes": {"ctl": "\x01"}}, "U\\+0001"),
        ("ok", {"attributes": {"nan": float("nan")}}, "finite"),
        ("ok", {"delay_s": 901}, "delay_s"),
        ("ok", {"delay_s": 1.5}, "delay_s"),
        ("ok", {"dedup_id": "d"}, "FIFO queues only"),
        ("ok", {"group_id": "has space"}, "group_id"),
    ],
)
def test_standard_queue_rejects(event: Any, kwargs: dict[str, Any], message: str) -> None:
    e = emitter()
    with pytest.raises(ValueError, match=message):
        e.emit(event, **kwargs)
    assert e.stats().buffered == 0


def test_unsupported_attribute_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected str"):
        emitter().emit("ok", attributes={"obj": object()})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a group id"),
        ({"group_id": "g", "delay_s": 5}, "no per-message delay"),
        ({"group_id": "g", "dedup_id": "x" * 129}, "dedup_id"),
        ({"group_id": ""}, "group_id"),
    ],
)
def test_fifo_queue_rejects(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        emitter(FIFO).emit({"a": 1}, **kwargs)


def test_valid_events_are_buffered_without_a_running_loop() -> None:
    e = emitter()
    e.emit({"dict": True})
    e.emit("text ✓ \U0001f600")
    e.emit(b"bytes")
    e.emit(bytearray(b"more bytes"))
    e.emit("attrs", attributes={"s": "v", "n": 1, "f": 0.5, "b": b"\x00", "t": False})
    e.emit("delayed", delay_s=900, group_id="fair-share")
    e.emit({"big dicts are sized later": "x" * 5000})
    assert e.stats().buffered == 7
    fifo = emitter(FIFO, group_id_fn=lambda ev: ev["g"], dedup_id_fn=lambda ev: ev["id"])
    fifo.emit({"g": "tenant-1", "id": "e-1"})
    assert fifo.fifo and fifo.stats().buffered == 1


def test_attributes_are_copied_at_emit() -> None:
    e = emitter()
    attributes = {"k": "v"}
    e.emit("x", attributes=attributes)
    attributes["k"] = "\x00"  # would be invalid; the emitter kept its validated copy
    assert e._buffer[0].attributes == {"k": "v"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_buffer": 0}, "max_buffer"),
        ({"overflow": "block"}, "overflow"),
        ({"max_message_bytes": 2_000_000}, "max_message_bytes"),
    ],
)
def test_constructor_rejects_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emitter(STANDARD, **kwargs)


def test_not_a_queue_url() -> None:
    with pytest.raises(ValueError, match="not a queue URL"):
        Emitter("sqs://nope")


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("sqs.eu-west-1.amazonaws.com", "eu-west-1"),
        ("sqs.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("us-west-2.queue.amazonaws.com", "us-west-2"),
        ("vpce-0a1b-2c3d.sqs.ap-southeast-2.vpce.amazonaws.com", "ap-southeast-2"),
        ("127.0.0.1", None),
        ("localhost", None),
    ],
)
def test_region_from_queue_host(host: str, region: str | None) -> None:
    assert _region_from_host(host) == region
