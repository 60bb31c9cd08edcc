"""The emitter's fast signer gives exactly the headers of botocore's signer (``sign_request``)."""

from __future__ import annotations

import hmac
import itertools

import pytest
from botocore.credentials import ReadOnlyCredentials
from edgewatch_emitter.sigv4 import RequestSigner, _HmacPads, sign_request

CONTENT_TYPE = "application/x-amz-json-1.0"
CREDENTIALS = [
    ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    ReadOnlyCredentials("ASIAEXAMPLE", "secret/with+chars", "FwoGZXIvYXdzE//token+=="),
]
HOSTS = ["sqs.eu-west-1.amazonaws.com", "127.0.0.1:4566"]
BODIES = [b"", b'{"QueueUrl":"q","Entries":[]}', "héllo ✓".encode()]
TIMES = ["20150830T123600Z", "20261201T235959Z", "20261202T000000Z"]


@pytest.mark.parametrize(
    ("credentials", "host", "body", "timestamp"),
    list(itertools.product(CREDENTIALS, HOSTS, BODIES, TIMES)),
)
def test_same_headers_as_botocore(
    credentials: ReadOnlyCredentials, host: str, body: bytes, timestamp: str
) -> None:
    signer = RequestSigner(host, "eu-west-1", "sqs", CONTENT_TYPE)
    target = "AmazonSQS.SendMessageBatch"
    reference = sign_request(
        "POST",
        f"https://{host}/",
        (("Host", host), ("Content-Type", CONTENT_TYPE), ("X-Amz-Target", target)),
        body,
        credentials=credentials,
        region="eu-west-1",
        service="sqs",
        timestamp=timestamp,
    )
    assert signer.sign(target, body, credentials, timestamp) == reference
    assert signer.sign(target, body, credentials, timestamp) == reference  # cached key, same


def test_the_key_cache_follows_the_day_and_the_secret() -> None:
    signer = RequestSigner("h", "us-east-1", "sqs", CONTENT_TYPE)
    a, b = CREDENTIALS
    first = signer.sign("T", b"x", a, "20261201T120000Z")
    assert signer.sign("T", b"x", b, "20261201T120000Z") != first  # another secret
    assert signer.sign("T", b"x", a, "20261202T120000Z") != first  # another day
    assert signer.sign("T", b"x", a, "20261201T120000Z") == first


@pytest.mark.parametrize(
    ("credentials", "host", "body", "timestamp"),
    list(itertools.product(CREDENTIALS, HOSTS, BODIES, TIMES[:2])),
)
def test_the_request_head_carries_the_signed_headers(
    credentials: ReadOnlyCredentials, host: str, body: bytes, timestamp: str
) -> None:
    signer = RequestSigner(host, "eu-west-1", "sqs", CONTENT_TYPE)
    target = "AmazonSQS.SendMessageBatch"
    head = signer.request_head(target, body, credentials, timestamp, "User-Agent: ua\r\n")
    assert head.endswith(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[:-2]
    assert lines[0] == "POST / HTTP/1.1"
    pairs = [tuple(line.split(": ", 1)) for line in lines[1:]]
    expected = signer.sign(target, body, credentials, timestamp)
    assert pairs == [*expected, ("User-Agent", "ua"), ("Content-Length", str(len(body)))]


@pytest.mark.parametrize("length", [0, 1, 32, 63, 64, 65, 200])
def test_the_cached_hmac_states_give_rfc_2104_hmac(length: int) -> None:
    key = bytes(range(length % 256)) * (length // 256 + 1)
    key = key[:length]
    for message in (b"", b"AWS4-HMAC-SHA256\n20261201T000000Z\n", bytes(range(256)) * 3):
        assert _HmacPads(key).digest(message) == hmac.digest(key, message, "sha256")
