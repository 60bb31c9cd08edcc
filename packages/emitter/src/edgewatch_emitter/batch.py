"""Per-entry outcomes of an SQS batch call (``SendMessageBatch``, ``DeleteMessageBatch``...).

A batch call answers 200 even when entries failed: each entry is in ``Successful`` or in
``Failed`` with a ``SenderFault`` flag, or (a truncated or buggy answer) in neither. The rule is
the same for every caller: ``SenderFault`` true (or absent) means the request for that entry is
wrong and will fail again, so it is final; false means the service failed and a retry may work;
an entry the answer does not mention was not acknowledged. Callers decide what to do with
unmentioned entries; nobody re-derives the classification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class EntryFailure:
    """One entry of ``Failed``; ``message`` is the service's text, as given."""

    id: str
    sender_fault: bool
    code: str | None
    message: str

    @property
    def reason(self) -> str:
        return f"{self.code or 'error'}: {self.message}".rstrip(": ")


@dataclass(slots=True)
class BatchResult:
    """The entries of one answer, by outcome, for the ids the caller is still waiting for."""

    succeeded: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # id -> Successful item
    rejected: list[EntryFailure] = field(default_factory=list)  # SenderFault: final
    retryable: list[EntryFailure] = field(default_factory=list)  # the service's fault
    unanswered: list[str] = field(default_factory=list)  # in neither list

    @property
    def should_retry(self) -> bool:
        return bool(self.retryable)


def classify_batch(
    pending: Iterable[str],
    answer: Mapping[str, Any],
    *,
    clean: Callable[[str], str] | None = None,
) -> BatchResult:
    """Sort the entries ``pending`` (by ``Id``) by what ``answer`` says of them.

    ``clean`` rewrites each failure message (e.g. to redact what must never be logged). A list
    or an item of the wrong type (an odd or hostile answer) acknowledges nothing: its entries
    stay unanswered.
    """
    waiting = dict.fromkeys(pending)
    result = BatchResult()
    for item in _items(answer.get("Successful")):
        key = str(item.get("Id"))
        if key in waiting and key not in result.succeeded:
            result.succeeded[key] = item
    mentioned = set(result.succeeded)
    for item in _items(answer.get("Failed")):
        key = str(item.get("Id"))
        if key not in waiting or key in mentioned:
            continue
        mentioned.add(key)
        message = str(item.get("Message") or "")
        failure = EntryFailure(
            id=key,
            sender_fault=bool(item.get("SenderFault", True)),
            code=str(item.get("Code") or "") or None,
            message=clean(message) if clean else message,
        )
        (result.rejected if failure.sender_fault else result.retryable).append(failure)
    result.unanswered = [key for key in waiting if key not in mentioned]
    return result


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]
