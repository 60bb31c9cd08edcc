"""Retries, partial retries, the breaker, drops and deadlines against a scripted server.

Every test drives real sockets on 127.0.0.1; backoff is made tiny through parameters, and
conditions are awaited with bounded loops, never with sleeps-and-hope.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading

import httpx
import pytest
from edgewatch_emitter import DeliveryFailure, Emitter

from tests.support.fault_server import (
    CLOSE,
    DENIED,
    FAST,
    HANG,
    RESET,
    SERVER_ERROR,
    THROTTLE,
    THROTTLE_QUERY,
    Error,
    FaultServer,
    Partial,
    make_emitter,
)
from tests.support.waiting import async_wait_until as wait_until


async def test_transient_errors_are_retried_until_delivered(fault_server: FaultServer) -> None:
    fault_server.script.extend([SERVER_ERROR, THROTTLE, THROTTLE_QUERY, RESET, CLOSE])
    failures: list[DeliveryFailure] = []
    async with make_emitter(fault_server, failures, breaker_threshold=100) as emitter:
        for i in range(5):
            emitter.emit({"n": i})
        result = await emitter.flush(10)
    assert result.complete and result.unsent == 0
    assert sorted(json.loads(b)["n"] for b in fault_server.bodies()) == [0, 1, 2, 3, 4]
    stats = result.stats
    assert (stats.sent, stats.failed, stats.dropped) == (5, 0, 0)
    assert stats.retried >= 5 * 4  # five failed attempts; one reset may be re-sent by the pool
    assert failures == []
    assert all(r.signature_ok for r in fault_server.received)


async def test_partial_failure_retries_only_entries_without_sender_fault(
    fault_server: FaultServer,
) -> None:
    fault_server.script.append(Partial({1: False, 2: True}))
    failures: list[DeliveryFailure] = []
    async with make_emitter(fault_server, failures) as emitter:
        for body in ("zero", "one", "two"):
            emitter.emit(body)
        result = await emitter.flush(10)
    assert result.complete
    first, second = fault_server.batches
    assert [e["MessageBody"] for e in first.payload["Entries"]] == ["zero", "one", "two"]
    assert [e["MessageBody"] for e in second.payload["Entries"]] == ["one"]
    assert sorted(fault_server.bodies()) == ["one", "zero"]
    assert len(failures) == 1
    assert failures[0].reason == "rejected"
    assert failures[0].code == "InvalidParameterValue"
    assert failures[0].events == ("two",)
    assert (result.stats.sent, result.stats.failed, result.stats.retried) == (2, 1, 1)


async def test_client_errors_are_not_retried(fault_server: FaultServer) -> None:
    fault_server.default = DENIED
    failures: list[DeliveryFailure] = []
    async with make_emitter(fault_server, failures) as emitter:
        emitter.emit({"a": 1})
        emitter.emit({"a": 2})
        result = await emitter.flush(10)
    assert result.complete
    assert len(fault_server.batches) == 1
    assert [(f.reason, f.code, f.events) for f in failures] == [
        ("rejected", "AccessDenied", ({"a": 1}, {"a": 2}))
    ]
    assert (result.stats.failed, result.stats.sent, result.stats.retried) == (2, 0, 0)


async def test_retries_are_capped(fault_server: FaultServer) -> None:
    fault_server.default = SERVER_ERROR
    failures: list[DeliveryFailure] = []
    async with make_emitter(
        fault_server, failures, max_retries=2, breaker_threshold=100
    ) as emitter:
        emitter.emit("doomed")
        result = await emitter.flush(10)
    assert result.complete  # settled: failed counts as settled
    assert len(fault_server.batches) == 3  # the first attempt and two retries
    assert [(f.reason, f.code, f.attempts) for f in failures] == [
        ("retries_exhausted", "InternalError", 3)
    ]
    assert (result.stats.failed, result.stats.retried) == (1, 2)


async def test_breaker_stops_sending_while_buffer_keeps_accepting(
    fault_server: FaultServer,
) -> None:
    fault_server.default = SERVER_ERROR
    emitter = make_emitter(
        fault_server, breaker_threshold=3, breaker_cooldown_s=600, max_retries=50, max_buffer=100
    )
    emitter.start()
    emitter.emit("first")
    await wait_until(lambda: emitter.stats().breaker_open)
    assert len(fault_server.batches) == 3
    for i in range(20):
        emitter.emit(f"later-{i}")
    result = await emitter.flush(0.2)
    assert not result.complete
    assert result.unsent == 21
    assert result.stats.buffered == 20 and result.stats.in_flight == 1
    assert len(fault_server.batches) == 3  # nothing sent while open
    closed = await emitter.aclose(timeout=0)
    assert closed.unsent == 21 and closed.stats.dropped == 21


async def test_breaker_probes_after_cooldown_and_recovers(fault_server: FaultServer) -> None:
    fault_server.script.extend([SERVER_ERROR] * 3)
    failures: list[DeliveryFailure] = []
    async with make_emitter(
        fault_server, failures, breaker_threshold=3, breaker_cooldown_s=0.05, max_retries=10
    ) as emitter:
        for i in range(30):
            emitter.emit(f"e{i}")
        result = await emitter.flush(10)
        assert not emitter.stats().breaker_open
    assert result.complete and failures == []
    assert sorted(fault_server.bodies()) == sorted(f"e{i}" for i in range(30))


@pytest.mark.parametrize("as_dict", [False, True], ids=["str events", "dict events"])
@pytest.mark.parametrize(
    ("overflow", "kept"),
    [
        ("drop_oldest", [f"e{i}" for i in range(15, 20)]),
        ("drop_newest", [f"e{i}" for i in range(5)]),
    ],
)
async def test_overflow_drops_are_counted(
    fault_server: FaultServer, overflow: str, kept: list[str], as_dict: bool
) -> None:
    async with make_emitter(fault_server, max_buffer=5, overflow=overflow) as emitter:
        for i in range(20):  # no await: the sender cannot run in between
            emitter.emit({"e": f"e{i}"} if as_dict else f"e{i}")  # dicts: emit()'s fast path
        assert emitter.stats().dropped == 15
        assert emitter.stats().buffered == 5
        result = await emitter.flush(10)
    assert result.complete
    bodies = fault_server.bodies()
    if as_dict:
        bodies = [json.loads(body)["e"] for body in bodies]
    assert sorted(bodies) == sorted(kept)
    assert (result.stats.sent, result.stats.dropped) == (5, 15)


async def test_many_drops_are_counted_exactly(fault_server: FaultServer) -> None:
    """emit()'s lock-free drop path counts in steps folded in every 256 drops: none is lost."""
    async with make_emitter(fault_server, max_buffer=5) as emitter:
        for i in range(1000):  # no await: the sender cannot run in between
            emitter.emit({"e": i})
        assert emitter.stats().dropped == 995
        result = await emitter.flush(10)
        for i in range(1000, 1300):  # and again, after a flush has folded the counters
            emitter.emit({"e": i})
        again = await emitter.flush(10)
    assert result.complete and again.complete
    assert sorted(json.loads(b)["e"] for b in fault_server.bodies()) == [
        *range(995, 1000),
        *range(1295, 1300),
    ]
    assert (again.stats.sent, again.stats.dropped) == (10, 995 + 295)


