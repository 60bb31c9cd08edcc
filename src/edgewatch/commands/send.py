"""``edgewatch send``: test events through the SigV4 emitter (the edge's path), with a summary.

The work is :func:`edgewatch.send.send_events`, the same engine the Send screen runs; this
module parses flags, shows a progress bar on a terminal (stderr) and prints the outcome.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console

from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_USAGE,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.commands.long_run import finish, progress_bar, two_stage_interrupt
from edgewatch.display.escape import escape
from edgewatch.runtime import Runtime
from edgewatch.send import (
    MAX_COUNT,
    TEMPLATES,
    TEST_ATTRIBUTE,
    BodyError,
    CustomEvents,
    EventSource,
    QueueTarget,
    SendControl,
    SendError,
    SendOptions,
    SendProgress,
    SendResult,
    TemplateEvents,
    parse_body,
    read_json_lines,
    resolve_queue,
    send_events,
)

SHOWN_EVENTS = 10  # request ids listed in the plain summary (--json lists all)
SHOWN_ERRORS = 10

EPILOG = f"""\
what is sent:
  --template (default query) realistic edge events of that type, each with a fresh request_id
  and emitted_at (epoch ms) set when it is emitted: the consumer logs it by request_id and its
  queue lag is real. --poison adds "poison": true, which the consumer rejects: after
  maxReceiveCount receives it lands in the DLQ.
  --body JSON / --file PATH: your JSON, sent as written. A JSON object without request_id or
  emitted_at gets them (inserted after its opening brace; nothing else changes); other JSON
  values are sent exactly as given. --count repeats --body; a file sends each non-blank line
  once. An invalid line stops the send before anything is sent (the error names the line)
  unless --skip-invalid, which reports and skips such lines.
  Every message carries the attribute {TEST_ATTRIBUTE}="edgewatch send". FIFO queues: the
  group is the event's session_id (else "edgewatch-send", or --group-id); each message gets
  its own deduplication id.

output:
  sent / failed / dropped, the request ids, and the ack latency (emit -> SQS acknowledgement)
  p50/p99; --json prints one document with every event's request_id, message_id, status and
  ack_ms. A progress bar goes to stderr on a terminal.

exit codes:
  0 every event acknowledged; 1 an event failed or was not confirmed, or the queue is unknown
  or unreachable; 2 usage (bad flags or JSON, read-only mode); 130 cancelled (Ctrl-C stops
  emitting and waits for what was emitted; a second Ctrl-C stops at once).
