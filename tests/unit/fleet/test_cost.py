"""Cost and budget arithmetic against hand-computed values."""

from __future__ import annotations

import pytest

from edgewatch.fleet.cost import (
    CallBudget,
    CallMeter,
    CostEstimate,
    TokenBucket,
    charged_per_window,
    cloudwatch_calls,
    plan_budget,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_dollars_per_day():
    # 60 SQS calls/min and 3,000 metrics/min: 1440 x (60 x $0.40/M + 3000 x $0.01/1k)
    est = CostEstimate(sqs_calls_per_min=60, cw_calls_per_min=7, metrics_per_min=3000)
    assert est.calls_per_min == 67
    assert est.usd_per_day == pytest.approx(43.23456)
    # The naive design: GetQueueAttributes for 1,000 queues every second.
    naive = CostEstimate(sqs_calls_per_min=60_000, cw_calls_per_min=0, metrics_per_min=0)
    assert naive.usd_per_day == pytest.approx(34.56)
    assert est.to_json()["usd_per_day"] == 43.2346


def test_cloudwatch_calls_batch_500_queries():
    assert cloudwatch_calls(1000, 3) == 7  # 166 queues (498 queries) per call: 6.02 -> 7
    assert cloudwatch_calls(166, 3) == 1
    assert cloudwatch_calls(167, 3) == 2
    assert cloudwatch_calls(10, 3, sources=2) == 2  # one call per region at least
    assert cloudwatch_calls(0, 3) == 0


def test_plan_fits_the_calls_budget():
    plan = plan_budget(
        queues=1000,
        metrics_per_queue=3,
        sources=2,
        metrics_interval=60,
        calls_per_min=120,
        usd_per_day=None,
    )
    assert plan.cw_interval_s == 60 and plan.sqs_per_min == 113  # 120 - 7
    tight = plan_budget(
        queues=1000,
        metrics_per_queue=3,
        sources=1,
        metrics_interval=60,
        calls_per_min=5,
        usd_per_day=None,
    )
    # 7 CloudWatch calls/min > 80 % of 5: stretched to 4/min (every 105 s); 1 left for SQS
    assert tight.cw_interval_s == pytest.approx(105.0) and tight.sqs_per_min == pytest.approx(1.0)


def test_plan_fits_a_dollar_budget():
    plan = plan_budget(
        queues=1000,
        metrics_per_queue=3,
        sources=2,
        metrics_interval=60,
        calls_per_min=120,
        usd_per_day=10,
    )
    # CloudWatch gets $8/day: one read of 3,000 metrics costs $0.03 -> every 0.03 x 86400 / 8 s
    assert plan.cw_interval_s == pytest.approx(324.0)
    assert plan.sqs_per_min == pytest.approx(120 - 7 * 60 / 324)
    est = plan.estimate(
        queues=1000, metrics_per_queue=3, sources=2, hot=0, poll_interval=1, discover_per_min=0
    )
    assert est.usd_per_day == pytest.approx(8.0)
    broke = plan_budget(
        queues=1,
        metrics_per_queue=3,
        sources=1,
        metrics_interval=60,
        calls_per_min=120,
        usd_per_day=0.0001,
    )
    # CloudWatch: 80 % of $0.0001 -> every 3e-5 x 86400 / 8e-5 = 32,400 s. SQS: the $0.00002
    # left buys 0.035 calls/min -> the floor of one a minute (a hot queue is never frozen).
    assert broke.cw_interval_s == pytest.approx(32_400.0)
    assert broke.sqs_per_min == 1.0


def test_estimate_caps_hot_reads_at_the_budget():
    plan = plan_budget(
        queues=1000,
        metrics_per_queue=3,
        sources=2,
        metrics_interval=60,
        calls_per_min=120,
        usd_per_day=None,
    )
    est = plan.estimate(
        queues=1000,
        metrics_per_queue=3,
        sources=2,
        hot=50,
        poll_interval=1,
        discover_per_min=0.4,
    )
    assert est.sqs_calls_per_min == 113 and est.calls_per_min == 120
    idle = plan.estimate(
        queues=1000,
        metrics_per_queue=3,
        sources=2,
        hot=1,
        poll_interval=2,
        discover_per_min=0.4,
    )
    assert idle.sqs_calls_per_min == pytest.approx(30.4)


def test_token_bucket():
    clock = Clock()
    bucket = TokenBucket(rate=1.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now = 0.5
    assert not bucket.take()
    clock.now = 1.0
    assert bucket.take()
    clock.now = 10.0  # refills up to the burst only
    assert not bucket.take(keep=2.5)  # 3 - 1 < 2.5: the sweep leaves this for hot queues
    assert bucket.take(keep=2.0)
    bucket.charge(5)  # mandatory calls go into debt
    assert bucket.tokens == pytest.approx(-3.0)


def test_call_meter_counts_the_last_minute():
    clock = Clock()
    meter = CallMeter(clock=clock)
    meter.record("ListQueues")
    clock.now = 30
    meter.record("GetMetricData", metrics=498)
    meter.record("GetQueueAttributes")
    assert meter.per_min() == {"ListQueues": 1, "GetMetricData": 1, "GetQueueAttributes": 1}
    clock.now = 61
    assert meter.calls_last_min() == 2 and meter.total == 3 and meter.metrics_total == 498


def test_charged_calls_a_minute_can_hold():
    # 1,054 queues in 2 regions: 527 x 2 metrics = 1,054 queries = 3 calls each; a read every
    # 300 s lands once in a minute, ListQueues (one page per region) every 300 s once: 6 + 2.
    assert (
        charged_per_window(
            cw_calls_per_read=6, cw_interval_s=300, list_pages=2, discover_interval_s=300
        )
        == 8
    )
    # Every 60 s, a window counting both ends can hold two reads; every 25 s, three.
    assert (
        charged_per_window(
            cw_calls_per_read=6, cw_interval_s=60, list_pages=2, discover_interval_s=25
        )
        == 12 + 6
    )


def test_one_budget_holds_over_every_window_whatever_is_asked():
    clock = Clock()
    budget = CallBudget(120, first=60, clock=clock)
    budget.set_reserve(8)
    assert budget.optional_per_min == 112
    granted: list[float] = []
    for _tick in range(600):  # 5 minutes, asked for 200 reads a second
        for _ in range(100):
            if budget.ask():
                granted.append(clock.now)
        clock.now += 0.5
    # At most 112 optional calls in any window of 60 s (both ends counted)...
    worst = max(sum(1 for t in granted if start <= t <= start + 60) for start in granted)
    assert worst == 112
    # ...a first screen at once, then paced: at most 10 s of the budget (18.7) at once.
    assert granted.count(0.0) == 60
    later = [granted.count(t) for t in set(granted) if t >= 60]
    assert max(later) <= 112 / 6
    # 112 a minute over the last minutes (the pace is the budget's rate).
    assert sum(1 for t in granted if 180 <= t < 240) == pytest.approx(112, abs=5)


def test_the_bucket_starts_above_its_pace_and_refills_only_to_it():
    clock = Clock()
    bucket = TokenBucket(1.0, 5, clock=clock, initial=20)
    assert sum(bucket.take() for _ in range(30)) == 20
    clock.now = 100
    assert sum(bucket.take() for _ in range(30)) == 5
