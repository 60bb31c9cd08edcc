"""What a log line looks like on screen: literal text, level colours, the filter's grammar."""

from __future__ import annotations

import pytest

from edgewatch.display.escape import escape
from edgewatch.logs.search import LogQuery
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.logs import text as log_text
from edgewatch.tui.logs.detail import detail_text
from edgewatch.tui.logs.view import row_text
from tests.support.tui_logs import ANSI, MARKUP, RID, log_line, text_line

AT = "2026-11-23T07:50:00.000Z"
PALETTE = Palette(ok="#00ff00", warn="#ffff00", crit="#ff0000", accent="#00ffff")


def test_escape_shows_escapes_and_keeps_tabs() -> None:
    assert escape(f"a{ANSI}\nb\tc\x9b\x7f\r", one_line=True) == (
        "a\\x1b[31mred\\x1b[0m\\nb\tc\\x9b\\x7f\\r"
    )


def test_markup_and_ansi_in_a_line_stay_characters() -> None:
    line = text_line(0, f"worker said {MARKUP} and {ANSI}")
    text = row_text(line, PALETTE, 200)
    assert f"worker said {MARKUP} and \\x1b[31mred\\x1b[0m" in text.plain
    assert "\x1b" not in text.plain
    body = detail_text(line, PALETTE).plain
    assert f"{MARKUP} and \\x1b[31mred\\x1b[0m" in body and "\x1b" not in body

    json_line = log_line(1, rid=f"{MARKUP}\x1b[2J", level="ERROR", error=f"{MARKUP} {ANSI}")
    row = row_text(json_line, PALETTE, 300).plain
    assert f"error={MARKUP} \\x1b[31mred\\x1b[0m" in row and "\x1b" not in row
    body = detail_text(json_line, PALETTE).plain
    assert '"error": "[bold red]x[/] \\u001b[31mred\\u001b[0m"' in body  # JSON's own escape
    assert f"request  {MARKUP}\\x1b[2J" in body and "\x1b" not in body


def test_c1_controls_in_json_strings_are_escaped_in_the_panel() -> None:
    line = log_line(0, rid=RID, note="csi\x9b31m")
    assert '"note": "csi\\x9b31m"' in detail_text(line, PALETTE).plain


@pytest.mark.parametrize(
    ("level", "level_style", "body_style"),
    [
        ("ERROR", "bold #ff0000", "#ff0000"),
        ("CRITICAL", "bold #ff0000", "#ff0000"),
        ("WARNING", "bold #ffff00", ""),
        ("INFO", "#00ff00", ""),
        ("DEBUG", "dim", "dim"),
    ],
)
def test_levels_are_coloured(level: str, level_style: str, body_style: str) -> None:
    text = row_text(log_line(0, rid=RID, level=level), PALETTE, 200)
    styles = {text.plain[s.start : s.end].strip(): str(s.style) for s in text.spans}
    assert styles[log_text.level_label(level)] == level_style
    body = [str(s.style) for s in text.spans if text.plain[s.start :].startswith("event")]
    assert body == ([body_style] if body_style else [])


def test_row_columns_and_summary() -> None:
    line = log_line(0, rid=RID, level="WARNING", error=None, receive_count=2)
    row = row_text(line, PALETTE, 300).plain.rstrip()
    assert row.startswith("07:50:00.000 WARN  6f1c2a9b-3de… event processed queue=edge-analytics")
    assert "receive_count=2" in row and "error=" not in row  # nulls left out
    assert "request_id" not in row and "timestamp" not in row  # already in a column
    assert row_text(line, PALETTE, 40).plain == "07:50:00.000 WARN  6f1c2a9b-3de… event …"


@pytest.mark.parametrize(
    ("raw", "level", "shown"),
    [  # Lambda's documented plain-text shapes: Python's logging handler, then Node's console
        (f"[INFO]\t{AT}\t{RID}\tprocessed batch of 10\n", "INFO", "processed batch of 10"),
        (f"{AT}\t{RID}\tWARN\tslow downstream\tretrying\n", "WARN", "slow downstream retrying"),
        (f"  [ERROR]\t{AT}\t{RID}\t{MARKUP}\n", "ERROR", f"{MARKUP}"),
        (f"{AT} {RID} Task timed out after 3.0 s", "ERROR", "Task timed out after 3.0 s"),
        ("[ERROR] KeyError: 'body'", "ERROR", "KeyError: 'body'"),
    ],
)  # fmt: skip
def test_lambda_text_row_shows_level_and_message_not_the_prefix(
    raw: str, level: str, shown: str
) -> None:
    line = text_line(0, raw)
    assert line.level == level
    row = row_text(line, PALETTE, 300).plain.rstrip()
    label = log_text.level_label(level).ljust(log_text.LEVEL_WIDTH)
    assert row.startswith(f"07:50:00.000 {label} ")
    assert row.endswith(f" {shown}")
    assert "2026-11-23T" not in row and "[" + level + "]" not in row
    assert raw.rstrip("\n").expandtabs(log_text.TAB) in "\n".join(log_text.detail_body(line))


def test_plain_text_rows_keep_the_whole_line() -> None:
    for raw in ("[NOTICE] not a level Lambda writes", "Traceback (most recent call last):"):
        assert row_text(text_line(0, raw), PALETTE, 300).plain.rstrip().endswith(raw)


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("", None),
        ("   ", None),
        (RID, LogQuery(request_id=RID)),
        (f"  {RID}  ", LogQuery(request_id=RID)),
        ("id:req-42", LogQuery(request_id="req-42")),
        ("ID: req 42", LogQuery(request_id="req 42")),
        ("id:", None),
        ("timeout", LogQuery(text="timeout")),
        ("6f1c2a9b", LogQuery(text="6f1c2a9b")),  # a prefix is text, not an exact ID
    ],
)
def test_filter_grammar(typed: str, query: LogQuery | None) -> None:
    assert log_text.parse_filter(typed) == query


def test_sources_label_says_the_lambda_prefix_once() -> None:
    two = ("/aws/lambda/edge-consumer", "/aws/lambda/edge-enricher")
    assert log_text.sources_label(two) == "/aws/lambda/{edge-consumer, edge-enricher}"
    assert log_text.sources_label(two[:1]) == "/aws/lambda/edge-consumer"
    mixed = ("/aws/lambda/edge-consumer", "/edge/worker\x1b[2J")
    assert log_text.sources_label(mixed) == "/aws/lambda/edge-consumer, /edge/worker\\x1b[2J"
