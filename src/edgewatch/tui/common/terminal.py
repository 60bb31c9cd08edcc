"""Raw bytes to the terminal the console runs in (a desktop notification's OSC escape).

Textual owns the terminal: every frame is one ``driver.write`` of a whole update (inside a
synchronized-output block where the terminal has one), made on the event loop's thread, and the
driver's writer thread puts writes out in order. ``App.bell()`` and ``App.copy_to_clipboard()``
write their escapes the same way, and so does this: one complete sequence per write, from the
event loop's thread, so it lands between two frames and never inside one. The headless driver
of ``run_test`` drops writes (a test wraps ``driver.write`` to see them).
"""

from __future__ import annotations

from typing import Any

from textual.app import App


def write_to_terminal(app: App[Any], sequence: str) -> bool:
    """Queue ``sequence`` (complete, already safe) behind the frames; whether it was written."""
    driver = app._driver  # no public accessor; the same path App.bell() takes
    if driver is None or not sequence:
        return False
    driver.write(sequence)
    return True
