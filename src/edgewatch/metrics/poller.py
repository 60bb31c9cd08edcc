"""The queue metrics engine: SQS attributes for every watched queue, plus CloudWatch ages.

Rules it keeps (docs/architecture.md, "Data sources"):
- queues are polled concurrently; a queue whose request has not answered does not hold up the
  others: its request stays in flight across polls and the queue is shown as stale meanwhile;
- the next poll starts only after the previous one finished (a sleep, not a fixed-rate timer);
- the DLQ of each queue comes from its RedrivePolicy;
- the age of the oldest message comes from one ``GetMetricData`` call for every queue, read at
  ``metrics_interval`` (CloudWatch bills per metric and only has 1-minute data anyway); no
  datapoint means ``None`` ("n/a"), never 0;
- errors become per-queue state; while the endpoint is down the poller backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from edgewatch_emitter import BackoffPolicy

from edgewatch.aws import AwsClients, describe_error, is_connection_error
from edgewatch.aws.errors import NO_QUEUE_CODES, error_code
from edgewatch.config import Settings
from edgewatch.forecast.model import CountsPeriod
from edgewatch.identifiers import account_from_url, queue_name_from_arn, queue_name_from_url
from edgewatch.metrics.loop import PollLoop
from edgewatch.metrics.models import (
    ConnectionState,
    History,
    MetricsSnapshot,
    QueueStatus,
    oldest_age,
)

ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "RedrivePolicy",
    "QueueArn",
    "MessageRetentionPeriod",
]
AGE_METRIC = "ApproximateAgeOfOldestMessage"
# CloudWatch counts for the forecasts: (query id prefix, metric). Each is one metric requested.
COUNT_METRICS = (
    ("s", "NumberOfMessagesSent"),
    ("r", "NumberOfMessagesReceived"),
    ("d", "NumberOfMessagesDeleted"),
)
COUNT_PERIOD_S = 60
METRIC_QUERIES_PER_CALL = 500  # GetMetricData's limit
METRIC_LOOKBACK = timedelta(minutes=15)
REDISCOVER_S = 60.0
MAX_BACKOFF_S = 15.0  # an outage's end is noticed within this


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _counts_from(
    found: dict[tuple[str, str], list[tuple[datetime, float]]], now: float
) -> dict[str, CountsPeriod]:
    """The latest *complete* period of each queue's counts (the current minute is partial)."""
    out: dict[str, CountsPeriod] = {}
    names = {name for (prefix, name) in found if prefix != "a"}
    for name in names:
        series = {p: dict(found.get((p, name), [])) for p, _ in COUNT_METRICS}
        stamps = sorted(
            ts
            for points in series.values()
            for ts in points
            if ts.timestamp() + COUNT_PERIOD_S <= now
        )
        if not stamps:
            continue
        ts = stamps[-1]
        out[name] = CountsPeriod(
            at=ts.timestamp(),
            period_s=COUNT_PERIOD_S,
            sent=series["s"].get(ts),
            received=series["r"].get(ts),
            deleted=series["d"].get(ts),
        )
    return out


@dataclass(frozen=True, slots=True)
class _Watched:
    """A queue the poller reads: resolved URL (or the resolution error)."""

    name: str
    url: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Read:
    """What one GetQueueAttributes returned."""

    visible: int
    in_flight: int
    delayed: int
    dlq_arn: str | None
    at: float
    retention_s: float | None = None


