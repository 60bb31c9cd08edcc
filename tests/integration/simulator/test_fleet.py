"""The embedded stack at fleet scale: queues in two simulated regions, their metrics published,
and the fleet poller, forecasts and alerts seeing each pattern."""

from __future__ import annotations

from collections import Counter

from edgewatch.alerts.engine import AlertEngine
from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet.poller import FleetPoller
from edgewatch.forecast.book import ForecastBook
from edgewatch.simulator.fleet import plan_fleet
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from edgewatch.simulator.stack import EmbeddedStack


def test_plan_is_seeded_split_over_two_regions_with_every_pattern():
    fleet = plan_fleet(1000, seed=7)
    assert fleet == plan_fleet(1000, seed=7) and fleet != plan_fleet(1000, seed=8)
    assert Counter(q.region for q in fleet) == {"us-east-1": 500, "eu-west-1": 500}
    assert Counter(q.pattern for q in fleet) == {
        "steady": 800,
        "growing": 50,
        "stalled": 50,
        "dlq_filling": 50,
        "near_expiry": 50,
    }
    assert len({q.name for q in fleet}) == 1000
    assert all(q.name.startswith(("use1-", "euw1-")) for q in fleet)
    assert sum(1 for q in fleet if q.dlq_name) == 50


async def test_fleet_stack_publishes_what_the_fleet_poller_reads(clean_moto_state):
    with EmbeddedStack(seed=3, pipeline=False, fleet=20) as stack:
        assert stack.fleet is not None
        sources = [
            (
                FleetSource(region=r, endpoint_url=stack.endpoint_url),
                AwsClients(AwsTarget(r, stack.endpoint_url, credentials=FAKE_CREDENTIALS)),
            )
            for r in stack.fleet.regions
        ]
        settings = Settings(
            fleet={"sources": [{"region": r} for r in stack.fleet.regions]},
            thresholds={"depth": 15, "age_s": 3600, "dlq_depth": 1},
            alerts={"loss_eta_min": 15, "cooldown_s": 0},
        )
        poller = FleetPoller(sources, settings)
        try:
            snap = await poller.poll_once()
            by_name = {q.name: q for q in snap.queues}
            plan = {q.name: q for q in stack.fleet.queues}
            assert set(plan) <= set(by_name)
            assert {by_name[n].region for n in plan} == {"us-east-1", "eu-west-1"}
            for name, q in plan.items():
                row = by_name[name]
                # published metrics, or (the leftover budget's sweep) the attributes themselves
                assert row.region == q.region and row.read_by in ("cloudwatch", "attributes")
                expected = {"stalled": 20, "near_expiry": 10}.get(q.pattern, 0)
                assert row.visible == expected, name
            # Focus every queue: GetQueueAttributes agrees with the published metrics, and the
            # sweep learns retention and DLQs.
            poller.focus(q.url for q in snap.queues if q.url)
            for _ in range(3):
                snap = await poller.poll_once()
            by_name = {q.name: q for q in snap.queues}
            for name, q in plan.items():
                row = by_name[name]
                assert row.read_by == "attributes"
                assert row.visible == {"stalled": 20, "near_expiry": 10}.get(q.pattern, 0)
                if q.pattern == "near_expiry":
                    assert row.retention_s == 900.0
                if q.pattern == "dlq_filling":
                    assert row.dlq is not None and row.dlq.name == f"{name}-dlq"
            forecasts = ForecastBook().update(snap)
            near = next(n for n, q in plan.items() if q.pattern == "near_expiry")
            loss = forecasts[by_name[near].url].loss_eta_s
            assert loss is not None and 0 < loss <= 900
            alerts = AlertEngine(settings.alerts).evaluate(snap, forecasts)
            kinds = {(e.queue, e.kind) for e in alerts}
            assert (near, "loss_eta") in kinds
            stalled = next(n for n, q in plan.items() if q.pattern == "stalled")
            assert (stalled, "depth") in kinds  # 20 >= 15
        finally:
            await poller.aclose()
            for _, clients in sources:
                await clients.aclose()
