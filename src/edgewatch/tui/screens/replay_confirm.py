"""The confirmation before a replay moves anything (k9s style): count, target, mode, dry run.

Dismisses with ``True`` only on an explicit "y" or the Replay button; Esc, "n" and Cancel (the
focused button, so a stray Enter cancels) dismiss with ``False``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from edgewatch.replay import ReplayPlan, ReplayResult
from edgewatch.tui.dlq_text import outcome_line
from edgewatch.tui.palette import Palette

PREVIEW_ROWS = 8


def confirm_text(plan: ReplayPlan, preview: ReplayResult, palette: Palette) -> Text:
    """The plan (target, mode, notes) and what its dry run says would happen."""
    text = Text()
    for line in plan.summary():
        text.append(line)
        text.append("\n")
    text.append("\nDry run: ", style="bold")
    text.append(f"would move {preview.would_move}", style=f"bold {palette.ok}")
    text.append(f" · skipped {preview.held}", style=palette.warn if preview.held else "")
    text.append(
        f" · failed {preview.failed}", style=f"bold {palette.crit}" if preview.failed else ""
    )
    if preview.unmatched:
        text.append(f" · not matching {preview.unmatched}")
    outcomes = list(preview.outcomes.values())
    for o in outcomes[:PREVIEW_ROWS]:
        text.append("\n")
        text.append(outcome_line(o, palette))
    if len(outcomes) > PREVIEW_ROWS:
        text.append(f"\n… and {len(outcomes) - PREVIEW_ROWS} more", style=palette.muted)
    for note in preview.notes:
        text.append("\nnote: ", style=palette.muted)
        text.append(note)
    return text


class ReplayConfirmScreen(ModalScreen[bool]):
    """Asks before a replay; shows exactly what its dry run found."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Replay", id="replay.confirm"),
        Binding("escape,n", "cancel", "Cancel", id="replay.cancel"),
    ]
    DEFAULT_CSS = """
    ReplayConfirmScreen { align: center middle; }
    ReplayConfirmScreen #confirm-box {
        width: 96; max-width: 100%; height: auto; max-height: 90%;
        border: thick $error 70%; background: $surface; padding: 0 1;
        border-title-style: bold;
    }
    ReplayConfirmScreen #confirm-body { height: auto; max-height: 24; }
    ReplayConfirmScreen #confirm-buttons { height: auto; align-horizontal: right; }
    ReplayConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, plan: ReplayPlan, preview: ReplayResult) -> None:
        super().__init__(id="replay-confirm")
        self.plan = plan
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = (
                f"Replay {self.preview.would_move} message(s) to {self.plan.target.name}?"
            )
            box.border_subtitle = "y replays · n / esc cancels"
            with VerticalScroll(id="confirm-body"):
                yield Static(id="confirm-text", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button("Replay (y)", id="confirm-yes", variant="error")
                yield Button("Cancel (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        palette = Palette.from_app(self.app)
        self.query_one("#confirm-text", Static).update(
            confirm_text(self.plan, self.preview, palette)
        )
        self.query_one("#confirm-yes", Button).disabled = self.preview.would_move == 0
        self.query_one("#confirm-no", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return True if self.preview.would_move else None  # nothing to move: greyed out
        return True

    def action_confirm(self) -> None:
        if self.preview.would_move:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.action_cancel()
