"""JSON filter patterns: AWS honours them server-side; moto returns every event, and so does
LocalStack (its CloudWatch Logs is built on moto's). edgewatch's client-side check makes the
answer right anyway, and it says when the server ignored the pattern (a notice; on the console,
the search line; on the CLI, stderr)."""

from __future__ import annotations

import pytest

from edgewatch.aws import AwsClients
from edgewatch.logs.cloudwatch import CloudWatchSource
from edgewatch.logs.search import LogQuery
from tests.support.backends import Backend
from tests.support.logs import Collector, LogsArranger, now_ms, record

pytestmark = pytest.mark.backends  # moto and LocalStack

PATTERN = '{ $.request_id = "req-a" }'


def arrange(logs: LogsArranger) -> int:
    t = now_ms() - 60_000
    logs.group("/app/f")
    logs.put("/app/f", "s", [(t + i, record(f"req-{'ab'[i % 2]}", i)) for i in range(6)])
    return t


def test_the_server_side_json_pattern(backend: Backend, logs: LogsArranger) -> None:
    """The raw API: what each backend does with a JSON pattern (the fidelity table's row)."""
    t = arrange(logs)
    events = logs.client.filter_log_events(
        logGroupName="/app/f", startTime=t - 1000, filterPattern=PATTERN
    )["events"]
    assert len(events) == 6  # both return every event; AWS would return the 3 of req-a


async def test_search_is_right_and_says_when_the_server_ignored_the_pattern(
    backend: Backend, logs: LogsArranger, aws_clients: AwsClients
) -> None:
    t = arrange(logs)
    query = LogQuery(request_id="req-a")
    assert query.filter_pattern() is not None and query.filter_pattern().startswith("{")
    source = CloudWatchSource(aws_clients, "/app/f", start_ms=t - 1000, query=query, follow=False)
    out = Collector()
    await source.run(out)
    assert sorted(line.parsed["n"] for line in out.lines) == [0, 2, 4]  # right on both
    told = [n for n in out.notices if n.kind == "unfiltered"]
    assert source.unfiltered == 3 and len(told) == 1  # said once, not per page
    assert "ignored the JSON filter pattern" in told[0].message
