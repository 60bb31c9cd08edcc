"""Screenshots of the dashboard with fixed data (timers off, frozen clock, fixed endpoint).

Regenerate with ``uv run pytest tests/tui --snapshot-update`` and look at the SVGs before
checking them in: they are the reviewed picture of what an operator sees.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.pilot import Pilot

from tests.support.tui import NOW, Scene, fixed_app

SIZE = (120, 36)


def show(scene: Scene, **snapshot: Any):
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.apply_snapshot(scene.snapshot(**snapshot), scene.history)  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


def test_dashboard_thresholds_and_error(snap_compare: Any, scene: Scene) -> None:
    """warn (orders depth/age), crit (payments depth, DLQ depth/age), an error row, a stale row,
    a DLQ row marked as such, markup in a name and an error shown literally, read-only."""
    app = fixed_app(read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=show(scene))


def test_help_screen(snap_compare: Any, scene: Scene) -> None:
    app = fixed_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=show(scene), press=["question_mark"])


def test_endpoint_down(snap_compare: Any, scene: Scene) -> None:
    """Banner, red state, last known values, one notification; "polled 45s ago"."""
    error = "endpoint unreachable: http://sqs.edgewatch.test:4566/"
    down = tuple(replace(q, error=error, stale=True) for q in scene.queues)
    scene = Scene(down, scene.history)
    app = fixed_app()
    run = show(scene, connection="down", error=error, last_success_at=NOW - 45, metrics_at=None)
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_light_theme(snap_compare: Any, scene: Scene) -> None:
    app = fixed_app(theme="edgewatch-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=show(scene))


def test_compact_80x24_embedded(snap_compare: Any, scene: Scene) -> None:
    """The compact column set at 80x24, with the embedded-stack banner."""
    app = fixed_app(embedded=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=show(scene))
