"""Each hand-written fixture, parsed: the fields filters, the chart and the DLQ rely on."""

from __future__ import annotations

import json

import pytest

from edgewatch.logs.formats import FieldMap, parse_line
from edgewatch.logs.models import make_line
from tests.support.log_fixtures import lines

PY_COLD = "3f1c8a52-6d0e-4c3b-9a57-1b2f0e6d9c11"


def by_kind(name: str, kind: str):
    return [line for line in lines(name) if line.info.kind == kind]


def test_lambda_text_python_invocations():
    parsed = lines("lambda_text_python.log")
    kinds = [line.info.kind for line in parsed]
    assert kinds[:2] == ["init_start", "start"] and "xray" in kinds
    assert all(line.info.format == "lambda_text" for line in parsed)
    reports = by_kind("lambda_text_python.log", "report")
    assert [r.info.duration_ms for r in reports] == [15.74, 42.10, 8.03]  # not Billed Duration
    assert [r.info.init_duration_ms for r in reports] == [130.49, None, None]
    assert [r.info.cold_start for r in reports] == [True, False, False]
    assert {r.info.status for r in reports} == {"success"}
    app = [line for line in parsed if line.info.kind == "app"]
    assert {line.level for line in app} == {"INFO", "ERROR", "WARNING"}
    failed = next(line for line in app if line.level == "ERROR")
    assert failed.request_id == PY_COLD
    assert failed.info.message_ids == ("a8d3f1e2-4c5b-4a69-9e07-6f2b8c1d3e5a",)
    assert failed.info.error_type == "JSONDecodeError"
    assert failed.info.record_time_ms == 1_796_032_800_133.0  # 2026-11-30T10:00:00.133Z


def test_lambda_text_node_error_and_invoke_error_payload():
    parsed = lines("lambda_text_node.log")
    error = next(line for line in parsed if line.level == "ERROR" and line.info.kind == "app")
    assert error.request_id == "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert error.info.error_type == "TypeError"
    assert error.info.error_message.startswith("Cannot read properties of undefined")
    report = by_kind("lambda_text_node.log", "report")[0]
    assert report.info.status == "error"
    assert report.info.error_type == "Runtime.UnhandledPromiseRejection"
    assert report.info.duration_ms == 23.50 and report.info.init_duration_ms == 187.22


def test_report_error_and_init_failures():
    reports = by_kind("lambda_text_report_error.log", "report")
    assert [(r.info.status, r.info.error_type) for r in reports] == [
        ("error", "Runtime.OutOfMemory"),
        ("error", "Runtime.Unknown"),
    ]
    init = by_kind("lambda_text_report_error.log", "init_report")[0]
    assert (init.info.status, init.info.error_type) == ("error", "Runtime.ImportModuleError")
    assert init.info.init_duration_ms == 312.06
    uncaught = next(
        line for line in lines("lambda_text_report_error.log") if line.info.kind == "app"
    )
    assert (uncaught.level, uncaught.info.error_type) == ("ERROR", "KeyError")


def test_timeouts():
    parsed = lines("lambda_text_report_timeout.log")
    report = by_kind("lambda_text_report_timeout.log", "report")[0]
    assert (report.info.status, report.info.duration_ms) == ("timeout", 3000.0)
    notice = next(line for line in parsed if "Task timed out" in line.message)
    assert notice.request_id == report.request_id and notice.info.status == "timeout"
    phases = [line.info.error_message for line in parsed if line.info.kind == "init_report"]
    assert phases == ["init timeout (init)", "init timeout (invoke)"]


def test_lambda_json_platform_records():
    reports = by_kind("lambda_json_platform.jsonl", "report")
    assert [r.info.duration_ms for r in reports] == [25.301, 13.04, 3000.0]
    assert [r.info.init_duration_ms for r in reports] == [185.7, None, None]
    assert [r.info.status for r in reports] == ["success", "error", "timeout"]
    assert reports[1].info.error_type == "ZeroDivisionError"
    assert reports[0].request_id == "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
    done = by_kind("lambda_json_platform.jsonl", "runtime_done")
    assert [d.info.status for d in done] == ["success", "error"]
    assert by_kind("lambda_json_platform.jsonl", "init_start")