async def test_a_buffer_filled_before_any_loop_still_starts_the_sender(
    fault_server: FaultServer,
) -> None:
    emitter = make_emitter(fault_server, max_buffer=5)
    filler = threading.Thread(target=lambda: [emitter.emit({"e": i}) for i in range(20)])
    filler.start()  # a thread with no event loop: nothing can start the sender there
    filler.join()
    assert emitter.stats().buffered == 5
    emitter.emit({"e": 20})  # full, in a running loop: this drop starts the sender
    await wait_until(lambda: emitter.stats().sent == 5, timeout=10)
    closed = await emitter.aclose()
    assert sorted(json.loads(b)["e"] for b in fault_server.bodies()) == [16, 17, 18, 19, 20]
    assert (closed.stats.sent, closed.stats.dropped) == (5, 16)


async def test_flush_and_close_are_bounded_when_the_endpoint_hangs(
    fault_server: FaultServer,
) -> None:
    fault_server.default = HANG
    failures: list[DeliveryFailure] = []
    emitter = make_emitter(fault_server, failures, request_timeout_s=60)
    emitter.start()
    for i in range(3):
        emitter.emit(f"h{i}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await emitter.flush(0.3)
    assert loop.time() - started < 10  # returned at its deadline, not after the request timeout
    assert not result.complete and result.unsent == 3
    emitter.emit("h3")
    closed = await emitter.aclose(timeout=0.2)
    assert closed.unsent == 4 and closed.stats.dropped == 4
    assert [(f.reason, sorted(f.events)) for f in failures] == [
        ("closed", ["h0", "h1", "h2", "h3"])
    ]
    emitter.emit("after-close")  # never raises; counted
    assert emitter.stats().dropped == 5


async def test_request_timeout_is_retried(fault_server: FaultServer) -> None:
    fault_server.script.append(HANG)
    async with make_emitter(fault_server, request_timeout_s=0.2) as emitter:
        emitter.emit("slow")
        result = await emitter.flush(10)
    assert result.complete and fault_server.bodies() == ["slow"]
    assert result.stats.retried == 1


async def test_endpoint_down_never_raises_and_fails_after_retries() -> None:
    server = FaultServer()
    await server.start()
    queue_url = server.queue_url
    await server.stop()  # nothing listens on that port any more
    failures: list[DeliveryFailure] = []
    emitter = Emitter(
        queue_url,
        **{**FAST, "max_retries": 1, "breaker_threshold": 1000, "on_error": failures.append},
    )
    async with emitter:
        for i in range(50):
            emitter.emit({"i": i})
        result = await emitter.flush(10)
    assert result.complete
    assert result.stats.failed == 50 and result.stats.sent == 0
    assert {f.reason for f in failures} == {"retries_exhausted"}
    assert sum(len(f.events) for f in failures) == 50
    assert all(f.code == "ConnectError" for f in failures)


async def test_no_event_is_lost_while_the_buffer_is_not_full(fault_server: FaultServer) -> None:
    rng = random.Random(7)
    menu = [SERVER_ERROR, THROTTLE, THROTTLE_QUERY, RESET, CLOSE, Partial({0: False, 3: False})]
    fault_server.script.extend(rng.choice(menu) if rng.random() < 0.4 else "ok" for _ in range(400))
    failures: list[DeliveryFailure] = []
    emitted: list[str] = []
    async with make_emitter(
        fault_server,
        failures,
        max_retries=100,
        max_in_flight=4,
        breaker_threshold=3,
        breaker_cooldown_s=0.01,
        max_buffer=1000,
    ) as emitter:
        for chunk in range(20):
            for i in range(25):
                body = f"event-{chunk}-{i}"
                emitted.append(body)
                emitter.emit(body)
            await asyncio.sleep(0)
        result = await emitter.flush(30)
    assert result.complete, result
    assert failures == []
    assert sorted(fault_server.bodies()) == sorted(emitted)  # every event exactly once
    assert (result.stats.sent, result.stats.failed, result.stats.dropped) == (500, 0, 0)


async def test_no_secret_reaches_errors_or_logs(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret, token = "SECRETKEYVALUE0123456789", "SESSIONTOKENVALUE0123456789"
    fault_server.secret_key = secret
    fault_server.script.append(Error(500, "InternalError", echo_credentials=True))
    fault_server.default = Error(400, "InvalidParameterValue", echo_credentials=True)
    failures: list[DeliveryFailure] = []
    caplog.set_level(logging.DEBUG)
    async with make_emitter(
        fault_server, failures, credentials=("AKIDTEST", secret, token)
    ) as emitter:
        emitter.emit("hello")
        await emitter.flush(10)
    received = fault_server.batches[0]
    assert received.headers["x-amz-security-token"] == token
    assert "x-amz-security-token" in received.headers["authorization"]  # the token is signed
    assert received.signature_ok
    signature = received.headers["authorization"].rsplit("Signature=", 1)[1]
    assert len(failures) == 1 and "[redacted]" in failures[0].message
    logged = [r.getMessage() for r in caplog.records]
    assert any("SendMessageBatch" in m and "[redacted]" in m for m in logged)  # debug request log
    recorded = " ".join([*(repr(f) for f in failures), *logged])
    for value in (secret, token, signature):
        assert value not in recorded
    assert secret not in repr(emitter.__dict__)


async def test_wrong_secret_is_rejected_by_signature_check(fault_server: FaultServer) -> None:
    failures: list[DeliveryFailure] = []
    async with make_emitter(
        fault_server, failures, credentials=("AKIDTEST", "not-the-secret")
    ) as emitter:
        emitter.emit("x")
        await emitter.flush(10)
    assert [f.code for f in failures] == ["SignatureDoesNotMatch"]
    assert not fault_server.received[0].signature_ok


async def test_emit_from_other_threads(fault_server: FaultServer) -> None:
    async with make_emitter(fault_server, max_buffer=10_000) as emitter:

        def produce(thread: int) -> None:
            for i in range(100):
                emitter.emit(f"t{thread}-{i}")

        await asyncio.gather(*(asyncio.to_thread(produce, t) for t in range(4)))
        result = await emitter.flush(10)
    assert result.complete
    assert len(fault_server.bodies()) == 400
    assert len(set(fault_server.bodies())) == 400


async def test_large_messages_split_batches_by_bytes(fault_server: FaultServer) -> None:
    fault_server.max_message_size = 1_048_576
    big = "x" * 300_000
    async with make_emitter(fault_server, max_message_bytes=1_048_576) as emitter:
        for i in range(7):
            emitter.emit(f"{i}{big}")
        result = await emitter.flush(10)
    assert result.complete and result.stats.sent == 7
    sizes = [sum(len(e["MessageBody"]) for e in b.payload["Entries"]) for b in fault_server.batches]
    assert all(size <= 1_048_576 for size in sizes)
    assert sorted(len(b.payload["Entries"]) for b in fault_server.batches) == [1, 3, 3]


async def test_discovers_the_queue_maximum_message_size(fault_server: FaultServer) -> None:
    fault_server.max_message_size = 2048
    failures: list[DeliveryFailure] = []
    emitter = make_emitter(fault_server, failures, max_message_bytes=None)
    async with emitter:
        emitter.emit("warm-up")
        await wait_until(lambda: emitter.max_message_bytes == 2048)
        with pytest.raises(ValueError, match="maximum of 2048"):
            emitter.emit("y" * 3000)
        emitter.emit({"pad": "z" * 3000})  # dicts are sized in the background
        result = await emitter.flush(10)
    assert result.complete
    assert [(f.reason, f.code) for f in failures] == [("too_large", "MessageTooLong")]
    assert fault_server.bodies() == ["warm-up"]


async def test_events_emitted_before_any_loop_are_sent_on_close(fault_server: FaultServer) -> None:
    emitter = make_emitter(fault_server)
    await asyncio.to_thread(lambda: [emitter.emit(f"early-{i}") for i in range(3)])
    assert emitter.stats().buffered == 3  # no loop in that thread: nothing started
    closed = await emitter.aclose(5)
    assert closed.complete and closed.stats.sent == 3
    assert sorted(fault_server.bodies()) == ["early-0", "early-1", "early-2"]


@pytest.mark.parametrize("kind", ["client", "transport"])
async def test_a_caller_supplied_httpx_client_or_transport(
    fault_server: FaultServer, kind: str
) -> None:
    http: httpx.AsyncClient | httpx.AsyncHTTPTransport = (
        httpx.AsyncClient() if kind == "client" else httpx.AsyncHTTPTransport()
    )
    fault_server.script.append(THROTTLE_QUERY)
    async with make_emitter(fault_server, http_client=http) as emitter:
        emitter.emit({"via": kind})
        result = await emitter.flush(10)
    assert result.complete and result.stats.retried == 1
    assert [json.loads(b) for b in fault_server.bodies()] == [{"via": kind}]
    assert all(r.signature_ok for r in fault_server.received)
    await http.aclose()  # the caller's to close, not the emitter's
