"""Alert state between runs: a restored engine keeps its episodes and cooldowns; a bad file is a
warning and a fresh start; writes are atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgewatch.alerts.engine import AlertEngine
from edgewatch.alerts.state import AlertStateFile, default_state_path
from edgewatch.config import AlertSettings, Thresholds
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def snap(visible: int) -> MetricsSnapshot:
    q = QueueStatus("orders", "http://q/orders", visible, 0, 0, thresholds=Thresholds(depth=100))
    return MetricsSnapshot(queues=(q,), polled_at=0, connection="ok")


def only_depth(**kw: float) -> AlertSettings:
    rules = {"loss_eta_min": None, "drain_eta_min": None, "dlq_growing": False}
    return AlertSettings(**rules, stalled=False, retries_to_dlq=False, **kw)  # type: ignore[arg-type]


def test_the_default_path_follows_xdg(tmp_path):
    assert default_state_path({"XDG_STATE_HOME": str(tmp_path)}) == (
        tmp_path / "edgewatch" / "alerts.json"
    )
    assert default_state_path({}) == Path.home() / ".local/state/edgewatch/alerts.json"


def test_a_new_process_keeps_the_cooldown_and_the_hysteresis(tmp_path):
    clock, path = Clock(), tmp_path / "s" / "alerts.json"
    first = AlertEngine(only_depth(cooldown_s=300, hysteresis=0.1), clock=clock)
    assert [e.state for e in first.evaluate(snap(150), {})] == ["firing"]
    assert AlertStateFile(path).save(first) is None
    clock.now += 60
    second = AlertEngine(only_depth(cooldown_s=300, hysteresis=0.1), clock=clock)
    assert AlertStateFile(path).load(second) is None
    assert second.evaluate(snap(150), {}) == []  # same episode, inside the cooldown
    assert second.evaluate(snap(95), {}) == []  # under the line, not past the clear line (90)
    assert [a.since for a in second.active] == [clock.now - 60]
    assert [e.state for e in second.evaluate(snap(80), {})] == ["resolved"]
    assert [e.state for e in second.evaluate(snap(150), {})] == ["suppressed"]  # cooldown holds
    clock.now += 241
    assert [e.state for e in second.evaluate(snap(150), {})] == ["firing"]


def test_save_writes_only_changes_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "alerts.json"
    engine, state = AlertEngine(only_depth(), clock=Clock()), AlertStateFile(path)
    assert state.save(engine) is None
    mtime = path.stat().st_mtime_ns
    path.write_text("changed behind its back")
    assert state.save(engine) is None  # unchanged state: not rewritten
    assert path.read_text() == "changed behind its back" and path.stat().st_mtime_ns != mtime
    engine.evaluate(snap(150), {})
    assert state.save(engine) is None
    assert json.loads(path.read_text())["active"][0]["kind"] == "depth"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[]",
        '{"version": 99, "active": [], "notified_at": []}',
        '{"version": 1, "active": 3, "notified_at": []}',
        '{"version": 1, "active": [], "notified_at": [{"queue_key": "q", "kind": "x", "at": 1}]}',
        '{"version": 1, "active": [], "notified_at": [{"queue_key": "q", "kind": "depth", '
        '"at": "yesterday"}]}',
        '{"version": 1, "active": [{"queue_key": "q"}], "notified_at": []}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_corrupt_file_is_one_warning_line_and_a_fresh_state(tmp_path, content):
    path = tmp_path / "alerts.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    engine = AlertEngine(only_depth(), clock=Clock())
    engine.evaluate(snap(150), {})  # something the bad file must not half-overwrite
    before = engine.export_state()
    warning = AlertStateFile(path).load(engine)
    assert warning is not None and "\n" not in warning
    assert warning.startswith(f"alert state file {path} is unreadable (")
    assert warning.endswith("starting with a fresh alert state")
    assert engine.export_state() == before


def test_a_state_that_cannot_be_written_is_a_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    warning = AlertStateFile(blocker / "alerts.json").save(AlertEngine(only_depth()))
    assert warning is not None and warning.startswith(f"alert state not saved to {blocker}")
    assert AlertStateFile(tmp_path / "missing.json").load(AlertEngine(only_depth())) is None