def test_lambda_json_app_records():
    parsed = lines("lambda_json_app.jsonl")
    assert all(line.info.format == "lambda_json" for line in parsed)
    decode, failures, uncaught = parsed[1], parsed[2], parsed[3]
    assert decode.info.message_ids == ("e7f8a9b0-c1d2-4e3f-8a4b-5c6d7e8f9a0b",)
    assert (decode.info.error_type, decode.level) == ("JSONDecodeError", "ERROR")
    assert failures.info.message_ids == decode.info.message_ids  # batchItemFailures
    assert (uncaught.info.error_type, uncaught.info.error_message) == (
        "ZeroDivisionError",
        "division by zero",
    )
    assert parsed[4].info.error_type == "Error"


def test_powertools_python_local_time_and_exception():
    parsed = lines("powertools_python.jsonl")
    assert all(line.info.format == "powertools" for line in parsed)
    assert parsed[0].request_id == "52fdfc07-2182-454f-963f-5f0f9a621d72"
    # 2021-05-03 10:20:19,650+0200 is local time: 08:20:19.650 UTC.
    assert parsed[0].info.record_time_ms == 1_620_030_019_650.0
    assert parsed[2].info.record_time_ms == 1_620_051_621_002.0  # -0400
    error = parsed[1]
    assert (error.info.error_type, error.info.message_ids) == (
        "JSONDecodeError",
        ("059f36b4-87a3-44ab-83d2-661975830a7d",),
    )
    assert error.info.error_message == "Expecting value: line 1 column 1 (char 0)"
    assert parsed[2].info.correlation_id == "corr-7781"


def test_powertools_typescript_error_object():
    error = lines("powertools_typescript.jsonl")[1]
    assert error.request_id == "c6af9ac6-7b61-11e6-9a41-93e812345678"
    assert error.info.error_type == "SyntaxError"
    assert error.info.message_ids == ("2e1424d4-f796-459a-8184-9c92662be6da",)


def test_emf_is_shown_compactly():
    first = lines("emf.jsonl")[0]
    assert first.info.kind == "emf"
    assert first.display_message == "EMF EdgeAnalytics: RecordsProcessed=9 RecordsFailed=1"
    assert first.level is None and first.request_id is None


def test_field_mapping_overrides_unknown_shapes():
    record = {
        "ctx": {"req": "r-1", "msg": ["m-1", "m-2"]},
        "sev": "warning",
        "took": 12.5,
        "sent": 1_796_032_800_000,
    }
    fields = FieldMap.from_strings(
        {
            "request_id": "ctx.req",
            "message_id": "ctx.msg",
            "level": "sev",
            "latency_ms": "took",
            "emitted_at": "sent",
        }
    )
    line = make_line(
        event_id="1",
        timestamp=1,
        log_group="g",
        stream="s",
        message=json.dumps(record),
        fields=fields,
    )
    assert (line.request_id, line.level) == ("r-1", "WARNING")
    assert line.info.message_ids == ("m-1", "m-2")
    assert (line.info.latency_ms, line.info.emitted_at_ms) == (12.5, 1_796_032_800_000.0)
    assert line.info.format == "mapped"
    with pytest.raises(ValueError, match="not a key path"):
        FieldMap.from_strings({"request_id": "a..b"})


@pytest.mark.parametrize(
    "message",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "REPORT RequestId: \x1b[31m\tDuration: nan ms",
        "START RequestId: ",
        '{"_aws": {"CloudWatchMetrics": [{"Metrics": [{"Name": 3}]}, 7]}}',
        '{"type": "platform.report", "record": {"metrics": [1, 2]}}',
        '{"function_request_id": {"x": 1}, "level": ["ERROR"], "error": "x"}',
        "\x00\ud800" * 1000,
    ],
)
def test_hostile_input_never_raises(message):
    line = make_line(event_id="1", timestamp=1, log_group="g", stream="s", message=message)
    assert line.message == message
    parse_line(message, None)
