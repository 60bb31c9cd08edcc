"""A fixed fleet for the console tests: 60 queues in two accounts and two regions, a few in
trouble, with the cost figures a fleet snapshot carries. Frozen clock, no polling."""

from __future__ import annotations

from datetime import UTC, datetime

from edgewatch.aws import AwsTarget
from edgewatch.config import Settings
from edgewatch.fleet.cost import CostEstimate
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.runtime import Runtime
from edgewatch.tui import EdgewatchApp
from tests.support.tui import FIXED_ENDPOINT, FIXED_REGION, NOW, THRESHOLDS, frozen_clock

PLACES = (("111111111111", "us-east-1"), ("222222222222", "eu-west-1"))


def fleet_runtime() -> Runtime:
    settings = Settings(
        thresholds=THRESHOLDS,
        fleet={"sources": [{"region": r, "endpoint_url": FIXED_ENDPOINT} for _, r in PLACES]},
    )
    return Runtime(settings, AwsTarget(region=FIXED_REGION, endpoint_url=FIXED_ENDPOINT))


def fleet_app() -> EdgewatchApp:
    return EdgewatchApp(fleet_runtime(), auto_poll=False, clock=frozen_clock)


def fleet_queue(i: int, **kw: object) -> QueueStatus:
    account, region = PLACES[i % 2]
    name = f"{'use1' if i % 2 == 0 else 'euw1'}-q{i:03d}"
    base: dict[str, object] = {
        "visible": i % 7,
        "in_flight": 0,
        "delayed": 0,
        "region": region,
        "account": account,
        "read_by": "cloudwatch",
        "updated_at": NOW - 50,
        "thresholds": THRESHOLDS,
        "retention_s": 345_600.0,
    }
    base.update(kw)
    return QueueStatus(name, f"https://sqs.{region}.amazonaws.com/{account}/{name}", **base)  # type: ignore[arg-type]


def fleet_snapshot(**over: QueueStatus) -> MetricsSnapshot:
    at = datetime.fromtimestamp(NOW - 60, UTC)
    queues = [fleet_queue(i) for i in range(60)]
    queues[17] = fleet_queue(17, visible=1500, read_by="attributes", updated_at=NOW - 1)  # crit
    queues[42] = fleet_queue(  # messages expire in 20 minutes: retention 1 h, oldest 40 min
        42, visible=12, retention_s=3600.0, oldest_age_s=2340.0, oldest_age_at=at
    )
    for name, q in over.items():
        queues[int(name[1:])] = q
    return MetricsSnapshot(
        queues=tuple(queues),
        polled_at=NOW,
        connection="ok",
        last_success_at=NOW - 1,
        metrics_at=NOW - 50,
        cost=CostEstimate(sqs_calls_per_min=112, cw_calls_per_min=8, metrics_per_min=3252),
        calls_last_min=113,
    )
