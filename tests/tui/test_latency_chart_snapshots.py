"""Screenshots of the dashboard with the latency chart on fixed data.

The statistics are built by hand (fixed samples, hand-driven ticks) and the clock is frozen, so
the plot is the same on every run. Regenerate with ``--snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.support.tui import Scene
from tests.support.tui_logs import feed, fixed_latency, logs_app, many

SIZE = (120, 36)


def with_chart(scene: Scene):
    async def run_before(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        app.apply_snapshot(scene.snapshot(), scene.history)
        feed(app, *many(0, 5))
        app.logs.feed.latency = fixed_latency()
        app.logs.redraw()
        await pilot.pause()

    return run_before


def test_dashboard_latency_chart(snap_compare: Any, scene: Scene) -> None:
    """p50/p95/p99 of worker latency with the SLO line (the p99 tail crosses it), queue lag
    beside it, a quiet stretch as a gap, x axis in seconds before now."""
    assert snap_compare(logs_app(), terminal_size=SIZE, run_before=with_chart(scene))


def test_dashboard_latency_chart_light(snap_compare: Any, scene: Scene) -> None:
    """The same chart in the light theme: canvas and line colours follow it."""
    app = logs_app(theme="edgewatch-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=with_chart(scene))
