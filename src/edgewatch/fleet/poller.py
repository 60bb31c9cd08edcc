"""The fleet poller: every queue of several regions and accounts, within an API budget.

- **Discovery**: ``ListQueues`` per source (a profile/region/endpoint), 1,000 per page with
  ``MaxResults`` + ``NextToken``, filtered by ``QueueNamePrefix``; again every
  ``discover_interval_s``. Tags (``ListQueueTags``) once per queue when enabled.
- **Cold queues**: CloudWatch ``GetMetricData`` for every queue of a region in batches of ≤500
  queries (visible, in flight, oldest age), every ``fleet.metrics_interval`` (stretched by a
  dollar budget). The row says when its datapoint is from (``read_by="cloudwatch"``).
- **Hot queues**: those on screen (:meth:`focus`) and those in trouble, up to ``hot_max``, are
  read with ``GetQueueAttributes`` at ``poll_interval``, as far as a token bucket sized to the
  calls/minute budget allows; leftover tokens sweep the other queues once for their
  RedrivePolicy (DLQ) and retention. Hot queues also get CloudWatch counts for forecasts.
- Every call is metered: the snapshot carries calls in the last minute and the cost estimate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from edgewatch.aws import AwsClients, describe_error, is_connection_error
from edgewatch.aws.errors import NO_QUEUE_CODES, error_code
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet.cloudwatch import MetricSpec, fetch_metrics
from edgewatch.fleet.cost import CallMeter, CostEstimate, PollPlan, TokenBucket, plan_budget
from edgewatch.forecast.model import CountsPeriod
from edgewatch.identifiers import account_from_url, queue_name_from_url
from edgewatch.metrics.loop import PollLoop
from edgewatch.metrics.models import History, MetricsSnapshot, QueueStatus
from edgewatch.metrics.poller import ATTRIBUTES, COUNT_PERIOD_S

COLD_SPECS = [
    MetricSpec("v", "ApproximateNumberOfMessagesVisible", "Maximum"),
    MetricSpec("n", "ApproximateNumberOfMessagesNotVisible", "Maximum"),
    MetricSpec("a", "ApproximateAgeOfOldestMessage", "Maximum"),
]
COUNT_SPECS = [
    MetricSpec("s", "NumberOfMessagesSent", "Sum"),
    MetricSpec("r", "NumberOfMessagesReceived", "Sum"),
    MetricSpec("d", "NumberOfMessagesDeleted", "Sum"),
]
BURST = 30.0  # tokens: a first screen of hot queues at once
SWEEP_KEEP = BURST / 2  # the sweep never takes the tokens hot queues need
CONCURRENCY = 16
LIST_PAGE = 1000  # ListQueues' maximum page


@dataclass(frozen=True, slots=True)
class FleetQueue:
    url: str
    name: str
    source: int
    region: str
    account: str | None


@dataclass(frozen=True, slots=True)
class _Attrs:
    visible: int
    in_flight: int
    delayed: int
    dlq_arn: str | None
    retention_s: float | None
    at: float


@dataclass(frozen=True, slots=True)
class _Cloud:
    visible: int | None
    in_flight: int | None
    age: tuple[float, datetime] | None
    at: float | None  # the newest datapoint's time


class FleetPoller(PollLoop):
    """Same interface as :class:`~edgewatch.metrics.poller.QueuePoller` (``poll_once``, ``run``,
    ``aclose``), for many queues; ``sources`` pairs each config source with its clients."""

    def __init__(
        self,
        sources: Sequence[tuple[FleetSource, AwsClients]],
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        request_timeout: float = 10.0,
    ) -> None:
        self.sources = list(sources)
        self.settings = settings
        self.fleet = settings.fleet
        super().__init__()
        self.clock = clock
        self.request_timeout = request_timeout
        self.meter = CallMeter(clock=clock)
        self.bucket = TokenBucket(self.fleet.budget_calls_per_min / 60.0, BURST, clock=clock)
        self.last: MetricsSnapshot | None = None
        self.plan = PollPlan(self.fleet.metrics_interval, self.fleet.budget_calls_per_min)
        self._queues: dict[str, FleetQueue] = {}
        self._attrs: dict[str, _Attrs] = {}
        self._cloud: dict[str, _Cloud] = {}
        self._counts: dict[str, CountsPeriod] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._rows: dict[str, tuple[tuple[object, ...], QueueStatus]] = {}
        self._errors: dict[str, str] = {}
        self._source_errors: dict[int, str] = {}
        self._discovered_at: dict[int, float] = {}
        self._cloud_at: dict[int, float] = {}
        self._counts_at: float | None = None
        self._focus: list[str] = []
        self._trouble: list[str] = []
        self._inflight: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.history = History(settings.history)  # sparklines, as the queue poller keeps

    # -- control -------------------------------------------------------------------------------

    def focus(self, urls: Iterable[str]) -> None:
        """The queues on screen: read first, at ``poll_interval``, as the budget allows."""
        self._focus = list(dict.fromkeys(urls))

    def refresh_now(self) -> None:
        self._cloud_at.clear()
        self._discovered_at.clear()
        self._wake.set()

    @property
    def queue_count(self) -> int:
        return len(self._queues)

    def next_wait_s(self) -> float:
        return self.settings.poll_interval

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._inflight.clear()

    # -- one poll ------------------------------------------------------------------------------

    async def poll_once(self) -> MetricsSnapshot:
        now = self.clock()
        await asyncio.gather(*(self._discover(i, now) for i in range(len(self.sources))))
        self.plan = self._plan()
        self.bucket.rate = self.plan.sqs_per_min / 60.0
        await asyncio.gather(*(self._read_cloud(i, now) for i in range(len(self.sources))))
        await self._read_counts(now)
        self._start_reads(now)
        pending = [t for t in self._inflight.values() if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(self.settings.poll_interval, 1.0))
        for key in [k for k, t in self._inflight.items() if t.done()]:
            del self._inflight[key]
        snapshot = self._snapshot(self.clock())
        self.last = snapshot
        self.history.record(snapshot)
        self._trouble = [
            q.url
            for q in sorted(snapshot.queues, key=lambda q: q.level != "crit")
            if q.url and q.level != "ok"
        ]
        return snapshot

    @property
    def _regions_with_queues(self) -> int:
        return len({q.source for q in self._queues.values()})

    def _counts_calls_per_min(self, hot: int) -> float:
        if not self.settings.forecast.counts or not hot:
            return 0.0
        return -(-hot * len(COUNT_SPECS) // 500) * 60.0 / self.settings.metrics_interval

    def _plan(self) -> PollPlan:
        plan = plan_budget(
            queues=len(self._queues),
            metrics_per_queue=len(COLD_SPECS),
            sources=self._regions_with_queues,
            metrics_interval=self.fleet.metrics_interval,
            calls_per_min=self.fleet.budget_calls_per_min,
            usd_per_day=self.fleet.budget_usd_per_day,
        )
        counts = self._counts_calls_per_min(len(self.hot_urls()))
        return PollPlan(plan.cw_interval_s, max(1.0, plan.sqs_per_min - counts))

    def estimate(self) -> CostEstimate:
        """The cost per day at the current settings and fleet size."""
        hot = len(self.hot_urls())
        discover = (
            sum(max(1, -(-self._source_size(i) // 1000)) for i in range(len(self.sources)))
            * 60.0
            / self.fleet.discover_interval_s
        )
        base = self.plan.estimate(
            queues=len(self._queues),
            metrics_per_queue=len(COLD_SPECS),
            sources=self._regions_with_queues,
            hot=hot,
            poll_interval=self.settings.poll_interval,
            discover_per_min=discover,
        )
        counts_metrics = 0.0
        if self.settings.forecast.counts and hot:
            counts_metrics = hot * len(COUNT_SPECS) * 60.0 / self.settings.metrics_interval
        counts_calls = self._counts_calls_per_min(hot)
        return CostEstimate(
            base.sqs_calls_per_min,
            base.cw_calls_per_min + counts_calls,
            base.metrics_per_min + counts_metrics,
        )

    def _source_size(self, index: int) -> int:
        return sum(1 for q in self._queues.values() if q.source == index)

    def hot_urls(self) -> list[str]:
        known = self._queues
        urls = [u for u in self._focus if u in known]
        urls += [u for u in self._trouble if u in known and u not in urls]
        return urls[: self.fleet.hot_max]

    # -- discovery -----------------------------------------------------------------------------

    async def _discover(self, index: int, now: float) -> None:
        last = self._discovered_at.get(index)
        if last is not None and now - last < self.fleet.discover_interval_s:
            return
        source, clients = self.sources[index]
        try:
            sqs = await clients.sqs()
            urls: list[str] = []
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"MaxResults": LIST_PAGE}
                if self.fleet.prefix:
                    kwargs["QueueNamePrefix"] = self.fleet.prefix
                if token:
                    kwargs["NextToken"] = token
                self.meter.record("ListQueues")
                self.bucket.charge(1)
                resp = await asyncio.wait_for(
                    sqs.list_queues(**kwargs), timeout=self.request_timeout
                )
                urls.extend(resp.get("QueueUrls", []))
                token = resp.get("NextToken")
                if not token:
                    break
        except Exception as exc:
            self._source_errors[index] = describe_error(exc)
            self._discovered_at[index] = now  # retried at the next discovery, not every poll
            return
        self._source_errors.pop(index, None)
        self._discovered_at[index] = now
        region = clients.region
        # One endpoint serving two regions (a local stack) can give the same URL twice.
        taken = {u for u, q in self._queues.items() if q.source != index}
        if taken.intersection(urls):
            self._source_errors[index] = (
                f"{len(taken.intersection(urls))} queue URL(s) also seen in another source:"
                " shown once"
            )
            urls = [u for u in urls if u not in taken]
        found = {
            u: FleetQueue(
                u,
                queue_name_from_url(u),
                index,
                region,
                source.label or account_from_url(u),
            )
            for u in urls
        }
        for url in [u for u, q in self._queues.items() if q.source == index and u not in found]:
            self._forget(url)
        self._queues.update(found)

    def _forget(self, url: str) -> None:
        stores = (self._queues, self._attrs, self._cloud, self._counts, self._tags, self._rows)
        for store in stores:
            store.pop(url, None)
        self._errors.pop(url, None)

    # -- CloudWatch ----------------------------------------------------------------------------

    async def _read_cloud(self, index: int, now: float) -> None:
        last = self._cloud_at.get(index)
        if last is not None and now - last < self.plan.cw_interval_s:
            return
        by_name = {q.name: q.url for q in self._queues.values() if q.source == index}
        if not by_name:
            return
        self._cloud_at[index] = now
        names = sorted(by_name)
        self.bucket.charge(-(-len(names) * len(COLD_SPECS) // 500))
        try:
            cloudwatch = await self.sources[index][1].cloudwatch()
            found = await fetch_metrics(
                cloudwatch,
                names,
                COLD_SPECS,
                now=now,
                timeout=self.request_timeout,
                meter=self.meter,
            )
        except Exception as exc:
            self._source_errors[index] = f"CloudWatch: {describe_error(exc)}"
            return
        for name in names:
            v = found.get(("v", name))
            n = found.get(("n", name))
            a = found.get(("a", name))
            stamps = [p[-1][0] for p in (v, n) if p]
            self._cloud[by_name[name]] = _Cloud(
                visible=int(v[-1][1]) if v else None,
                in_flight=int(n[-1][1]) if n else None,
                age=(a[-1][1], a[-1][0]) if a else None,
                # The minute's end, but never later than the read: "as of" for the row.
                at=min(now, max(stamps).timestamp() + COUNT_PERIOD_S) if stamps else None,
            )

    async def _read_counts(self, now: float) -> None:
        """NumberOfMessages* for the hot queues, every ``metrics_interval`` (forecast rates)."""
        if not self.settings.forecast.counts:
            return
        if self._counts_at is not None and now - self._counts_at < self.settings.metrics_interval:
            return
        hot = [self._queues[u] for u in self.hot_urls()]
        if not hot:
            return
        self._counts_at = now
        for index in {q.source for q in hot}:
            names = {q.name: q.url for q in hot if q.source == index}
            try:
                cloudwatch = await self.sources[index][1].cloudwatch()
                found = await fetch_metrics(
                    cloudwatch,
                    sorted(names),
                    COUNT_SPECS,
                    now=now,
                    timeout=self.request_timeout,
                    meter=self.meter,
                )
            except Exception as exc:
                self._source_errors[index] = f"CloudWatch: {describe_error(exc)}"
                continue
            for name, url in names.items():
                series = {s.prefix: dict(found.get((s.prefix, name), [])) for s in COUNT_SPECS}
                stamps = sorted(
                    ts for pts in series.values() for ts in pts if ts.timestamp() + 60 <= now
                )
                if stamps:
                    ts = stamps[-1]
                    self._counts[url] = CountsPeriod(
                        ts.timestamp(),
                        COUNT_PERIOD_S,
                        series["s"].get(ts),
                        series["r"].get(ts),
                        series["d"].get(ts),
                    )

    # -- GetQueueAttributes and tags -----------------------------------------------------------

    def _start_reads(self, now: float) -> None:
        interval = self.settings.poll_interval
        for url in self.hot_urls():
            attrs = self._attrs.get(url)
            if attrs is not None and now - attrs.at < interval:
                continue
            if ("attrs", url) in self._inflight or not self.bucket.take():
                continue
            self._spawn("attrs", url)
        # Leftover budget: learn each queue's DLQ and retention once, and its tags.
        for url in self._queues:
            if len(self._inflight) >= CONCURRENCY:
                break
            unknown = url not in self._attrs and url not in self._errors
            if (
                unknown
                and ("attrs", url) not in self._inflight
                and self.bucket.take(keep=SWEEP_KEEP)
            ):
                self._spawn("attrs", url)
            untagged = self.fleet.tags and url not in self._tags
            if (
                untagged
                and ("tags", url) not in self._inflight
                and self.bucket.take(keep=SWEEP_KEEP)
            ):
                self._spawn("tags", url)

    def _spawn(self, kind: str, url: str) -> None:
        fn = self._read_attrs if kind == "attrs" else self._read_tags
        self._inflight[(kind, url)] = asyncio.create_task(fn(url), name=f"fleet:{kind}:{url}")

    async def _read_attrs(self, url: str) -> None:
        q = self._queues.get(url)
        if q is None:
            return
        sqs = await self.sources[q.source][1].sqs()
        self.meter.record("GetQueueAttributes")
        try:
            resp = await asyncio.wait_for(
                sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES),
                timeout=self.request_timeout,
            )
        except Exception as exc:
            self._errors[url] = describe_error(exc)
            if error_code(exc) in NO_QUEUE_CODES:
                self._attrs.pop(url, None)
            if is_connection_error(exc):
                self._source_errors[q.source] = describe_error(exc)
            return
        self._errors.pop(url, None)
        attrs = resp.get("Attributes", {})
        dlq_arn = None
        if attrs.get("RedrivePolicy"):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                dlq_arn = json.loads(attrs["RedrivePolicy"]).get("deadLetterTargetArn")
        retention = attrs.get("MessageRetentionPeriod")
        self._attrs[url] = _Attrs(
            visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
            dlq_arn=dlq_arn if isinstance(dlq_arn, str) else None,
            retention_s=float(retention) if retention and retention.isdigit() else None,
            at=self.clock(),
        )

    async def _read_tags(self, url: str) -> None:
        q = self._queues.get(url)
        if q is None:
            return
        sqs = await self.sources[q.source][1].sqs()
        self.meter.record("ListQueueTags")
        try:
            resp = await asyncio.wait_for(
                sqs.list_queue_tags(QueueUrl=url), timeout=self.request_timeout
            )
        except Exception:
            self._tags[url] = {}  # not allowed or gone: no tags, not retried every poll
            return
        tags = resp.get("Tags") or {}
        self._tags[url] = {str(k): str(v) for k, v in tags.items()}

    # -- snapshot ------------------------------------------------------------------------------

    def _status(self, q: FleetQueue) -> QueueStatus:
        """The row for ``q``; the same object as last poll when nothing it shows changed, so
        that the console redraws (and recomputes) only the rows that did."""
        attrs = self._attrs.get(q.url)
        cloud = self._cloud.get(q.url)
        inputs = (
            attrs,
            cloud,
            self._counts.get(q.url),
            self._tags.get(q.url),
            self._errors.get(q.url),
            ("attrs", q.url) in self._inflight,
        )
        last = self._rows.get(q.url)
        if last is not None and last[0] == inputs:
            return last[1]
        status = self._build_status(q, attrs, cloud)
        self._rows[q.url] = (inputs, status)
        return status

    def _build_status(
        self, q: FleetQueue, attrs: _Attrs | None, cloud: _Cloud | None
    ) -> QueueStatus:
        use_attrs = attrs is not None and (
            cloud is None or cloud.at is None or attrs.at >= cloud.at
        )
        visible: int | None
        in_flight: int | None
        delayed: int | None
        updated: float | None
        if use_attrs:
            assert attrs is not None
            visible, in_flight, delayed = attrs.visible, attrs.in_flight, attrs.delayed
            updated, read_by = attrs.at, "attributes"
        elif cloud is not None and cloud.visible is not None:
            visible, in_flight, delayed = cloud.visible, cloud.in_flight, None
            updated, read_by = cloud.at, "cloudwatch"
        else:
            visible = in_flight = delayed = None
            updated, read_by = None, None
        age = cloud.age if cloud else None
        return QueueStatus(
            name=q.name,
            url=q.url,
            visible=visible,
            in_flight=in_flight,
            delayed=delayed,
            oldest_age_s=age[0] if age else None,
            oldest_age_at=age[1] if age else None,
            fifo=q.name.endswith(".fifo"),
            error=self._errors.get(q.url),
            stale=("attrs", q.url) in self._inflight,
            updated_at=updated,
            thresholds=self.settings.thresholds_for(q.name),
            retention_s=attrs.retention_s if attrs else None,
            counts=self._counts.get(q.url),
            region=q.region,
            account=q.account,
            tags=self._tags.get(q.url, {}),
            read_by=read_by,  # type: ignore[arg-type]
        )

    def _snapshot(self, now: float) -> MetricsSnapshot:
        ordered = sorted(self._queues.values(), key=lambda q: (q.account or "", q.region, q.name))
        # A DLQ is in the same region and account as its source: look it up by ARN parts.
        by_place = {(q.source, account_from_url(q.url) or "", q.name): q.url for q in ordered}
        statuses: dict[str, QueueStatus] = {q.url: self._status(q) for q in ordered}
        dlq_of: dict[str, str] = {}
        for q in ordered:
            attrs = self._attrs.get(q.url)
            parts = attrs.dlq_arn.split(":") if attrs and attrs.dlq_arn else []
            if len(parts) == 6:
                dlq_url = by_place.get((q.source, parts[4], parts[5]))
                if dlq_url:
                    dlq_of[q.url] = dlq_url
        dlqs = set(dlq_of.values())
        out = []
        for q in ordered:
            status = statuses[q.url]
            if q.url in dlqs:
                status = replace(status, is_dlq=True)
            if q.url in dlq_of:
                dlq = replace(statuses[dlq_of[q.url]], is_dlq=True)
                status = replace(status, dlq_url=dlq.url, dlq=dlq)
            out.append(status)
        down = len(self._source_errors) == len(self.sources) and not any(s.updated_at for s in out)
        errors = sorted(set(self._source_errors.values()))
        degraded = bool(errors) or any(s.error for s in out)
        return MetricsSnapshot(
            queues=tuple(out),
            polled_at=now,
            connection="down" if down else ("degraded" if degraded else "ok"),
            error="; ".join(errors) if errors else None,
            last_success_at=now if not down else None,
            metrics_at=max(self._cloud_at.values(), default=None),
            cost=self.estimate(),
            calls_last_min=self.meter.calls_last_min(),
        )
