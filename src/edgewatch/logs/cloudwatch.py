"""Follow one CloudWatch Logs group with ``FilterLogEvents`` (docs/architecture.md, "Data sources").

How a poll works, and why:
- it pages until the answer has no ``nextToken``; pages may be empty before that (the service
  searches in slices), so an empty page is never the end;
- it starts from the newest timestamp seen minus ``overlap_s``: CloudWatch ingests late and out
  of order, and several events can share the boundary millisecond; re-reading the overlap and
  dropping ``eventId``s already delivered means nothing is missed and nothing repeats;
- the seen-ID set is bounded: an ID is forgotten once its timestamp falls before the next poll's
  start (it can never be returned again), with a hard cap as a last resort;
- throttling and unreachable endpoints are retried with capped exponential backoff and jitter,
  continuing the same page; the caller hears about it through :class:`SourceNotice`s.
Events whose timestamp lies further back than the overlap when they are ingested are missed: a
larger ``overlap_s`` trades API volume for that.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import HTTPClientError
from edgewatch_emitter import BackoffPolicy

from edgewatch.aws import AwsClients, describe_error, error_code, is_connection_error, is_throttle
from edgewatch.logs.formats import NO_MAPPING, FieldMap
from edgewatch.logs.models import (
    Emit,
    LogBatch,
    LogLine,
    LogSourceError,
    NoticeKind,
    Sleep,
    SourceNotice,
    make_line,
)
from edgewatch.logs.search import LogQuery

MAX_BACKOFF_S = 30.0
# A one-shot read (no --follow) gives up sooner: throttling and 5xx are retried a few times from
# a short base, an endpoint that does not answer only twice (an operator is waiting).
ONE_SHOT_RETRIES = 5
ONE_SHOT_CONNECTION_RETRIES = 2
ONE_SHOT_BACKOFF_BASE_S = 0.25
SEEN_MAX = 200_000
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
MISSING_CODES = frozenset({"ResourceNotFoundException"})


class SeenIds:
    """``eventId``s delivered inside the overlap window, forgotten by timestamp (bounded)."""

    def __init__(self, cap: int = SEEN_MAX) -> None:
        self.cap = cap
        self._ids: set[str] = set()
        self._heap: list[tuple[int, str]] = []

    def add(self, event_id: str, timestamp: int) -> bool:
        """Record an ID; ``False`` if it was already delivered."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        heapq.heappush(self._heap, (timestamp, event_id))
        while len(self._heap) > self.cap:
            self._ids.discard(heapq.heappop(self._heap)[1])
        return True

    def forget_before(self, timestamp: int) -> None:
        """Drop IDs older than ``timestamp``: a poll starting there cannot return them."""
        while self._heap and self._heap[0][0] < timestamp:
            self._ids.discard(heapq.heappop(self._heap)[1])

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids


