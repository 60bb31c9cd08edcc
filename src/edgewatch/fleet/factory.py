"""One place that picks the poller: a fleet (``[fleet] sources``) or the configured queues."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from edgewatch.aws import AwsClients
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet.poller import FleetPoller
from edgewatch.metrics.poller import QueuePoller


class Connected(Protocol):
    """What a poller needs of the running context (a :class:`~edgewatch.runtime.Runtime`)."""

    settings: Settings

    @property
    def clients(self) -> AwsClients: ...

    def clients_for(self, source: FleetSource) -> AwsClients: ...


def make_poller(
    runtime: Connected, *, clock: Callable[[], float] = time.time
) -> QueuePoller | FleetPoller:
    sources = runtime.settings.fleet.sources
    if not sources:
        return QueuePoller(runtime.clients, runtime.settings, clock=clock)
    pairs = [(s, runtime.clients_for(s)) for s in sources]
    return FleetPoller(pairs, runtime.settings, clock=clock)
