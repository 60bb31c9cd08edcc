"""Which queues' consumers to look up: the embedded stack's, the configured ones, or all."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edgewatch.runtime import Runtime

LIST_LIMIT = 1000


async def watched_queue_urls(runtime: Runtime) -> list[str]:
    """The source queues on the embedded stack; else ``queues`` from the config (names resolved
    with GetQueueUrl, unresolvable ones left out); else every queue ``ListQueues`` returns."""
    if runtime.stack is not None:
        return [q.url for q in runtime.stack.resources.sources]
    sqs = await runtime.clients.sqs()
    configured = runtime.settings.queues
    if configured:

        async def url_of(name: str) -> str | None:
            if name.startswith(("http://", "https://")):
                return name
            try:
                return str((await sqs.get_queue_url(QueueName=name))["QueueUrl"])
            except Exception:
                return None  # the dashboard says why; discovery just has nothing to look up

        found = await asyncio.gather(*(url_of(q.name) for q in configured))
        return [u for u in found if u]
    page = await sqs.list_queues(MaxResults=LIST_LIMIT)
    return list(page.get("QueueUrls") or [])
