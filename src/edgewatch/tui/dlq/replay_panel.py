"""The DLQ screen's replay bar: a progress bar and the replay's state in words."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar

from edgewatch.tui.common.text_static import TextStatic


class ReplayPanel(Horizontal):
    """Hidden until a replay is asked for; then its plan, progress and summary."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._total = 1

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, id="dlq-progress", show_eta=False)
        yield TextStatic(id="dlq-counts")

    def on_mount(self) -> None:
        self.display = False

    def show(self, text: Text, *, progress: bool) -> None:
        """Say ``text``; the bar shows while a replay runs or once one has ended."""
        self.display = True
        self.query_one("#dlq-progress").display = progress
        self.query_one("#dlq-counts", TextStatic).show(text, layout=True)

    def start(self, expected: int) -> None:
        """A replay of about ``expected`` messages begins."""
        self._total = max(expected, 1)
        self.query_one("#dlq-progress", ProgressBar).update(total=self._total, progress=0)

    def advance(self, done: int, remaining: int | None) -> None:
        """``done`` handled so far; the total grows when the DLQ turns out to hold more."""
        self._total = max(self._total, done + (remaining or 0))
        self.query_one("#dlq-progress", ProgressBar).update(total=self._total, progress=done)
