"""The DLQ screen's pure rendering: message content is shown literally, nothing raw reaches the
terminal (request IDs and the offline preview are core: tests/unit/dlq/test_preview.py)."""

from __future__ import annotations

from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dlq.text import body_text, detail_text
from tests.support.tui import NOW
from tests.support.tui_dlq import fixed_messages

PALETTE = Palette(ok="green", warn="yellow", crit="red", accent="cyan")


def test_nothing_raw_reaches_the_terminal() -> None:
    for msg in fixed_messages():
        plain = detail_text(msg, now=NOW, palette=PALETTE).plain
        assert "\x1b" not in plain and "\x00" not in plain and "\x7f" not in plain
    markup, binary, text = fixed_messages()
    assert "[bold red]x[/]" in body_text(markup).plain  # literal, not styled
    assert "\\u001b[31mred" in body_text(markup).plain
    assert "\\x00\\x01PNG\\x1b[2J\\x7f" in body_text(binary).plain
    assert "00000000  00 01 50 4e 47 1b" in body_text(binary).plain
    assert "[red]validation[/red]\nsecond line" in body_text(text).plain
