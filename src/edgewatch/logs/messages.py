"""A message's story in the logs: the lines that name it, the invocations that handled it, and
why it failed. Used by the DLQ → logs jump, the DLQ detail and ``dlq list --json``.

A dead-lettered message keeps its SQS message ID; the handler that failed on it logged that ID
(and, for a body it could parse, the application's request ID). Lambda's lines carry the
invocation's request ID, so once a line names the message, every line of that invocation
(START, app lines, END, REPORT) belongs to the story too: :func:`expand` adds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgewatch.logs.formats import ERROR_LEVELS
from edgewatch.logs.models import LogLine
from edgewatch.logs.search import LogQuery

if TYPE_CHECKING:
    from edgewatch.runtime import Runtime

SEARCH_S = 24 * 3600.0  # how far back a message's lines are looked for
LAMBDA_FORMATS = frozenset({"lambda_text", "lambda_json", "powertools"})
MAX_INVOCATIONS = 50  # request IDs added by one expansion (a message retried ~3 times)


def ids_of(message_id: str, request_id: str | None = None) -> tuple[str, ...]:
    return tuple(i for i in dict.fromkeys((message_id, request_id)) if i)


def expand(query: LogQuery, lines: Iterable[LogLine]) -> LogQuery:
    """``query`` widened to the whole invocations of the Lambda lines it matches.

    Only IDs from Lambda formats are added (an invocation's ID); the query is returned as is
    when there is nothing to add.
    """
    found: list[str] = []
    for line in lines:
        if (
            line.request_id
            and line.info.format in LAMBDA_FORMATS
            and line.request_id not in query.any_ids
            and query.matches(line)
        ):
            found.append(line.request_id)
    added = tuple(dict.fromkeys(found))[:MAX_INVOCATIONS]
    if not added:
        return query
    return LogQuery(any_ids=(*query.any_ids, *added), text=query.text)


def is_failure(line: LogLine) -> bool:
    """An error the handler logged, or an invocation that ended in error or timeout."""
    info = line.info
    if info.kind == "report":
        return info.status in ("error", "timeout")
    return info.kind == "app" and (line.level in ERROR_LEVELS or info.error_type is not None)


@dataclass(frozen=True, slots=True)
class LastError:
    """Why a message failed, from the newest failure line that names it (or its invocation)."""

    time: str
    timestamp_ms: int
    level: str | None
    error_type: str | None
    message: str
    request_id: str | None
    log_group: str
    receive_count: int | None = None
    failures: int = 1  # failure lines found for the message

    def to_json(self) -> dict[str, Any]:
        """The documented ``last_error`` object of ``edgewatch dlq list --json``."""
        return {
            "time": self.time,
            "level": self.level,
            "error_type": self.error_type,
            "message": self.message,
            "request_id": self.request_id,
            "log_group": self.log_group,
        }


def _text(line: LogLine) -> str:
    info = line.info
    if info.error_message and info.kind == "app":
        return info.error_message
    return line.display_message.strip()[:2000]


def failures_for(lines: Sequence[LogLine], ids: Sequence[str]) -> list[LogLine]:
    """Failure lines naming one of ``ids``, then those of the invocations that did, by time."""
    direct = LogQuery(any_ids=tuple(ids))
    wide = expand(direct, lines)
    chosen = [line for line in lines if is_failure(line) and wide.matches(line)]
    return sorted(chosen, key=lambda line: (line.timestamp, line.event_id))


def last_error(lines: Sequence[LogLine], ids: Sequence[str]) -> LastError | None:
    """The newest failure for ``ids``: a line naming the message is preferred to its REPORT."""
    failures = failures_for(lines, ids)
    if not failures:
        return None
    direct = LogQuery(any_ids=tuple(ids))
    naming = [line for line in failures if direct.matches(line)]
    line = (naming or failures)[-1]
    error_type = line.info.error_type
    if error_type is None:  # the invocation's REPORT may say it
        error_type = next(
            (f.info.error_type for f in reversed(failures) if f.info.error_type), None
        )
    return LastError(
        time=line.iso_time,
        timestamp_ms=line.timestamp,
        level=line.level,
        error_type=error_type,
        message=_text(line),
        request_id=line.request_id,
        log_group=line.log_group,
        receive_count=line.info.receive_count,
        failures=len(naming or failures),
    )


@dataclass(frozen=True, slots=True)
class MessageLogs:
    """What the logs hold for a set of messages; ``problem`` when a source could not be read."""

    lines: tuple[LogLine, ...]
    problem: str | None = None

    def for_message(self, message_id: str, request_id: str | None = None) -> list[LogLine]:
        """Every line of the message's story: naming it, or of an invocation that did."""
        query = expand(LogQuery(any_ids=ids_of(message_id, request_id)), self.lines)
        return [line for line in self.lines if query.matches(line)]

    def last_error(self, message_id: str, request_id: str | None = None) -> LastError | None:
        return last_error(self.lines, ids_of(message_id, request_id))


async def search_messages(
    runtime: Runtime, ids: Sequence[str], *, since_s: float = SEARCH_S
) -> MessageLogs:
    """One search for all ``ids`` (message and request IDs), then one for the invocations that
    handled them; never raises (an unreadable source is :attr:`MessageLogs.problem`)."""
    from edgewatch.logs.tail import NoLogSourceError, tail_for_runtime

    ids = tuple(dict.fromkeys(i for i in ids if i and i.strip()))
    if not ids:
        return MessageLogs(())
    collected: dict[tuple[str, str], LogLine] = {}
    problems: list[str] = []
    query = LogQuery(any_ids=ids)
    try:
        for _ in range(2):
            tail = await tail_for_runtime(runtime, query=query, since_s=since_s, follow=False)
            async for batch in tail:
                for line in batch.lines:
                    collected[(line.log_group, line.event_id)] = line
                problems += [f"{n.source}: {n.message}" for n in batch.notices if n.kind == "error"]
            wider = expand(query, collected.values())
            if wider == query:
                break
            query = LogQuery(any_ids=tuple(i for i in wider.any_ids if i not in ids))
    except NoLogSourceError as exc:
        return MessageLogs((), str(exc))
    except Exception as exc:  # a search is a convenience: say it, never raise
        from edgewatch.aws import describe_error

        problems.append(describe_error(exc))
    lines = sorted(collected.values(), key=lambda line: (line.timestamp, line.event_id))
    return MessageLogs(tuple(lines), "; ".join(dict.fromkeys(problems)) or None)