class QueuePoller(PollLoop):
    """Polls queue depths; usable headless (CLI ``status``) and from the TUI (a worker).

    ``clock`` is injectable so that tests and snapshots see frozen times.
    """

    def __init__(
        self,
        clients: AwsClients,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        request_timeout: float = 10.0,
    ) -> None:
        self.clients = clients
        self.settings = settings
        super().__init__()
        self.clock = clock
        self.request_timeout = request_timeout
        self.history = History(settings.history)
        self.last: MetricsSnapshot | None = None
        self._watched: list[_Watched] = []
        self._discovered_at: float | None = None
        self._dlq_urls: dict[str, str] = {}  # DLQ ARN -> URL
        self._reads: dict[str, _Read] = {}  # queue URL -> last good read
        self._errors: dict[str, str] = {}  # queue URL -> last error
        self._inflight: dict[str, asyncio.Task[_Read]] = {}
        self._ages: dict[str, tuple[float, datetime]] = {}  # queue name -> (age, datapoint time)
        self._counts: dict[str, CountsPeriod] = {}  # queue name -> latest complete period
        self._metrics_at: float | None = None
        self._metrics_error: str | None = None
        self._metrics_task: asyncio.Task[None] | None = None
        self._last_success: float | None = None
        self._failures = 0

    # -- control -------------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Cut the current wait short; also forces a CloudWatch read and re-discovery."""
        self._metrics_at = None
        self._discovered_at = None
        self._wake.set()

    @property
    def backoff_s(self) -> float:
        """The wait before the next poll: the interval, doubled per consecutive outage."""
        base = self.settings.poll_interval
        if self._failures == 0:
            return base
        # No jitter: the wait is also the poll's pace, and one console is no thundering herd.
        return BackoffPolicy(base, MAX_BACKOFF_S, "none").delay(self._failures + 1)

    def next_wait_s(self) -> float:
        return self.backoff_s

    async def aclose(self) -> None:
        """Cancel requests still in flight (long-lived clients are closed by their owner)."""
        tasks: list[asyncio.Task[Any]] = [*self._inflight.values()]
        if self._metrics_task is not None:
            tasks.append(self._metrics_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._inflight.clear()
        self._metrics_task = None

    # -- one poll ------------------------------------------------------------------------------

    async def poll_once(self) -> MetricsSnapshot:
        """Read every watched queue once (and CloudWatch when due); never raises for AWS errors."""
        now = self.clock()
        try:
            await self._discover(now)
        except Exception as exc:  # endpoint down before we know any queue, no credentials, ...
            return self._record(self._failed_snapshot(exc, now))

        for watched in self._watched:
            self._start_read(watched.url)
        for dlq_url in set(self._dlq_urls.values()):
            self._start_read(dlq_url)
        self._start_metrics(now)

        pending = [t for t in self._inflight.values() if not t.done()]
        if pending:
            # Wait for this round, but never longer than one interval: a hung queue stays in
            # flight and is shown stale while the others update.
            await asyncio.wait(pending, timeout=max(self.settings.poll_interval, 1.0))
        if self._metrics_task is not None and not self._metrics_task.done():
            await asyncio.wait([self._metrics_task], timeout=0.5)

        connection_errors = self._collect()
        unread_dlqs = [u for u in set(self._dlq_urls.values()) if u not in self._reads]
        if unread_dlqs and not connection_errors:
            # DLQs just found through a RedrivePolicy: read them now, not one poll later.
            for url in unread_dlqs:
                self._start_read(url)
            await asyncio.wait(
                [self._inflight[u] for u in unread_dlqs if u in self._inflight],
                timeout=max(self.settings.poll_interval, 1.0),
            )
            connection_errors += self._collect()
        return self._record(self._build_snapshot(connection_errors))

    def _start_read(self, url: str | None) -> None:
        if url is None or url in self._inflight:
            return
        self._inflight[url] = asyncio.create_task(self._read(url), name=f"poll:{url}")

    async def _read(self, url: str) -> _Read:
        sqs = await self.clients.sqs()
        resp = await asyncio.wait_for(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES),
            timeout=self.request_timeout,
        )
        attrs = resp.get("Attributes", {})
        dlq_arn = None
        if attrs.get("RedrivePolicy"):
            with contextlib.suppress(ValueError, TypeError):
                dlq_arn = json.loads(attrs["RedrivePolicy"]).get("deadLetterTargetArn")
        return _Read(
            visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
            dlq_arn=dlq_arn,
            at=self.clock(),
            retention_s=_float_or_none(attrs.get("MessageRetentionPeriod")),
        )

    def _collect(self) -> int:
        """Harvest finished reads; return how many failed because the endpoint is unreachable."""
        connection_errors = 0
        for url, task in list(self._inflight.items()):
            if not task.done():
                continue
            del self._inflight[url]
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is None:
                read = task.result()
                self._reads[url] = read
                self._errors.pop(url, None)
                if read.dlq_arn and read.dlq_arn not in self._dlq_urls:
                    self._dlq_urls[read.dlq_arn] = self._dlq_url_guess(url, read.dlq_arn)
            else:
                self._errors[url] = describe_error(exc)
                if is_connection_error(exc):
                    connection_errors += 1
                if error_code(exc) in NO_QUEUE_CODES:
                    self._reads.pop(url, None)
        return connection_errors

    @staticmethod
    def _dlq_url_guess(source_url: str, dlq_arn: str) -> str:
        """The DLQ's URL from its ARN: same endpoint and account path as the source queue.

        SQS URLs are ``<endpoint>/<account>/<name>``; the ARN carries the account, so this holds
        for same-region DLQs (the only kind SQS allows).
        """
        parts = dlq_arn.split(":")
        account, name = parts[4], parts[5]
        base = source_url.rstrip("/").rsplit("/", 2)[0]
        return f"{base}/{account}/{name}"

    # -- discovery -----------------------------------------------------------------------------

    async def _discover(self, now: float) -> None:
        if self._discovered_at is not None and now - self._discovered_at < REDISCOVER_S:
            return
        if self.settings.queues:
            watched = await asyncio.gather(*(self._resolve(q.name) for q in self.settings.queues))
            self._watched = list(watched)
        else:
            sqs = await self.clients.sqs()
            urls: list[str] = []
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"MaxResults": 1000}
                if token:
                    kwargs["NextToken"] = token
                resp = await asyncio.wait_for(
                    sqs.list_queues(**kwargs), timeout=self.request_timeout
                )
                urls.extend(resp.get("QueueUrls", []))
                token = resp.get("NextToken")
                if not token:
                    break
            self._watched = [_Watched(queue_name_from_url(u), u) for u in sorted(urls)]
        self._discovered_at = now
        keep = {w.url for w in self._watched if w.url} | set(self._dlq_urls.values())
        self.history.forget(keep | {w.name for w in self._watched})

    async def _resolve(self, name_or_url: str) -> _Watched:
        if name_or_url.startswith(("http://", "https://")):
            return _Watched(queue_name_from_url(name_or_url), name_or_url)
        sqs = await self.clients.sqs()
        try:
            resp = await asyncio.wait_for(
                sqs.get_queue_url(QueueName=name_or_url), timeout=self.request_timeout
            )
        except Exception as exc:
            if is_connection_error(exc):
                raise
            return _Watched(name_or_url, None, describe_error(exc))
        return _Watched(name_or_url, resp["QueueUrl"])

    # -- CloudWatch ----------------------------------------------------------------------------

    def _start_metrics(self, now: float) -> None:
        due = self._metrics_at is None or now - self._metrics_at >= self.settings.metrics_interval
        if not due or (self._metrics_task is not None and not self._metrics_task.done()):
            return
        names = sorted(
            {w.name for w in self._watched if w.url}
            | {queue_name_from_arn(arn) for arn in self._dlq_urls}
        )
        if names:
            self._metrics_task = asyncio.create_task(self._read_ages(names, now))

    async def _read_ages(self, names: list[str], now: float) -> None:
        try:
            cloudwatch = await self.clients.cloudwatch()
            # Minute-aligned bounds: CloudWatch aligns its 1-minute buckets to StartTime.
            end = datetime.fromtimestamp((now // 60 + 1) * 60, UTC)
            ages: dict[str, tuple[float, datetime]] = {}
            counts: dict[str, CountsPeriod] = {}
            metrics = [("a", AGE_METRIC, "Maximum")]
            if self.settings.forecast.counts:
                metrics += [(prefix, metric, "Sum") for prefix, metric in COUNT_METRICS]
            per_call = METRIC_QUERIES_PER_CALL // len(metrics)
            for start in range(0, len(names), per_call):
                chunk = names[start : start + per_call]
                queries = [
                    {
                        "Id": f"{prefix}{i}",
                        "Label": name,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/SQS",
                                "MetricName": metric,
                                "Dimensions": [{"Name": "QueueName", "Value": name}],
                            },
                            "Period": 60,
                            "Stat": stat,
                        },
                        "ReturnData": True,
                    }
                    for i, name in enumerate(chunk)
                    for prefix, metric, stat in metrics
                ]
                found = await self._metric_pages(cloudwatch, queries, chunk, end)
                ages.update(
                    {n: (p[-1][1], p[-1][0]) for (prefix, n), p in found.items() if prefix == "a"}
                )
                counts.update(_counts_from(found, now))
            self._ages = ages
            self._counts = counts
            self._metrics_error = None
        except Exception as exc:
            self._metrics_error = describe_error(exc)
        finally:
            self._metrics_at = now

    async def _metric_pages(
        self, cloudwatch: Any, queries: list[dict[str, Any]], names: list[str], end: datetime
    ) -> dict[tuple[str, str], list[tuple[datetime, float]]]:
        """``(query id prefix, queue name) -> datapoints`` oldest first, across result pages."""
        found: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": end - METRIC_LOOKBACK,
                "EndTime": end,
                "ScanBy": "TimestampDescending",
            }
            if token:
                kwargs["NextToken"] = token
            resp = await asyncio.wait_for(
                cloudwatch.get_metric_data(**kwargs), timeout=self.request_timeout
            )
            for result in resp.get("MetricDataResults", []):
                qid = result.get("Id", "")
                prefix, index = qid[:1], qid[1:]
                if not index.isdigit() or int(index) >= len(names):
                    continue
                points = [
                    (ts, float(v))
                    for ts, v in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    )
                ]
                if points:
                    key = (prefix, names[int(index)])
                    found[key] = sorted([*found.get(key, []), *points], key=lambda p: p[0])
            token = resp.get("NextToken")
            if not token:
                return found

    # -- snapshots -----------------------------------------------------------------------------

    def _status(self, name: str, url: str | None, now: float, *, error: str | None) -> QueueStatus:
        read = self._reads.get(url) if url else None
        age_s, age_at = oldest_age(
            self._ages.get(name),
            (read.visible, read.in_flight, read.delayed) if read else (None, None, None),
            read.at if read else None,
        )
        return QueueStatus(
            name=name,
            url=url,
            visible=read.visible if read else None,
            in_flight=read.in_flight if read else None,
            delayed=read.delayed if read else None,
            oldest_age_s=age_s,
            oldest_age_at=age_at,
            error=error or (self._errors.get(url) if url else None),
            stale=url in self._inflight if url else False,
            updated_at=read.at if read else None,
            fifo=name.endswith(".fifo"),
            thresholds=self.settings.thresholds_for(name),
            retention_s=read.retention_s if read else None,
            counts=self._counts.get(name),
            region=self.clients.region,
            account=account_from_url(url) if url else None,
            read_by="attributes" if read else None,
        )

    def _build_snapshot(self, connection_errors: int) -> MetricsSnapshot:
        now = self.clock()
        dlq_names = {queue_name_from_arn(arn) for arn in self._dlq_urls}
        statuses = []
        for w in self._watched:
            status = self._status(w.name, w.url, now, error=w.error)
            read = self._reads.get(w.url) if w.url else None
            if read and read.dlq_arn:
                dlq_url = self._dlq_urls.get(read.dlq_arn)
                dlq_name = queue_name_from_arn(read.dlq_arn)
                dlq = self._status(dlq_name, dlq_url, now, error=None)
                dlq = replace(dlq, is_dlq=True)
                status = replace(status, dlq_url=dlq_url, dlq=dlq)
            if w.name in dlq_names:
                status = replace(status, is_dlq=True)
            statuses.append(status)

        reachable = [w for w in self._watched if w.url]
        if reachable and connection_errors >= len(reachable):
            self._failures += 1
            connection: ConnectionState = "down"
            error = next(iter(self._errors.values()), "endpoint unreachable")
        else:
            self._failures = 0
            self._last_success = now
            connection = "degraded" if any(s.error or s.stale for s in statuses) else "ok"
            error = None
        return MetricsSnapshot(
            queues=tuple(statuses),
            polled_at=now,
            connection=connection,
            error=error,
            last_success_at=self._last_success,
            metrics_at=self._metrics_at if self._metrics_error is None else None,
            metrics_error=self._metrics_error,
        )

    def _failed_snapshot(self, exc: Exception, now: float) -> MetricsSnapshot:
        self._failures += 1
        previous = self.last.queues if self.last else ()
        message = describe_error(exc)
        queues = tuple(replace(q, error=message, stale=True) for q in previous)
        return MetricsSnapshot(
            queues=queues,
            polled_at=now,
            connection="down",
            error=message,
            last_success_at=self._last_success,
            metrics_at=None,
            metrics_error=self._metrics_error,
        )

    def _record(self, snapshot: MetricsSnapshot) -> MetricsSnapshot:
        self.last = snapshot
        self.history.record(snapshot)
        return snapshot
