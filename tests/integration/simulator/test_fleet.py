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


async def test_stalled_queues_are_flagged_and_sort_on_top_of_the_embedded_fleet(clean_moto_state):
    from datetime import UTC, datetime, timedelta

    import boto3

    from edgewatch.fleet.view import arrange, trouble, trouble_level

    with EmbeddedStack(seed=3, pipeline=False, fleet=40) as stack:
        assert stack.fleet is not None
        fleet = stack.fleet
        # Three minutes of history, as CloudWatch would hold for queues running a while:
        # the stalled ones kept their messages and deleted nothing.
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        for region in fleet.regions:
            cw = boto3.client(
                "cloudwatch",
                region_name=region,
                endpoint_url=stack.endpoint_url,
                aws_access_key_id=FAKE_CREDENTIALS[0],
                aws_secret_access_key=FAKE_CREDENTIALS[1],
            )
            for back in (3, 2, 1):
                data = fleet.datums(region, minute - timedelta(minutes=back))
                for start in range(0, len(data), 1000):
                    cw.put_metric_data(Namespace="AWS/SQS", MetricData=data[start : start + 1000])
        sources = [
            (
                FleetSource(region=r, endpoint_url=stack.endpoint_url),
                AwsClients(AwsTarget(r, stack.endpoint_url, credentials=FAKE_CREDENTIALS)),
            )
            for r in fleet.regions
        ]
        settings = Settings(fleet={"sources": [{"region": r} for r in fleet.regions]})
        poller = FleetPoller(sources, settings)
        book = ForecastBook(settings.forecast)
        try:
            snap = await poller.poll_once()
            poller.focus(q.url for q in snap.queues if q.url)  # all of them "on screen"
            snap = await poller.poll_once()
            forecasts = book.update(snap)
            rows = arrange(snap.queues, forecasts, sort="trouble")
            # By name (use1-stalled-0010): queues an earlier stack left in moto count too.
            pattern = {
                r.name: next(
                    (
                        p
                        for p in ("near_expiry", "stalled", "growing", "steady")
                        if f"-{p.replace('_', '-')}-" in r.name and not r.name.endswith("-dlq")
                    ),
                    "dlq",
                )
                for r in rows
            }
            planned = {q.name for q in fleet.queues if q.pattern == "stalled"}
            stalled = [r for r in rows if r.name in planned]
            assert stalled
            for row in stalled:
                f = forecasts[row.url or row.name]
                assert f.stalled is True, row.name
                assert trouble(row, f)[0] == "stalled"
                assert trouble_level(row, f) == "crit"  # under every threshold, still trouble
            order = [pattern.get(r.name, "dlq") for r in rows]
            last_stalled = max(i for i, r in enumerate(rows) if r.name in planned)
            # Above them only messages about to expire (15-minute retention) and other queues
            # nobody consumes; every DLQ-filling, DLQ and steady queue is below.
            top = [(r.name, trouble(r, forecasts[r.url or r.name])) for r in rows[:last_stalled]]
            assert set(order[:last_stalled]) <= {"near_expiry", "stalled", "growing"}, top
            assert order.index("near_expiry") < order.index("stalled")
        finally:
            await poller.aclose()
            for _, c in sources:
                await c.aclose()