"""


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "send",
        parents=[common],
        help="send test events through the SigV4 emitter and report their outcome",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--queue", required=True, metavar="Q", help="queue name or URL")
    parser.add_argument(
        "--count", type=int, metavar="N", help="events to send (default 1; not with --file)"
    )
    parser.add_argument(
        "--rate", type=float, metavar="R", help="at most R events per second (default: no limit)"
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--body", metavar="JSON", help="send this JSON document")
    what.add_argument("--file", metavar="PATH", help="send each line of a JSON-lines file")
    what.add_argument(
        "--template", choices=TEMPLATES, help="generated edge events of this type (default query)"
    )
    parser.add_argument(
        "--poison", action="store_true", help='add "poison": true (the consumer rejects it)'
    )
    parser.add_argument(
        "--skip-invalid", action="store_true", help="with --file: skip invalid lines, send the rest"
    )
    parser.add_argument("--group-id", metavar="G", help="FIFO message group for every event")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    if ctx.settings.read_only:
        error("read-only mode: send is refused (it writes to a queue)")
        return EXIT_USAGE
    try:
        count, source = _plan(args)
        options = SendOptions(count=count, rate=args.rate)
    except (BodyError, ValueError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot read {args.file}: {exc.strerror or exc}")
        return EXIT_USAGE
    return run_with_runtime(ctx, lambda runtime: _send(runtime, args, source, options))


def _plan(args: argparse.Namespace) -> tuple[int, EventSource]:
    """The number of events and where they come from; raises for flags that do not fit."""
    if args.count is not None and args.file:
        raise ValueError("--count does not apply to --file (each line is sent once)")
    if args.skip_invalid and not args.file:
        raise ValueError("--skip-invalid applies to --file only")
    count = 1 if args.count is None else args.count
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"--count must be 1 to {MAX_COUNT:,}")
    if args.rate is not None and not args.rate > 0:
        raise ValueError("--rate must be a positive number of events per second")
    group = args.group_id
    if args.body is not None:
        return count, CustomEvents([parse_body(args.body)], poison=args.poison, group_id=group)
    if args.file:
        lines = read_json_lines(args.file)
        if lines.invalid and not args.skip_invalid:
            shown = [f"{args.file} {e}" for e in lines.invalid[:SHOWN_ERRORS]]
            more = len(lines.invalid) - len(shown)
            tail = f" (and {more} more)" if more else ""
            raise BodyError(
                "; ".join(shown) + tail + ": nothing sent (--skip-invalid sends the rest)"
            )
        for problem in lines.invalid:
            error(f"{args.file} {problem}: skipped")
        if not lines.bodies:
            raise BodyError(f"{args.file}: no events to send")
        return len(lines.bodies), CustomEvents(lines.bodies, poison=args.poison, group_id=group)
    return count, TemplateEvents(args.template or "query", poison=args.poison, group_id=group)


async def _send(
    runtime: Runtime, args: argparse.Namespace, source: EventSource, options: SendOptions
) -> int:
    err = Console(stderr=True, highlight=False)
    try:
        queue = await resolve_queue(runtime.clients, args.queue)
    except SendError as exc:
        error(str(exc))
        return EXIT_FAILURE
    with _bar(err, options.count, enabled=err.is_terminal and not args.json) as on_progress:
        result = await _run(runtime, queue, source, options, on_progress, err)
    return finish(
        as_json=args.json,
        payload=result.to_json,
        summary=lambda: _summary(result),
        problem=result.stopped,
        cancelled=result.cancelled,
        ok=result.ok,
    )


async def _run(
    runtime: Runtime,
    queue: QueueTarget,
    source: EventSource,
    options: SendOptions,
    on_progress: Callable[[SendProgress], None],
    err: Console,
) -> SendResult:
    """The engine, with Ctrl-C: the first stops emitting, a second abandons what is in flight."""
    control = SendControl()
    stopping = "cancelling: waiting for the events already emitted (Ctrl-C again to stop)"
    with two_stage_interrupt(err, control.cancel, stopping, control.abort):
        return await send_events(
            runtime.clients, queue, source, options, on_progress=on_progress, control=control
        )


@contextlib.contextmanager
def _bar(err: Console, total: int, *, enabled: bool) -> Iterator[Callable[[SendProgress], None]]:
    progress = progress_bar(err, "send", enabled=enabled)
    bar = progress.add_task("send", total=total, detail="")

    def on_progress(p: SendProgress) -> None:
        progress.update(
            bar,
            completed=p.done,
            detail=f"emitted {p.emitted} failed {p.failed} dropped {p.dropped}",
        )

    with progress:
        yield on_progress


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _summary(result: SendResult) -> None:
    """Plain text; anything from AWS or the operator is escaped (it cannot drive the terminal)."""
    out: list[str] = []
    head = (
        f"sent {result.sent} of {result.requested} to {escape(result.queue.name, one_line=True)}"
        f" in {result.elapsed_s:.2f} s · failed {result.failed} · dropped {result.dropped}"
    )
    if result.not_sent:
        head += f" · not sent {result.not_sent}"
    if result.cancelled:
        head += " (cancelled)"
    out.append(head)
    out.append(
        f"ack latency p50 {_ms(result.ack_ms(0.5))} · p99 {_ms(result.ack_ms(0.99))}"
        " (emit -> SQS acknowledgement)"
    )
    sent = [o for o in result.outcomes if o.status == "sent"]
    if sent:
        out.append(f"{'request id':<36}  message id")
        for o in sent[:SHOWN_EVENTS]:
            rid = escape(o.request_id or "-", one_line=True)
            out.append(f"{rid:<36}  {escape(o.message_id or '', one_line=True)}")
        if len(sent) > SHOWN_EVENTS:
            out.append(f"… {len(sent) - SHOWN_EVENTS} more (--json lists every event)")
    problems = [o for o in result.outcomes if o.status != "sent"]
    for o in problems[:SHOWN_ERRORS]:
        who = o.request_id or f"event {o.index + 1}"
        why = escape(o.error or "", one_line=True)
        out.append(f"{o.status}: {escape(who, one_line=True)}: {why}")
    if len(problems) > SHOWN_ERRORS:
        out.append(f"… {len(problems) - SHOWN_ERRORS} more not sent (--json lists them)")
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
