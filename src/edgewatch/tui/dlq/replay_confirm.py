"""The confirmation before a replay moves anything (k9s style): count, target, mode, dry run.

Dismisses with the plan to run only on an explicit "y" or the Replay button; Esc, "n" and Cancel
(the focused button, so a stray Enter cancels) dismiss with ``None``. For "all, unfiltered" it
offers SQS's own move task (``t`` or the checkbox) where the endpoint has it, and otherwise says
in one line why the replay stays client-side.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from edgewatch.display.escape import escape
from edgewatch.dlq.replay import NativeOffer, ReplayPlan, ReplayResult
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dlq.text import outcome_line

PREVIEW_ROWS = 8
BOX_SHARE = 0.9  # #confirm-box's max-height in DEFAULT_CSS, as a share of the screen
NATIVE_LABEL = "Use SQS's own move task (native StartMessageMoveTask) · t"


def confirm_text(plan: ReplayPlan, preview: ReplayResult, palette: Palette) -> Text:
    """The plan (target, mode, notes) and the dry run's counts and notes: always on screen."""
    text = Text()
    for line in plan.summary():
        text.append(escape(line))
        text.append("\n")
    text.append("\nDry run: ", style="bold")
    text.append(f"would move {preview.would_move}", style=f"bold {palette.ok}")
    text.append(f" · skipped {preview.held}", style=palette.warn if preview.held else "")
    text.append(
        f" · failed {preview.failed}", style=f"bold {palette.crit}" if preview.failed else ""
    )
    if preview.unmatched:
        text.append(f" · not matching {preview.unmatched}")
    if plan.mode == "native" and (preview.held or preview.failed):
        text.append(
            "\nSQS's move task takes the skipped and failed ones too: it makes no such check.",
            style=palette.warn,
        )
    for note in preview.notes:
        text.append("\nnote: ", style=palette.muted)
        text.append(escape(note))
    return text


def preview_text(preview: ReplayResult, palette: Palette) -> Text:
    """The dry run's first verdicts, one a line, and how many more: the part that scrolls."""
    text = Text()
    outcomes = list(preview.outcomes.values())
    for i, o in enumerate(outcomes[:PREVIEW_ROWS]):
        if i:
            text.append("\n")
        text.append(outcome_line(o, palette))
    if len(outcomes) > PREVIEW_ROWS:
        text.append(f"\n… and {len(outcomes) - PREVIEW_ROWS} more", style=palette.muted)
    return text


def native_line(offer: NativeOffer, palette: Palette) -> Text:
    """One line: why the move task is (not) offered for this replay."""
    text = Text()
    text.append("Native move: ", style="bold")
    text.append(escape(offer.reason), style="" if offer.available else palette.muted)
    return text


class ReplayConfirmScreen(ModalScreen[ReplayPlan | None]):
    """Asks before a replay; shows exactly what its dry run found."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Replay", id="replay.confirm"),
        Binding("escape,n", "cancel", "Cancel", id="replay.cancel"),
        Binding("t", "toggle_native", "Native move", id="replay.native"),
    ]
    DEFAULT_CSS = """
    ReplayConfirmScreen { align: center middle; }
    ReplayConfirmScreen #confirm-box {
        width: 96; max-width: 100%; height: auto; max-height: 90%;
        border: thick $error 70%; background: $surface; padding: 0 1;
        border-title-style: bold;
    }
    ReplayConfirmScreen #confirm-body { height: auto; margin-top: 1; }
    ReplayConfirmScreen #confirm-native-line { margin-top: 1; }
    ReplayConfirmScreen #confirm-buttons { height: auto; align-horizontal: right; }
    ReplayConfirmScreen Button { margin-left: 2; }
    """

    def __init__(
        self, plan: ReplayPlan, preview: ReplayResult, native: NativeOffer | None = None
    ) -> None:
        """``plan`` is client-side; ``native``, when given, is what the dialog says about (and
        may switch to) SQS's move task."""
        super().__init__(id="replay-confirm")
        self.plan = plan
        self.preview = preview
        self.native = native
        self.use_native = False
        self._preview = Text()

    @property
    def chosen(self) -> ReplayPlan:
        """The plan "y" runs: the native one when offered and ticked, else the client-side one."""
        if self.use_native and self.native is not None and self.native.plan is not None:
            return self.native.plan
        return self.plan

    @property
    def count(self) -> int:
        """What would move: the dry run's verdicts, or every message it saw for the move task."""
        if self.chosen.mode == "native":
            p = self.preview
            return p.would_move + p.held + p.failed
        return self.preview.would_move

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(id="confirm-text", markup=False)
            with VerticalScroll(id="confirm-body"):
                yield Static(id="confirm-preview", markup=False)
            if self.native is not None:
                yield Static(id="confirm-native-line", markup=False)
                if self.native.plan is not None:
                    yield Checkbox(Text(NATIVE_LABEL), id="confirm-native")
            with Horizontal(id="confirm-buttons"):
                yield Button("Replay (y)", id="confirm-yes", variant="error")
                yield Button("Cancel (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        if self.native is not None:
            line = native_line(self.native, Palette.from_app(self.app))
            self.query_one("#confirm-native-line", Static).update(line)
        self._show()
        self.query_one("#confirm-no", Button).focus()

    def _show(self) -> None:
        """Title, text and the Replay button for the plan chosen now."""
        plan, count = self.chosen, self.count
        box = self.query_one("#confirm-box")
        if plan.mode == "native":
            box.border_title = f"Move all {count} message(s) to {plan.target.name} with SQS?"
        else:
            box.border_title = f"Replay {count} message(s) to {plan.target.name}?"
        native_key = " · t native" if self.native is not None and self.native.available else ""
        box.border_subtitle = f"y replays · n / esc cancels{native_key}"
        palette = Palette.from_app(self.app)
        self.query_one("#confirm-text", Static).update(confirm_text(plan, self.preview, palette))
        self._preview = preview_text(self.preview, palette)
        self.query_one("#confirm-preview", Static).update(self._preview)
        self.query_one("#confirm-body").display = bool(self._preview.plain)
        self.call_after_refresh(self._fit_preview)
        self.query_one("#confirm-yes", Button).disabled = count == 0
        self.refresh_bindings()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_preview)

    def _fit_preview(self) -> None:
        """Cap the preview to the rows left once the plan, notes, native line and buttons are
        placed: on a short terminal it scrolls instead of pushing the buttons off screen."""
        box = self.query_one("#confirm-box")
        body = self.query_one("#confirm-body")
        others = sum(w.outer_size.height for w in box.children if w is not body and w.display)
        rows = int(self.size.height * BOX_SHARE) - 2 - others - body.styles.margin.top
        body.styles.max_height = max(1, rows)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return True if self.count else None  # nothing to move: greyed out
        if action == "toggle_native":
            return self.native is not None and self.native.available
        return True

    def action_toggle_native(self) -> None:
        if self.native is not None and self.native.available:
            self.query_one("#confirm-native", Checkbox).toggle()

    @on(Checkbox.Changed, "#confirm-native")
    def _native_changed(self, event: Checkbox.Changed) -> None:
        self.use_native = event.value
        self._show()

    def action_confirm(self) -> None:
        if self.count:
            self.dismiss(self.chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.action_cancel()
