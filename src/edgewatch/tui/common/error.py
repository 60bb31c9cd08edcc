"""The modal shown when the poll worker fails: the console keeps running and says why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from edgewatch.display.escape import safe


class PollerErrorScreen(ModalScreen[None]):
    """Harlequin-style: a worker error becomes a dialog, never a traceback on screen."""

    BINDINGS = [
        Binding("escape,enter", "dismiss", "Close", id="error.close"),
        Binding("r", "app.refresh", "Restart polling", id="error.restart"),
        Binding("q", "app.quit", "Quit", id="error.quit"),
    ]

    def __init__(self, error: str) -> None:
        super().__init__(id="poller-error")
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="error-body") as body:
            body.border_title = "Polling stopped"
            body.border_subtitle = "esc close · r restart polling · q quit"
            yield Static(safe(self.error), id="error-text")
            yield Static(
                Text(
                    "The dashboard keeps the last numbers it had. Press r to restart polling; "
                    "if this repeats, please report it with the text above."
                ),
                id="error-hint",
            )
