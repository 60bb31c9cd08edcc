"""Acceptance on the embedded stack with no configuration: on both queues, a dead-lettered
message whose body is not JSON shows why it failed, and ``l`` shows its failure lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from edgewatch.config import Settings
from edgewatch.runtime import Runtime
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer
from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.simulator.stack import EmbeddedStack
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.screen import DlqScreen
from edgewatch.tui.logs.screen import LogsScreen
from tests.support.tui import THRESHOLDS, wait_for
from tests.support.tui_dlq import SIZE

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(seed=21, config=PipelineConfig.fast()) as running:
        yield running


def has_non_json(sqs: Any, url: str) -> bool:
    resp = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
    )
    return any(not_json(m["Body"]) for m in resp.get("Messages", []))


def not_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


async def test_l_and_the_detail_explain_non_json_poison_on_both_queues(stack) -> None:
    res = stack.resources
    sqs = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=stack.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )
    runtime = Runtime(Settings(poll_interval=0.5, thresholds=THRESHOLDS), stack.target, stack=stack)
    app = EdgewatchApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        for source, function in zip(res.sources, res.functions, strict=True):
            assert source.dlq is not None
            await wait_for(
                pilot,
                lambda q=source.dlq: has_non_json(sqs, q.url),
                timeout=120,
                what=f"a non-JSON body in {source.dlq.name}",
            )
            await wait_for(
                pilot,
                lambda q=source: app.snapshot is not None and q.url in app._dashboard.table.keys,
                what="the queue on the dashboard",
            )
            app._dashboard.table.move_cursor(row=app._dashboard.table.keys.index(source.url))
            await pilot.pause()
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="DLQ screen")
            screen = app.screen
            assert isinstance(screen, DlqScreen)

            def explained_non_json(s: DlqScreen = screen) -> Any:
                for m in s.session.messages.values():
                    why = s._why.get(m.message_id)
                    if m.json is None and why is not None:
                        return m
                s.load()  # the next page, if any (a no-op while one is loading)
                return None

            await wait_for(
                pilot,
                lambda f=explained_non_json: f() is not None,
                timeout=60,
                what="a non-JSON message explained",
            )
            msg = explained_non_json()
            why = screen._why[msg.message_id]
            assert why.error_type == "JSONDecodeError" and why.log_group == function.log_group
            screen.table.move_cursor(row=screen.table.get_row_index(msg.message_id))
            await pilot.pause()
            detail = str(screen.query_one("#dlq-detail").render())
            assert "why it failed" in detail and "JSONDecodeError" in detail
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="the logs")
            logs = app.screen
            assert isinstance(logs, LogsScreen)
            await wait_for(
                pilot,
                lambda m=msg, v=logs.view: any(m.message_id in ln.message_ids for ln in v.lines),
                timeout=30,
                what="the message's failure lines",
            )
            failures = [ln for ln in logs.view.lines if msg.message_id in ln.message_ids]
            assert failures and all(ln.level == "ERROR" for ln in failures)
            await pilot.press("escape")
            await wait_for(pilot, lambda s=screen: app.screen is s, what="back to the DLQ")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app._dashboard, what="the dashboard")
