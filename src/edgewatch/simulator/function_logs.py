"""What the simulated consumer functions write, in Lambda's real formats.

The standard queue's function logs in Lambda's plain-text format (``START``/``END``/``REPORT``,
Python runtime app lines ``[LEVEL]\\t<ISO>Z\\t<request id>\\t<message>``); the FIFO queue's in
the JSON format with Powertools-style records, ``platform.*`` records and an EMF metrics line
per invocation. A new execution environment (a new log stream) starts cold: ``INIT_START``
and an ``Init Duration``. A handler that cannot parse a body logs the message ID and the error
type, and no application request ID (it has none).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from edgewatch.simulator.logship import LogShipper

RUNTIME = "python:3.12.v38"
RUNTIME_ARN = (
    "arn:aws:lambda:us-east-1::runtime:"
    "7b620fc2e66107a1046b140b9d320295811af3ad5d4c6a011fad1fa65127e9e6"
)
MEMORY_MB = 128
TIMEOUT_S = 3
SERVICE = "edge-analytics"
Style = Literal["text", "json"]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


def _powertools_time(ms: int) -> str:
    """Powertools Python's default: ``2026-12-01 12:00:00,123+0000``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S,") + (
        f"{ms % 1000:03d}+0000"
    )


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """What the handler made of one SQS record."""

    message_id: str
    receive_count: int
    request_id: str | None  # the application's (from the body), if the body parsed
    event_type: str | None
    sent_at_ms: int | None
    error_type: str | None = None
    error: str | None = None


@dataclass
class Invocation:
    request_id: str
    cold: bool
    started_ms: int
    init_ms: float | None
    records: list[RecordOutcome] = field(default_factory=list)


