"""The table ``edgewatch status`` prints (Rich, not Textual): one row per queue, coloured by level.

Every string from AWS goes in through :func:`edgewatch.display.escape.safe` (a ``rich.text.Text``
of the escaped value), so markup in a queue name or an error is shown literally and control
characters cannot reach the terminal.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table
from rich.text import Text

from edgewatch.config import Level
from edgewatch.display.escape import safe
from edgewatch.display.formatting import count, humanise_age
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.runtime import Runtime

LEVEL_STYLE: dict[Level, str] = {"ok": "", "warn": "yellow", "crit": "bold red"}


def _cell(text: str, level: Level = "ok") -> Text:
    return safe(text, LEVEL_STYLE[level], one_line=True)


def build_status_table(snapshot: MetricsSnapshot, runtime: Runtime) -> Table:
    where = "embedded local stack" if runtime.embedded else runtime.endpoint_label
    title = safe(f"edgewatch — {where} ({runtime.region}) — {snapshot.connection}", one_line=True)
    table = Table(title=title, title_justify="left", expand=False)
    for name, justify in (
        ("Queue", "left"),
        ("Visible", "right"),
        ("In flight", "right"),
        ("Delayed", "right"),
        ("Oldest", "right"),
        ("DLQ", "left"),
        ("DLQ held", "right"),
        ("State", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=(name != "State"))  # type: ignore[arg-type]  # rich's justify literals
    for q in snapshot.queues:
        dlq = q.dlq
        state = q.error or ("stale" if q.stale else ("dlq" if q.is_dlq else "ok"))
        table.add_row(
            safe(q.name, one_line=True),
            _cell(count(q.visible), q.depth_level),
            _cell(count(q.in_flight)),
            _cell(count(q.delayed)),
            _cell(humanise_age(q.oldest_age_s), q.age_level),
            safe(dlq.name if dlq else "—", one_line=True),
            _cell(count(dlq.held) if dlq else "—", q.dlq_level),
            _cell(state, "crit" if q.error else "ok"),
        )
    return table


def render_status_table(
    snapshot: MetricsSnapshot, runtime: Runtime, *, clear: bool, show_error: bool = True
) -> None:
    """The table; under it the snapshot's error when ``show_error`` (the refreshing table: a
    one-shot status reports it once, on stderr, as every command does)."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:  # a pipe or a file: never truncate to a guessed 80 columns
        console.width = 1000
    if clear:
        console.clear()
    console.print(build_status_table(snapshot, runtime))
    if snapshot.error and show_error:
        console.print(safe(f"error: {snapshot.error}", "bold red"))
    if clear:
        console.print(safe(time.strftime("%H:%M:%S — Ctrl-C to stop"), "dim"))
