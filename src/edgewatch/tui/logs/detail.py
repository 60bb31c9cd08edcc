"""The side panel: one log line in full, its JSON pretty-printed, every string literal."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll

from edgewatch.display.escape import escape, safe
from edgewatch.logs.models import LogLine
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.logs import text as log_text

# A pretty-printed JSON key at the start of a line: `  "latency_ms": 12.3`.
_KEY = re.compile(r'^(\s*)("(?:[^"\\]|\\.)*")(:)')


def detail_text(line: LogLine, palette: Palette) -> Text:
    """The envelope (time, level, request, where) then the body; keys in the accent colour."""
    text = Text(end="")
    fields = log_text.detail_fields(line)
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        text.append(f"{log_text.literal(name):<{width}}  ", style=palette.muted)
        text.append(log_text.literal(value) + "\n")
    text.append("\n")
    body = log_text.detail_body(line)
    for i, row in enumerate(body):
        match = _KEY.match(row) if line.parsed is not None else None
        content = row.lstrip(" ")
        # indentation as its own span (see SVGs); rows are escaped already: escape() is a no-op
        text.append(escape(row[: len(row) - len(content)]))
        if match:
            text.append(match.group(2), style=f"bold {palette.accent}")
            text.append(escape(row[match.end(2) :]))
        else:
            text.append(escape(content))
        if i < len(body) - 1:
            text.append("\n")
    return text


class LogDetail(VerticalScroll):
    """Scrolls when the line is longer than the panel; ``show(None)`` empties it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.line: LogLine | None = None

    def compose(self) -> ComposeResult:
        yield TextStatic(id="log-detail-text")

    def show(self, line: LogLine | None) -> None:
        if line is self.line:
            return
        self.line = line
        title = "log line"
        if line is not None and line.request_id:
            title = f"request {log_text.literal(line.request_id)}"
        self.border_title = safe(title, one_line=True)  # a Text: a str would be parsed as markup
        body = detail_text(line, Palette.from_app(self.app)) if line is not None else Text()
        self.query_one(TextStatic).show(body, layout=True)
        self.scroll_home(animate=False)

    def restyle(self) -> None:
        line, self.line = self.line, None
        self.show(line)
