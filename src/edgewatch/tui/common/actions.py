"""The app's actions, described once: the bindings, the help screen and the command palette all
read this table, so a key, its footer label, its help line and its palette entry cannot drift.

A feature screen is opened by exactly one ``open_<feature>`` action on the app; screens never
reach into each other, they post a typed message (:mod:`edgewatch.tui.common.messages`) that
bubbles to the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class AppAction:
    """One app-wide action: its key, what the footer, the help and the palette call it."""

    id: str  # the binding id (keymaps override keys by it)
    key: str
    action: str  # the app's ``action_<name>``
    footer: str
    help: str | None = None  # the help screen's line; None: the footer's label
    command: tuple[str, str] | None = None  # palette (title, description); None: not offered
    key_display: str | None = None

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.footer, id=self.id, key_display=self.key_display)

    @property
    def help_line(self) -> str:
        return self.help or self.footer


PAUSE_HELP = "Pause / resume polling"

# In the help screen's order. Pause and Resume share ``p``: one of them is active at a time.
APP_ACTIONS: tuple[AppAction, ...] = (
    AppAction(
        "help",
        "question_mark",
        "help",
        "Help",
        command=("Help", "Keys, colours and thresholds (?)"),
        key_display="?",
    ),
    AppAction("pause", "p", "pause", "Pause", help=PAUSE_HELP),
    AppAction("resume", "p", "resume", "Resume", help=PAUSE_HELP),
    AppAction(
        "refresh",
        "r",
        "refresh",
        "Refresh",
        command=("Refresh now", "Poll every queue immediately (r)"),
    ),
    AppAction(
        "logs",
        "l",
        "open_logs",
        "Logs",
        help="Worker logs (live tail, / filter, enter details)",
        command=("Logs", "Live worker logs, filter, details (l)"),
    ),
    AppAction(
        "send",
        "s",
        "open_send",
        "Send",
        help="Send test events (through the SigV4 emitter)",
        command=("Send test events", "Through the SigV4 emitter; follow them by request ID (s)"),
    ),
    AppAction(
        "dlq",
        "d",
        "open_dlq",
        "DLQ",
        help="DLQ of the highlighted queue: browse, logs of a message, replay",
        command=("DLQ", "Browse and replay the highlighted queue's DLQ (d)"),
    ),
    AppAction("quit", "q", "quit", "Quit"),
)
# The footer's order (the bindings' order); the help lists APP_ACTIONS' order.
FOOTER_ORDER = ("help", "pause", "resume", "refresh", "send", "quit", "logs", "dlq")


def app_bindings() -> list[BindingType]:
    by_id = {a.id: a for a in APP_ACTIONS}
    return [by_id[i].binding() for i in FOOTER_ORDER]


def action_by_id(binding_id: str | None) -> AppAction | None:
    return next((a for a in APP_ACTIONS if a.id == binding_id), None)
