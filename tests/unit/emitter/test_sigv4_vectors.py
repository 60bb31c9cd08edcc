"""edgewatch's signer (the one the emitter uses) against the 34 official SigV4 test vectors.

Harness traps (see tests/data/sigv4/README.md): the request-line path may contain a space, so it is
split on the first and last space; query keys repeat, so the URL keeps the raw query string;
folded header lines continue the previous value; the session token is the one in the ``.creq``
(``post-sts-header-after`` adds it after signing, so it is not signed and not passed); three
``.req`` files end with a newline that is not a blank header line; raw UTF-8 in a query
(``get-vanilla-utf8-query``) is percent-encoded, as it is on the wire.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.credentials import ReadOnlyCredentials
from edgewatch_emitter.sigv4 import redact_headers, sign_request

SUITE = Path(__file__).resolve().parents[2] / "data" / "sigv4" / "aws4_testsuite"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TIMESTAMP = "20150830T123600Z"
CASES = sorted(p.parent for p in SUITE.rglob("*.req"))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def parse_raw_request(raw: str) -> tuple[str, str, list[tuple[str, str]], bytes]:
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method = request_line[: request_line.index(" ")]
    target = request_line[request_line.index(" ") + 1 : request_line.rindex(" ")]
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:  # a few .req files end with a stray newline
            continue
        if line[:1] in (" ", "\t") and headers:  # a folded continuation of the previous value
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, _, value = line.partition(":")
        headers.append((name, value))
    return method, target, headers, body.encode("utf-8")


def on_the_wire(query: str) -> str:
    """Percent-encode non-ASCII as a client does on the wire (botocore signs the query as sent)."""
    return "".join(c if c.isascii() else quote(c, safe="") for c in query)


def token_of(case: Path) -> str | None:
    for line in _read(case / f"{case.name}.creq").split("\n"):
        if line.startswith("x-amz-security-token:"):
            return line.split(":", 1)[1]
    return None


def test_the_suite_has_34_cases() -> None:
    assert len(CASES) == 34
    assert (SUITE / "LICENSE").is_file()
    assert (SUITE / "NOTICE").is_file()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_authorization_header_matches_vector(case: Path) -> None:
    method, target, headers, body = parse_raw_request(_read(case / f"{case.name}.req"))
    path, sep, query = target.partition("?")
    target = path + sep + on_the_wire(query)
    host = next(value for name, value in headers if name.lower() == "host")
    credentials = ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, token_of(case))
    signed = sign_request(
        method,
        f"https://{host}{target}",
        headers,
        body,
        credentials=credentials,
        region="us-east-1",
        service="service",
        timestamp=TIMESTAMP,
    )
    authorization = [value for name, value in signed if name.lower() == "authorization"]
    expected = _read(case / f"{case.name}.authz")
    assert authorization == [expected]
    if credentials.token:
        assert ("X-Amz-Security-Token", credentials.token) in signed


def test_redaction_hides_credentials_only() -> None:
    signed = sign_request(
        "POST",
        "https://sqs.us-east-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.0"},
        b"{}",
        credentials=ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, "session-token-value"),
        region="us-east-1",
        service="sqs",
        timestamp=TIMESTAMP,
    )
    redacted = dict(redact_headers(signed))
    assert redacted["Authorization"] == "[redacted]"
    assert redacted["X-Amz-Security-Token"] == "[redacted]"
    assert redacted["Content-Type"] == "application/x-amz-json-1.0"
    assert "session-token-value" not in repr(redacted)
