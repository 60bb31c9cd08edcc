"""Lambda-format logs in moto, end to end through ``edgewatch latency`` and ``edgewatch tail``.

The reference percentiles are computed from the fixtures' REPORT / platform.report durations
with ``statistics.quantiles(method="inclusive")``, independently of edgewatch's parsers.
"""

from __future__ import annotations

import json
import statistics

import pytest

from edgewatch.cli import main
from edgewatch.logs.feed import LogFeed
from edgewatch.logs.models import LogBatch
from tests.support.log_fixtures import events, lines, put_events, report_durations
from tests.support.logs import now_ms

pytestmark = pytest.mark.usefixtures("no_user_config")

TEXT = ("lambda_text_python.log", "lambda_text_node.log", "lambda_text_report_error.log",
        "lambda_text_report_timeout.log")  # fmt: skip
JSON = ("lambda_json_platform.jsonl", "lambda_json_app.jsonl")


def arrange(logs, group: str, names: tuple[str, ...]) -> int:
    logs.group(group)
    base = now_ms() - 120_000
    for i, name in enumerate(names):
        entries = put_events(name, base + i * 1000)
        logs.put(
            group,
            f"2026/12/01/[$LATEST]{i:032x}",
            [(e["timestamp"], e["message"]) for e in entries],
        )
    return base


def reference(names: tuple[str, ...]) -> dict[str, float]:
    values = sorted(d for name in names for d in report_durations(name))
    cut = statistics.quantiles(values, n=100, method="inclusive")
    return {"count": len(values), "p50": statistics.median(values), "p95": cut[94], "p99": cut[98]}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("group", "names"), [("/aws/lambda/text-fn", TEXT), ("/aws/lambda/json-fn", JSON)]
)
def test_latency_json_matches_the_report_durations(moto_server, logs, capsys, group, names):
    arrange(logs, group, names)
    code, out, err = run_cli(
        capsys, "--endpoint-url", moto_server.endpoint_url,
        "latency", "--json", "--since", "10m", "--log-group", group,
    )  # fmt: skip
    assert (code, err) == (0, "")
    doc = json.loads(out)
    expected = reference(names)
    latency = doc["series"]["latency"]
    assert latency["source"] == "duration"
    assert latency["count"] == expected["count"]
    for q in ("p50", "p95", "p99"):
        assert latency[q] == pytest.approx(expected[q])
    assert doc["series"]["queue_lag"] is None and "SentTimestamp" in doc["unavailable"]["queue_lag"]
    reports = [line for name in names for line in lines(name) if line.info.kind == "report"]
    assert doc["counts"]["invocations"] == len(reports) == expected["count"]
    assert doc["counts"]["cold_starts"] == sum(1 for r in reports if r.info.init_duration_ms)
    assert doc["counts"]["timeouts"] == sum(1 for r in reports if r.info.status == "timeout") >= 1
    assert doc["counts"]["invocation_errors"] >= 1
    assert doc["sources"] == [group]


@pytest.mark.parametrize("names", [TEXT, JSON])
def test_chart_series_match_the_report_durations(names):
    """What the chart draws: the feed's latest point over its window, from the same lines."""
    feed = LogFeed(buffer_lines=1000, window_s=3600)
    base = now_ms() - 60_000
    batch = [line for i, name in enumerate(names) for line in lines(name, base_ms=base + i * 1000)]
    feed.ingest(LogBatch(lines=tuple(batch)))
    feed.latency.tick(now_ms() / 1000)
    point = feed.latency.series().last("latency")
    expected = reference(names)
    assert point.count == expected["count"]
    assert (point.p50, point.p95, point.p99) == pytest.approx(
        (expected["p50"], expected["p95"], expected["p99"])
    )
    assert feed.latency.unavailable("latency") is None
    assert feed.latency.unavailable("queue_lag") is not None  # said, not an empty plot


def test_tail_request_id_returns_exactly_the_invocation(moto_server, logs, capsys):
    arrange(logs, "/aws/lambda/text-fn", TEXT)
    rid = "3f1c8a52-6d0e-4c3b-9a57-1b2f0e6d9c11"
    code, out, err = run_cli(
        capsys, "--endpoint-url", moto_server.endpoint_url,
        "tail", "--json", "--since", "10m", "--log-group", "/aws/lambda/text-fn",
        "--request-id", rid,
    )  # fmt: skip
    assert (code, err) == (0, "")
    got = [json.loads(text)["message"] for text in out.splitlines()]
    expected = [m for m in events("lambda_text_python.log") if rid in m]
    assert got == expected
    assert got[0].startswith("START ") and got[-1].startswith("REPORT ")
    assert any(m.startswith("END ") for m in got) and any(m.startswith("[ERROR]") for m in got)


@pytest.mark.parametrize(
    ("name", "message_id"),
    [
        ("lambda_text_python.log", "a8d3f1e2-4c5b-4a69-9e07-6f2b8c1d3e5a"),
        ("lambda_json_app.jsonl", "e7f8a9b0-c1d2-4e3f-8a4b-5c6d7e8f9a0b"),
        ("powertools_python.jsonl", "059f36b4-87a3-44ab-83d2-661975830a7d"),
        ("powertools_typescript.jsonl", "2e1424d4-f796-459a-8184-9c92662be6da"),
    ],
)
def test_tail_message_id_returns_the_lines_naming_it(moto_server, logs, capsys, name, message_id):
    arrange(logs, "/aws/lambda/fn", (name,))
    code, out, err = run_cli(
        capsys, "--endpoint-url", moto_server.endpoint_url,
        "tail", "--json", "--since", "10m", "--log-group", "/aws/lambda/fn",
        "--message-id", message_id,
    )  # fmt: skip
    assert (code, err) == (0, "")
    got = [json.loads(text) for text in out.splitlines()]
    assert [o["message"] for o in got] == [m for m in events(name) if message_id in m]
    assert all(message_id in o["message_ids"] for o in got)


@pytest.mark.parametrize("name", ["powertools_python.jsonl", "emf.jsonl", "lambda_text_node.log"])
def test_every_fixture_tails_without_error(moto_server, logs, capsys, name):
    arrange(logs, "/aws/lambda/fn", (name,))
    code, out, err = run_cli(
        capsys, "--endpoint-url", moto_server.endpoint_url,
        "tail", "--since", "10m", "--log-group", "/aws/lambda/fn",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == len(events(name))
    if name == "emf.jsonl":
        assert "EMF EdgeAnalytics: RecordsProcessed=9 RecordsFailed=1" in out
