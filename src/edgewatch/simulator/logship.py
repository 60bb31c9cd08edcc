"""A function's log lines, shipped to CloudWatch Logs in batches, on rotating streams.

Each stream is one execution environment, as on Lambda: a rotation starts a new one, and the
function's next invocation is a cold start (:attr:`LogShipper.generation` tells it).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from edgewatch.aws import AwsClients, error_code
from edgewatch.simulator.resources import create_log_stream, log_stream_name
from edgewatch.simulator.state import PipelineConfig, PipelineState, backoff


class LogShipper:
    """Buffers JSON log lines and ships them with ``PutLogEvents`` about once a second.

    The stream rotates every ``log_rotate_s`` (as a Lambda's streams do) and only the newest
    ``log_streams_kept`` are kept: moto keeps every event in memory and scans them all on each
    ``FilterLogEvents``, so hours of logs would otherwise grow without bound.
    """

    MAX_BATCH = 1000  # well under PutLogEvents' 10,000 events / 1 MiB

    def __init__(
        self,
        clients: AwsClients,
        group: str,
        stream: str,
        config: PipelineConfig,
        state: PipelineState,
    ) -> None:
        self._clients, self._group, self._config, self._state = clients, group, config, state
        self._buffer: deque[tuple[int, str]] = deque()
        self._streams: deque[str] = deque([stream])
        self._rotated_at = time.monotonic()
        self._rotations = 0
        self.generation = 0  # one per stream (execution environment)
        self._backoff = backoff(base=1.0, cap=10.0)

    @property
    def stream(self) -> str:
        return self._streams[-1]

    def write(self, timestamp_ms: int, record: dict[str, Any]) -> None:
        self.write_text(timestamp_ms, json.dumps(record, separators=(",", ":")))

    def write_text(self, timestamp_ms: int, message: str) -> None:
        if len(self._buffer) >= self._config.log_buffer:
            self._buffer.popleft()
            self._state.stats.log_dropped += 1
        self._buffer.append((timestamp_ms, message))

    async def flush(self) -> None:
        logs = await self._clients.logs()
        while self._buffer:
            count = min(len(self._buffer), self.MAX_BATCH)
            batch = [self._buffer.popleft() for _ in range(count)]
            batch.sort(key=lambda event: event[0])  # stable: one invocation's lines keep order
            try:
                await logs.put_log_events(
                    logGroupName=self._group,
                    logStreamName=self.stream,
                    logEvents=[{"timestamp": ts, "message": line} for ts, line in batch],
                )
            except BaseException:
                self._buffer.extendleft(reversed(batch))  # retried next time; order kept
                raise
            self._state.stats.log_events += len(batch)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._config.log_flush_s)
            try:
                if time.monotonic() - self._rotated_at >= self._config.log_rotate_s:
                    await self.rotate()
                await self.flush()
            except Exception as exc:
                self._state.error("logs", exc)
                await self._backoff.wait()
            else:
                self._backoff.reset()

    async def rotate(self) -> None:
        """Write to a new stream from now on; delete the streams beyond ``log_streams_kept``."""
        self._rotations += 1
        name = log_stream_name(seq=self._rotations)
        await create_log_stream(self._clients, self._group, name)
        self._streams.append(name)
        self.generation += 1
        self._rotated_at = time.monotonic()
        logs = await self._clients.logs()
        while len(self._streams) > self._config.log_streams_kept:
            old = self._streams[0]
            try:
                await logs.delete_log_stream(logGroupName=self._group, logStreamName=old)
            except Exception as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
            self._streams.popleft()
