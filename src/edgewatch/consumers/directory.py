"""The console's memory of which function consumes which queue, looked up once per queue and
again after ``ttl_s`` (mappings change rarely), shared by the log tail and the queue detail."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from edgewatch.aws import AwsClients
from edgewatch.config import Settings
from edgewatch.consumers.discovery import discover_many, queue_arn
from edgewatch.consumers.models import QueueConsumers
from edgewatch.identifiers import queue_name_from_url

TTL_S = 300.0
MAX_QUEUES = 200  # a fleet beyond this is looked up for the queues on screen only


def configured_groups(settings: Settings, url: str) -> tuple[str, ...] | None:
    """The ``log_groups`` a ``[[queues]]`` entry sets for this queue (by name or URL)."""
    name = queue_name_from_url(url)
    for q in settings.queues:
        same = q.name == url or queue_name_from_url(q.name) == name
        if q.log_groups is not None and same:
            return tuple(dict.fromkeys(q.log_groups))
    return None


class ConsumerDirectory:
    """``refresh(urls)`` looks up what it does not know (or knows for too long); ``get(url)``."""

    def __init__(
        self,
        clients: AwsClients,
        settings: Settings,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.ttl_s = ttl_s
        self.clock = clock
        self._known: dict[str, tuple[float, QueueConsumers]] = {}
        self.lookups = 0

    def get(self, url: str | None) -> QueueConsumers | None:
        found = self._known.get(url) if url else None
        return found[1] if found else None

    def stale(self, urls: Iterable[str]) -> list[str]:
        now = self.clock()
        return [
            u
            for u in dict.fromkeys(urls)
            if u not in self._known or now - self._known[u][0] > self.ttl_s
        ][:MAX_QUEUES]

    async def refresh(self, urls: Iterable[str]) -> dict[str, QueueConsumers]:
        """Look up the stale ones among ``urls``; return what is known for all of them."""
        urls = list(dict.fromkeys(urls))
        todo = self.stale(urls)
        region = self.clients.region
        arns = {u: arn for u in todo if (arn := queue_arn(u, region))}
        if arns:
            self.lookups += 1
            found = await discover_many(self.clients, arns.values())
            now = self.clock()
            for url, arn in arns.items():
                result = found[arn]
                groups = configured_groups(self.settings, url)
                if groups is not None:
                    result = replace(result, configured_groups=groups)
                self._known[url] = (now, result)
        return {u: r for u in urls if (r := self.get(u)) is not None}

    def log_groups(self, urls: Iterable[str] | None = None) -> tuple[str, ...]:
        """Every known consumer log group (of ``urls``, else of every queue looked up)."""
        keys = list(urls) if urls is not None else list(self._known)
        groups: list[str] = []
        for url in keys:
            if (result := self.get(url)) is not None:
                groups += result.log_groups
        return tuple(dict.fromkeys(groups))
