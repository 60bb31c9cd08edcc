"""CloudWatch Logs follow mode against a real moto server over HTTP (and real proxies/servers)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.logs.cloudwatch import CloudWatchSource, SeenIds
from edgewatch.logs.models import LogSourceError
from edgewatch.logs.search import LogQuery
from edgewatch.logs.tail import LogTail
from tests.support.logs import Collector, Done, Steps, now_ms, record

pytestmark = pytest.mark.backends  # moto and LocalStack

POLL = 1.0  # the boundary value Steps recognises; nothing actually waits


def clients_for(endpoint: str) -> AwsClients:
    # the standard chain: the environment's keys, which the backend fixture sets per test
    return AwsClients(AwsTarget(region="us-east-1", endpoint_url=endpoint))


async def follow(source: CloudWatchSource, steps: Steps) -> Collector:
    """Run ``source`` through every scripted poll boundary; return what it delivered."""
    out = Collector()
    source.sleep = steps
    with pytest.raises(Done):
        await asyncio.wait_for(source.run(out), timeout=30)
    return out


@pytest.mark.parametrize("overlap_s", [0.0, 10.0])
async def test_same_millisecond_across_poll_boundary_misses_and_repeats_nothing(
    logs, aws_clients, overlap_s
):
    group = logs.group("/app/worker")
    t = now_ms() - 60_000
    logs.put(group, "s1", [(t, "a1"), (t, "a2"), (t, "a3")])

    def between_polls() -> None:  # same millisecond as the newest event already delivered
        logs.put(group, "s1", [(t, "b1"), (t, "b2"), (t + 1, "c1")])
        logs.put(group, "s2", [(t, "b3")])

    source = CloudWatchSource(
        aws_clients, group, start_ms=t - 1000, poll_interval=POLL, overlap_s=overlap_s
    )
    out = await follow(source, Steps(POLL, between_polls, None, None))
    assert sorted(out.messages) == ["a1", "a2", "a3", "b1", "b2", "b3", "c1"]
    assert len({line.event_id for line in out.lines}) == 7
    assert source.polls == 4
    assert source.next_start_ms == max(t - 1000, t + 1 - int(overlap_s * 1000))


async def test_late_event_inside_the_overlap_is_delivered(logs, aws_clients):
    group = logs.group("/app/late")
    t = now_ms() - 60_000
    logs.put(group, "s1", [(t, "first")])

    def late_arrival() -> None:  # ingested after the poll, stamped 3 s earlier
        logs.put(group, "s2", [(t - 3000, "late")])

    source = CloudWatchSource(
        aws_clients, group, start_ms=t - 60_000, poll_interval=POLL, overlap_s=5
    )
    out = await follow(source, Steps(POLL, late_arrival, None))
    assert out.messages == ["first", "late"]


async def test_paginates_with_small_pages_against_moto(logs, aws_clients):
    group = logs.group("/app/pages")
    t = now_ms() - 60_000
    logs.put(group, "s1", [(t + i, f"m{i}") for i in range(7)])
    source = CloudWatchSource(aws_clients, group, start_ms=t, follow=False, page_limit=2)
    out = Collector()
    await asyncio.wait_for(source.run(out), timeout=30)
    assert out.messages == [f"m{i}" for i in range(7)]
    assert source.requests == 4


async def test_one_shot_stops_at_the_end_time(logs, aws_clients):
    group = logs.group("/app/bounded")
    t = now_ms()
    logs.put(group, "s1", [(t - 5000, "past"), (t + 60_000, "future")])
    source = CloudWatchSource(aws_clients, group, start_ms=t - 10_000, follow=False)
    out = Collector()
    await source.run(out)
    assert out.messages == ["past"]


# -- empty pages before the last nextToken: a small server speaking the logs JSON protocol -----


class ScriptedLogs:
    """``FilterLogEvents`` answered from a script of pages keyed by the incoming ``nextToken``."""

    def __init__(self, pages: dict[str | None, dict[str, Any]]) -> None:
        self.pages = pages
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                assert self.headers["X-Amz-Target"].endswith(".FilterLogEvents")
                owner.requests.append(body)
                page = owner.pages[body.get("nextToken")]
                data = json.dumps(page).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def event(event_id: str, ts: int, message: str) -> dict[str, Any]:
    return {"eventId": event_id, "timestamp": ts, "message": message, "logStreamName": "s"}


@pytest.fixture
def scripted() -> Iterator[ScriptedLogs]:
    t = now_ms() - 60_000
    server = ScriptedLogs(
        {
            None: {"events": [], "nextToken": "t1"},
            "t1": {"events": [], "nextToken": "t2"},
            "t2": {"events": [event("1", t, "one"), event("2", t + 5, "two")], "nextToken": "t3"},
            "t3": {"events": [], "nextToken": "t4"},
            "t4": {"events": [event("3", t + 9, "three")]},  # no nextToken: the end
        }
    )
    server.t = t  # type: ignore[attr-defined]
    yield server
    server.close()


async def test_empty_pages_do_not_end_the_pagination(scripted):
    clients = clients_for(scripted.endpoint_url)
    try:
        source = CloudWatchSource(
            clients, "/g", start_ms=scripted.t - 1000, poll_interval=POLL, overlap_s=0.5
        )
        out = await follow(source, Steps(POLL, None))
    finally:
        await clients.aclose()
    assert out.messages == ["one", "two", "three"]
    tokens = [r.get("nextToken") for r in scripted.requests]
    assert tokens == [None, "t1", "t2", "t3", "t4"] * 2
    # Second poll restarts from the newest timestamp seen minus the overlap, and repeats nothing.
    assert scripted.requests[5]["startTime"] == scripted.t + 9 - 500
    assert scripted.requests[0]["startTime"] == scripted.t - 1000


# -- request-ID search ---------------------------------------------------------------------------


async def test_request_id_search_returns_exactly_that_requests_lines(logs, proxy):
    group = logs.group("/app/search")
    t = now_ms() - 60_000
    logs.put(
        group,
        "s1",
        [
            (t, record("req-a", 1)),
            (t + 1, record("req-b", 2)),
            (t + 2, "plain text mentioning req-a"),  # text, not the request's line
            (t + 3, json.dumps({"requestId": "req-a", "n": 3})),
            (t + 4, record("req-a-2", 4)),  # a longer ID that contains the wanted one
            (t + 5, record("req-a", 5, level="error")),
            (t + 6, json.dumps({"request_id": {"nested": "req-a"}})),
        ],
    )
    clients = clients_for(proxy.endpoint_url)
    try:
        query = LogQuery(request_id="req-a")
        source = CloudWatchSource(clients, group, start_ms=t - 1000, query=query, follow=False)
        out = Collector()
        await source.run(out)
    finally:
        await clients.aclose()
    assert [json.loads(m)["n"] for m in out.messages] == [1, 3, 5]
    assert {line.request_id for line in out.lines} == {"req-a"}
    assert [line.level for line in out.lines] == ["INFO", None, "ERROR"]
    # The server-side narrowing was sent: a quoted term (it matches text and JSON lines alike);
    # the client-side check keeps the answer exact whatever the server did with it.
    sent = [json.loads(r.body) for r in proxy.seen if r.operation == "FilterLogEvents"]
    assert sent and all(s["filterPattern"] == '"req-a"' for s in sent)


async def test_plain_text_search_narrows_server_side_and_checks_client_side(logs, aws_clients):
    group = logs.group("/app/grep")
    t = now_ms() - 60_000
    logs.put(
        group,
        "s1",
        [(t, "disk full on /var"), (t + 1, "Disk full elsewhere"), (t + 2, record("x", 1))],
    )
    source = CloudWatchSource(
        aws_clients, group, start_ms=t - 1000, query=LogQuery(text="disk full"), follow=False
    )
    out = Collector()
    await source.run(out)
    assert out.messages == ["disk full on /var"]


# -- throttling and errors -------------------------------------------------------------------------


async def test_throttling_slows_the_tail_without_stopping_it(logs, proxy):
    group = logs.group("/app/throttled")
    t = now_ms() - 60_000
    logs.put(group, "s1", [(t, "before")])
    throttle_left = 0

    def rule(req) -> str | None:
        nonlocal throttle_left
        if req.operation == "FilterLogEvents" and throttle_left > 0:
            throttle_left -= 1
            return "throttle"
        return None

    proxy.rules.append(rule)

    def start_throttling() -> None:
        nonlocal throttle_left
        throttle_left = 3
        logs.put(group, "s1", [(t + 10, "after-1"), (t + 11, "after-2")])

    clients = clients_for(proxy.endpoint_url)
    try:
        source = CloudWatchSource(
            clients, group, start_ms=t - 1000, poll_interval=POLL, rng=lambda: 1.0
        )
        steps = Steps(POLL, start_throttling, None)
        out = await follow(source, steps)
    finally:
        await clients.aclose()
    assert out.messages == ["before", "after-1", "after-2"]
    assert [n.kind for n in out.notices] == ["throttled"] * 3 + ["ok"]
    assert out.notices[0].message == "throttled (ThrottlingException)"
    # Slowed: three growing backoffs between the first and the next successful request.
    assert steps.delays == [POLL, 2 * POLL, 4 * POLL, 8 * POLL, POLL, POLL]
    assert proxy.operations().count("FilterLogEvents") == 3 + 3


async def test_one_shot_retries_throttling_a_few_times_then_fails(logs, proxy):
    group = logs.group("/app/always-throttled")
    proxy.rules.append(lambda req: "throttle" if req.operation == "FilterLogEvents" else None)
    clients = clients_for(proxy.endpoint_url)
    try:
        source = CloudWatchSource(clients, group, start_ms=0, follow=False, rng=lambda: 1.0)
        source.sleep = steps = Steps(-1)
        with pytest.raises(LogSourceError, match="throttled"):
            await source.run(Collector())
    finally:
        await clients.aclose()
    assert steps.delays == [0.5, 1.0, 2.0, 4.0, 8.0]


async def test_backoff_is_capped(logs, aws_clients):
    source = CloudWatchSource(
        aws_clients, "/x", start_ms=0, poll_interval=1.0, max_backoff_s=5.0, rng=lambda: 1.0
    )
    assert [source._backoff() for _ in range(5)] == [2.0, 4.0, 5.0, 5.0, 5.0]
    low = CloudWatchSource(aws_clients, "/x", start_ms=0, poll_interval=1.0, rng=lambda: 0.0)
    assert low._backoff() == 1.0  # equal jitter: never less than half the cap


async def test_missing_group_is_an_error_or_a_wait(moto_server, aws_clients, logs):
    source = CloudWatchSource(aws_clients, "/nope", start_ms=0, follow=False)
    with pytest.raises(LogSourceError, match="log group not found"):
        await source.run(Collector())

    def create() -> None:
        logs.group("/later")
        logs.put("/later", "s", [(now_ms() - 1000, "hello")])

    waiting = CloudWatchSource(
        aws_clients, "/later", start_ms=now_ms() - 60_000, poll_interval=POLL, missing_ok=True
    )
    out = await follow(waiting, Steps(None, create, None))  # created during the first backoff
    assert [n.kind for n in out.notices] == ["waiting", "ok"]
    assert out.messages == ["hello"]


async def test_connection_resets_retry_in_follow_mode_and_fail_a_one_shot(logs, proxy):
    group = logs.group("/app/flaky")
    t = now_ms() - 60_000
    logs.put(group, "s1", [(t, "x")])
    resets_left = 2
    always = True

    def rule(req) -> str | None:
        nonlocal resets_left
        if req.operation != "FilterLogEvents":
            return None
        if always or resets_left > 0:
            resets_left -= 1
            return "reset"
        return None

    proxy.rules.append(rule)
    clients = clients_for(proxy.endpoint_url)
    try:
        one_shot = CloudWatchSource(
            clients, group, start_ms=t - 1000, follow=False, rng=lambda: 1.0
        )
        steps = Steps(-1)  # no boundary: only records the backoff sleeps
        one_shot.sleep = steps
        out = Collector()
        with pytest.raises(LogSourceError, match="closed"):
            await asyncio.wait_for(one_shot.run(out), timeout=30)
        assert steps.delays == [0.5, 1.0]  # an operator is waiting: two quick retries
        assert [n.kind for n in out.notices] == ["retrying", "retrying"]

        always, resets_left = False, 2
        followed = CloudWatchSource(
            clients, group, start_ms=t - 1000, poll_interval=POLL, rng=lambda: 1.0
        )
        steps = Steps(POLL)
        out = await follow(followed, steps)
        assert out.messages == ["x"]
        assert [n.kind for n in out.notices] == ["retrying", "retrying", "ok"]
        assert steps.delays == [2 * POLL, 4 * POLL, POLL]
    finally:
        await clients.aclose()


# -- several groups through one LogTail ----------------------------------------------------------


async def test_several_groups_at_once_and_a_failing_one_does_not_stop_the_others(logs, aws_clients):
    t = now_ms() - 60_000
    for name in ("/a", "/b"):
        logs.group(name)
        logs.put(name, "s", [(t + i, f"{name}:{i}") for i in range(3)])
    sources = [
        CloudWatchSource(aws_clients, g, start_ms=t - 1000, follow=False)
        for g in ("/a", "/b", "/missing")
    ]
    tail = LogTail(sources)
    got: list[str] = []
    kinds: list[tuple[str, str]] = []
    async with tail:
        async for batch in tail:
            got += [line.message for line in batch.lines]
            kinds += [(n.source, n.kind) for n in batch.notices]
    assert sorted(got) == sorted(f"{g}:{i}" for g in ("/a", "/b") for i in range(3))
    assert kinds == [("/missing", "error")]
    assert [e.message for e in tail.errors] == ["log group not found"]


def test_seen_ids_forget_by_timestamp_and_respect_the_cap():
    seen = SeenIds(cap=3)
    assert seen.add("a", 1) and seen.add("b", 2) and not seen.add("a", 1)
    seen.forget_before(2)
    assert "a" not in seen and "b" in seen
    for i, ts in enumerate((3, 4, 5)):
        seen.add(f"x{i}", ts)
    assert len(seen) == 3 and "b" not in seen  # the oldest went first
