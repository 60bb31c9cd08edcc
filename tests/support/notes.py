"""What the app told the operator, through its public ``notify``: every notification of every
app a test builds is recorded here (the ``record_notes`` fixture wraps ``EdgewatchApp.notify``),
so no test needs to read Textual's private notification store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from edgewatch.tui import EdgewatchApp


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    title: str
    severity: str


_RECORDED: WeakKeyDictionary[EdgewatchApp, list[Note]] = WeakKeyDictionary()


def recording_notify(original: Any) -> Any:
    """``EdgewatchApp.notify`` that also records what it was asked to show."""

    def notify(app: EdgewatchApp, message: str, *, title: str = "", **kwargs: Any) -> None:
        severity = str(kwargs.get("severity", "information"))
        _RECORDED.setdefault(app, []).append(Note(str(message), title, severity))
        original(app, message, title=title, **kwargs)

    return notify


def notifications(app: EdgewatchApp) -> list[Note]:
    return list(_RECORDED.get(app, []))


def notes(app: EdgewatchApp) -> list[str]:
    """The messages of ``app``'s notifications so far, oldest first."""
    return [n.message for n in notifications(app)]
