"""The console's desktop notification: the exact OSC bytes reach the driver, once per alert."""

from __future__ import annotations

from typing import Any

from edgewatch.aws import AwsTarget
from edgewatch.config import Settings
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.runtime import Runtime
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.alerts.relay import TOAST_S, AlertRelay
from edgewatch.tui.common.messages import SnapshotReady
from tests.support.tui import FIXED_ENDPOINT, FIXED_REGION, NOW, THRESHOLDS, queue_url

SIZE = (100, 30)
ONLY_DEPTH = {
    "loss_eta_min": None,
    "drain_eta_min": None,
    "dlq_growing": False,
    "stalled": False,
    "retries_to_dlq": False,
    "cooldown_s": 300,
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def alert_app(clock: Clock, env: dict[str, str], **alerts: Any) -> EdgewatchApp:
    settings = Settings(thresholds=THRESHOLDS, alerts={**ONLY_DEPTH, **alerts})
    runtime = Runtime(settings, AwsTarget(region=FIXED_REGION, endpoint_url=FIXED_ENDPOINT))
    app = EdgewatchApp(runtime, auto_poll=False, clock=clock)
    app.alerts = AlertRelay(app, settings.alerts, clock=clock, env=env)
    return app


def snapshot(clock: Clock, visible: int, name: str = "orders") -> MetricsSnapshot:
    q = QueueStatus(name, queue_url("orders"), visible, 0, 0, thresholds=THRESHOLDS)
    return MetricsSnapshot((q,), clock.now, "ok", last_success_at=clock.now)


def capture(app: EdgewatchApp) -> list[str]:
    """Everything the app writes to its driver from now on (frames included)."""
    writes: list[str] = []
    driver = app._driver
    assert driver is not None
    driver.write = writes.append  # type: ignore[method-assign]
    return writes


def oscs(writes: list[str]) -> list[str]:
    return [w for w in writes if w.startswith(("\x1b]", "\x1bP"))]


async def feed(app: EdgewatchApp, pilot: Any, snap: MetricsSnapshot) -> None:
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


async def test_one_osc_777_per_alert_and_none_within_the_cooldown():
    clock = Clock()
    app = alert_app(clock, {"TERM": "foot"})
    async with app.run_test(size=SIZE) as pilot:
        writes = capture(app)
        await feed(app, pilot, snapshot(clock, 3))
        assert oscs(writes) == []
        clock.now += 10
        await feed(app, pilot, snapshot(clock, 1500))
        expected = "\x1b]777;notify;edgewatch;orders: depth 1,500 ≥ 1,000\x1b\\"
        assert oscs(writes) == [expected]
        for _ in range(3):  # still firing, inside the cooldown: de-duplicated
            clock.now += 30
            await feed(app, pilot, snapshot(clock, 1600))
        assert oscs(writes) == [expected]
        clock.now += 10
        await feed(app, pilot, snapshot(clock, 10))  # resolved: no desktop notification
        clock.now += 300
        await feed(app, pilot, snapshot(clock, 2000))  # a new crossing after the cooldown
        assert oscs(writes) == [
            expected,
            "\x1b]777;notify;edgewatch;orders: depth 2,000 ≥ 1,000\x1b\\",
        ]
        assert app.alerts.desktop_sent == 2


async def test_osc_9_forced_and_off():
    clock = Clock()
    app = alert_app(clock, {"TERM": "xterm-256color"}, desktop="osc9")
    async with app.run_test(size=SIZE) as pilot:
        writes = capture(app)
        await feed(app, pilot, snapshot(clock, 1500))
        assert oscs(writes) == ["\x1b]9;edgewatch: orders: depth 1,500 ≥ 1,000\x1b\\"]
    for env, setting in (({"TERM": "foot"}, "off"), ({"TERM": "xterm-256color"}, "auto")):
        app = alert_app(clock, env, desktop=setting)
        async with app.run_test(size=SIZE) as pilot:
            writes = capture(app)
            await feed(app, pilot, snapshot(clock, 1500))
            assert len(app.alerts.engine.history) == 1  # it fired
            assert oscs(writes) == []  # and nothing was written to the terminal for it


async def test_a_hostile_queue_name_cannot_inject_a_sequence():
    clock = Clock()
    app = alert_app(
        clock, {"TERM": "foot"}, webhook_url="http://127.0.0.1:9/hook-secret"
    )  # closed port
    hostile = "q\x1b]0;owned\x07\x1b[2J\x9b1m;x\u202e"
    async with app.run_test(size=SIZE) as pilot:
        writes = capture(app)
        await feed(app, pilot, snapshot(clock, 1500, name=hostile))
        (seq,) = oscs(writes)
        assert seq == ("\x1b]777;notify;edgewatch;q ]0,owned [2J 1m,x : depth 1,500 ≥ 1,000\x1b\\")
        assert "secret" not in seq and "127.0.0.1" not in seq
        # no write at all carries the hostile sequence's bytes raw
        assert not any("\x1b]0;owned" in w or "\x9b" in w for w in writes)


async def test_a_burst_is_one_desktop_notification_and_the_relay_keeps_no_secret_env():
    clock = Clock()
    env = {"TERM": "foot", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "HOME": "/root"}
    app = alert_app(clock, env)
    assert app.alerts.env == {"TERM": "foot"}
    queues = tuple(
        QueueStatus(f"q{i}", queue_url(f"q{i}"), 1500, 0, 0, thresholds=THRESHOLDS)
        for i in range(5)
    )
    async with app.run_test(size=SIZE) as pilot:
        writes = capture(app)
        await feed(app, pilot, MetricsSnapshot(queues, clock.now, "ok", last_success_at=clock.now))
        assert oscs(writes) == ["\x1b]777;notify;edgewatch;5 alerts: q0, q1, q2, …\x1b\\"]


async def test_alerts_trickling_in_over_polls_never_cover_the_screen():
    """A fleet's first minutes fire a few alerts on every poll: once COALESCE notifications are
    on screen the next ones wait for one summary (at most one per TOAST_S); the bell rings at
    most once per TOAST_S."""
    clock = Clock()
    app = alert_app(clock, {"TERM": "foot"})
    names = [f"q{i}" for i in range(6)]

    def snap(over: set[str]) -> MetricsSnapshot:
        queues = tuple(
            QueueStatus(n, queue_url(n), 1500 if n in over else 3, 0, 0, thresholds=THRESHOLDS)
            for n in names
        )
        return MetricsSnapshot(queues, clock.now, "ok", last_success_at=clock.now)

    def note(body: str) -> str:
        return f"\x1b]777;notify;edgewatch;{body}\x1b\\"

    bells: list[float] = []
    app.bell = lambda: bells.append(clock.now)  # type: ignore[method-assign]  # headless: silent
    async with app.run_test(size=SIZE) as pilot:
        writes = capture(app)
        await feed(app, pilot, snap({"q0", "q1"}))  # two alerts: two notifications
        clock.now += 1
        await feed(app, pilot, snap({"q0", "q1", "q2", "q3"}))  # would make four: one summary
        clock.now += 1
        await feed(app, pilot, snap({"q0", "q1", "q2", "q3", "q4"}))  # a summary is up: held
        assert oscs(writes) == [
            note("q0: depth 1,500 ≥ 1,000"),
            note("q1: depth 1,500 ≥ 1,000"),
            note("2 alerts: q2, q3"),
        ]
        clock.now += TOAST_S
        await feed(app, pilot, snap(set(names)))  # the screen is clear again: q4 and q5 shown
        assert oscs(writes)[3:] == [
            note("q4: depth 1,500 ≥ 1,000"),
            note("q5: depth 1,500 ≥ 1,000"),
        ]
        assert len(app.alerts.engine.history) == 6
        assert bells == [NOW, NOW + 2 + TOAST_S]  # the first poll, and the first after TOAST_S
