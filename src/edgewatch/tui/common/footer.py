"""The footer every screen shows: Textual's, fitted to the terminal's width.

At 80 columns Textual's footer cuts the last keys off (the dashboard lost ``d DLQ`` and
``a Alerts``). Below the width the full footer needs, this one is compact and drops the
``^p palette`` hint (ctrl+p still opens the palette, and the help lists it), so every key of
the screen still shows.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

NARROW_BELOW = 100  # columns: the dashboard's full footer needs 99


class AppFooter(Footer):
    """``Footer`` that goes compact, without the palette hint, on a narrow terminal."""

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        if narrow == self.compact:
            return
        self.compact = narrow
        self.show_command_palette = not narrow
        self.call_after_refresh(self.recompose)  # compose() reads show_command_palette