def _is_transient(exc: BaseException) -> bool:
    # HTTPClientError covers a connection closed mid-request (ConnectionClosedError), which
    # is_connection_error does not count.
    if is_throttle(exc) or is_connection_error(exc) or isinstance(exc, HTTPClientError):
        return True
    response = getattr(exc, "response", None)
    status = (response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status in TRANSIENT_STATUS


class CloudWatchSource:
    """Events of one log group from ``start_ms`` on; once (``follow=False``) or until cancelled.

    ``clock``, ``sleep`` and ``rng`` are injectable so that tests control time and jitter.
    ``missing_ok`` makes a group that does not exist (yet) a wait rather than an error.
    """

    def __init__(
        self,
        clients: AwsClients,
        group: str,
        *,
        start_ms: int,
        query: LogQuery | None = None,
        fields: FieldMap = NO_MAPPING,
        follow: bool = True,
        poll_interval: float = 2.0,
        overlap_s: float = 10.0,
        missing_ok: bool = False,
        page_limit: int | None = None,
        max_backoff_s: float = MAX_BACKOFF_S,
        seen_cap: int = SEEN_MAX,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.clients = clients
        self.group = group
        self.query = query or LogQuery()
        self.fields = fields
        self.follow = follow
        self.poll_interval = poll_interval
        self.overlap_ms = int(overlap_s * 1000)
        self.missing_ok = missing_ok
        self.page_limit = page_limit
        self.max_backoff_s = max_backoff_s
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.seen = SeenIds(seen_cap)
        self.polls = 0
        self.requests = 0
        self._floor_ms = int(start_ms)
        self._newest_ms: int | None = None
        self._failures = 0
        self._troubled = False
        self.ignored = 0  # events the server sent that its filter pattern cannot have matched
        self._told_ignored = False

    @property
    def name(self) -> str:
        return self.group

    @property
    def next_start_ms(self) -> int:
        """Where the next poll starts: the newest timestamp seen minus the overlap."""
        if self._newest_ms is None:
            return self._floor_ms
        return max(self._floor_ms, self._newest_ms - self.overlap_ms)

    async def run(self, emit: Emit, running: asyncio.Event | None = None) -> None:
        """Deliver batches through ``emit`` (which may block: that is the back-pressure)."""
        end_ms = None if self.follow else int(self.clock() * 1000)
        while True:
            await self._poll(emit, running, end_ms)
            self.polls += 1
            if not self.follow:
                return
            await self.sleep(self.poll_interval)

    async def _poll(self, emit: Emit, running: asyncio.Event | None, end_ms: int | None) -> None:
        start = self.next_start_ms
        self.seen.forget_before(start)
        params: dict[str, Any] = {"logGroupName": self.group, "startTime": start}
        if end_ms is not None:
            params["endTime"] = end_ms
        pattern = self.query.filter_pattern()
        if pattern:
            params["filterPattern"] = pattern
        if self.page_limit:
            params["limit"] = self.page_limit
        # Deprecated and ignored by AWS (always interleaved); moto still needs it to sort.
        params["interleaved"] = True
        token: str | None = None
        while True:
            if running is not None:
                await running.wait()
            page = await self._request(emit, {**params, "nextToken": token} if token else params)
            events = page.get("events") or []
            lines = self._accept(events)
            if lines:
                await emit(LogBatch(lines=tuple(lines)))
            if pattern and not self._told_ignored and self._pattern_ignored(pattern, events):
                self._told_ignored = True
                text = (
                    "the endpoint ignored the filter pattern (LocalStack does): every event "
                    "is read and checked here"
                )
                await emit(LogBatch(notices=(SourceNotice(self.group, "unfiltered", text),)))
            next_token = page.get("nextToken")
            if not next_token or (next_token == token and not page.get("events")):
                return  # done (a repeated token on an empty page would loop forever)
            token = next_token

    def _pattern_ignored(self, pattern: str, events: list[dict[str, Any]]) -> bool:
        """A quoted-term pattern (``"x"``) matches only events containing ``x``: one without it
        proves the server did not apply the pattern. (Other patterns are not judged.)"""
        if not (len(pattern) > 2 and pattern[0] == pattern[-1] == '"' and '"' not in pattern[1:-1]):
            return False
        term = pattern[1:-1]
        missing = sum(1 for e in events if term not in str(e.get("message", "")))
        self.ignored += missing
        return missing > 0

    def _accept(self, events: list[dict[str, Any]]) -> list[LogLine]:
        """New events as lines (duplicates dropped, client-side check applied)."""
        now_ms = int(self.clock() * 1000)
        lines = []
        for event in events:
            event_id = str(event.get("eventId", ""))
            timestamp = int(event.get("timestamp") or 0)
            if not self.seen.add(event_id, timestamp):
                continue
            # A producer's clock far ahead must not push the window past events still to come.
            newest = min(timestamp, now_ms)
            if self._newest_ms is None or newest > self._newest_ms:
                self._newest_ms = newest
            line = make_line(
                event_id=event_id,
                timestamp=timestamp,
                log_group=self.group,
                stream=str(event.get("logStreamName", "")),
                message=str(event.get("message", "")),
                ingestion_time=event.get("ingestionTime"),
                fields=self.fields,
            )
            if self.query.matches(line):
                lines.append(line)
        return lines

    async def _request(self, emit: Emit, params: dict[str, Any]) -> dict[str, Any]:
        """One ``FilterLogEvents`` call, retried while the failure is transient."""
        attempts = 0
        while True:
            try:
                logs = await self.clients.logs()
                self.requests += 1
                page: dict[str, Any] = await logs.filter_log_events(**params)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempts += 1
                missing = error_code(exc) in MISSING_CODES
                if missing and not self.missing_ok:
                    raise LogSourceError(self.group, "log group not found") from None
                if not (missing or _is_transient(exc)):
                    raise LogSourceError(self.group, describe_error(exc)) from None
                if not self.follow and attempts > self._one_shot_retries(exc):
                    raise LogSourceError(self.group, describe_error(exc)) from None
                delay = self._backoff()
                kind: NoticeKind = (
                    "throttled" if is_throttle(exc) else "waiting" if missing else "retrying"
                )
                text = "log group not found (yet)" if missing else describe_error(exc)
                self._troubled = True
                await emit(LogBatch(notices=(SourceNotice(self.group, kind, text, delay),)))
                await self.sleep(delay)
                continue
            self._failures = 0
            if self._troubled:
                self._troubled = False
                await emit(LogBatch(notices=(SourceNotice(self.group, "ok", "resumed"),)))
            return page

    @staticmethod
    def _one_shot_retries(exc: BaseException) -> int:
        if is_connection_error(exc) or isinstance(exc, HTTPClientError):
            return ONE_SHOT_CONNECTION_RETRIES
        return ONE_SHOT_RETRIES

    def _backoff(self) -> float:
        """Doubling from the poll interval, capped, with "equal jitter" (never near zero)."""
        self._failures += 1
        first = self.poll_interval if self.follow else ONE_SHOT_BACKOFF_BASE_S
        policy = BackoffPolicy(max(first, 0.05), self.max_backoff_s, "equal")
        return policy.delay(self._failures + 1, self.rng)
