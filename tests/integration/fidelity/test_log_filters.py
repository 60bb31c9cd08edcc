"""Filter patterns: AWS honours JSON and quoted-term patterns server-side. moto returns every
event for a JSON pattern but honours quoted terms; LocalStack ignores both. edgewatch's request-ID
search sends a quoted term (which also finds Lambda's text lines), makes the answer exact with
its client-side check, and says when the server ignored the pattern."""

from __future__ import annotations

import pytest

from edgewatch.aws import AwsClients
from edgewatch.logs.cloudwatch import CloudWatchSource
from edgewatch.logs.search import LogQuery
from tests.support.backends import Backend
from tests.support.logs import Collector, LogsArranger, now_ms, record

pytestmark = pytest.mark.backends  # moto and LocalStack


def arrange(logs: LogsArranger) -> int:
    t = now_ms() - 60_000
    logs.group("/app/f")
    events = [(t + i, record(f"req-{'ab'[i % 2]}", i)) for i in range(6)]
    events.append((t + 6, record("req-a-2", 6)))  # contains the wanted ID, is another request
    logs.put("/app/f", "s", events)
    return t


def test_the_server_side_json_pattern_is_ignored(backend: Backend, logs: LogsArranger) -> None:
    """The raw API: a JSON pattern returns every event on both (AWS would return 3)."""
    t = arrange(logs)
    events = logs.client.filter_log_events(
        logGroupName="/app/f", startTime=t - 1000, filterPattern='{ $.request_id = "req-a" }'
    )["events"]
    assert len(events) == 7


async def test_request_search_sends_a_plain_term_and_checks_client_side(
    backend: Backend, logs: LogsArranger, aws_clients: AwsClients
) -> None:
    t = arrange(logs)
    query = LogQuery(request_id="req-a")
    pattern = query.filter_pattern()
    assert pattern == '"req-a"'  # never a JSON pattern: those are ignored here
    narrowed = logs.client.filter_log_events(
        logGroupName="/app/f", startTime=t - 1000, filterPattern=pattern
    )["events"]
    # moto narrows (3 of req-a and the req-a-2 look-alike); LocalStack sends all 7
    assert len(narrowed) == (7 if backend.is_localstack else 4)

    source = CloudWatchSource(aws_clients, "/app/f", start_ms=t - 1000, query=query, follow=False)
    out = Collector()
    await source.run(out)
    assert sorted(line.parsed["n"] for line in out.lines) == [0, 2, 4]  # exact on both
    told = [n for n in out.notices if n.kind == "unfiltered"]
    if backend.is_localstack:
        assert len(told) == 1 and "ignored the filter pattern" in told[0].message
        assert source.ignored == 3  # the req-b events: they cannot match "req-a"
    else:
        assert told == [] and source.ignored == 0
