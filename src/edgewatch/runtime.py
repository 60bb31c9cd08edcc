"""What a running edgewatch is connected to: settings, AWS target, clients, embedded stack.

The CLI builds one :class:`Runtime` and hands it to a subcommand or to the TUI, so both use the
same engines against the same endpoint. Its two lifetimes are two context managers: ``with
Runtime.started(...)`` holds the embedded stack (threads, stopped outside any event loop), and
``async with runtime`` holds the AWS clients (closed on the loop that used them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import ConfigSource, Settings

EMBEDDED_METRICS_S = 5.0

if TYPE_CHECKING:
    from edgewatch.consumers import ConsumerDirectory
    from edgewatch.simulator.stack import EmbeddedStack


@dataclass
class Runtime:
    settings: Settings
    target: AwsTarget
    config_source: ConfigSource = field(default_factory=lambda: ConfigSource(None, "none"))
    stack: EmbeddedStack | None = None
    _clients: AwsClients | None = field(default=None, repr=False)
    _consumers: ConsumerDirectory | None = field(default=None, repr=False)

    @property
    def embedded(self) -> bool:
        """Running on the embedded local stack (simulated data)."""
        return self.stack is not None

    @property
    def clients(self) -> AwsClients:
        """Created lazily so that it binds to the event loop that first uses it."""
        if self._clients is None:
            self._clients = AwsClients(self.target)
        return self._clients

    @property
    def consumers(self) -> ConsumerDirectory:
        """Which functions consume which queue (looked up on demand, kept for a while)."""
        if self._consumers is None:
            from edgewatch.consumers import ConsumerDirectory

            self._consumers = ConsumerDirectory(self.clients, self.settings)
        return self._consumers

    @property
    def endpoint_label(self) -> str:
        return self.target.endpoint_url or "AWS (default endpoint)"

    @property
    def region(self) -> str:
        return self.clients.region

    @classmethod
    def start(
        cls,
        settings: Settings,
        config_source: ConfigSource,
        *,
        embedded: bool,
        seed: int | None = None,
    ) -> Runtime:
        """Connect to the configured AWS, or start the embedded stack first when ``embedded``.

        Raises :class:`~edgewatch.config.ConfigError` for a configuration that will certainly
        fail (a missing profile, a queue URL of another region): exit 2, not a retry loop.
        """
        if not embedded:
            from edgewatch.aws import preflight

            preflight.check(settings)
            return cls(settings, AwsTarget.from_settings(settings.aws), config_source)
        from edgewatch.simulator.stack import EmbeddedStack

        stack = EmbeddedStack(seed=seed)
        stack.start()
        # The stack publishes AWS/SQS ages every few seconds and reads cost nothing locally.
        local = settings.model_copy(
            update={"metrics_interval": min(settings.metrics_interval, EMBEDDED_METRICS_S)}
        )
        return cls(local, stack.target, config_source, stack=stack)

    @classmethod
    @contextmanager
    def started(
        cls,
        settings: Settings,
        config_source: ConfigSource,
        *,
        embedded: bool,
        seed: int | None = None,
    ) -> Iterator[Runtime]:
        """:meth:`start`, and the embedded stack stopped however the block ends."""
        runtime = cls.start(settings, config_source, embedded=embedded, seed=seed)
        try:
            yield runtime
        finally:
            runtime.stop_stack()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close AWS clients (call from the loop that used them)."""
        if self._clients is not None:
            await self._clients.aclose()
            self._clients = None
            self._consumers = None

    def stop_stack(self) -> None:
        if self.stack is not None:
            self.stack.stop()
