"""The alert engine: hysteresis, de-duplication, cooldown, reminders, history; frozen clock."""

from __future__ import annotations

from edgewatch.alerts.engine import AlertEngine
from edgewatch.alerts.notify import desktop_protocol, terminal_alert
from edgewatch.config import AlertSettings, Thresholds
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus

URL = "http://q/orders"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def snap(visible: int, **kw) -> MetricsSnapshot:
    q = QueueStatus(
        name="orders",
        url=URL,
        visible=visible,
        in_flight=0,
        delayed=0,
        thresholds=Thresholds(depth=100),
        **kw,
    )
    return MetricsSnapshot(queues=(q,), polled_at=0, connection="ok")


def only_depth(**kw) -> AlertSettings:
    base = dict(
        loss_eta_min=None,
        drain_eta_min=None,
        dlq_growing=False,
        stalled=False,
        retries_to_dlq=False,
        cooldown_s=300,
        hysteresis=0.1,
    )
    return AlertSettings(**{**base, **kw})


def states(events) -> list[str]:
    return [e.state for e in events]


def test_fires_once_holds_within_hysteresis_and_resolves_past_it():
    clock = Clock()
    engine = AlertEngine(only_depth(), clock=clock)
    assert engine.evaluate(snap(99), {}) == []
    fired = engine.evaluate(snap(100), {})  # at the threshold: crit
    assert states(fired) == ["firing"] and fired[0].kind == "depth"
    assert fired[0].text == "edgewatch ALERT: orders: depth 100 ≥ 100"
    clock.now += 10
    assert engine.evaluate(snap(150), {}) == []  # de-duplicated
    clock.now += 10
    assert engine.evaluate(snap(91), {}) == []  # below the line, above 90: still active
    assert [a.kind for a in engine.active] == ["depth"]
    clock.now += 10
    resolved = engine.evaluate(snap(89), {})
    assert states(resolved) == ["resolved"] and engine.active == []
    assert states(engine.history) == ["firing", "resolved"]


def test_cooldown_suppresses_a_recrossing_then_notifies_and_repeats():
    clock = Clock()
    engine = AlertEngine(only_depth(cooldown_s=300), clock=clock)
    assert states(engine.evaluate(snap(200), {})) == ["firing"]
    clock.now += 60
    engine.evaluate(snap(0), {})  # recovered
    clock.now += 60
    assert states(engine.evaluate(snap(200), {})) == ["suppressed"]  # 120 s after: held back
    clock.now += 179
    assert engine.evaluate(snap(200), {}) == []  # 299 s after the notification
    clock.now += 1
    late = engine.evaluate(snap(200), {})  # the cooldown is over, still over the line
    assert states(late) == ["firing"] and late[0].repeat is False
    clock.now += 300
    reminder = engine.evaluate(snap(200), {})
    assert states(reminder) == ["firing"] and reminder[0].repeat is True
    assert "(still)" in reminder[0].text


def test_resolve_of_a_never_notified_alert_is_quiet():
    clock = Clock()
    engine = AlertEngine(only_depth(cooldown_s=300), clock=clock)
    engine.evaluate(snap(200), {})
    engine.evaluate(snap(0), {})
    clock.now += 10
    assert states(engine.evaluate(snap(200), {})) == ["suppressed"]
    assert engine.evaluate(snap(0), {}) == []  # nobody was told it fired: no "resolved"


def test_forecast_rules_loss_eta_drain_eta_dlq_growing_stalled():
    clock = Clock()
    rules = AlertSettings(loss_eta_min=10, drain_eta_min=30, min_backlog=50, cooldown_s=3600)
    engine = AlertEngine(rules, clock=clock)
    dlq = QueueStatus(name="orders-dlq", url="http://q/orders-dlq", visible=0, is_dlq=True)
    s = snap(60, dlq=dlq, dlq_url=dlq.url)
    f = Forecast(
        backlog=60,
        trend="growing",
        net_per_s=0.5,
        growing_per_s=0.5,
        loss_eta_s=540,
        dlq_growing=True,
        dlq_inflow_per_s=0.25,
        stalled=True,
    )
    kinds = sorted(e.kind for e in engine.evaluate(s, {URL: f}))
    assert kinds == ["dlq_growing", "drain_eta", "loss_eta", "stalled"]
    by_kind = {a.kind: a for a in engine.active}
    assert by_kind["loss_eta"].summary.startswith("messages start to expire in 9m00s")
    assert by_kind["drain_eta"].summary == "growing at 0.50/s, backlog 60"
    assert by_kind["drain_eta"].to_json()["value"] is None  # ∞ is not JSON
    # Loss ETA back to 10m59s: inside the 10 % band (clears above 11 min); unknown keeps state.
    f2 = Forecast(backlog=60, trend="draining", drain_eta_s=600, loss_eta_s=659)
    events = engine.evaluate(s, {URL: f2})
    assert sorted((e.kind, e.state) for e in events) == [("drain_eta", "resolved")]
    assert {a.kind for a in engine.active} == {"loss_eta", "dlq_growing", "stalled"}
    f3 = Forecast(backlog=0, trend="empty", drain_eta_s=0, dlq_growing=False, stalled=False)
    resolved = sorted(e.kind for e in engine.evaluate(s, {URL: f3}))
    assert resolved == ["dlq_growing", "stalled"]  # loss ETA unknown (empty): still held
    assert [a.kind for a in engine.active] == ["loss_eta"]


