"""Helpers for the TUI tests: fixed scenes for snapshots, call counting for live ones.

Snapshots must be byte-stable: a fixed endpoint string and region, a frozen clock, no poll
worker and no timers (``auto_poll=False``), data fed by hand through ``apply_snapshot``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import Settings, Thresholds
from edgewatch.metrics.models import History, MetricsSnapshot, QueueStatus
from edgewatch.runtime import Runtime
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer
from edgewatch.tui import EdgewatchApp

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z, frozen
FIXED_ENDPOINT = "http://sqs.edgewatch.test:4566"
FIXED_REGION = "eu-west-1"
THRESHOLDS = Thresholds(depth=1000, age_s=300, dlq_depth=1)
WAIT_S = 20.0


def frozen_clock() -> float:
    return NOW


def queue_url(name: str) -> str:
    return f"{FIXED_ENDPOINT}/000000000000/{name}"


class FakeStack:
    """Stands in for the embedded stack: only its presence matters to the UI."""

    def stop(self) -> None:
        return None


def fixed_runtime(
    *, theme: str = "edgewatch-dark", read_only: bool = False, embedded: bool = False
) -> Runtime:
    settings = Settings(theme=theme, read_only=read_only, thresholds=THRESHOLDS)
    target = AwsTarget(region=FIXED_REGION, endpoint_url=FIXED_ENDPOINT)
    return Runtime(settings, target, stack=FakeStack() if embedded else None)  # type: ignore[arg-type]


def fixed_app(**runtime_kwargs: Any) -> EdgewatchApp:
    """An app that never polls and whose clock never moves."""
    return EdgewatchApp(fixed_runtime(**runtime_kwargs), auto_poll=False, clock=frozen_clock)


@dataclass
class Scene:
    """A fixed set of queues with a 40-poll history, in the shapes the poller produces."""

    queues: tuple[QueueStatus, ...]
    history: History = field(default_factory=lambda: History(300))

    def snapshot(self, **kwargs: Any) -> MetricsSnapshot:
        base: dict[str, Any] = {
            "queues": self.queues,
            "polled_at": NOW,
            "connection": "degraded" if any(q.error for q in self.queues) else "ok",
            "last_success_at": NOW - 3,
            "metrics_at": NOW - 42,
        }
        base.update(kwargs)
        return MetricsSnapshot(**base)


def build_scene() -> Scene:
    """orders (warn depth, warn age, DLQ over threshold), its DLQ (crit age), payments (crit
    depth), a FIFO queue that is stale, and a queue whose name and error contain Rich markup."""
    at = datetime.fromtimestamp(NOW - 70, UTC)
    dlq = QueueStatus(
        "orders-dlq", queue_url("orders-dlq"), 7, 0, 0, 930.0, at, is_dlq=True,
        thresholds=THRESHOLDS, updated_at=NOW - 3,
    )  # fmt: skip
    queues = (
        QueueStatus(
            "orders", queue_url("orders"), 812, 14, 3, 240.0, at, dlq_url=dlq.url, dlq=dlq,
            thresholds=THRESHOLDS, updated_at=NOW - 3,
        ),
        dlq,
        QueueStatus(
            "payments", queue_url("payments"), 1532, 40, 0, 42.0, at,
            thresholds=THRESHOLDS, updated_at=NOW - 3,
        ),
        QueueStatus(
            "events.fifo", queue_url("events.fifo"), 0, 0, 0, None, fifo=True, stale=True,
            thresholds=THRESHOLDS, updated_at=NOW - 20,
        ),
        QueueStatus(
            "[bold red]x[/]", queue_url("[bold red]x[/]"),
            error="AccessDenied: [bold]not authorised[/bold] to read [red]this[/]",
            thresholds=THRESHOLDS,
        ),
    )  # fmt: skip
    scene = Scene(queues)
    for i in range(40):  # rising depth, a wobble in flight, a DLQ filling late
        f = (i + 1) / 40
        step = tuple(
            replace(
                q,
                visible=None if q.visible is None else int(q.visible * f),
                in_flight=None if q.in_flight is None else (q.in_flight + i % 5),
                dlq=None if q.dlq is None else replace(q.dlq, visible=max(0, i - 32)),
            )
            for q in queues
        )
        scene.history.record(MetricsSnapshot(step, NOW - 40 + i, "ok"))
    scene.history.record(scene.snapshot())
    return scene


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = WAIT_S, what: str = ""
) -> None:
    """Let the app run until ``condition`` holds; fail with ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await pilot.pause(0.05)


class CountingClients(AwsClients):
    """Real aiobotocore clients that record every API call made (operation names)."""

    def __init__(self, target: AwsTarget) -> None:
        super().__init__(target)
        self.calls: list[str] = []

    async def client(self, service: str) -> Any:
        new = service not in self._clients
        client = await super().client(service)
        if new:
            client.meta.events.register("before-call.*.*", self._record)
        return client

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)


@dataclass
class LiveQueues:
    """Queues created in moto for a live test, plus a boto3 client to change them."""

    sqs: Any
    orders: str
    dlq: str
    payments: str

    def send(self, url: str, n: int) -> None:
        for i in range(n):
            self.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")

    @classmethod
    def create(cls, sqs: Any) -> LiveQueues:
        """``orders`` redriving into ``orders-dlq`` (maxReceiveCount 3), and ``payments``."""
        dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        policy = json.dumps(
            {"deadLetterTargetArn": attrs["Attributes"]["QueueArn"], "maxReceiveCount": "3"}
        )
        orders = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": policy})
        payments = sqs.create_queue(QueueName="payments")
        return cls(sqs, orders["QueueUrl"], dlq, payments["QueueUrl"])


def live_runtime(server: MotoServer, **settings: Any) -> tuple[Runtime, CountingClients]:
    """A Runtime on the moto server whose clients count calls."""
    target = AwsTarget(
        region="us-east-1", endpoint_url=server.endpoint_url, credentials=FAKE_CREDENTIALS
    )
    clients = CountingClients(target)
    options: dict[str, Any] = {"poll_interval": 0.2, "thresholds": THRESHOLDS}
    options.update(settings)
    return Runtime(Settings(**options), target, _clients=clients), clients


async def run_palette_command(pilot: Pilot[Any], query: str, title: str) -> None:
    """Open the palette, type ``query``, check the top hit is ``title``, run it."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*query)
    results = app.screen.query_one(CommandList)
    await wait_for(
        pilot,
        lambda: (
            results.option_count > 0
            and str(results.get_option_at_index(0).prompt).startswith(title)
        ),
        what=f"palette hit {title!r}",
    )
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), what="close")
