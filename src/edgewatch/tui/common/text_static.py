"""A ``Static`` that repaints only when its text really changed.

The console redraws once a second all day; an unchanged ``Static.update`` would still repaint
(and, by default, re-layout the whole screen). Comparing first keeps idle CPU near zero.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def text_key(text: Text | str) -> tuple[object, ...]:
    """What makes two texts look the same (rich ``Text`` equality ignores the base style)."""
    if isinstance(text, str):
        return (text,)
    return (text.plain, str(text.style), tuple(text.spans), text.justify, text.no_wrap)


class TextStatic(Static):
    """Literal text only (``markup=False``), updated in place when it differs."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._key: tuple[object, ...] = ("",)

    def show(self, text: Text | str, *, layout: bool = False) -> None:
        """Set the text; ``layout=True`` only where the widget's size may change with it."""
        key = text_key(text)
        if key != self._key:
            self._key = key
            self.update(text, layout=layout)
