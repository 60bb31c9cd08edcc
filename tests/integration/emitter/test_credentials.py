"""Credentials: resolved and refreshed off the event loop, re-resolved after ExpiredToken."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from botocore.credentials import Credentials, RefreshableCredentials
from edgewatch_emitter import BackoffPolicy, DeliveryFailure, Emitter

from tests.support.fault_server import Error, FaultServer

FAST: dict[str, Any] = {
    "region": "us-east-1",
    "backoff": BackoffPolicy(0.001, 0.005),
    "max_message_bytes": 262_144,
}


class RecordingCredentials(Credentials):
    """A provider that notes the thread of every (potentially blocking) resolution."""

    def __init__(self) -> None:
        super().__init__("AKIDPROVIDER", "testing")
        self.threads: list[int] = []

    def get_frozen_credentials(self) -> Any:
        self.threads.append(threading.get_ident())
        return super().get_frozen_credentials()


async def test_provider_runs_off_the_loop_and_again_after_expired_token(
    fault_server: FaultServer,
) -> None:
    fault_server.script.append(Error(400, "ExpiredToken", "the token expired"))
    provider = RecordingCredentials()
    async with Emitter(fault_server.queue_url, credentials=provider, **FAST) as emitter:
        emitter.emit("hello")
        result = await emitter.flush(10)
    assert result.complete and fault_server.bodies() == ["hello"]
    assert len(provider.threads) == 2  # first use, then after ExpiredToken
    assert threading.get_ident() not in provider.threads
    assert all(r.signature_ok for r in fault_server.received)


async def test_refreshable_credentials_refresh_in_a_worker_thread(
    fault_server: FaultServer,
) -> None:
    refresh_threads: list[int] = []

    def refresh() -> dict[str, str]:
        refresh_threads.append(threading.get_ident())
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        return {
            "access_key": "AKIDREFRESHED",
            "secret_key": "testing",
            "token": "refreshed-session-token",
            "expiry_time": expiry.isoformat(),
        }

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)  # inside botocore's refresh window
    credentials = RefreshableCredentials.create_from_metadata(
        {
            "access_key": "AKIDSTALE",
            "secret_key": "testing",
            "token": "stale-token",
            "expiry_time": soon.isoformat(),
        },
        refresh_using=refresh,
        method="test",
    )
    async with Emitter(fault_server.queue_url, credentials=credentials, **FAST) as emitter:
        emitter.emit("x")
        await emitter.flush(10)
    assert refresh_threads and threading.get_ident() not in refresh_threads
    headers = fault_server.batches[0].headers
    assert headers["x-amz-security-token"] == "refreshed-session-token"
    assert "AKIDREFRESHED/" in headers["authorization"]


async def test_standard_chain_from_the_environment(fault_server: FaultServer) -> None:
    async with Emitter(fault_server.queue_url, **FAST) as emitter:  # tests/conftest.py env
        emitter.emit("chained")
        result = await emitter.flush(10)
    assert result.complete and fault_server.received[0].signature_ok


async def test_missing_credentials_fail_events_without_raising(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    failures: list[DeliveryFailure] = []
    options = {**FAST, "max_retries": 1, "on_error": failures.append}
    async with Emitter(fault_server.queue_url, **options) as emitter:
        emitter.emit("orphan")
        result = await emitter.flush(10)
    assert result.complete and result.stats.failed == 1
    assert [(f.reason, f.code) for f in failures] == [
        ("retries_exhausted", "CredentialsUnavailable")
    ]
    assert fault_server.received == []
