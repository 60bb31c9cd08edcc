"""Screenshots of the Send screen (fixed scene, frozen clock, results with fixed request ids).

Regenerate with ``uv run pytest tests/tui/test_send_snapshots.py --snapshot-update`` and look
at the SVGs before checking them in.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from edgewatch.tui.send.screen import SendScreen
from tests.support.tui import Scene, fixed_app
from tests.support.tui_send import fill, fixed_result, open_send

SIZE = (120, 36)
BAD_JSON = '{"type": "query", "path": "/search?q=[b]sale[/b]",\n "status": 200,, }'


def send_screen(scene: Scene, then: Any = None):
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.apply_snapshot(scene.snapshot(), scene.history)  # type: ignore[attr-defined]
        await pilot.pause()
        screen = await open_send(pilot)
        if then is not None:
            await then(pilot, screen)
        await pilot.pause()

    return run_before


def test_send_form_with_invalid_json(snap_compare: Any, scene: Scene) -> None:
    """Custom JSON with an error: where it is (line, column) under the editor, Send disabled,
    markup in the JSON shown literally."""

    async def invalid(pilot: Pilot[Any], screen: SendScreen) -> None:
        await fill(pilot, screen, template="custom", body=BAD_JSON, count="5", rate="10")

    app = fixed_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=send_screen(scene, invalid))


def test_send_refused_in_read_only_mode(snap_compare: Any, scene: Scene) -> None:
    app = fixed_app(read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=send_screen(scene))


def test_send_results(snap_compare: Any, scene: Scene) -> None:
    """A finished send: counts, progress, per-event request id, status, message id, ack ms,
    an SQS error with markup shown literally; 1 event never emitted (cancelled)."""

    async def finished(pilot: Pilot[Any], screen: SendScreen) -> None:
        await fill(pilot, screen, count="5", rate="10")
        screen.show_result(fixed_result())

    app = fixed_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=send_screen(scene, finished))
