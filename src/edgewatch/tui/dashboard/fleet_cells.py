"""The fleet's extra columns: where a queue lives, how fresh its row is, what is coming.

Pure functions (no widget access), so that each cell stays comparable and only changed rows are
drawn again; freshness moves in coarse steps for the same reason.
"""

from __future__ import annotations

from edgewatch.config import threshold_level
from edgewatch.display import formatting as fmt
from edgewatch.fleet.view import trouble_level
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dashboard.queue_table import Cell, Column, Layout

FLEET_WIDE = Layout(  # 116 cells with padding: fits 120 columns
    "fleet-wide",
    (
        Column("queue", "Queue", 22),
        Column("place", "Account · region", 26),
        Column("visible", "Visible", 7, "right"),
        Column("age", "Oldest", 7, "right"),
        Column("dlq", "DLQ", 12),
        Column("forecast", "Forecast", 13),
        Column("fresh", "Fresh", 6),
        Column("state", "State", 7),
    ),
)
FLEET_COMPACT = Layout(
    "fleet-compact",
    (
        Column("queue", "Queue", 18),
        Column("visible", "Visible", 7, "right"),
        Column("age", "Age", 6, "right"),
        Column("forecast", "Forecast", 14),
        Column("fresh", "Fresh", 6),
        Column("state", "State", 7),
    ),
)


def _coarse(seconds: float) -> str:
    """Freshness in steps: 5s, 10s, 30s, 60s, then whole minutes (a row changes rarely)."""
    s = max(0.0, seconds)
    for bound in (5, 10, 30, 60):
        if s < bound:
            return f"{bound}s"
    minutes = int(s // 60)
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h"


def forecast_cell(f: Forecast | None, palette: Palette) -> Cell:
    """The most urgent forecast, shortest form: loss, DLQ growing, stall, growing, drain."""
    if f is None:
        return ((fmt.UNKNOWN, palette.muted),)
    if f.loss_eta_s is not None and f.loss_eta_s < 3600:
        return ((f"loss {fmt.humanise_age(f.loss_eta_s)}", palette.crit),)
    if f.dlq_growing:
        return (("DLQ growing", palette.crit),)
    if f.stalled:
        return (("stalled", palette.crit),)
    if f.retries_to_dlq:
        return (("retrying", palette.warn),)
    if f.trend == "growing" and f.growing_per_s is not None:
        return ((f"+{f.growing_per_s:.2f}/s", palette.warn),)
    if f.trend == "draining" and f.drain_eta_s is not None:
        return ((f"drain {fmt.humanise_age(f.drain_eta_s)}", ""),)
    if f.trend in ("empty", "steady"):
        return ((f.trend, palette.muted),)
    return ((fmt.UNKNOWN, palette.muted),)


def fleet_cells(
    q: QueueStatus, f: Forecast | None, palette: Palette, now: float
) -> dict[str, Cell]:
    place = " · ".join(p for p in (q.account, q.region) if p) or fmt.UNKNOWN
    if q.updated_at is None:
        fresh: Cell = ((fmt.UNKNOWN, palette.muted),)
    else:
        source = "cw " if q.read_by == "cloudwatch" else ""
        fresh = ((f"{source}{_coarse(now - q.updated_at)}", palette.muted if source else ""),)
    cells: dict[str, Cell] = {
        "place": ((place, palette.muted),),
        "fresh": fresh,
        "forecast": forecast_cell(f, palette),
    }
    if f is not None and f.oldest_age_s is not None:
        # The datapoint's age carried forward to now (what the loss ETA uses): a cold row's
        # datapoint can be minutes old at a 300 s CloudWatch interval.
        level = threshold_level(f.oldest_age_s, q.thresholds.age_s)
        cells["age"] = ((fmt.humanise_age(f.oldest_age_s), palette.level(level)),)
    if q.error is None and not q.stale and q.visible is not None:
        # A stalled consumer or expiring messages are trouble before any threshold says so.
        level = trouble_level(q, f)
        cells["state"] = ((level, palette.level(level) if level != "ok" else palette.ok),)
    return cells
