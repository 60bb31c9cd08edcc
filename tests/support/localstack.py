"""LocalStack community on the host, without Docker: install it, start it on 127.0.0.1, stop it.

A second SQS / CloudWatch Logs / CloudWatch written by other people than moto's, so that a moto
quirk edgewatch adapted to cannot pass for AWS behaviour, and so that the native move task
(``StartMessageMoveTask``; moto lacks it) runs against a real server.

Why it is built like this:

- LocalStack needs Python >= 3.13 (3.12 fails at import whatever its metadata says) and pins
  that clash with edgewatch's own (an older botocore), so it gets **its own venv**, outside the uv
  workspace, installed from ``scripts/localstack/requirements.txt`` (every version exact,
  compiled from the ranges in ``requirements.in``). The venv is cached under
  ``~/.cache/edgewatch/localstack-venv/<version>-<hash of the lock>``; a second run reuses it.
- It is started as ``python -m localstack.runtime.main`` with ``OVERRIDE_IN_DOCKER=0`` (else it
  writes to ``/var/lib/localstack`` and ``/etc/localstack``) and ``GATEWAY_SERVER=hypercorn``
  (the default server binds 0.0.0.0 whatever ``GATEWAY_LISTEN`` says). Only 127.0.0.1 is
  accepted, and after start-up the process's listening sockets are checked to be loopback only.
- It is stopped by its PID (its own process group): SIGTERM, then SIGKILL after a bound, because
  its shutdown has been seen to hang; and it is killed by the kernel if its parent dies first
  (``PR_SET_PDEATHSIG``), so a killed test session leaves nothing running.

Stdlib only: ``.ci/run`` runs this (``scripts/localstack/localstack.sh``) before the test venv
matters. Command line: ``install``, ``run`` (foreground, Ctrl-C stops), ``where``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "scripts" / "localstack" / "requirements.txt"
SCRIPT = "scripts/localstack/localstack.sh"
MIN_PYTHON = (3, 13)
HOST = "127.0.0.1"
SERVICES = "sqs,logs,cloudwatch"
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0
INSTALL_TIMEOUT_S = 900.0


# Runs LocalStack's main module, but first asks Linux to SIGKILL it when its parent dies: a test
# session that is itself killed (a timeout, Ctrl-C twice) must not leave LocalStack behind.
LAUNCH = """
import ctypes, os, runpy, signal, sys
PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)  # the parent died before the request took effect
sys.argv = ["localstack"]
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
"""


class LocalStackUnavailable(RuntimeError):
    """LocalStack cannot be installed or started here; the message says why and what to do."""


# -- finding a Python ---------------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    """The (major, minor) of ``python`` if it actually runs (a pyenv shim may exist and fail)."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _candidates() -> Iterator[str]:
    if override := os.environ.get("EDGEWATCH_LOCALSTACK_PYTHON"):
        yield override
    for name in ("python3.13", "python3.14"):
        if found := shutil.which(name):
            yield found
    # pyenv's shims fail unless that version is selected; its interpreters themselves work.
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        for version in sorted(Path(root, "versions").glob("3.1[3-9]*"), reverse=True):
            yield str(version / "bin" / "python3")
    if uv := shutil.which("uv"):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            out = subprocess.run(
                [uv, "python", "find", "--no-python-downloads", ">=3.13"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if out.returncode == 0 and out.stdout.strip():
                yield out.stdout.strip()


def find_python() -> tuple[str, tuple[int, int]]:
    """The first Python >= 3.13 on this machine that runs, with its version."""
    tried: list[str] = []
    for candidate in _candidates():
        version = _version_of(candidate)
        if version is not None and version >= MIN_PYTHON:
            return candidate, version
        tried.append(candidate)
    raise LocalStackUnavailable(
        "no Python >= 3.13 found (tried python3.13, python3.14, pyenv versions, "
        "`uv python find '>=3.13'`); install one (e.g. `pyenv install 3.13`) or set "
        "EDGEWATCH_LOCALSTACK_PYTHON"
    )


# -- the cached venv ----------------------------------------------------------------------------


def pinned_version() -> str:
    match = re.search(r"^localstack-core==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE)
    if match is None:
        raise LocalStackUnavailable(f"{REQUIREMENTS} pins no localstack-core version")
    return match.group(1)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgewatch" / "localstack-venv"


def venv_dir(python_version: tuple[int, int]) -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:10]
    py = f"py{python_version[0]}{python_version[1]}"
    return cache_root() / f"{pinned_version()}-{py}-{digest}"


@dataclass(frozen=True)
class Installation:
    python: Path  # the venv's interpreter
    version: str
    reused: bool
    seconds: float


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One installer at a time per venv (several test sessions may share the machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_install(cmd: list[str], env: dict[str, str] | None = None) -> None:
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalStackUnavailable(f"installing LocalStack failed: {exc}") from None
    if out.returncode != 0:
        last = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()[-1]
        raise LocalStackUnavailable(f"installing LocalStack failed: {last}")


def install() -> Installation:
    """The cached venv, created (uv, else venv + pip) and filled from the lock when missing."""
    started = time.monotonic()
    base_python, version = find_python()
    target = venv_dir(version)
    marker = target / ".edgewatch-complete"
    python = target / "bin" / "python"
    with _lock(target.with_name(target.name + ".lock")):
        if marker.exists() and python.exists():
            return Installation(python, pinned_version(), True, time.monotonic() - started)
        shutil.rmtree(target, ignore_errors=True)  # a half-done install is redone, not trusted
        if uv := shutil.which("uv"):
            _run_install([uv, "venv", "--quiet", "--python", base_python, str(target)])
            env = {**os.environ, "VIRTUAL_ENV": str(target)}
            env.pop("UV_PROJECT_ENVIRONMENT", None)
            _run_install(
                [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(REQUIREMENTS)],
                env,
            )
        else:
            _run_install([base_python, "-m", "venv", str(target)])
            _run_install([str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)])
        _run_install([str(python), "-c", "import localstack.runtime.main"])
        marker.write_text(pinned_version() + "\n")
    return Installation(python, pinned_version(), False, time.monotonic() - started)


# -- running it ---------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    return inodes


def listening_addresses(pid: int) -> set[str]:
    """``ip:port`` of every TCP socket ``pid`` listens on (from /proc; Linux)."""
    inodes = _socket_inodes(pid)
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] != "0A" or parts[9] not in inodes:  # 0A: LISTEN
                    continue
                addr, port = parts[1].split(":")
                if width == 8:
                    ip = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
                else:
                    raw = b"".join(bytes.fromhex(addr[i : i + 8])[::-1] for i in range(0, 32, 8))
                    ip = socket.inet_ntop(socket.AF_INET6, raw)
                found.add(f"{ip}:{int(port, 16)}")
    return found


def group_members(pgid: int) -> list[int]:
    """PIDs still alive in process group ``pgid`` (zombies excluded)."""
    members: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


@dataclass
class LocalStack:
    """One LocalStack process on 127.0.0.1, in its own scratch folder and process group."""

    python: Path
    host: str = HOST
    port: int = 0
    services: str = SERVICES
    scratch: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_path: Path | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if self.host != HOST:
            raise ValueError(f"LocalStack binds {HOST} only, not {self.host!r}")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def environment(self) -> dict[str, str]:
        assert self.scratch is not None
        keep = ("PATH", "LANG", "LC_ALL", "HOME")
        env = {k: v for k, v in os.environ.items() if k in keep}
        dirs = {name: self.scratch / name for name in ("tmp", "filesystem", "config")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        env.update(
            OVERRIDE_IN_DOCKER="0",
            SERVICES=self.services,
            GATEWAY_LISTEN=f"{self.host}:{self.port}",
            GATEWAY_SERVER="hypercorn",
            DISABLE_EVENTS="1",
            DNS_ADDRESS="0",
            SKIP_SSL_CERT_DOWNLOAD="1",
            # AWS/SQS metrics every 5 s instead of 60, so a test sees them within a bounded wait
            SQS_CLOUDWATCH_METRICS_REPORT_INTERVAL="5",
            LOCALSTACK_TELEMETRY_DISABLED="1",
            TMPDIR=str(dirs["tmp"]),
            FILESYSTEM_ROOT=str(dirs["filesystem"]),
            CONFIG_DIR=str(dirs["config"]),
        )
        return env

    def start(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Start and wait for ``/_localstack/health`` to list every service as available."""
        if self.process is not None:
            raise RuntimeError("already started")
        self.scratch = self.scratch or Path(tempfile.mkdtemp(prefix="edgewatch-localstack-"))
        self.port = self.port or free_port(self.host)
        self.log_path = self.scratch / "localstack.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-c", LAUNCH, str(os.getpid())],
                env=self.environment(),
                cwd=self.scratch,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one, by our PID
            )
        try:
            self._wait_healthy(timeout_s)
            self._check_loopback_only()
        except BaseException:
            self.stop()
            raise
        return self.endpoint_url

    def _wait_healthy(self, timeout_s: float) -> None:
        assert self.process is not None
        wanted = set(self.services.split(","))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalStackUnavailable(
                    f"LocalStack exited with {self.process.returncode} while starting: "
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(OSError, ValueError):
                with urllib.request.urlopen(
                    f"{self.endpoint_url}/_localstack/health", timeout=2
                ) as r:
                    body = json.load(r)
                services = body.get("services", {})
                if all(services.get(s) in ("available", "running") for s in wanted):
                    self.version = body.get("version")
                    return
            time.sleep(0.1)
        raise LocalStackUnavailable(
            f"LocalStack not healthy after {timeout_s:.0f} s: {self.log_tail()}"
        )

    def _check_loopback_only(self) -> None:
        assert self.process is not None
        addresses = set()
        for pid in group_members(self.process.pid):
            addresses |= listening_addresses(pid)
        wide = sorted(a for a in addresses if not a.startswith(("127.", "::ffff:127.", "::1:")))
        if wide:
            raise LocalStackUnavailable(f"LocalStack listens beyond loopback: {', '.join(wide)}")

    def log_tail(self, lines: int = 5) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "no log"
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "empty log"

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM to its process group, SIGKILL after ``grace_s``; returns once all are gone."""
        process, self.process = self.process, None
        if process is None:
            return
        pgid = process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
        deadline = time.monotonic() + grace_s
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if group_members(pgid) or process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            process.wait(timeout=grace_s)
            deadline = time.monotonic() + grace_s
            while group_members(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "install"
    try:
        if command == "where":
            python, version = find_python()
            print(f"python {'.'.join(map(str, version))}: {python}")
            print(f"venv: {venv_dir(version)}")
            return 0
        done = install()
        how = "reused" if done.reused else "installed"
        print(
            f"LocalStack {done.version} {how} in {done.seconds:.1f} s: {done.python.parent.parent}"
        )
        if command == "install":
            return 0
        if command != "run":
            print(f"usage: {SCRIPT} [install|run|where]", file=sys.stderr)
            return 2
        stack = LocalStack(done.python)
        t0 = time.monotonic()
        stack.start()
        print(
            f"LocalStack {stack.version} on {stack.endpoint_url} (pid {stack.pid}), started in "
            f"{time.monotonic() - t0:.1f} s; Ctrl-C stops it"
        )
        try:
            while stack.process is not None and stack.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stack.stop()
        return 0
    except LocalStackUnavailable as exc:
        print(f"LocalStack unavailable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