class FunctionLog:
    """Writes one function's invocations through its :class:`LogShipper` (``style``)."""

    def __init__(
        self, shipper: LogShipper, function_name: str, function_arn: str, style: Style, seed: str
    ) -> None:
        self.shipper = shipper
        self.function_name = function_name
        self.function_arn = function_arn
        self.style = style
        self._rng = random.Random(seed)
        self._environment = -1  # the shipper's stream generation this environment started in

    def _write(self, at_ms: int, message: str | dict[str, Any]) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        self.shipper.write_text(at_ms, text)

    def start(self) -> Invocation:
        """A new invocation; the first one in a new environment (log stream) is cold."""
        now = int(time.time() * 1000)
        cold = self._environment != self.shipper.generation
        self._environment = self.shipper.generation
        request_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        init_ms = round(self._rng.uniform(140.0, 420.0), 2) if cold else None
        inv = Invocation(request_id, cold, now, init_ms)
        if cold:
            if self.style == "text":
                self._write(
                    now,
                    f"INIT_START Runtime Version: {RUNTIME}\tRuntime Version ARN: {RUNTIME_ARN}",
                )
            else:
                self._write(
                    now,
                    self._platform(
                        now,
                        "platform.initStart",
                        {
                            "initializationType": "on-demand",
                            "phase": "init",
                            "runtimeVersion": RUNTIME,
                            "runtimeVersionArn": RUNTIME_ARN,
                            "functionName": self.function_name,
                            "functionVersion": "$LATEST",
                        },
                    ),
                )
        if self.style == "text":
            self._write(now, f"START RequestId: {request_id} Version: $LATEST")
        else:
            self._write(
                now,
                self._platform(
                    now, "platform.start", {"requestId": request_id, "version": "$LATEST"}
                ),
            )
        return inv

    def record(self, inv: Invocation, outcome: RecordOutcome) -> None:
        inv.records.append(outcome)
        now = int(time.time() * 1000)
        if self.style == "text":
            self._text_record(inv, outcome, now)
        else:
            self._json_record(inv, outcome, now)

    def _text_record(self, inv: Invocation, o: RecordOutcome, now: int) -> None:
        prefix = f"{_iso(now)}\t{inv.request_id}\t"
        where = f"messageId={o.message_id} receiveCount={o.receive_count}"
        if o.error_type is None:
            self._write(
                now,
                f"[INFO]\t{prefix}processed {where} type={o.event_type} request_id={o.request_id}",
            )
        elif o.request_id is None:
            self._write(now, f"[ERROR]\t{prefix}failed {where} {o.error_type}: {o.error}")
        else:
            self._write(
                now,
                f"[ERROR]\t{prefix}failed {where} request_id={o.request_id} "
                f"{o.error_type}: {o.error}",
            )

    def _powertools(self, inv: Invocation, now: int, level: str, message: str) -> dict[str, Any]:
        return {
            "level": level,
            "location": "record_handler:42" if level != "INFO" else "record_handler:51",
            "message": message,
            "timestamp": _powertools_time(now),
            "service": SERVICE,
            "cold_start": inv.cold,
            "function_name": self.function_name,
            "function_memory_size": MEMORY_MB,
            "function_arn": self.function_arn,
            "function_request_id": inv.request_id,
            "xray_trace_id": f"1-{now // 1000:08x}-{inv.request_id.replace('-', '')[:24]}",
        }

    def _json_record(self, inv: Invocation, o: RecordOutcome, now: int) -> None:
        base: dict[str, Any] = {
            "message_id": o.message_id,
            "receive_count": o.receive_count,
        }
        if o.request_id is not None:
            base["request_id"] = o.request_id
        if o.sent_at_ms is not None:
            base["SentTimestamp"] = o.sent_at_ms
        if o.error_type is None:
            record = self._powertools(inv, now, "INFO", "event processed")
            record.update(base, type=o.event_type)
        else:
            record = self._powertools(inv, now, "ERROR", "Failed processing record")
            record.update(
                base,
                exception_name=o.error_type,
                exception=(
                    "Traceback (most recent call last):\n"
                    '  File "/var/task/handler.py", line 42, in record_handler\n'
                    f"{o.error_type}: {o.error}"
                ),
            )
        self._write(now, record)

    def finish(self, inv: Invocation, duration_ms: float, *, timed_out: bool = False) -> None:
        """END and REPORT (or the JSON platform records), with an EMF line for JSON."""
        now = int(time.time() * 1000)
        if timed_out:
            duration_ms = TIMEOUT_S * 1000.0
        failed = [r for r in inv.records if r.error_type is not None]
        billed = int(-(-(duration_ms + (inv.init_ms or 0.0)) // 1))
        used = MEMORY_MB // 2 + self._rng.randrange(0, 12)
        status = "timeout" if timed_out else "success"
        if self.style == "text":
            if timed_out:
                self._write(
                    now, f"{_iso(now)} {inv.request_id} Task timed out after {TIMEOUT_S}.00 seconds"
                )
            elif failed:
                ids = ", ".join(r.message_id for r in failed)
                self._write(
                    now,
                    f"[WARNING]\t{_iso(now)}\t{inv.request_id}\t"
                    f"{len(failed)} of {len(inv.records)} records failed; "
                    f"batchItemFailures: {ids}",
                )
            self._write(now, f"END RequestId: {inv.request_id}")
            report = (
                f"REPORT RequestId: {inv.request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {billed} ms\tMemory Size: {MEMORY_MB} MB\t"
                f"Max Memory Used: {used} MB\t"
            )
            if inv.init_ms is not None:
                report += f"Init Duration: {inv.init_ms:.2f} ms\t"
            if timed_out:
                report += "Status: timeout"
            self._write(now, report)
            return
        if not timed_out:
            self._write(
                now,
                {
                    "_aws": {
                        "Timestamp": now,
                        "CloudWatchMetrics": [
                            {
                                "Namespace": "EdgeAnalytics",
                                "Dimensions": [["service"]],
                                "Metrics": [
                                    {"Name": "RecordsProcessed", "Unit": "Count"},
                                    {"Name": "RecordsFailed", "Unit": "Count"},
                                ],
                            }
                        ],
                    },
                    "service": SERVICE,
                    "RecordsProcessed": len(inv.records) - len(failed),
                    "RecordsFailed": len(failed),
                },
            )
        done: dict[str, Any] = {
            "requestId": inv.request_id,
            "status": status,
            "metrics": {"durationMs": round(duration_ms, 3), "producedBytes": 0},
        }
        self._write(now, self._platform(now, "platform.runtimeDone", done))
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": billed,
            "memorySizeMB": MEMORY_MB,
            "maxMemoryUsedMB": used,
        }
        if inv.init_ms is not None:
            metrics["initDurationMs"] = inv.init_ms
        report_record = {"requestId": inv.request_id, "metrics": metrics, "status": status}
        self._write(now, self._platform(now, "platform.report", report_record))

    @staticmethod
    def _platform(now: int, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        return {"time": _iso(now), "type": kind, "record": record}
