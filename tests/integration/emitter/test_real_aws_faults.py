"""What real AWS does and moto does not, each against a real fault on real sockets.

Rotating credentials, a skewed clock, TLS with a private CA, an HTTP(S) proxy from the
environment, and throttling bursts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import RefreshableCredentials
from edgewatch_emitter import BackoffPolicy, DeliveryFailure, Emitter

from tests.support.fault_server import THROTTLE, FaultServer, Partial
from tests.support.proxy import LoopbackProxy
from tests.support.tls import make_ca_and_cert

FAST: dict[str, Any] = {
    "region": "us-east-1",
    "backoff": BackoffPolicy(0.001, 0.005),
    "max_message_bytes": 262_144,
    "max_retries": 5,
}
STATIC = ("AKIDTEST", "testing")


def rotating_credentials() -> tuple[RefreshableCredentials, list[str]]:
    """Each refresh hands out the next key (AKID1, AKID2, ...), valid for an hour by its expiry."""
    issued: list[str] = []
    counter = itertools.count(1)

    def refresh() -> dict[str, str]:
        key = f"AKIDROTATED{next(counter)}"
        issued.append(key)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        return {
            "access_key": key,
            "secret_key": "testing",
            "token": f"token-of-{key}",
            "expiry_time": expiry.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        refresh(), refresh_using=refresh, method="rotating-test"
    )
    return credentials, issued


async def test_credentials_rotated_mid_run_lose_no_event(fault_server: FaultServer) -> None:
    credentials, issued = rotating_credentials()
    fault_server.valid_access_keys = {issued[0]}
    failures: list[DeliveryFailure] = []
    async with Emitter(
        fault_server.queue_url, credentials=credentials, on_error=failures.append, **FAST
    ) as emitter:
        for i in range(50):
            emitter.emit(f"before-{i}")
        assert (await emitter.flush(10)).complete
        # The session is revoked (a rotated role): the old key now gets ExpiredToken, although
        # its own expiry says it is good for an hour. The next refresh issues AKIDROTATED2.
        fault_server.valid_access_keys = {"AKIDROTATED2"}
        for i in range(50):
            emitter.emit(f"after-{i}")
        result = await emitter.flush(10)
    assert failures == [] and result.complete
    assert sorted(fault_server.bodies()) == sorted(
        [f"before-{i}" for i in range(50)] + [f"after-{i}" for i in range(50)]
    )
    assert "ExpiredToken" in fault_server.refused and issued[:2] == ["AKIDROTATED1", "AKIDROTATED2"]


@pytest.mark.parametrize("code", ["RequestTimeTooSkewed", "InvalidSignatureException"])
@pytest.mark.parametrize("skew_s", [-1800.0, 3600.0])
async def test_a_skewed_clock_is_corrected_from_the_server_date(
    fault_server: FaultServer, code: str, skew_s: float
) -> None:
    fault_server.clock_skew_s = skew_s  # the server is that far from us: we look skewed to it
    fault_server.skew_code = code
    failures: list[DeliveryFailure] = []
    async with Emitter(
        fault_server.queue_url, credentials=STATIC, on_error=failures.append, **FAST
    ) as emitter:
        for i in range(30):
            emitter.emit(f"e-{i}")
        result = await emitter.flush(10)
    assert failures == [] and result.complete and len(fault_server.bodies()) == 30
    # Refused: only what was already signed (in flight) when the first refusal came back.
    assert set(fault_server.refused) == {code} and len(fault_server.refused) <= 8
    assert result.stats.retried == 0  # the resend is immediate, not a backoff retry


async def test_https_with_a_private_ca_from_ca_bundle_and_aws_ca_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = make_ca_and_cert(tmp_path)
    async with FaultServer(ssl_context=tls.server_context()) as server:
        async with Emitter(
            server.queue_url, credentials=STATIC, ca_bundle=str(tls.ca), **FAST
        ) as emitter:
            emitter.emit("via option")
            assert (await emitter.flush(10)).complete
        monkeypatch.setenv("AWS_CA_BUNDLE", str(tls.ca))  # as botocore reads it
        async with Emitter(server.queue_url, credentials=STATIC, **FAST) as emitter:
            emitter.emit("via AWS_CA_BUNDLE")
            assert (await emitter.flush(10)).complete
    assert server.bodies() == ["via option", "via AWS_CA_BUNDLE"]
    assert server.endpoint_url.startswith("https://")


async def test_an_untrusted_certificate_is_reported_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    tls = make_ca_and_cert(tmp_path)
    failures: list[DeliveryFailure] = []
    async with (
        FaultServer(ssl_context=tls.server_context()) as server,
        Emitter(
            server.queue_url,
            credentials=STATIC,
            on_error=failures.append,
            **{**FAST, "max_retries": 1},
        ) as emitter,
    ):
        emitter.emit("never trusted")
        result = await emitter.flush(10)
    assert not server.received and result.stats.failed == 1
    (failure,) = failures
    assert failure.reason == "retries_exhausted" and failure.code == "TLSError"
    assert "certificate verify failed" in failure.message
    assert "127.0.0.1" in failure.message and "AWS_CA_BUNDLE" in failure.message


async def test_https_through_a_connect_proxy_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = make_ca_and_cert(tmp_path)
    async with LoopbackProxy() as proxy, FaultServer(ssl_context=tls.server_context()) as server:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with Emitter(
            server.queue_url, credentials=STATIC, ca_bundle=str(tls.ca), **FAST
        ) as emitter:
            for i in range(25):
                emitter.emit(f"p-{i}")
            assert (await emitter.flush(10)).complete
    assert len(server.bodies()) == 25 and all(r.signature_ok for r in server.received)
    assert proxy.connects and set(proxy.connects) == {f"127.0.0.1:{server.port}"}


async def test_http_through_a_proxy_and_no_proxy_bypass(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with LoopbackProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with Emitter(fault_server.queue_url, credentials=STATIC, **FAST) as emitter:
            emitter.emit("proxied")
            assert (await emitter.flush(10)).complete
        forwarded = list(proxy.forwarded)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with Emitter(fault_server.queue_url, credentials=STATIC, **FAST) as emitter:
            emitter.emit("direct")
            assert (await emitter.flush(10)).complete
    assert fault_server.bodies() == ["proxied", "direct"]
    assert forwarded and all(f.startswith(f"POST {fault_server.endpoint_url}/") for f in forwarded)
    assert proxy.forwarded == forwarded  # the bypassed request did not go through it


async def test_a_throttling_burst_backs_off_and_recovers_without_duplicates(
    fault_server: FaultServer,
) -> None:
    # A burst: whole requests throttled, and batches where some entries failed on the service's
    # side (SenderFault false) — only those entries may be sent again.
    fault_server.script.extend(
        [THROTTLE] * 6 + [Partial({0: False, 7: False})] * 4 + [THROTTLE] * 6
    )
    failures: list[DeliveryFailure] = []
    async with Emitter(
        fault_server.queue_url,
        credentials=STATIC,
        on_error=failures.append,
        max_in_flight=8,
        breaker_threshold=4,
        breaker_cooldown_s=0.01,
        **{**FAST, "max_retries": 20},
    ) as emitter:
        for i in range(400):
            emitter.emit(json.dumps({"i": i}))
        result = await emitter.flush(20)
    bodies = fault_server.bodies()
    assert failures == [] and result.complete and result.stats.sent == 400
    assert len(bodies) == len(set(bodies)) == 400  # every event once: no duplicate storm
    # Every request was a throttled one, or a batch that delivered something new.
    assert len(fault_server.batches) <= 12 + 4 + 400 // 10 + 8
    assert result.stats.retried > 0


async def test_backoff_outlasts_a_throttling_episode(fault_server: FaultServer) -> None:
    # Real throttling lasts for a while, not for a number of requests: retrying at once only
    # burns the retry budget inside the episode. Backoff (capped doubling) spreads the retries
    # until they land after it. The breaker is kept out of the way (a threshold never reached)
    # so that the backoff alone has to carry the batches through.
    fault_server.throttle_for_s = 0.4
    failures: list[DeliveryFailure] = []
    async with Emitter(
        fault_server.queue_url,
        credentials=STATIC,
        on_error=failures.append,
        max_in_flight=10,
        breaker_threshold=10_000,
        **{**FAST, "backoff": BackoffPolicy(0.1, 1.0), "max_retries": 8},
    ) as emitter:
        for i in range(100):
            emitter.emit(f"t-{i}")
        result = await emitter.flush(30)
    assert failures == [] and result.complete and result.stats.sent == 100
    assert sorted(fault_server.bodies()) == sorted(f"t-{i}" for i in range(100))
    assert fault_server.refused and set(fault_server.refused) == {"ThrottlingException"}
    # Full jitter: the ten batches refused together do not come back as one synchronised
    # wave in the order they were refused (for equal waits, that order is what no jitter
    # gives; with jitter it comes back by chance once in 10! = 3,628,800 runs).
    firsts = [b.payload["Entries"][0]["MessageBody"] for b in fault_server.batches]
    wave = list(dict.fromkeys(firsts))[:10]  # the batches of the first wave, by first arrival
    again = [body for position, body in enumerate(firsts) if body in firsts[:position]]
    assert len(wave) == 10 and set(wave) <= set(again)
    assert [body for body in dict.fromkeys(again) if body in wave] != wave
