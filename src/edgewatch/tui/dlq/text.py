"""Rich ``Text`` for DLQ messages and replays: the list cells, the detail panel, the counts.

Pure functions (no widgets, no I/O) so that the DLQ screen, the confirmation dialog and the tests
share one rendering. Every string that came from a message (body, attribute names and values,
group and request ids) goes through :mod:`edgewatch.display.escape` into ``Text``: it is never
parsed as markup and never reaches the terminal with its control characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.highlighter import JSONHighlighter
from rich.text import Text

from edgewatch import safe_json
from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape, safe
from edgewatch.dlq.bounce import BounceReport
from edgewatch.dlq.replay import (
    DlqMessage,
    MessageOutcome,
    ReplayProgress,
    ReplayResult,
    request_id_of,
)
from edgewatch.logs.messages import LastError
from edgewatch.tui.common.palette import Palette

HEX_BYTES = 256  # of a binary-looking body, shown as a hex dump under the escaped text
_JSON = JSONHighlighter()


def age_s(sent_at: datetime | None, now: float) -> float | None:
    return None if sent_at is None else max(0.0, now - sent_at.timestamp())


def age_cell(msg: DlqMessage, now: float) -> Text:
    """The Age column: how long ago the message was first sent (it ticks while shown)."""
    return safe(fmt.humanise_age(age_s(msg.sent_at, now)), justify="right")


def row_cells(
    msg: DlqMessage, *, now: float, selected: bool, body_width: int, palette: Palette
) -> list[Text]:
    """Sel · Rcv · Age · Group · Body (one line, escaped, cut to ``body_width``)."""
    rcv = safe(msg.receive_count, justify="right")
    if msg.replay_count:
        rcv.append(f" r{msg.replay_count}", style=palette.warn)
    body = safe(fmt.truncate(msg.preview(body_width + 1), body_width))
    if msg.binaryish:
        body.stylize(palette.warn)
    return [
        Text("✓" if selected else " ", style=f"bold {palette.accent}"),
        rcv,
        age_cell(msg, now),
        safe(msg.group_id or "—", limit=14, one_line=True),
        body,
    ]


def body_text(msg: DlqMessage) -> Text:
    """The body as an operator reads it: pretty JSON, literal text, or escaped binary + hex."""
    data = msg.json
    if data is not None:
        try:
            pretty = safe_json.dumps(data, indent=2, ensure_ascii=False)
        except ValueError:
            pretty = None
        if pretty is not None:
            return _JSON(safe(pretty))
    if msg.json_problem:
        text = safe(f"JSON body {msg.json_problem}\n", "italic")
        text.append(escape(msg.body))
        return text
    if msg.binaryish:
        raw = msg.body_bytes
        text = Text()
        text.append(
            f"binary-looking body ({len(raw):,} bytes): control characters shown escaped\n",
            style="italic",
        )
        text.append(escape(msg.body))
        text.append(f"\n\nfirst {min(len(raw), HEX_BYTES)} bytes:\n", style="italic")
        text.append(hexdump(raw[:HEX_BYTES]))
        return text
    return safe(msg.body)


def hexdump(data: bytes) -> str:
    """16 bytes a line: offset, hex, and printable ASCII (``.`` for anything else)."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        ascii_ = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  {ascii_}")
    return "\n".join(lines)


def why_text(
    why: LastError | None, state: str | None, palette: Palette, field_width: int = 14
) -> Text:
    """ "Why it failed": the newest failure line naming the message, from the consumer logs."""
    text = Text()
    text.append(f"{'why it failed':<{field_width}}", style=palette.muted)
    if why is None:
        text.append(
            escape(state or "no failure line in the worker logs names it"), style=palette.muted
        )
        text.append("\n")
        return text
    text.append(
        escape(why.error_type or why.level or "error", one_line=True),
        style=f"bold {palette.crit}",
    )
    text.append(": ")
    text.append(escape(why.message, limit=300, one_line=True))
    text.append("\n")
    text.append(" " * field_width)
    parts = [why.time]
    if why.receive_count is not None:
        parts.append(f"receive attempt {why.receive_count}")
    parts.append(f"{why.failures} failure line{'s' if why.failures != 1 else ''}")
    text.append(escape(" · ".join(parts), one_line=True), style=palette.muted)
    text.append("\n")
    text.append(" " * field_width)
    where = why.log_group + (f" · invocation {why.request_id}" if why.request_id else "")
    text.append(escape(where, one_line=True), style=palette.muted)
    text.append("\n")
    return text


