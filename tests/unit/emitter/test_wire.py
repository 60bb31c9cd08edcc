"""The asyncio HTTP/1.1 transport, against raw scripted answers on real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from edgewatch_emitter.wire import (
    AsyncioTransport,
    ConnectError,
    RawResponse,
    ReadTimeout,
    RemoteProtocolError,
)

from edgewatch.simulator.moto_server import free_port


class RawServer:
    """Answers each request with the next scripted bytes; ``None`` means close without answer."""

    def __init__(self, answers: list[bytes | None], close_after_each: bool = False) -> None:
        self.answers = deque(answers)
        self.close_after_each = close_after_each
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.popleft()
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serve(server: RawServer) -> AsyncIterator[str]:
    tasks: set[asyncio.Task[None]] = set()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        await server.handle(reader, writer)

    listener = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:
        listener.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Answer:
    def __init__(self, raw: RawResponse) -> None:
        self.status_code = raw.status
        self.content = bytes(raw.body)
        self.text = self.content.decode()
        self.headers = {k.decode().lower(): v.decode() for k, v in raw.headers}


class Client:
    """What a caller of ``send_raw`` does: serialise a request, read the parsed answer."""

    def __init__(self, transport: AsyncioTransport, timeout: float = 5.0) -> None:
        self.transport = transport
        self.timeouts = dict.fromkeys(("connect", "read", "write", "pool"), timeout)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.transport.aclose()

    async def request(self, method: str, url: str, content: bytes = b"") -> Answer:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        head = (
            f"{method} {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Length: {len(content)}\r\n\r\n"
        )
        raw = await self.transport.send_raw(
            parts.scheme, parts.hostname or "", port, head.encode() + content, self.timeouts
        )
        return Answer(raw)

    async def get(self, url: str) -> Answer:
        return await self.request("GET", url)

    async def post(self, url: str, content: bytes = b"") -> Answer:
        return await self.request("POST", url, content)


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def test_keep_alive_reuses_one_connection() -> None:
    server = RawServer([ok(b"one"), ok(b"two"), ok(b"three")])
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        answers = [(await client.post(url, content=b"x" * 10)).text for _ in range(3)]
    assert answers == ["one", "two", "three"]
    assert server.connections == 1
    assert server.requests[0].endswith(b"\r\n\r\n" + b"x" * 10)


async def test_chunked_body_with_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    server = RawServer([chunked, ok(b"after")])
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        first = await client.get(url)
        second = await client.get(url)
    assert (first.text, second.text) == ("hello world", "after")
    assert server.connections == 1


async def test_close_delimited_body_and_interim_response() -> None:
    server = RawServer(
        [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil close"],
        close_after_each=True,
    )
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        answer = await client.get(url)
    assert (answer.status_code, answer.text, answer.headers["x"]) == (200, "until close", "y")


async def test_stale_keep_alive_connection_is_replaced() -> None:
    server = RawServer([ok(b"first"), ok(b"second")], close_after_each=True)
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        assert (await client.get(url)).text == "first"
        await asyncio.sleep(0)  # the server's FIN may or may not have arrived: both must work
        assert (await client.get(url)).text == "second"
    assert server.connections == 2


async def test_connection_closed_without_answer_is_a_protocol_error() -> None:
    server = RawServer([None])
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        with pytest.raises(RemoteProtocolError):
            await client.get(url)


async def test_malformed_answer_is_a_protocol_error() -> None:
    server = RawServer([b"NONSENSE\r\n\r\n"])
    async with serve(server) as url, Client(AsyncioTransport()) as client:
        with pytest.raises(RemoteProtocolError):
            await client.get(url)


async def test_read_timeout_and_connect_error() -> None:
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npartial"
    server = RawServer([partial, ok(b"unused")])  # a second answer keeps the connection open
    transport = AsyncioTransport()
    async with serve(server) as url, Client(transport, timeout=0.1) as client:
        with pytest.raises(ReadTimeout):
            await client.get(url)
        with pytest.raises(ConnectError):
            await client.get(f"http://127.0.0.1:{free_port()}/")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made on the spot (no network, no fixtures on disk)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_with_certificate_verification(tmp_path: Path) -> None:
    cert_path, key_path = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    server = RawServer([ok(b"secure"), ok(b"again")])
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server_context)
    url = f"https://127.0.0.1:{listener.sockets[0].getsockname()[1]}/"
    try:
        trusting = ssl.create_default_context(cafile=str(cert_path))
        async with Client(AsyncioTransport(verify=trusting)) as client:
            assert (await client.get(url)).text == "secure"
            assert (await client.get(url)).text == "again"
        assert server.connections == 1
        async with Client(AsyncioTransport()) as client:
            with pytest.raises(ConnectError):  # default trust store: not trusted
                await client.get(url)
    finally:
        listener.close()


@contextlib.asynccontextmanager
async def held_server(release: asyncio.Event) -> AsyncIterator[str]:
    """Reads each request, then answers it only once ``release`` is set."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                await release.wait()
                writer.write(ok(b"released"))
                await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:
        listener.close()


async def test_requests_beyond_max_connections_wait_for_a_slot() -> None:
    release = asyncio.Event()
    async with held_server(release) as url, Client(AsyncioTransport(max_connections=1)) as client:
        first = asyncio.create_task(client.post(url))
        second = asyncio.create_task(client.post(url))
        third = asyncio.create_task(client.post(url))
        await asyncio.sleep(0)
        third.cancel()  # a waiter that leaves must not take a slot with it
        release.set()
        answers = await asyncio.wait_for(asyncio.gather(first, second), 5)
        assert [a.text for a in answers] == ["released", "released"]
        with pytest.raises(asyncio.CancelledError):
            await third
        assert (await client.post(url)).text == "released"


async def test_a_full_pool_times_out_clearly() -> None:
    from edgewatch_emitter.wire import PoolTimeout

    release = asyncio.Event()
    async with held_server(release) as url:
        transport = AsyncioTransport(max_connections=1)
        patient, hasty = Client(transport, timeout=30.0), Client(transport, timeout=0.1)
        first = asyncio.create_task(patient.post(url))
        await asyncio.sleep(0)
        with pytest.raises(PoolTimeout):
            await asyncio.wait_for(hasty.post(url), 5)
        release.set()
        assert (await asyncio.wait_for(first, 5)).text == "released"
        await transport.aclose()


async def test_a_short_read_deadline_fires_while_a_long_one_waits() -> None:
    release = asyncio.Event()
    async with held_server(release) as url:
        transport = AsyncioTransport(max_connections=2)
        slow, quick = Client(transport, timeout=30.0), Client(transport, timeout=0.1)
        long_wait = asyncio.create_task(slow.post(url))
        await asyncio.sleep(0)
        with pytest.raises(ReadTimeout):  # the one timer re-armed for the earlier deadline
            await asyncio.wait_for(quick.post(url), 5)
        assert not long_wait.done()
        release.set()
        assert (await asyncio.wait_for(long_wait, 5)).text == "released"
        await transport.aclose()
