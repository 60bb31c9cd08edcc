"""Alerts end to end: real queues on moto over HTTP, the real poller, a real webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

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
    # the next cron run: still over, inside the cooldown (kept in the state file): no new post
    assert main(["watch", "--alerts", "--once", "--config", str(config), *argv[-2:]]) == 3
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith("edgewatch still firing (notified, in cooldown): orders: depth 5 ≥ 5")
    )
    assert [b["alert"]["kind"] for b in receiver.bodies] == ["depth"]


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


def age_state(path: Path, seconds: float) -> None:
    """Move every time in a state file ``seconds`` into the past: the next run comes later."""
    doc = json.loads(path.read_text())
    for item in doc["active"]:
        item["since"] -= seconds
    for item in doc["notified_at"]:
        item["at"] -= seconds
    path.write_text(json.dumps(doc))


def test_cron_runs_keep_the_cooldown_in_the_state_file(
    moto_server, boto3_sqs, receiver, tmp_path, capsys
):
    """Each --once run is a new process: the state file carries the cooldown between them."""
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    config = tmp_path / "edgewatch.toml"
    state = tmp_path / "cron" / "alerts.json"
    config.write_text(
        'queues = ["orders"]\n[thresholds]\ndepth = 5\n'
        f'[alerts]\nwebhook_url = "{receiver.url}"\ncooldown_s = 300\n'
        "loss_eta_min = 1\ndrain_eta_min = 600\n"
    )
    argv = ["watch", "--alerts", "--once", "--json", "--config", str(config)]
    argv += ["--state-file", str(state), "--endpoint-url", moto_server.endpoint_url]

    def run() -> tuple[int, list[dict]]:
        code = main(argv)
        out, err = capsys.readouterr()
        assert err == ""
        return code, [json.loads(line) for line in out.splitlines()]

    fill(boto3_sqs, url, [{"MessageBody": f"m{i}"} for i in range(6)])
    code, lines = run()
    assert code == 3 and [d["state"] for d in lines] == ["firing"]
    assert state.exists() and list(state.parent.iterdir()) == [state]  # no temporary left
    code, lines = run()  # a minute later, within the cooldown
    assert code == 3 and [(d["state"], d["kind"]) for d in lines] == [("active", "depth")]
    assert [b["alert"]["state"] for b in receiver.bodies] == ["firing"]  # posted once
    drain(boto3_sqs, url)
    code, lines = run()  # recovered: the resolve is told
    assert code == 0 and [d["state"] for d in lines] == ["resolved"]
    code, lines = run()
    assert code == 0 and [d["state"] for d in lines] == ["ok"]
    age_state(state, 301)  # the next crossing comes after the cooldown
    fill(boto3_sqs, url, [{"MessageBody": f"n{i}"} for i in range(7)])
    code, lines = run()
    assert code == 3 and [d["state"] for d in lines] == ["firing"]
    assert [b["alert"]["state"] for b in receiver.bodies] == ["firing", "resolved", "firing"]
    assert receiver.firing()[1]["text"] == "edgewatch ALERT: orders: depth 7 ≥ 5"
    assert "secret" not in state.read_text() and receiver.url not in state.read_text()


def test_a_corrupt_state_file_is_one_warning_and_a_fresh_state(
    moto_server, boto3_sqs, receiver, tmp_path, capsys
):
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    fill(boto3_sqs, url, [{"MessageBody": f"m{i}"} for i in range(6)])
    config = tmp_path / "edgewatch.toml"
    config.write_text(
        f'queues = ["orders"]\n[thresholds]\ndepth = 5\n[alerts]\nwebhook_url = "{receiver.url}"\n'
    )
    state = tmp_path / "alerts.json"
    state.write_text('{"version": 1, "active": [{"queue_key": ')  # cut off mid-write
    argv = ["watch", "--alerts", "--once", "--config", str(config), "--state-file", str(state)]
    argv += ["--endpoint-url", moto_server.endpoint_url]
    assert main(argv) == 3
    out, err = capsys.readouterr()
    (warning,) = err.splitlines()
    assert warning.startswith(f"edgewatch: alert state file {state} is unreadable (")
    assert warning.endswith("); starting with a fresh alert state")
    assert "Traceback" not in err and "ALERT: orders" in out
    assert json.loads(state.read_text())["version"] == 1  # replaced by a good one
    assert main(argv) == 3  # and read back: in cooldown now, no second post
    assert capsys.readouterr().err == ""
    assert len(receiver.firing()) == 1
    with pytest.raises(SystemExit) as exc:  # --state-file and --no-state exclude each other
        main([*argv, "--no-state"])
    assert exc.value.code == 2
