"""The ``?`` screen: keys, what the colours mean, and the thresholds in force (from config)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from edgewatch.config import ConfigSource, Settings
from edgewatch.display.escape import escape
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dashboard.queue_detail import describe_thresholds


class HelpScreen(ModalScreen[None]):
    """A modal over the current screen (polling goes on underneath): that screen's own keys
    first, then the keys that work everywhere."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(
        self,
        keys: Sequence[tuple[str, str]],
        settings: Settings,
        config_source: ConfigSource,
        *,
        screen_keys: Sequence[tuple[str, str]] = (),
        screen_name: str | None = None,
    ) -> None:
        super().__init__(id="help")
        self.keys = list(keys)
        self.screen_keys = list(screen_keys)
        self.screen_name = screen_name
        self.settings = settings
        self.config_source = config_source

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "edgewatch help"
            body.border_subtitle = "esc / ? / q to close"
            yield Static(id="help-keys", classes="help-section")
            yield Static(id="help-colours", classes="help-section")
            yield Static(id="help-thresholds", classes="help-section")

    def on_mount(self) -> None:
        palette = Palette.from_app(self.app)
        self.query_one("#help-keys", Static).update(self._keys_text())
        self.query_one("#help-colours", Static).update(self._colours_text(palette))
        self.query_one("#help-thresholds", Static).update(self._thresholds_text(palette))

    def _keys_text(self) -> Text:
        sections = [("Keys", self.keys)]
        if self.screen_keys:
            sections = [
                (f"Keys on this screen ({self.screen_name})", self.screen_keys),
                ("Keys everywhere", self.keys),
            ]
        width = max(len(k) for _, rows in sections for k, _ in rows)
        text = Text()
        for title, rows in sections:
            text.append(escape(f"{title}\n"), style="bold underline")
            for key, description in rows:
                text.append(f"  {key:<{width}}  ", style="bold")
                text.append(escape(f"{description}\n"))
            text.append("\n")
        text.rstrip()
        return text

    @staticmethod
    def _colours_text(palette: Palette) -> Text:
        text = Text.assemble(("Colours and states\n", "bold underline"))
        rows = [
            ("ok", palette.ok, "below 75 % of every threshold"),
            ("yellow", palette.warn, "warning: at or above 75 % of a threshold"),
            ("red", f"bold {palette.crit}", "critical: at or above a threshold, or an error"),
            ("stale", palette.warn, "a request has not answered yet; previous values shown"),
            ("—", palette.muted, "count unknown (not read yet, or the read failed)"),
            ("n/a", palette.muted, "CloudWatch has no age datapoint (never shown as 0)"),
            ("DLQ", f"bold {palette.accent}", "this queue is another watched queue's DLQ"),
        ]
        for label, style, meaning in rows:
            text.append(f"  {label:<7}", style=style)
            text.append(escape(f"{meaning}\n"))
        text.append("  Connection: ")
        for state in ("connecting", "ok", "degraded", "down", "paused"):
            text.append(escape(state), style=palette.connection(state))
            text.append(" ")
        text.append("\n  Oldest age is CloudWatch 1-minute data, read less often than the depths.")
        return text

    def _thresholds_text(self, palette: Palette) -> Text:
        text = Text.assemble(("Thresholds\n", "bold underline"))
        text.append("  Thresholds come from the config (thresholds.depth, thresholds.age_s,\n")
        text.append("  thresholds.dlq_depth; per queue under [[queues]]). Warn is 75 % of each.\n")
        text.append("  global     ", style="bold")
        text.append(describe_thresholds(self.settings.thresholds) + "\n")
        for q in self.settings.queues:
            if q.thresholds is not None:
                text.append("  ")
                text.append(escape(q.name), style="bold")
                text.append("  " + describe_thresholds(q.thresholds) + "\n")
        source = self.config_source
        where = str(source.path) if source.path is not None else "no config file (defaults)"
        text.append("  config     ", style="bold")
        text.append(escape(where))
        if source.path is not None:
            text.append(escape(f"  (from {source.reason})"), style=palette.muted)
        return text
