"""The Send screen's results: the progress row, one table row per event, and their texts.

Rows arrive as acknowledgements do (out of order); the table keeps the outcome behind each row
so that the detail line and enter (its logs) need no second lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, ProgressBar

from edgewatch.display.escape import escape, safe
from edgewatch.send import EventOutcome, SendProgress, SendResult
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic

MAX_ROWS = 1000  # result rows shown; the counts cover every event
RESULT_COLUMNS = (
    ("#", "index"),
    ("Request ID", "request_id"),
    ("Status", "status"),
    ("Ack ms", "ack"),
    ("Message ID", "message_id"),
    ("Error", "error"),
)


class SendProgressRow(Horizontal):
    """The bar and the counts of a send, running or done."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, id="send-progress", show_eta=False)
        yield TextStatic(id="send-counts")

    def reset(self, total: int) -> None:
        self.query_one("#send-progress", ProgressBar).update(total=total, progress=0)
        self.query_one("#send-counts", TextStatic).show("")

    def show(self, p: SendProgress, palette: Palette) -> None:
        self.query_one("#send-progress", ProgressBar).update(total=p.total, progress=p.done)
        self.query_one("#send-counts", TextStatic).show(counts_text(p, palette))


class ResultsTable(DataTable[Text]):
    """One row per event (up to :data:`MAX_ROWS`), keyed by its index in the send."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.outcomes: dict[str, EventOutcome] = {}  # row key -> the outcome it shows

    def on_mount(self) -> None:
        for label, key in RESULT_COLUMNS:
            self.add_column(label, key=key)

    def reset(self) -> None:
        self.outcomes.clear()
        self.clear()

    def outcome(self, key: object) -> EventOutcome | None:
        return self.outcomes.get(str(key))

    def add(self, outcomes: Sequence[EventOutcome], palette: Palette) -> None:
        """Rows for the outcomes not shown yet."""
        for o in outcomes:
            key = str(o.index)
            if key in self.outcomes or len(self.outcomes) >= MAX_ROWS:
                continue
            self.outcomes[key] = o
            self.add_row(
                safe(o.index + 1),
                safe(o.request_id or "—", one_line=True),
                safe(o.status, status_style(o, palette)),
                safe("" if o.ack_ms is None else f"{o.ack_ms:.1f}", justify="right"),
                safe(o.message_id or "", one_line=True),
                safe(o.error or "", one_line=True),
                key=key,
            )

    def in_order(self) -> None:
        """Rows sorted by event (they came in as acks arrived)."""
        self.sort("index", key=lambda cell: int(cell.plain))


def counts_text(p: SendProgress, palette: Palette) -> Text:
    text = safe(f" {p.done}/{p.total}  emitted {p.emitted} · ")
    text.append(f"sent {p.sent}", style=palette.ok if p.sent else "")
    text.append(" · ")
    text.append(f"failed {p.failed}", style=f"bold {palette.crit}" if p.failed else "")
    text.append(" · ")
    text.append(f"dropped {p.dropped}", style=palette.warn if p.dropped else "")
    return text


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def status_style(o: EventOutcome, palette: Palette) -> str:
    return {"sent": palette.ok, "failed": f"bold {palette.crit}"}.get(o.status, palette.warn)


def detail_text(o: EventOutcome, palette: Palette) -> Text:
    text = Text()
    text.append(f"event {o.index + 1}", style="bold")
    if o.line is not None:
        text.append(f" (line {o.line})")
    text.append(" · request ")
    text.append(escape(o.request_id or "—", one_line=True))
    text.append(" · ")
    text.append(escape(o.status), style=status_style(o, palette))
    if o.status == "sent":
        text.append(f" as {escape(o.message_id, one_line=True)} in {_ms(o.ack_ms)}")
    if o.attempts > 1:
        text.append(f" after {o.attempts} attempts")
    if o.error:
        text.append(": ")
        text.append(escape(o.error))
    return text


def summary_text(result: SendResult, palette: Palette, *, hint: bool = True) -> Text:
    style = f"bold {palette.ok}" if result.ok else f"bold {palette.crit}"
    head = "Done" if result.ok else ("Cancelled" if result.cancelled else "Incomplete")
    text = Text()
    text.append(escape(f"{head}: "), style=style)
    text.append(f"sent {result.sent} of {result.requested} to ")
    text.append(escape(result.queue.name, one_line=True), style="bold")
    text.append(
        f" in {result.elapsed_s:.2f} s · ack p50 {_ms(result.ack_ms(0.5))} · "
        f"p99 {_ms(result.ack_ms(0.99))}"
    )
    if result.stopped:
        text.append(f" · {escape(result.stopped)}")
    if len(result.outcomes) > MAX_ROWS:
        text.append(f" · the table lists {MAX_ROWS:,} of them")
    if hint and any(o.request_id for o in result.outcomes):
        text.append(" · enter on a row: its logs", style=palette.muted)
    return text
