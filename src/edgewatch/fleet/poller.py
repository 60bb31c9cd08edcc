"""The fleet poller: every queue of several regions and accounts, within an API budget.

- **Discovery**: ``ListQueues`` per source (a profile/region/endpoint), 1,000 per page with
  ``MaxResults`` + ``NextToken``, filtered by ``QueueNamePrefix``; again every
  ``discover_interval_s``. Tags (``ListQueueTags``) once per queue when enabled.
- **Cold queues**: CloudWatch ``GetMetricData`` for every queue of a region in batches of ≤500
  queries, every ``fleet.metrics_interval`` (300 s by default; stretched by a dollar budget).
  Only what the trouble score and forecasts need: visible and oldest age. CloudWatch bills per
  metric requested, not per datapoint, so each read takes *every* 1-minute datapoint since the
  previous one: the forecasts get minute history at a fifth of the cost of reading each minute.
  The row says when its newest datapoint is from (``read_by="cloudwatch"``).
- **Hot queues**: those on screen (:meth:`focus`) and those in trouble, up to ``hot_max``, are
  read with ``GetQueueAttributes`` at ``poll_interval``, as far as the budget allows: when it
  affords fewer reads than they ask for, the stalest go first (round-robin) and each row's
  freshness shows its age. A share of the budget sweeps the other queues once for their
  RedrivePolicy (DLQ) and retention, and their tags. Hot queues also get CloudWatch counts
  (sent, received, deleted), read with the cold read.
- **One budget** (:class:`~edgewatch.fleet.cost.CallBudget`): every call comes out of
  ``budget_calls_per_min``, held over any 60 s window; scheduled reads (``ListQueues``,
  ``GetMetricData``) are reserved first, ``GetQueueAttributes`` and ``ListQueueTags`` get the
  rest. The snapshot carries the calls of the last minute and the cost estimate.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from edgewatch.aws import AwsClients, describe_error, is_connection_error
from edgewatch.aws.errors import NO_QUEUE_CODES, error_code
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet.cloudwatch import MetricSpec, fetch_metrics
from edgewatch.fleet.cost import (
    CallBudget,
    CallMeter,
    CostEstimate,
    PollPlan,
    charged_per_window,
    cloudwatch_calls,
    plan_budget,
)
from edgewatch.fleet.view import trouble_score
from edgewatch.forecast.model import CountsPeriod, Forecast, MinutePoint
from edgewatch.identifiers import account_from_url, queue_name_from_url
from edgewatch.metrics.loop import PollLoop
from edgewatch.metrics.models import History, MetricsSnapshot, QueueStatus, oldest_age
from edgewatch.metrics.poller import ATTRIBUTES, COUNT_PERIOD_S

COLD_SPECS = [  # depth and age: thresholds, loss ETA, trend and "the oldest only ages"
    MetricSpec("v", "ApproximateNumberOfMessagesVisible", "Maximum"),
    MetricSpec("a", "ApproximateAgeOfOldestMessage", "Maximum"),
]
COUNT_SPECS = [
    MetricSpec("s", "NumberOfMessagesSent", "Sum"),
    MetricSpec("r", "NumberOfMessagesReceived", "Sum"),
    MetricSpec("d", "NumberOfMessagesDeleted", "Sum"),
]
BURST = 60.0  # tokens: a first full screen of hot queues at once
SWEEP_KEEP = 2.0  # with hot reads all fresh, the sweep still leaves this for the next ones
SWEEP_SHARE = 0.25  # of the optional calls while hot reads want more than the budget gives
CONCURRENCY = 16
LIST_PAGE = 1000  # ListQueues' maximum page
RETRY_S = 1.0  # a failed discovery is tried again this soon (at the next poll)


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
    age: tuple[float, datetime] | None
    at: float | None  # the newest datapoint's time
    minutes: tuple[MinutePoint, ...] = ()  # every minute of the read, oldest first


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
        self.budget = CallBudget(self.fleet.budget_calls_per_min, first=BURST, clock=clock)
        self._sweep_credit = 1.0
        self.last: MetricsSnapshot | None = None
        self.plan = PollPlan(self.fleet.metrics_interval, self.fleet.budget_calls_per_min)
        self._queues: dict[str, FleetQueue] = {}
        self._attrs: dict[str, _Attrs] = {}
        self._cloud: dict[str, _Cloud] = {}
        self._counts: dict[str, tuple[CountsPeriod, ...]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._rows: dict[str, tuple[tuple[object, ...], QueueStatus]] = {}
        self._errors: dict[str, str] = {}
        self._source_errors: dict[int, str] = {}
        self._discover_due: dict[int, float] = {}  # next ListQueues of each source
        self._discover_failures: dict[int, int] = {}
        self._cloud_at: dict[int, float] = {}
        self._focus: list[str] = []
        self._trouble: list[str] = []
        self._ranked = False
        self._counts_tried: dict[str, float] = {}
        self._sweep_cache: tuple[tuple[float | None, int], list[str]] | None = None
        self._inflight: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.history = History(settings.history)  # sparklines, as the queue poller keeps

    # -- control -------------------------------------------------------------------------------

    def focus(self, urls: Iterable[str]) -> None:
        """The queues on screen: read first, at ``poll_interval``, as the budget allows."""
        self._focus = list(dict.fromkeys(urls))

    def refresh_now(self) -> None:
        self._cloud_at.clear()
        self._discover_due.clear()
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
        self.budget.set_reserve(self._reserve())
        # Counts for rows that just came on screen, then the on-screen rows' reads: both before
        # the (slower) CloudWatch batches.
        await self._top_up_counts(now)
        self._start_reads(now)
        await asyncio.gather(*(self._read_cloud(i, now) for i in range(len(self.sources))))
        # Wait (bounded) for the rows on screen, not for the sweep: a first screen must not
        # wait for queues nobody looks at.
        hot = set(self.hot_urls())
        pending = [t for (kind, url), t in self._inflight.items() if url in hot and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(self.settings.poll_interval, 1.0))
        for key in [k for k, t in self._inflight.items() if t.done()]:
            del self._inflight[key]
        snapshot = self._snapshot(self.clock())
        self.last = snapshot
        self.history.record(snapshot)
        if not self._ranked:  # until forecasts rank them (:meth:`rank`): thresholds alone
            self._trouble = [
                q.url
                for q in sorted(snapshot.queues, key=lambda q: q.level != "crit")
                if q.url and q.level != "ok"
            ]
        return snapshot

    def rank(self, forecasts: Mapping[str, Forecast]) -> None:
        """Queues in trouble by the score the console sorts by (thresholds and forecasts), the
        worst first: after the rows on screen, these are read by attributes."""
        if self.last is None:
            return
        self._ranked = True
        scored = [(trouble_score(q, forecasts.get(q.url or q.name)), q) for q in self.last.queues]
        self._trouble = [
            q.url for score, q in sorted(scored, key=lambda p: -p[0]) if score > 0 and q.url
        ]

    @property
    def _regions_with_queues(self) -> int:
        return len({q.source for q in self._queues.values()})

    def _counts_calls_per_read(self) -> int:
        if not self.settings.forecast.counts:
            return 0
        hot = [self._queues[u].source for u in self.hot_urls()]
        return sum(cloudwatch_calls(hot.count(i), len(COUNT_SPECS)) for i in set(hot))

    def _cold_calls_per_read(self) -> int:
        return sum(
            cloudwatch_calls(self._source_size(i), len(COLD_SPECS))
            for i in range(len(self.sources))
        )

    def _list_pages(self) -> int:
        return sum(max(1, -(-self._source_size(i) // LIST_PAGE)) for i in range(len(self.sources)))

    def _reserve(self) -> float:
        """Scheduled calls any 60 s may hold (see :func:`charged_per_window`); the optional
        calls always keep at least one a minute, so an on-screen row is never frozen."""
        charged = charged_per_window(
            cw_calls_per_read=self._cold_calls_per_read() + self._counts_calls_per_read(),
            cw_interval_s=self.plan.cw_interval_s,
            list_pages=self._list_pages(),
            discover_interval_s=self.fleet.discover_interval_s,
        )
        return float(min(charged, max(0.0, self.fleet.budget_calls_per_min - 1)))

    def _plan(self) -> PollPlan:
        plan = plan_budget(
            queues=len(self._queues),
            metrics_per_queue=len(COLD_SPECS),
            sources=self._regions_with_queues,
            metrics_interval=self.fleet.metrics_interval,
            calls_per_min=self.fleet.budget_calls_per_min,
            usd_per_day=self.fleet.budget_usd_per_day,
        )
        counts = self._counts_calls_per_read() * 60.0 / plan.cw_interval_s
        return PollPlan(plan.cw_interval_s, max(1.0, plan.sqs_per_min - counts))

    def refresh_cycle_s(self) -> float | None:
        """How often each hot row is read at the current budget: ``poll_interval`` when it
        affords them all, else the round-robin's cycle."""
        hot = len(self.hot_urls())
        if not hot:
            return None
        per_min = self.budget.optional_per_min
        if self._unswept():
            per_min *= 1.0 - SWEEP_SHARE
        if per_min <= 0:
            return None
        return max(self.settings.poll_interval, hot * 60.0 / per_min)

    def estimate(self, hot: int | None = None) -> CostEstimate:
        """The cost per day at the current settings and fleet size, with ``hot`` queues read
        by attributes (default: those hot now; ``status --cost`` asks for a full screen)."""
        hot = len(self.hot_urls()) if hot is None else min(hot, len(self._queues))
        interval = self.plan.cw_interval_s
        discover = self._list_pages() * 60.0 / self.fleet.discover_interval_s
        optional = max(0.0, self.fleet.budget_calls_per_min - self._reserve())
        reads = min(hot * 60.0 / self.settings.poll_interval, optional)
        counts = self.settings.forecast.counts and hot > 0
        cw_per_read = self._cold_calls_per_read()
        metrics_per_read = len(self._queues) * len(COLD_SPECS)
        if counts:
            cw_per_read += cloudwatch_calls(hot, len(COUNT_SPECS), self._regions_with_queues)
            metrics_per_read += hot * len(COUNT_SPECS)
        return CostEstimate(
            reads + discover,
            cw_per_read * 60.0 / interval,
            metrics_per_read * 60.0 / interval,
        )

    def _source_size(self, index: int) -> int:
        return sum(1 for q in self._queues.values() if q.source == index)

    def hot_urls(self) -> list[str]:
        """On-screen rows, then those in trouble (worst first), up to ``hot_max``."""
        known, cap = self._queues, self.fleet.hot_max
        urls: list[str] = []
        seen: set[str] = set()
        for url in itertools.chain(self._focus, self._trouble):
            if len(urls) >= cap:
                break
            if url in known and url not in seen:
                seen.add(url)
                urls.append(url)
        return urls

    # -- discovery -----------------------------------------------------------------------------

    async def _discover(self, index: int, now: float) -> None:
        due = self._discover_due.get(index)
        if due is not None and now < due:
            return
        if self._discover_failures.get(index) and not self.budget.ask():
            return  # a retry is not scheduled: it comes out of the budget like any read
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
                resp = await asyncio.wait_for(
                    sqs.list_queues(**kwargs), timeout=self.request_timeout
                )
                urls.extend(resp.get("QueueUrls", []))
                token = resp.get("NextToken")
                if not token:
                    break
        except Exception as exc:
            self._source_errors[index] = describe_error(exc)
            # Retried soon, not at the next discovery: an endpoint that comes up after the
            # console shows its fleet within seconds (each retry is asked of the budget).
            self._discover_failures[index] = self._discover_failures.get(index, 0) + 1
            self._discover_due[index] = now + min(self.fleet.discover_interval_s, RETRY_S)
            return
        self._source_errors.pop(index, None)
        self._discover_failures.pop(index, None)
        self._discover_due[index] = now + self.fleet.discover_interval_s
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
        stores = (
            self._queues,
            self._attrs,
            self._cloud,
            self._counts,
            self._counts_tried,
            self._tags,
            self._rows,
        )
        for store in stores:
            store.pop(url, None)
        self._errors.pop(url, None)

    # -- CloudWatch ----------------------------------------------------------------------------

    async def _read_cloud(self, index: int, now: float) -> None:
        """Every queue of a source: depth and age, and the hot ones' counts, each minute since
        the last read (one metric, many datapoints: billed once)."""
        last = self._cloud_at.get(index)
        if last is not None and now - last < self.plan.cw_interval_s:
            return
        by_name = {q.name: q.url for q in self._queues.values() if q.source == index}
        if not by_name:
            return
        self._cloud_at[index] = now
        names = sorted(by_name)
        hot = sorted(
            q.name
            for q in (self._queues[u] for u in self.hot_urls())
            if q.source == index and self.settings.forecast.counts
        )
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
            counted = await fetch_metrics(
                cloudwatch,
                hot,
                COUNT_SPECS,
                now=now,
                timeout=self.request_timeout,
                meter=self.meter,
            )
        except Exception as exc:
            self._source_errors[index] = f"CloudWatch: {describe_error(exc)}"
            # Again in a minute, not a whole interval: the rows would have no numbers till then.
            self._cloud_at[index] = (
                now - self.plan.cw_interval_s + min(60.0, self.plan.cw_interval_s)
            )
            return
        for name in names:
            self._cloud[by_name[name]] = _cloud_of(
                found.get(("v", name)), found.get(("a", name)), now
            )
        for name in hot:
            self._counts_tried[by_name[name]] = now
            periods = _periods_of(counted, name, now)
            if periods:
                self._counts[by_name[name]] = periods

    async def _top_up_counts(self, now: float) -> None:
        """Counts for rows that just became hot (scrolled onto the screen, fell into trouble),
        without waiting for the next scheduled read: optional calls, asked of the budget."""
        if not self.settings.forecast.counts:
            return
        interval = self.plan.cw_interval_s
        missing = [
            self._queues[u]
            for u in self.hot_urls()
            if u not in self._counts and now - self._counts_tried.get(u, -interval) >= interval
        ]
        for index in sorted({q.source for q in missing}):
            names = {q.name: q.url for q in missing if q.source == index}
            calls = cloudwatch_calls(len(names), len(COUNT_SPECS))
            if not all(self.budget.ask() for _ in range(calls)):
                return
            for url in names.values():
                self._counts_tried[url] = now
            try:
                cloudwatch = await self.sources[index][1].cloudwatch()
                counted = await fetch_metrics(
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
                periods = _periods_of(counted, name, now)
                if periods:
                    self._counts[url] = periods

    # -- GetQueueAttributes and tags -----------------------------------------------------------

    def _unswept(self) -> bool:
        """Queues whose RedrivePolicy/retention (or tags) were never read."""
        return any(
            (url not in self._attrs and url not in self._errors)
            or (self.fleet.tags and url not in self._tags)
            for url in self._queues
        )

    def _sweep_order(self) -> list[str]:
        """Queues holding messages first, the oldest first: their retention is what turns an
        age into a loss ETA. Recomputed at each CloudWatch read, not each poll."""
        stamp = max(self._cloud_at.values(), default=None)
        if self._sweep_cache is None or self._sweep_cache[0] != (stamp, len(self._queues)):

            def key(url: str) -> tuple[float, float]:
                cloud = self._cloud.get(url)
                age = cloud.age[0] if cloud and cloud.age else 0.0
                return (-(1.0 if cloud and cloud.visible else 0.0), -age)

            self._sweep_cache = ((stamp, len(self._queues)), sorted(self._queues, key=key))
        return self._sweep_cache[1]

    def _sweep_one(self, *, keep: float) -> bool:
        """Start one sweep read (a queue's attributes once, then its tags); False: none left
        or no budget."""
        hot = set(self.hot_urls())
        for url in self._sweep_order():
            if url in hot:  # read anyway, and sooner
                continue
            for kind in ("attrs", "tags"):
                if kind == "attrs":
                    needed = url not in self._attrs and url not in self._errors
                else:
                    needed = self.fleet.tags and url not in self._tags
                if not needed or (kind, url) in self._inflight:
                    continue
                if not self.budget.ask(keep=keep):
                    return False
                self._spawn(kind, url)
                return True
        return False

    def _start_reads(self, now: float) -> None:
        """Hot queues by ``GetQueueAttributes``, stalest first (round-robin when the budget
        affords fewer reads than rows); a share of the budget sweeps the rest."""
        interval = self.settings.poll_interval
        hot = self.hot_urls()
        order = {url: i for i, url in enumerate(hot)}
        due = [
            url
            for url in hot
            if ("attrs", url) not in self._inflight
            and (url not in self._attrs or now - self._attrs[url].at >= interval)
        ]
        due.sort(key=lambda u: (self._attrs[u].at if u in self._attrs else -1.0, order[u]))
        unswept = self._unswept()
        if unswept and due and self._sweep_credit >= 1.0 and self._sweep_one(keep=0.0):
            self._sweep_credit -= 1.0
        started = 0
        for url in due:
            if len(self._inflight) >= CONCURRENCY * 4 or not self.budget.ask():
                break
            self._spawn("attrs", url)
            started += 1
        self._sweep_credit = min(
            2.0, self._sweep_credit + started * SWEEP_SHARE / (1.0 - SWEEP_SHARE)
        )
        if started < len(due) or not unswept:
            return
        # Hot rows all served: leftover budget sweeps, leaving a little for the next ones.
        while len(self._inflight) < CONCURRENCY and self._sweep_one(keep=SWEEP_KEEP):
            pass

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
            visible, in_flight, delayed = cloud.visible, None, None
            updated, read_by = cloud.at, "cloudwatch"
        else:
            visible = in_flight = delayed = None
            updated, read_by = None, None
        age_s, age_at = oldest_age(
            cloud.age if cloud else None,
            (visible, in_flight, delayed),
            updated if read_by == "attributes" else None,
        )
        periods = self._counts.get(q.url, ())
        return QueueStatus(
            name=q.name,
            url=q.url,
            visible=visible,
            in_flight=in_flight,
            delayed=delayed,
            oldest_age_s=age_s,
            oldest_age_at=age_at,
            fifo=q.name.endswith(".fifo"),
            error=self._errors.get(q.url),
            stale=("attrs", q.url) in self._inflight,
            updated_at=updated,
            thresholds=self.settings.thresholds_for(q.name),
            retention_s=attrs.retention_s if attrs else None,
            counts=periods[-1] if periods else None,
            periods=periods,
            minutes=cloud.minutes if cloud else (),
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
            refresh_s=self.refresh_cycle_s(),
        )


def _cloud_of(
    visible: list[tuple[datetime, float]] | None,
    age: list[tuple[datetime, float]] | None,
    now: float,
) -> _Cloud:
    """A queue's CloudWatch read: the newest values and every minute of the read."""
    depth = {ts: int(v) for ts, v in visible or ()}
    ages = dict(age or ())
    minutes = tuple(
        MinutePoint(ts.timestamp(), depth.get(ts), ages.get(ts))
        for ts in sorted(set(depth) | set(ages))
    )
    stamps = [visible[-1][0]] if visible else []
    return _Cloud(
        visible=int(visible[-1][1]) if visible else None,
        age=(age[-1][1], age[-1][0]) if age else None,
        # The minute's end, but never later than the read: "as of" for the row.
        at=min(now, max(stamps).timestamp() + COUNT_PERIOD_S) if stamps else None,
        minutes=minutes,
    )


def _periods_of(
    found: dict[tuple[str, str], list[tuple[datetime, float]]], name: str, now: float
) -> tuple[CountsPeriod, ...]:
    """The complete minutes of NumberOfMessagesSent/Received/Deleted, oldest first."""
    series = {s.prefix: dict(found.get((s.prefix, name), [])) for s in COUNT_SPECS}
    stamps = sorted(
        {ts for pts in series.values() for ts in pts if ts.timestamp() + COUNT_PERIOD_S <= now}
    )
    return tuple(
        CountsPeriod(
            ts.timestamp(),
            COUNT_PERIOD_S,
            series["s"].get(ts),
            series["r"].get(ts),
            series["d"].get(ts),
        )
        for ts in stamps
    )
