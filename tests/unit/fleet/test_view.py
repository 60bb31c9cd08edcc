"""Sort, filter and group keys of the fleet view, and the trouble score, by hand."""

from __future__ import annotations

from edgewatch.config import Thresholds
from edgewatch.fleet.view import arrange, trouble_score
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


def test_trouble_score():
    assert trouble_score(q("a", 100), None) == 1000  # crit
    assert trouble_score(q("a", 75), None) == 100  # warn (75 %)
    f = Forecast(loss_eta_s=900, dlq_growing=True, stalled=True, trend="growing")
    # 500 x (1 - 900/3600) + 2 x 200 + 100
    assert trouble_score(q("a", 1), f) == 875
    assert trouble_score(q("a", 1), Forecast(trend="draining", drain_eta_s=7200)) == 50


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
