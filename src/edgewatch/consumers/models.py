"""A queue's consumers as the event source mappings describe them (no Textual, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NO_MAPPING = "no Lambda event source mapping reads this queue (not a Lambda consumer?)"
PARTIAL_OFF = "ReportBatchItemFailures is off: one poison message fails its whole batch"


@dataclass(frozen=True, slots=True)
class LambdaConsumer:
    """One event source mapping and the function behind it.

    ``log_group`` is the function's ``LoggingConfig.LogGroup``, else ``/aws/lambda/<name>``;
    ``problem`` says what could not be read (the function's configuration, say) when the
    mapping itself was.
    """

    function_name: str
    function_arn: str
    mapping_uuid: str
    state: str
    batch_size: int | None
    batching_window_s: int | None
    max_concurrency: int | None
    report_batch_item_failures: bool
    log_group: str
    log_format: str | None = None  # "Text" or "JSON" when the configuration was read
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "function_name": self.function_name,
            "function_arn": self.function_arn,
            "mapping_uuid": self.mapping_uuid,
            "state": self.state,
            "batch_size": self.batch_size,
            "batching_window_s": self.batching_window_s,
            "max_concurrency": self.max_concurrency,
            "report_batch_item_failures": self.report_batch_item_failures,
            "log_group": self.log_group,
            "log_format": self.log_format,
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class QueueConsumers:
    """What discovery found for one queue: its Lambda consumers, or why it found none.

    ``error`` is a lookup that failed (access denied, an unreachable endpoint); no error and
    no consumers means no mapping reads the queue. ``log_groups`` overrides come from config.
    """

    queue_arn: str
    consumers: tuple[LambdaConsumer, ...] = ()
    error: str | None = None
    configured_groups: tuple[str, ...] | None = None

    @property
    def log_groups(self) -> tuple[str, ...]:
        if self.configured_groups is not None:
            return self.configured_groups
        return tuple(dict.fromkeys(c.log_group for c in self.consumers))

    @property
    def explanation(self) -> str | None:
        """The plain sentence for the queue detail when there is no consumer to show."""
        if self.error is not None:
            return f"consumer lookup failed: {self.error}"
        if not self.consumers:
            return NO_MAPPING
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "queue_arn": self.queue_arn,
            "consumers": [c.to_json() for c in self.consumers],
            "error": self.error,
            "log_groups": list(self.log_groups),
        }
