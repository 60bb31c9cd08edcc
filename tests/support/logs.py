"""Helpers for the log tests: arranging CloudWatch Logs state and driving sources without timers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from edgewatch.logs.models import LogBatch, LogLine, SourceNotice

MAX_STEPS = 200


class Done(Exception):
    """Raised by :class:`Steps` when the scripted poll boundaries are used up."""


class Steps:
    """An injected ``sleep``: each poll boundary runs the next scripted action, then the source
    is stopped with :class:`Done`. No wall-clock waits: time passes only when a test says so.

    Only sleeps of exactly ``boundary`` seconds are poll boundaries (``None``: every sleep);
    others (backoff) are only recorded, so a test can assert how a source slowed down.
    """

    def __init__(self, boundary: float | None, *actions: Callable[[], Any] | None) -> None:
        self.boundary = boundary
        self.actions = list(actions)
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) > MAX_STEPS:
            raise AssertionError("the source never reached the end of the script")
        await asyncio.sleep(0)
        if self.boundary is not None and delay != self.boundary:
            return
        if not self.actions:
            raise Done
        action = self.actions.pop(0)
        if action is not None:
            result = action()
            if asyncio.iscoroutine(result):
                await result


class Collector:
    """An ``emit`` that keeps every line and notice."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.notices: list[SourceNotice] = []

    async def __call__(self, batch: LogBatch) -> None:
        self.lines.extend(batch.lines)
        self.notices.extend(batch.notices)

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.lines]


def now_ms() -> int:
    return int(time.time() * 1000)


def record(request_id: str | None, n: int = 0, **extra: Any) -> str:
    body: dict[str, Any] = {"request_id": request_id, "n": n, "level": "info"}
    body.update(extra)
    return json.dumps(body)


class LogsArranger:
    """Creates groups and streams and puts events with a plain boto3 client (from the outside)."""

    def __init__(self, endpoint_url: str, credentials: tuple[str, str] | None = None) -> None:
        import boto3

        from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

        key, secret = credentials or FAKE_CREDENTIALS
        self.client = boto3.client(
            "logs",
            region_name="us-east-1",
            endpoint_url=endpoint_url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )
        self._streams: set[tuple[str, str]] = set()

    def group(self, name: str) -> str:
        self.client.create_log_group(logGroupName=name)
        return name

    def put(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        if (group, stream) not in self._streams:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            self._streams.add((group, stream))
        ordered = sorted(events, key=lambda e: e[0])
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": ts, "message": msg} for ts, msg in ordered],
        )
