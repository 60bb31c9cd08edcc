"""The AWS backend a test talks to: moto (in-process) or LocalStack (a host process), both real
servers over HTTP on 127.0.0.1.

A module opts in with ``pytestmark = pytest.mark.backends``: each of its tests that uses the
``backend`` fixture (directly or through ``aws_clients``, ``boto3_sqs``, ``pair``, ``logs``,
``proxy``...) then runs once per backend, with ids ``[moto]`` and ``[localstack]``. Tests that ask
for ``moto_server`` itself (they stop it, reset it, or use moto-only APIs) stay on moto.

Isolation: moto is reset before each test; LocalStack has no reset in its community edition, so
each test gets **its own LocalStack account** (LocalStack takes a 12-digit access key id as the
account id): queues, log groups and metrics of one test are invisible to the next. The key is also
put in ``AWS_ACCESS_KEY_ID`` for the test, so code on the standard credential chain (the emitter,
a CLI subprocess) lands in the same account.

LocalStack is started once per session, on first use. Where it cannot be had, the header and
the closing summary say so and how to get it; under ``EDGEWATCH_CI=1`` its tests fail instead.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from edgewatch.aws import AwsTarget
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from tests.support.localstack import (
    SCRIPT,
    LocalStack,
    LocalStackUnavailable,
    group_members,
    install,
)

BACKENDS = ("moto", "localstack")
REGION = "us-east-1"
FAKE_SECRET = "test"  # LocalStack does not check signatures; never a real secret
_accounts = itertools.count(100_000_000_001)


@dataclass(frozen=True)
class Backend:
    """Where a test's AWS calls go, and with which (fake) keys."""

    name: str
    endpoint_url: str
    credentials: tuple[str, str]
    region: str = REGION

    @property
    def is_localstack(self) -> bool:
        return self.name == "localstack"

    @property
    def account(self) -> str:
        return self.credentials[0] if self.is_localstack else "123456789012"

    def target(self) -> AwsTarget:
        return AwsTarget(self.region, self.endpoint_url, credentials=self.credentials)

    def client(self, service: str) -> Any:
        """A plain boto3 client, for arranging and checking state from the outside."""
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.credentials[0],
            aws_secret_access_key=self.credentials[1],
        )


class _Session:
    """The one LocalStack of this test session, or why there is none."""

    def __init__(self) -> None:
        self.stack: LocalStack | None = None
        self.failure: str | None = None
        self.install_s: float | None = None
        self.start_s: float | None = None
        self.reused: bool | None = None
        self.used = False

    def disabled(self) -> str | None:
        if os.environ.get("EDGEWATCH_LOCALSTACK", "").lower() in ("0", "off", "no", "false"):
            return "EDGEWATCH_LOCALSTACK=0 is set"
        return None

    def get(self) -> LocalStack:
        self.used = True
        if self.stack is not None:
            return self.stack
        if self.failure is None:
            self.failure = self.disabled()
        if self.failure is None:
            try:
                done = install()
                self.install_s, self.reused = done.seconds, done.reused
                stack = LocalStack(done.python)
                t0 = time.monotonic()
                stack.start()
                self.start_s = time.monotonic() - t0
                self.stack = stack
                return stack
            except (LocalStackUnavailable, OSError) as exc:
                self.failure = str(exc)
        raise LocalStackUnavailable(self.failure)

    def stop(self) -> str | None:
        """Stop it; the PIDs of its process group still alive afterwards (none, or a bug)."""
        stack, self.stack = self.stack, None
        if stack is None or stack.pid is None:
            return None
        pid = stack.pid
        stack.stop()
        left = group_members(pid)
        return f"LocalStack pid {pid} left processes running: {left}" if left else None


SESSION = _Session()


def how_to_get_it() -> str:
    return f"install it with `{SCRIPT} install` (needs a Python >= 3.13)"


def unavailable(reason: str) -> None:
    """Fail under CI, else skip with the reason and the way to get LocalStack."""
    if os.environ.get("EDGEWATCH_CI"):
        pytest.fail(f"LocalStack unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"LocalStack unavailable: {reason}; {how_to_get_it()}")


# -- hooks (this module is loaded as a plugin by the root conftest) -----------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends: run each test that uses `backend` on moto and on LocalStack"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("backends") is None:
        return
    names = set(metafunc.fixturenames)
    if "backend" not in names or names & {"moto_server", "moto_session_server"}:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        if "backend" in str(mark.args[0] if mark.args else ""):
            return  # the test names its backends itself
    metafunc.parametrize("backend", BACKENDS, indirect=True)


def pytest_report_header(config: pytest.Config) -> str:
    if reason := SESSION.disabled():
        return f"backends: moto only — LocalStack off ({reason}); {how_to_get_it()}"
    return "backends: moto, LocalStack (started on first use, stopped at the end)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    if SESSION.failure is not None and SESSION.used:
        terminalreporter.section("LocalStack NOT AVAILABLE", sep="!", red=True, bold=True)
        write(f"its tests did not run: {SESSION.failure}", red=True, bold=True)
        write(how_to_get_it(), red=True)
    elif SESSION.start_s is not None:
        how = "reused venv" if SESSION.reused else "installed"
        write(f"LocalStack: {how} in {SESSION.install_s:.1f} s, started in {SESSION.start_s:.1f} s")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def localstack_session() -> Iterator[LocalStack]:
    try:
        stack = SESSION.get()
    except LocalStackUnavailable as exc:
        unavailable(str(exc))
    yield stack
    if leftover := SESSION.stop():
        pytest.fail(leftover, pytrace=False)


@pytest.fixture
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """moto unless the test is parametrised (``pytest.mark.backends``) with LocalStack."""
    name = getattr(request, "param", "moto")
    if name == "moto":
        server = request.getfixturevalue("moto_server")
        return Backend("moto", server.endpoint_url, FAKE_CREDENTIALS)
    stack = request.getfixturevalue("localstack_session")
    account = f"{next(_accounts):012d}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", account)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    return Backend("localstack", stack.endpoint_url, (account, FAKE_SECRET))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Belt and braces: nothing of LocalStack outlives the session, even if a teardown was
    skipped (an interrupted run)."""
    if leftover := SESSION.stop():
        session.config.get_terminal_writer().line(leftover, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
