"""The forecast engine against hand-computed values; time is whatever the samples say."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from edgewatch.forecast.book import ForecastBook
from edgewatch.forecast.ewma import Ewma
from edgewatch.forecast.flow import QueueFlow
from edgewatch.forecast.model import CountsPeriod, FlowSample, Forecast
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus

HALF_LIFE_TAU = 60 / math.log(2)  # a sample 60 s after the previous one weighs exactly 0.5
DAY = 86_400.0


def counts(at: float, sent: float | None, received: float | None, deleted: float | None):
    return CountsPeriod(at=at, period_s=60, sent=sent, received=received, deleted=deleted)


def test_ewma_weights_by_elapsed_time():
    e = Ewma(HALF_LIFE_TAU)
    assert e.value is None
    assert e.update(-2.0, at=0) == -2.0  # the first sample is the average
    assert e.update(-4.0, at=60) == pytest.approx(-3.0)  # -2 + 0.5 * (-4 - -2)
    assert e.update(-3.0, at=60) == pytest.approx(-3.0)  # no time passed: no weight


def test_drain_eta_from_cloudwatch_counts_smoothed():
    flow = QueueFlow(smoothing_s=HALF_LIFE_TAU)
    # 600 waiting; last minute: 60 sent, 180 deleted -> net (60 - 180) / 60 = -2/s
    f = flow.observe(
        FlowSample(at=1000, visible=500, in_flight=100, counts=counts(900, 60, 200, 180))
    )
    assert f.rate_source == "cloudwatch"
    assert f.in_per_s == 1.0 and f.out_per_s == 3.0 and f.net_per_s == -2.0
    assert f.trend == "draining" and f.drain_eta_s == 300.0  # 600 / 2
    # The same period read again is not counted twice.
    f = flow.observe(FlowSample(at=1001, visible=600, counts=counts(900, 60, 200, 180)))
    assert f.net_per_s == -2.0
    # Next minute: 0 sent, 240 deleted -> -4/s; EWMA with weight 0.5 -> -3/s; 540 / 3 = 180 s
    f = flow.observe(FlowSample(at=1060, visible=540, counts=counts(960, 0, 240, 240)))
    assert f.net_per_s == pytest.approx(-3.0)
    assert f.drain_eta_s == pytest.approx(180.0)
    assert f.growing_per_s is None


def test_growing_from_depth_deltas_is_estimated_and_has_no_in_out():
    flow = QueueFlow()
    first = flow.observe(FlowSample(at=0, visible=100))
    # One sample: no rate, no ETA — unknown, not 0.
    assert first.net_per_s is None and first.drain_eta_s is None and first.trend is None
    f = flow.observe(FlowSample(at=10, visible=140, in_flight=10))  # +50 in 10 s
    assert f.rate_source == "estimated"
    assert f.net_per_s == 5.0 and f.trend == "growing" and f.growing_per_s == 5.0
    assert f.drain_eta_s is None
    assert f.in_per_s is None and f.out_per_s is None


def test_steady_and_empty():
    flow = QueueFlow()
    flow.observe(FlowSample(at=0, visible=1000))
    f = flow.observe(FlowSample(at=1000, visible=1005))  # +0.005/s: below 36 an hour
    assert f.trend == "steady" and f.drain_eta_s is None and f.growing_per_s is None
    f = flow.observe(FlowSample(at=1010, visible=0))
    assert f.trend == "empty" and f.drain_eta_s == 0.0


def test_loss_eta_is_retention_minus_oldest_age():
    flow = QueueFlow()
    # Retention 1 h; the oldest message was enqueued at t=0; now t=3000 -> 600 s left.
    f = flow.observe(FlowSample(at=3000, visible=5, retention_s=3600, oldest_enqueued_at=0))
    assert f.oldest_age_s == 3000.0 and f.loss_eta_s == 600.0
    f = flow.observe(FlowSample(at=4000, visible=5, retention_s=3600, oldest_enqueued_at=0))
    assert f.loss_eta_s == 0.0  # already expiring
    f = flow.observe(FlowSample(at=4001, visible=5, retention_s=3600))
    assert f.loss_eta_s is None and f.oldest_age_s is None  # no datapoint: unknown
    f = flow.observe(FlowSample(at=4002, visible=0, retention_s=3600, oldest_enqueued_at=0))
    assert f.loss_eta_s is None  # nothing to lose


def test_dlq_inflow_from_depth_rises_over_the_window():
    flow = QueueFlow(dlq_window_s=300)
    src = FlowSample(at=0, visible=0)

    def at(t: float, depth: int) -> Forecast:
        return flow.observe(FlowSample(at=t, visible=0), dlq=FlowSample(at=t, visible=depth))

    assert at(0, 10).dlq_inflow_per_s is None  # one sample
    at(60, 16)  # +6
    at(120, 13)  # a replay took 3 out: not inflow
    f = at(180, 19)  # +6
    assert f.dlq_inflow_per_s == pytest.approx(12 / 180)
    assert f.dlq_growing is True and f.dlq_backlog == 19
    f = at(600, 19)  # nothing new for 7 minutes: the window holds 180 -> 600 only
    assert f.dlq_inflow_per_s == 0.0 and f.dlq_growing is False
    assert src.backlog == 0


def test_dlq_expiry_from_original_enqueue_time():
    flow = QueueFlow()
    f = flow.observe(
        FlowSample(at=200_000, visible=0),
        dlq=FlowSample(at=200_000, visible=3, retention_s=345_600, oldest_enqueued_at=100_000),
    )
    assert f.dlq_expiry_s == 245_600.0  # 4 days - (200,000 - 100,000)
    assert f.dlq_expiry_basis == "enqueue_time"
    f = flow.observe(FlowSample(at=200_001, visible=0), dlq=FlowSample(at=200_001, visible=0))
    assert f.dlq_expiry_s is None and f.dlq_expiry_basis is None


def _status(name: str, **kw) -> QueueStatus:
    return QueueStatus(name=name, url=f"http://q/{name}", **kw)


def test_book_dlq_expiry_standard_is_worst_case_fifo_is_exact():
    now = 10 * DAY
    stamp = datetime.fromtimestamp(now, UTC)

    # The DLQ's CloudWatch age is 1 day (time since the move); the source keeps messages 4 days.
    def pair(fifo: bool) -> QueueStatus:
        suffix = ".fifo" if fifo else ""
        dlq = _status(
            f"d{suffix}",
            visible=2,
            in_flight=0,
            delayed=0,
            updated_at=now,
            fifo=fifo,
            retention_s=14 * DAY,
            oldest_age_s=DAY,
            oldest_age_at=stamp,
            is_dlq=True,
        )
        return _status(
            f"s{suffix}",
            visible=0,
            in_flight=0,
            delayed=0,
            updated_at=now,
            fifo=fifo,
            retention_s=4 * DAY,
            dlq=dlq,
            dlq_url=dlq.url,
        )

    book = ForecastBook()
    got = book.update(
        MetricsSnapshot(queues=(pair(False), pair(True)), polled_at=now, connection="ok")
    )
    standard, fifo = got["http://q/s"], got["http://q/s.fifo"]
    # Standard: the original enqueue may be up to 4 days before the move: 14 - (1 + 4) = 9 days.
    assert standard.dlq_expiry_s == 9 * DAY and standard.dlq_expiry_basis == "worst_case"
    # FIFO: the enqueue time resets on the move: 14 - 1 = 13 days.
    assert fifo.dlq_expiry_s == 13 * DAY and fifo.dlq_expiry_basis == "enqueue_time"


def test_book_loss_eta_from_the_cloudwatch_datapoint():
    now = 1_800_000_000.0
    q = _status(
        "orders",
        visible=7,
        in_flight=0,
        delayed=0,
        updated_at=now,
        retention_s=3600,
        oldest_age_s=2400,
        oldest_age_at=datetime.fromtimestamp(now - 60, UTC),
    )
    f = ForecastBook().update(MetricsSnapshot(queues=(q,), polled_at=now, connection="ok"))
    # enqueued at (now - 60) - 2400; age now 2460; 3600 - 2460 = 1140 s
    assert f["http://q/orders"].loss_eta_s == 1140.0
    assert f["http://q/orders"].oldest_age_s == 2460.0


def test_retries_heading_for_the_dlq_need_every_period_positive():
    flow = QueueFlow(periods=3)

    def minute(i: int, received: float, deleted: float) -> Forecast:
        return flow.observe(
            FlowSample(at=100 + 60 * i, visible=20, counts=counts(60 * i, 10, received, deleted)),
            has_dlq=True,
        )

    f = minute(0, 30, 10)
    assert f.retry_per_s == pytest.approx(20 / 60) and f.retries_to_dlq is None  # 1 of 3 periods
    assert minute(1, 30, 10).retries_to_dlq is None
    assert minute(2, 40, 10).retries_to_dlq is True
    assert minute(2, 40, 10).retry_per_s == 0.5  # (40 - 10) / 60
    assert minute(3, 10, 10).retries_to_dlq is False  # every receive deleted
    no_dlq = QueueFlow(periods=1).observe(FlowSample(at=100, visible=1, counts=counts(0, 1, 9, 3)))
    assert no_dlq.retry_per_s == 0.1 and no_dlq.retries_to_dlq is None


def test_stalled_from_counts_or_from_an_oldest_message_that_only_ages():
    flow = QueueFlow(periods=3)
    for i in range(3):
        f = flow.observe(FlowSample(at=100 + 60 * i, visible=50, counts=counts(60 * i, 5, 0, 0)))
    assert f.stalled is True
    f = flow.observe(FlowSample(at=300, visible=50, counts=counts(180, 5, 5, 5)))
    assert f.stalled is False

    aging = QueueFlow(stall_s=300)
    assert aging.observe(FlowSample(at=0, visible=9, oldest_enqueued_at=-50)).stalled is None
    assert aging.observe(FlowSample(at=200, visible=9, oldest_enqueued_at=-40)).stalled is None
    assert aging.observe(FlowSample(at=300, visible=9, oldest_enqueued_at=-50)).stalled is True
    # The oldest message changed: somebody consumes.
    assert aging.observe(FlowSample(at=360, visible=9, oldest_enqueued_at=200)).stalled is False
    assert aging.observe(FlowSample(at=400, visible=0)).stalled is False


def test_no_datapoint_means_null_never_zero():
    f = QueueFlow().observe(FlowSample(at=0, visible=None))
    doc = f.to_json()
    assert set(doc.values()) == {None}
    # Counts without Sent/Deleted datapoints fall back to estimates, still null after one sample.
    f = QueueFlow().observe(FlowSample(at=0, visible=4, counts=counts(0, None, None, None)))
    assert f.net_per_s is None and f.in_per_s is None and f.retry_per_s is None
    assert Forecast().to_json()["drain_eta_s"] is None


def test_book_keeps_the_last_forecast_for_a_failed_read():
    book = ForecastBook()
    ok = _status("a", visible=10, in_flight=0, delayed=0, updated_at=0.0)
    book.update(MetricsSnapshot(queues=(ok,), polled_at=0, connection="ok"))
    f = book.update(
        MetricsSnapshot(
            queues=(_status("a", visible=14, in_flight=0, delayed=0, updated_at=2.0),),
            polled_at=2,
            connection="ok",
        )
    )["http://q/a"]
    assert f.net_per_s == 2.0
    failed = _status("a", error="boom")
    again = book.update(MetricsSnapshot(queues=(failed,), polled_at=4, connection="ok"))
    assert again["http://q/a"] == f


def test_one_cloudwatch_read_of_ten_minutes_is_ten_samples_stall_and_trend_from_it():
    from edgewatch.forecast.model import MinutePoint

    t0 = 1_800_000_000.0  # a minute boundary; time is the datapoints'
    # A stalled queue: 20 visible all along, the oldest ages a minute a minute (enqueued t0 - 60).
    stalled = tuple(MinutePoint(t0 + 60 * i, 20, 60.0 + 60 * i) for i in range(10))
    # A growing one: 10 more each minute, the oldest message replaced (age stays ~0).
    growing = tuple(MinutePoint(t0 + 60 * i, 10 * i, 5.0) for i in range(10))
    newest = datetime.fromtimestamp(t0 + 540, UTC)

    def status(name: str, minutes: tuple[MinutePoint, ...]) -> QueueStatus:
        last = minutes[-1]
        return QueueStatus(
            name=name,
            url=f"http://x/{name}",
            visible=last.visible,
            oldest_age_s=last.oldest_age_s,
            oldest_age_at=newest,
            updated_at=t0 + 600,  # the newest minute's end
            read_by="cloudwatch",
            minutes=minutes,
        )

    snap = MetricsSnapshot(
        queues=(status("s", stalled), status("g", growing)),
        polled_at=t0 + 610,
        connection="ok",
    )
    book = ForecastBook()
    out = book.update(snap)
    # Stalled: the same enqueue time (t0 - 60) seen over 9 minutes >= stall_s (300 s).
    assert out["http://x/s"].stalled is True
    # Growing: depth deltas of +10 a minute, every minute: the EWMA of +1/6 per second.
    g = out["http://x/g"]
    assert g.rate_source == "estimated" and g.trend == "growing"
    assert g.net_per_s == pytest.approx(1 / 6)
    # The same read again adds nothing (minutes already seen are skipped).
    again = book.update(snap)
    assert again["http://x/g"].net_per_s == pytest.approx(1 / 6)
