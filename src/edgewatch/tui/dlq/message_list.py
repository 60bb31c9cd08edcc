"""The DLQ screen's list of held messages: one row per message a session shows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from edgewatch.dlq.models import DlqMessage
from edgewatch.dlq.session import DlqSession
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dlq.text import age_cell, row_cells

COLUMNS = (("", "sel"), ("Rcv", "rcv"), ("Age", "age"), ("Group", "group"), ("Body", "body"))


class MessageList(DataTable[Text]):
    """Rows keyed by message ID; it renders a :class:`DlqSession`, it holds no state of its own."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.add_column(label, key=key)

    def highlighted_id(self) -> str | None:
        """The message ID under the cursor, if there is a row."""
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def fill(self, session: DlqSession, *, now: float, body_width: int, palette: Palette) -> None:
        """Rebuild the rows (a few hundred at most), keeping the cursor on the same message."""
        current = self.highlighted_id()
        self.clear()
        for msg in session.shown():
            cells = row_cells(
                msg,
                now=now,
                selected=msg.message_id in session.selected,
                body_width=body_width,
                palette=palette,
            )
            self.add_row(*cells, key=msg.message_id)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    def tick_ages(self, session: DlqSession, now: float) -> int:
        """Age the rows on screen, live: only their Age cell, only where its text changed
        (once a second for young messages, once a minute for old ones); how many changed."""
        first = max(0, int(self.scroll_y))
        rows = self.ordered_rows[first : first + max(1, self.size.height)]
        changed = 0
        for row in rows:
            msg = session.messages.get(str(row.key.value))
            if msg is None:
                continue
            cell = age_cell(msg, now)
            if self.get_cell(row.key, "age").plain != cell.plain:
                self.update_cell(row.key, "age", cell)
                changed += 1
        return changed

    def mark(self, msg: DlqMessage, *, selected: bool, palette: Palette) -> None:
        """Show ``msg`` selected or not, and step to the next row (space walks the list)."""
        cell = Text("✓" if selected else " ", style=f"bold {palette.accent}")
        self.update_cell(msg.message_id, "sel", cell)
        if self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1, animate=False)