def detail_text(
    msg: DlqMessage,
    *,
    now: float,
    palette: Palette,
    why: LastError | None = None,
    why_state: str | None = None,
) -> Text:
    """Everything known about one message: SQS facts, why it failed, attributes, the body."""
    text = Text()

    def field(label: str, value: str | None, style: str = "") -> None:
        text.append(f"{label:<14}", style=palette.muted)
        text.append(escape(value, one_line=True) if value else "—", style=style)
        text.append("\n")

    sent = msg.sent_at
    field("message id", msg.message_id, "bold")
    rid = request_id_of(msg)
    field("request id", rid, f"bold {palette.accent}" if rid else "")
    rcv = f"{msg.receive_count} (browsing adds 1)"
    field("receives", rcv, palette.warn if msg.receive_count > 3 else "")
    text.append(why_text(why, why_state, palette))
    field(
        "sent",
        f"{sent.isoformat(timespec='seconds')} ({fmt.humanise_age(age_s(sent, now))} ago)"
        if sent
        else None,
    )
    if msg.group_id or msg.deduplication_id:
        field("group", msg.group_id)
        field("dedup id", msg.deduplication_id)
    field("source", msg.source_arn)
    field("size", f"{msg.size:,} bytes")
    if msg.replay_count:
        field("replayed", f"{msg.replay_count} time(s) before", palette.warn)
    for name, attr in sorted(msg.attributes.items()):
        text.append(f"@{escape(name, one_line=True)}", style=palette.muted)
        text.append(f" ({escape(attr.data_type, one_line=True)}) ", style=palette.muted)
        text.append(attr.display(limit=200))
        text.append("\n")
    text.append("\n")
    text.append(body_text(msg))
    return text


def progress_text(p: ReplayProgress, *, dry_run: bool, palette: Palette) -> Text:
    """Live counts: moved · failed · skipped · duplicated · rate · eta."""
    text = Text()
    if dry_run:
        text.append(f"would move {p.would_move}", style=palette.ok if p.would_move else "")
    else:
        text.append(f"moved {p.moved}", style=f"bold {palette.ok}" if p.moved else "")
    text.append(" · ")
    text.append(f"failed {p.failed}", style=f"bold {palette.crit}" if p.failed else "")
    text.append(" · ")
    text.append(f"skipped {p.skipped}", style=palette.warn if p.skipped else "")
    if p.duplicated:
        text.append(" · ")
        text.append(f"possibly duplicated {p.duplicated}", style=palette.warn)
    if p.unmatched:
        text.append(f" · unmatched {p.unmatched}")
    text.append(f" · {p.rate:.1f} msg/s · {p.elapsed_s:.1f} s")
    if p.eta_s is not None and not p.done:
        text.append(f" · eta {fmt.humanise_age(p.eta_s)}")
    return text


def summary_text(result: ReplayResult, palette: Palette) -> Text:
    """The end of a replay in one line, then why anything stayed behind."""
    plan = result.plan
    ok = result.ok and not result.cancelled
    style = f"bold {palette.ok}" if ok else f"bold {palette.crit if result.error else palette.warn}"
    if result.cancelled:
        head = "Cancelled"
    elif result.error:
        head = "Stopped"
    else:
        head = "Dry run" if plan.dry_run else "Done"
    text = Text()
    text.append(escape(f"{head}: "), style=style)
    if plan.dry_run:
        text.append(f"would move {result.would_move}")
    else:
        text.append(f"moved {result.moved} to ")
        text.append(escape(plan.target.name, one_line=True), style="bold")
    text.append(
        f" · failed {result.failed} · skipped {result.held}"
        f" · possibly duplicated {result.duplicated} · {result.elapsed_s:.1f} s"
    )
    if not plan.dry_run and result.moved and result.elapsed_s > 0:
        text.append(f" · {result.moved / result.elapsed_s:.1f} msg/s")
    if result.error:
        text.append("\n")
        text.append(escape(result.error))
    for outcome in _not_moved(result.outcomes.values()):
        text.append("\n")
        text.append(outcome_line(outcome, palette))
    for note in result.notes:
        text.append("\nnote: ", style=palette.muted)
        text.append(escape(note))
    return text


def _not_moved(outcomes: Iterable[MessageOutcome], limit: int = 5) -> list[MessageOutcome]:
    return [o for o in outcomes if o.status in ("failed", "held", "possibly_duplicated")][:limit]


def outcome_line(o: MessageOutcome, palette: Palette) -> Text:
    """``status  message-id  reason-or-preview`` for the dialog and the summary."""
    style = {
        "moved": palette.ok,
        "would_move": palette.ok,
        "failed": f"bold {palette.crit}",
    }.get(o.status, palette.warn)
    text = Text()
    text.append(f"{o.status.replace('_', ' '):<11}", style=style)
    text.append(f" {escape(o.message_id[:36], one_line=True):<36} ")
    text.append(escape(o.reason or o.preview, limit=120, one_line=True))
    return text


def bounce_text(report: BounceReport, *, watching: bool, left_s: float, palette: Palette) -> Text:
    """Did the replay fix it: "N of M replayed messages came back", live while watching."""
    text = Text()
    n, m = report.came_back, report.replayed
    if watching:
        text.append("Watching for replayed messages coming back: ", style="bold")
        style = f"bold {palette.crit}" if n else palette.ok
        text.append(escape(f"{n} of {m} came back so far"), style=style)
        text.append(escape(f" · {max(0.0, left_s):.0f} s left"), style=palette.muted)
    elif n:
        text.append(
            escape(f"{n} of {m} replayed message(s) came back"), style=f"bold {palette.crit}"
        )
        text.append(
            escape(
                f" to {report.dlq} within {report.watched_s:.0f} s: the fix did not work for them",
                one_line=True,
            )
        )
    else:
        text.append(
            escape(f"None of the {m} replayed message(s) came back"), style=f"bold {palette.ok}"
        )
        text.append(escape(f" to {report.dlq} within {report.watched_s:.0f} s", one_line=True))
    if report.error:
        text.append(" · watch stopped: ", style=palette.crit)
        text.append(escape(report.error, one_line=True))
    return text
