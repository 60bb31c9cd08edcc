"""Every emitter setting in one validated, immutable object.

``EmitterOptions`` is what an ``Emitter`` is configured with; ``from_target`` builds one from
anything that says where requests go (``region``, ``endpoint_url``, ``profile``,
``credentials`` attributes, such as the console's ``AwsTarget``), so callers state only what
differs and never copy a list of keyword arguments by hand. ``replace(**changes)`` derives a
variant (validated again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from edgewatch_emitter.backoff import BackoffPolicy
from edgewatch_emitter.credentials import CredentialsInput
from edgewatch_emitter.results import DeliveryFailure, DeliveryReceipt
from edgewatch_emitter.rules import SQS_MAX_BYTES
from edgewatch_emitter.serialize import default_serializer

Overflow = Literal["drop_oldest", "drop_newest"]


class SendTarget(Protocol):
    """Where requests go (structural: any object with these attributes)."""

    @property
    def region(self) -> str | None: ...
    @property
    def endpoint_url(self) -> str | None: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def credentials(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class EmitterOptions:
    """How an emitter sends. Defaults suit a web service on real AWS.

    Where: ``region`` (default: from the queue URL, else the AWS chain), ``endpoint_url``
    (default: the queue URL's origin), ``credentials`` (a key/secret[/token] tuple or a botocore
    ``Credentials``, refreshable ones included; default: the standard chain), ``profile``.
    Buffer: ``max_buffer`` events at most; ``overflow`` picks which event a full buffer drops.
    Batching: a partial batch waits ``linger_ms`` for company; ``max_in_flight`` concurrent
    requests (1 on FIFO queues, to keep group order). Retries: ``max_retries`` per entry, paced by
    ``backoff``; ``request_timeout_s`` per request; the breaker opens after
    ``breaker_threshold`` consecutive failed requests for ``breaker_cooldown_s``.
    ``max_message_bytes`` (default: the queue's ``MaximumMessageSize``, asked in the background).
    Callbacks: ``on_error`` gets every ``DeliveryFailure``; ``on_sent`` a ``DeliveryReceipt`` per
    acknowledged event. FIFO: ``group_id_fn`` / ``dedup_id_fn`` derive ids from the event;
    without a dedup id one is generated per event (stable across retries) unless
    ``content_based_dedup``. ``serializer`` turns an event into the message body.
    ``ca_bundle``: a PEM file to verify TLS with (default: ``AWS_CA_BUNDLE``, else botocore's
    bundle). ``http_client``: an ``httpx.AsyncClient`` or transport to send through instead of
    the built-in pool (needs the ``httpx`` extra); proxies from the environment
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) work without it.
    """

    region: str | None = None
    endpoint_url: str | None = None
    credentials: CredentialsInput = field(default=None, repr=False)  # never print keys
    profile: str | None = None
    max_buffer: int = 10_000
    overflow: Overflow = "drop_oldest"
    linger_ms: float = 5.0
    max_in_flight: int = 8
    max_retries: int = 5
    backoff: BackoffPolicy = field(default_factory=lambda: BackoffPolicy(0.05, 5.0, "full"))
    request_timeout_s: float = 5.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 5.0
    max_message_bytes: int | None = None
    on_error: Callable[[DeliveryFailure], None] | None = None
    on_sent: Callable[[DeliveryReceipt], None] | None = None
    group_id_fn: Callable[[Any], str] | None = None
    dedup_id_fn: Callable[[Any], str] | None = None
    content_based_dedup: bool = False
    serializer: Callable[[Any], str | bytes] = default_serializer
    ca_bundle: str | None = None
    http_client: Any = None

    def __post_init__(self) -> None:
        if self.max_buffer < 1 or self.max_in_flight < 1 or self.max_retries < 0:
            raise ValueError("max_buffer and max_in_flight must be ≥ 1, max_retries ≥ 0")
        if self.overflow not in ("drop_oldest", "drop_newest"):
            raise ValueError("overflow must be 'drop_oldest' or 'drop_newest'")
        if self.max_message_bytes is not None and not 1 <= self.max_message_bytes <= SQS_MAX_BYTES:
            raise ValueError(f"max_message_bytes must be within 1..{SQS_MAX_BYTES}")
        if self.breaker_threshold < 1:
            raise ValueError("breaker_threshold must be at least 1")

    @classmethod
    def from_target(cls, target: SendTarget, **changes: Any) -> EmitterOptions:
        """Options aimed where ``target`` points; ``changes`` set any other option."""
        return cls(
            region=target.region,
            endpoint_url=target.endpoint_url,
            credentials=target.credentials,
            profile=target.profile,
            **changes,
        )

    def replace(self, **changes: Any) -> EmitterOptions:
        return dataclasses.replace(self, **changes) if changes else self
