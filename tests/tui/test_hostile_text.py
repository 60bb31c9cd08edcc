"""Log lines with bidi controls, separators and escapes in every field, as the Logs screen
draws them: the list row, the level column and the detail panel."""

from __future__ import annotations

from edgewatch.tui.common.palette import Palette
from edgewatch.tui.logs import text as log_text
from edgewatch.tui.logs.detail import detail_text
from edgewatch.tui.logs.view import row_text
from tests.support.tui_logs import log_line, text_line

PALETTE = Palette(ok="#00ff00", warn="#ffff00", crit="#ff0000", accent="#00ffff")
RAW = ("\x1b", "\x9b", "\u202e", "\u2066", "\u200f", "\u061c", "\u2028", "\u2029", "\x85")


def assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the screen"


def test_bidi_controls_and_separators_in_a_log_line_are_shown_escaped() -> None:
    line = text_line(0, "total \u202e0001\u202c a\u2028b\u2029c\x85d \u2066x\u2069 \u200f\u061c")
    row = row_text(line, PALETTE, 300).plain
    assert_clean(row)
    assert "\\u202e0001\\u202c a\\u2028b\\u2029c\\x85d \\u2066x\\u2069 \\u200f\\u061c" in row
    body = detail_text(line, PALETTE).plain
    assert_clean(body)
    assert "\\u202e0001" in body


def test_a_level_field_with_escapes_is_escaped_and_stays_in_its_row() -> None:
    line = log_line(1, level="\x1b[2J\x1b[31mERR\nOR")
    row = row_text(line, PALETTE, 200)
    assert_clean(row.plain)
    assert "\n" not in row.plain
    assert row.plain.split()[1] == log_text.level_label(line.level)
    assert len(log_text.level_label(line.level)) <= log_text.LEVEL_WIDTH
    assert_clean(detail_text(line, PALETTE).plain)


def test_the_detail_panel_keeps_nel_and_line_separators_visible() -> None:
    line = log_line(2, message="before\u2028middle\x85after\u2029end")
    body = detail_text(line, PALETTE).plain
    assert_clean(body)
    assert "before\\u2028middle\\x85after\\u2029end" in body  # on one line, as escapes
    text = text_line(3, "one\u2028two\x85three\nfour")
    lines = log_text.detail_body(text)
    assert lines == ["one\\u2028two\\x85three", "four"]  # only the real newline breaks
