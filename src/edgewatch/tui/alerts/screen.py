"""The alert history (``a``): every alert event of this run, newest first, bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from edgewatch.alerts.engine import AlertEvent
from edgewatch.display.escape import escape

STATE_STYLE = {"firing": "bold red", "resolved": "green", "suppressed": "dim"}


def history_text(events: list[AlertEvent], active: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    head = f"{active} firing now · {len(events)} event(s), newest first\n\n"
    text.append(escape(head), style="bold")
    if not events:
        text.append("No alert so far.", style="dim")
    for ev in reversed(events):
        at = datetime.fromtimestamp(ev.at, UTC).strftime("%H:%M:%S")
        text.append(escape(f"{at} "))
        label = ev.state + (" (still)" if ev.repeat else "")
        text.append(f"{label:<16}", style=STATE_STYLE.get(ev.state, ""))
        text.append(f"{ev.kind:<12}", style="bold")
        text.append(escape(ev.queue, one_line=True))
        text.append(": ")
        text.append(escape(ev.summary, one_line=True))
        text.append("\n")
    return text


class AlertHistoryScreen(ModalScreen[None]):
    HELP_NAME = "Alert history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "close", "Close", id="alerts-close"),
    ]
    DEFAULT_CSS = """
    AlertHistoryScreen { align: center middle; }
    #alert-history { width: 110; max-width: 100%; height: 80%; border: round $primary;
                     padding: 0 1; background: $surface; }
    """

    def __init__(self, events: list[AlertEvent], active: int) -> None:
        super().__init__()
        self._text = history_text(events, active)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="alert-history"):
            yield Static(self._text, markup=False, id="alert-history-body")

    def on_mount(self) -> None:
        self.query_one("#alert-history").border_title = "Alert history"

    def action_close(self) -> None:
        self.dismiss(None)