def test_dlq_rows_and_unread_queues_raise_nothing_of_their_own():
    engine = AlertEngine(only_depth(), clock=Clock())
    dlq = QueueStatus(name="d", url="http://q/d", visible=500, is_dlq=True)
    broken = QueueStatus(name="b", url="http://q/b", error="access denied")
    snapshot = MetricsSnapshot(queues=(dlq, broken), polled_at=0, connection="ok")
    assert engine.evaluate(snapshot, {}) == []


def test_history_is_bounded():
    clock = Clock()
    engine = AlertEngine(only_depth(cooldown_s=0, history=10), clock=clock)
    for i in range(30):
        clock.now += 1
        engine.evaluate(snap(200 if i % 2 == 0 else 0), {})
    assert len(engine.history) == 10


def test_terminal_alert_bell_and_desktop_escapes_are_safe():
    engine = AlertEngine(only_depth(), clock=Clock())
    ev = engine.evaluate(snap(100), {})[0]
    assert desktop_protocol({"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert desktop_protocol({"TERM": "foot"}) == "osc777"
    assert desktop_protocol({"TERM": "xterm-256color"}) is None
    assert desktop_protocol({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/t,1,0"}) is None
    assert terminal_alert(ev, {"TERM": "xterm"}) == "\a"
    assert terminal_alert(ev, {"TERM_PROGRAM": "WezTerm"}) == (
        "\a\x1b]9;edgewatch: orders: depth 100 ≥ 100\x1b\\"
    )
    assert terminal_alert(ev, {"TERM": "foot"}, bell=False).startswith("\x1b]777;notify;edgewatch;")
    hostile = type(ev)(**{**{s: getattr(ev, s) for s in ev.__slots__}, "queue": "a\x1b]0;x\x07;b"})
    seq = terminal_alert(hostile, {"TERM": "foot"}, bell=False)
    assert seq.count("\x1b") == 2 and "\x07" not in seq  # only our own escape's ESCs
    assert "\\x1b" in hostile.text and "\x1b" not in hostile.text


def test_a_browsed_dlq_keeps_its_alert_and_level():
    """Browsing or replaying a DLQ makes its messages in flight: they are still in the DLQ, so
    the DLQ depth alert must not resolve (nor the row turn green) while someone looks."""
    engine = AlertEngine(only_depth(), clock=Clock())
    t = Thresholds(dlq_depth=1)

    def with_dlq(visible: int, in_flight: int) -> MetricsSnapshot:
        dlq = QueueStatus(
            name="d",
            url="http://q/d",
            visible=visible,
            in_flight=in_flight,
            is_dlq=True,
            thresholds=t,
        )
        q = QueueStatus(name="orders", url=URL, visible=0, dlq=dlq, dlq_url=dlq.url, thresholds=t)
        return MetricsSnapshot(queues=(q, dlq), polled_at=0, connection="ok")

    assert states(engine.evaluate(with_dlq(3, 0), {})) == ["firing"]
    browsed = with_dlq(0, 3)
    assert engine.evaluate(browsed, {}) == []  # still firing: no "resolved"
    assert [a.kind for a in engine.active] == ["dlq_depth"]
    assert browsed.queues[0].dlq_level == "crit" and browsed.queues[1].depth_level == "crit"
    assert engine.active[0].summary == "DLQ d: 3 message(s) ≥ 1"
    assert states(engine.evaluate(with_dlq(0, 0), {})) == ["resolved"]  # really gone
