"""One factory for long-lived aiobotocore clients, shared by the poller, log tail and replay.

Clients are created lazily, once per service, and closed together. Against a loopback endpoint
(the embedded stack, LocalStack) botocore's retries are turned off: moto answers unsupported
calls with HTTP 500, and five retries would freeze a screen for ~5 s for nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.loaders import Loader, create_loader

from edgewatch.config import AwsSettings
from edgewatch.identifiers import DEFAULT_REGION

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass(frozen=True)
class AwsTarget:
    """Where requests go. ``credentials`` is only for the embedded stack's fixed fake keys."""

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    credentials: tuple[str, str] | None = None

    @classmethod
    def from_settings(cls, aws: AwsSettings) -> AwsTarget:
        return cls(region=aws.region, endpoint_url=aws.endpoint_url, profile=aws.profile)

    @property
    def is_local(self) -> bool:
        if not self.endpoint_url:
            return False
        host = urlsplit(self.endpoint_url).hostname or ""
        return host in LOOPBACK_HOSTS or host.startswith("127.")


_loader: Loader | None = None
_loader_lock = threading.Lock()


def _shared_loader() -> Loader:
    """One botocore model loader per process: every session (the embedded stack's, the
    console's, a replay's) parses the service JSON once, not once per session (~0.1 s each)."""
    global _loader
    with _loader_lock:
        if _loader is None:
            _loader = create_loader()
        return _loader


class AwsClients:
    """Lazily created, cached aiobotocore clients for one target; ``aclose()`` closes them all."""

    def __init__(
        self,
        target: AwsTarget,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
        max_attempts: int | None = None,
    ) -> None:
        self.target = target
        attempts = max_attempts if max_attempts is not None else (1 if target.is_local else 3)
        self._config = AioConfig(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": attempts, "mode": "standard"},
            max_pool_connections=50,
        )
        self._session: AioSession | None = None
        self._stack = contextlib.AsyncExitStack()
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def session(self) -> AioSession:
        if self._session is None:
            session = AioSession(profile=self.target.profile)
            if session.get_config_variable("data_path") is None:  # no custom botocore models
                session.register_component("data_loader", _shared_loader())
            self._session = session
        return self._session

    @property
    def region(self) -> str:
        """The region in use: configured, else the AWS chain's (profile, env), else us-east-1."""
        if self.target.region:
            return self.target.region
        try:
            return self.session.get_config_variable("region") or DEFAULT_REGION
        except Exception:  # a missing profile surfaces later, at client creation, with a message
            return DEFAULT_REGION

    async def client(self, service: str) -> Any:
        """The shared client for ``service`` (``sqs``, ``cloudwatch``, ``logs``)."""
        if self._closed:
            raise RuntimeError("AWS clients are closed")
        if service in self._clients:
            return self._clients[service]
        async with self._lock:
            if service not in self._clients:
                kwargs: dict[str, Any] = {
                    "region_name": self.region,
                    "endpoint_url": self.target.endpoint_url,
                    "config": self._config,
                }
                if self.target.endpoint_url and self.target.endpoint_url.startswith("http://"):
                    # No TLS to verify: skip loading the CA bundle (~30 ms per client).
                    kwargs["verify"] = False
                if self.target.credentials is not None:
                    kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"] = (
                        self.target.credentials
                    )
                creator = self.session.create_client(service, **kwargs)
                self._clients[service] = await self._stack.enter_async_context(creator)
        return self._clients[service]

    async def sqs(self) -> Any:
        return await self.client("sqs")

    async def cloudwatch(self) -> Any:
        return await self.client("cloudwatch")

    async def logs(self) -> Any:
        return await self.client("logs")

    async def aclose(self) -> None:
        """Close every client (in-flight calls should be cancelled by their owners first)."""
        self._closed = True
        self._clients.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> AwsClients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
