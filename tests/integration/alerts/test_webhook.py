"""Alerts end to end: real queues on moto over HTTP, the real poller, a real webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from edgewatch.alerts.engine import AlertEngine
from edgewatch.alerts.notify import Webhook
from edgewatch.cli import main
from edgewatch.config import Settings
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.poller import QueuePoller
from tests.support.sqs import drain, fill
from tests.support.webhook import WebhookReceiver


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


def alert_settings(receiver: WebhookReceiver, **alerts) -> Settings:
    return Settings(
        queues=["orders"],
        thresholds={"depth": 5},
        alerts={
            "webhook_url": receiver.url,
            "cooldown_s": 300,
            "loss_eta_min": None,
            "drain_eta_min": None,
            **alerts,
        },
    )


async def test_threshold_crossing_fires_the_webhook_once_then_again_after_recovery(
    boto3_sqs, aws_clients, receiver
):
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    settings = alert_settings(receiver)
    clock = Clock()
    poller = QueuePoller(aws_clients, settings, clock=clock)
    book, engine, webhook = (
        ForecastBook(),
        AlertEngine(settings.alerts, clock=clock),
        Webhook(settings.alerts),
    )

    async def poll() -> None:
        snapshot = await poller.poll_once()
        for ev in engine.evaluate(snapshot, book.update(snapshot)):
            assert await webhook.send(ev) is None
        clock.now += 30

    try:
        await poll()
        assert receiver.bodies == []  # empty queue: nothing to say
        fill(boto3_sqs, url, [{"MessageBody": f"m{i}"} for i in range(6)])
        await poll()
        assert len(receiver.firing()) == 1
        body = receiver.firing()[0]
        assert body["text"] == "edgewatch ALERT: orders: depth 6 ≥ 5"  # Slack's field
        assert body["alert"]["kind"] == "depth" and body["alert"]["queue"] == "orders"
        for _ in range(3):  # still over the threshold, within the cooldown: silence
            await poll()
        assert len(receiver.firing()) == 1
        drain(boto3_sqs, url)
        await poll()  # recovered
        assert [b["alert"]["state"] for b in receiver.bodies] == ["firing", "resolved"]
        clock.now += 300  # past the cooldown
        fill(boto3_sqs, url, [{"MessageBody": f"n{i}"} for i in range(7)])
        await poll()  # a new crossing
        assert len(receiver.firing()) == 2
        assert receiver.firing()[1]["text"] == "edgewatch ALERT: orders: depth 7 ≥ 5"
        assert webhook.sent == 3 and webhook.failed == 0
    finally:
        await webhook.aclose()
        await poller.aclose()


async def test_a_failing_webhook_is_reported_without_its_url(boto3_sqs, aws_clients):
    receiver = WebhookReceiver(status=500)
    try:
        settings = alert_settings(receiver)
        engine = AlertEngine(settings.alerts)
        url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
        fill(boto3_sqs, url, [{"MessageBody": f"m{i}"} for i in range(6)])
        poller = QueuePoller(aws_clients, settings)
        snapshot = await poller.poll_once()
        webhook = Webhook(settings.alerts)
        (event,) = engine.evaluate(snapshot, ForecastBook().update(snapshot))
        assert await webhook.send(event) == "alert webhook failed: HTTP 500"
        receiver.close()
        problem = await webhook.send(event)
        assert problem is not None and problem.startswith("alert webhook failed: cannot connect")
        assert "127.0.0.1" not in problem and "/hook" not in problem
        await webhook.aclose()
        await poller.aclose()
    finally:
        receiver.close()


def test_watch_alerts_once_exits_non_zero_while_a_queue_is_over_threshold(
    moto_server, boto3_sqs, receiver, tmp_path, capsys
):
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    config = tmp_path / "edgewatch.toml"
    config.write_text(
        'queues = ["orders"]\n[thresholds]\ndepth = 5\n'
        f'[alerts]\nwebhook_url = "{receiver.url}"\nloss_eta_min = 1\n'
    )
    argv = ["watch", "--alerts", "--once", "--json", "--config", str(config)]
    argv += ["--endpoint-url", moto_server.endpoint_url]
    assert main(argv) == 0
    (quiet,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert quiet["state"] == "ok" and quiet["alerts"] == [] and quiet["queues_checked"] == 1
    assert quiet["summary"] == "no alert firing: 1 queue checked"
    plain = ["watch", "--alerts", "--once", "--config", str(config), *argv[-2:]]
    assert main(plain) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.endswith(" no alert firing: 1 queue checked")
    fill(boto3_sqs, url, [{"MessageBody": f"m{i}"} for i in range(5)])
    assert main(argv) == 3
    out, err = capsys.readouterr()
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert event["state"] == "firing" and event["kind"] == "depth" and event["value"] == 5
    assert err == ""
    assert [b["alert"]["kind"] for b in receiver.bodies] == ["depth"]
    assert main(["watch", "--alerts", "--once", "--config", str(config), *argv[-2:]]) == 3
    assert capsys.readouterr().out.rstrip().endswith("edgewatch ALERT: orders: depth 5 ≥ 5")


def test_watch_needs_alerts_and_a_bad_webhook_url_is_one_line_without_the_value(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["watch"])
    assert exc.value.code == 2
    capsys.readouterr()
    config = tmp_path / "edgewatch.toml"
    config.write_text('[alerts]\nwebhook_url = "hooks.example/T0/secret"\n')
    assert main(["watch", "--alerts", "--once", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "alerts.webhook_url" in err and "secret" not in err
