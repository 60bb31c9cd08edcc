"""Sort, filter and group keys of the fleet view, and the trouble score, by hand."""

from __future__ import annotations

import math

import pytest

from edgewatch.config import Thresholds
from edgewatch.fleet.view import arrange, trouble, trouble_level, trouble_score
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus

T = Thresholds(depth=100, age_s=600, dlq_depth=1)


def q(name: str, visible: int | None, *, region="us-east-1", account="111", age=None, **kw):
    return QueueStatus(
        name=name,
        url=f"http://{region}/{name}",
        visible=visible,
        in_flight=0,
        delayed=0,
        oldest_age_s=age,
        region=region,
        account=account,
        thresholds=T,
        **kw,
    )


def test_trouble_score_tiers_and_badness_by_hand():
    # Thresholds only: crit (100 >= 100) tier 2 + 999 x log10(101)/7; warn (75 %) tier 1.
    assert trouble_score(q("a", 100), None) == pytest.approx(2000 + 999 * math.log10(101) / 7)
    assert trouble_score(q("a", 75), None) == pytest.approx(1000 + 999 * math.log10(76) / 7)
    assert trouble_score(q("a", 5), None) == 0.0
    # Messages expire in 15 min: tier 6, 999 x (1 - 900/3600), whatever else is wrong.
    f = Forecast(loss_eta_s=900, dlq_growing=True, stalled=True, trend="growing")
    assert trouble_score(q("a", 1), f) == pytest.approx(6000 + 999 * 0.75)
    # Stalled: 20 messages, oldest 30 min: tier 5, 999 x (0.5 x log10(21)/6 + 0.5 x 0.5)
    stalled = Forecast(backlog=20, stalled=True, oldest_age_s=1800)
    assert trouble_score(q("s", 20), stalled) == pytest.approx(
        5000 + 999 * (0.5 * math.log10(21) / 6 + 0.25)
    )
    # An empty queue with a DLQ filling at 1/min holding 7: tier 4,
    # 999 x (0.7 x log10(2)/4 + 0.3 x log10(8)/6); below a stalled consumer.
    dlq = Forecast(
        backlog=0, trend="empty", dlq_growing=True, dlq_inflow_per_s=1 / 60, dlq_backlog=7
    )
    assert trouble_score(q("d", 0), dlq) == pytest.approx(
        4000 + 999 * (0.7 * math.log10(2) / 4 + 0.3 * math.log10(8) / 6)
    )
    # Growing 10 a minute with 300 waiting: tier 3, 999 x (0.7 x log10(11)/4 + 0.3 x log10(301)/6)
    growing = Forecast(backlog=300, trend="growing", growing_per_s=1 / 6)
    assert trouble_score(q("g", 300), growing) == pytest.approx(
        3000 + 999 * (0.7 * math.log10(11) / 4 + 0.3 * math.log10(301) / 6)
    )
    # A draining queue with nothing else wrong is ok; an unreadable one is crit at its worst.
    assert trouble_score(q("a", 1), Forecast(trend="draining", drain_eta_s=7200)) == 0.0
    assert trouble_score(q("e", None, error="AccessDenied"), None) == 2999.0


def test_the_worst_trouble_sorts_on_top_in_order():
    rows = [
        q("ok", 3),
        q("crit-depth", 500),
        q("dlq-filling", 0, dlq_url="http://x/dlq"),
        q("growing", 40),
        q("stalled", 20),
        q("expiring", 10),
    ]
    forecasts = {
        "http://us-east-1/dlq-filling": Forecast(
            backlog=0, trend="empty", dlq_growing=True, dlq_inflow_per_s=0.05, dlq_backlog=150
        ),
        "http://us-east-1/growing": Forecast(backlog=40, trend="growing", growing_per_s=0.5),
        "http://us-east-1/stalled": Forecast(backlog=20, stalled=True, oldest_age_s=200),
        "http://us-east-1/expiring": Forecast(backlog=10, loss_eta_s=120),
    }
    order = [r.name for r in arrange(rows, forecasts, sort="trouble")]
    assert order == ["expiring", "stalled", "dlq-filling", "growing", "crit-depth", "ok"]
    # The State a row shows is raised by the forecasts: a stalled consumer under every
    # threshold is crit, a growing backlog warn.
    by = {r.name: r for r in rows}
    assert trouble_level(by["stalled"], forecasts["http://us-east-1/stalled"]) == "crit"
    assert trouble_level(by["growing"], forecasts["http://us-east-1/growing"]) == "warn"
    assert trouble_level(by["ok"], None) == "ok"
    assert trouble(by["dlq-filling"], forecasts["http://us-east-1/dlq-filling"])[0] == "dlq"


def test_a_deeper_faster_filling_dlq_ranks_above_a_slow_one():
    slow = Forecast(backlog=0, dlq_growing=True, dlq_inflow_per_s=0.001, dlq_backlog=1)
    fast = Forecast(backlog=0, dlq_growing=True, dlq_inflow_per_s=1.0, dlq_backlog=5000)
    assert trouble_score(q("a", 0), fast) > trouble_score(q("b", 0), slow)


def test_sort_keys_and_unknowns_last():
    rows = [q("b", 5, age=30), q("a", 200), q("c", None), q("d", 50, age=900)]
    names = lambda **kw: [r.name for r in arrange(rows, {}, **kw)]  # noqa: E731
    assert names(sort="trouble") == ["a", "d", "b", "c"]  # crit depth, crit age, then by name
    assert names(sort="name") == ["a", "b", "c", "d"]
    assert names(sort="depth") == ["a", "d", "b", "c"]
    assert names(sort="age") == ["d", "b", "a", "c"]
    dlq = q("x-dlq", 7)
    with_dlq = [q("e", 1, dlq=dlq), q("f", 1)]
    assert [r.name for r in arrange(with_dlq, {}, sort="dlq")] == ["e", "f"]


def test_filter_by_name_region_account_and_tag():
    rows = [
        q("orders", 1, region="eu-west-1", account="222", tags={"team": "Payments"}),
        q("orders-dlq", 1),
        q("billing", 1, tags={"team": "core"}),
    ]
    names = lambda text: [r.name for r in arrange(rows, {}, sort="name", text=text)]  # noqa: E731
    assert names("ORD") == ["orders", "orders-dlq"]
    assert names("region:eu-") == ["orders"]
    assert names("account:222") == ["orders"]
    assert names("tag:team") == ["billing", "orders"]
    assert names("tag:team=pay") == ["orders"]
    assert names("orders tag:team") == ["orders"]  # all words must match
    assert names("nothing") == []


def test_group_by_account_then_region_keeps_the_sort_inside():
    rows = [
        q("z", 500, account="222", region="us-east-1"),
        q("a", 1, account="111", region="us-east-1"),
        q("m", 900, account="111", region="eu-west-1"),
        q("b", 300, account="111", region="us-east-1"),
    ]
    got = [(r.account, r.region, r.name) for r in arrange(rows, {}, sort="depth", group=True)]
    assert got == [
        ("111", "eu-west-1", "m"),
        ("111", "us-east-1", "b"),
        ("111", "us-east-1", "a"),
        ("222", "us-east-1", "z"),
    ]


def test_a_dlq_nobody_consumes_is_not_a_stalled_consumer():
    dlq = q("orders-dlq", 20, is_dlq=True)
    f = Forecast(backlog=20, stalled=True, trend="growing", growing_per_s=0.1)
    assert trouble(dlq, f)[0] == "growing"  # its growth, and its DLQ threshold, still count
    assert trouble(dlq, Forecast(backlog=20, stalled=True))[0] == "crit"  # 20 >= dlq_depth 1
