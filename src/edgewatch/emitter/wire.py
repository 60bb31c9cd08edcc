"""A lean HTTP/1.1 keep-alive connection pool on plain asyncio protocols, usable by httpx.

Why not httpx's default stack: on the reference machine (2 shared cores) httpcore's pool, anyio
and h11 cost ~0.7 ms of CPU per request, and httpx's client layer (cookies, auth, redirects,
Request/Response objects) another ~0.1 ms, which caps a stock ``httpx.AsyncClient`` at ~4,500
events per CPU-second in batches of 10, against a budget of 20,000. This pool does one write per
request, parses the answer incrementally in ``data_received`` and resolves one future per
exchange. The emitter calls ``send_raw`` with bytes it serialised itself; ``AsyncioTransport`` is
also an ``httpx.AsyncBaseTransport``, so any ``httpx.AsyncClient`` can use it. It speaks HTTP/1.1
with Content-Length, chunked or close-delimited bodies and TLS through asyncio; no proxies (the
emitter falls back to a stock ``httpx.AsyncClient`` when one is configured).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

_CRLF = b"\r\n"
_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


class RawResponse:
    """An answer as parsed off the wire (also the parser's state while it arrives)."""

    __slots__ = ("body", "chunk_left", "close", "framing", "future", "headers", "reason", "status")

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.framing = ""  # "length" | "chunked" | "eof"
        self.chunk_left = -1
        self.close = False

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower-case)."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class _ResponseProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.exchange: RawResponse | None = None
        self.in_head = True
        self.received_any = False
        self.closed = False
        self.paused = False
        self.drain_waiter: asyncio.Future[None] | None = None
        self.last_used = time.monotonic()

    # asyncio callbacks -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        self.buffer += data
        if self.exchange is not None:
            try:
                self._parse()
            except _ProtocolViolation as exc:
                self._fail(httpx.RemoteProtocolError(str(exc)))

    def eof_received(self) -> bool:
        self._on_close(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_close(exc)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # parsing -----------------------------------------------------------------------------------
    def begin(self, exchange: RawResponse) -> None:
        self.exchange = exchange
        self.in_head = True
        self.received_any = bool(self.buffer)
        if self.buffer:
            self._parse()

    def _parse(self) -> None:
        ex = self.exchange
        assert ex is not None
        buf = self.buffer
        while True:
            if self.in_head:
                end = buf.find(_HEAD_END)
                if end < 0:
                    if len(buf) > _MAX_HEAD:
                        raise _ProtocolViolation("response head too large")
                    return
                self._parse_head(bytes(buf[:end]))
                del buf[: end + 4]
                if 100 <= ex.status < 200:  # interim response (100 Continue): the real one follows
                    ex.headers = []
                    continue
                self.in_head = False
            if ex.framing == "length":
                need = ex.chunk_left
                if len(buf) < need:
                    return
                ex.body += buf[:need]
                del buf[:need]
                self._complete()
                return
            if ex.framing == "chunked":
                if not self._parse_chunks():
                    return
                self._complete()
                return
            ex.body += buf  # "eof": the body ends when the connection closes
            buf.clear()
            return

    def _parse_head(self, head: bytes) -> None:
        ex = self.exchange
        assert ex is not None
        lines = head.split(_CRLF)
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise _ProtocolViolation("malformed status line")
        try:
            ex.status = int(parts[1])
        except ValueError:
            raise _ProtocolViolation("malformed status code") from None
        ex.reason = parts[2] if len(parts) > 2 else b""
        http10 = parts[0] == b"HTTP/1.0"
        length = -1
        chunked = False
        connection = b""
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise _ProtocolViolation("malformed header line")
            name = name.strip()
            value = value.strip()
            ex.headers.append((name, value))
            lname = name.lower()
            if lname == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise _ProtocolViolation("malformed Content-Length") from None
            elif lname == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lname == b"connection":
                connection = value.lower()
        ex.close = (http10 and b"keep-alive" not in connection) or b"close" in connection
        if ex.status in (204, 304) or 100 <= ex.status < 200:
            ex.framing, ex.chunk_left = "length", 0
        elif chunked:
            ex.framing, ex.chunk_left = "chunked", -1
        elif length >= 0:
            ex.framing, ex.chunk_left = "length", length
        else:
            ex.framing, ex.close = "eof", True

    def _parse_chunks(self) -> bool:
        ex = self.exchange
        assert ex is not None
        buf = self.buffer
        while True:
            if ex.chunk_left == -1:  # expecting a size line
                end = buf.find(_CRLF)
                if end < 0:
                    return False
                size_text = bytes(buf[:end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise _ProtocolViolation("malformed chunk size") from None
                del buf[: end + 2]
                if size == 0:
                    ex.chunk_left = -2  # trailers follow
                else:
                    ex.chunk_left = size
            if ex.chunk_left == -2:
                end = buf.find(_CRLF)
                if end < 0:
                    return False
                line = bytes(buf[:end])
                del buf[: end + 2]
                if not line:
                    return True
                continue
            if len(buf) < ex.chunk_left + 2:
                return False
            ex.body += buf[: ex.chunk_left]
            del buf[: ex.chunk_left + 2]
            ex.chunk_left = -1

    def _complete(self) -> None:
        ex, self.exchange = self.exchange, None
        if ex is not None and not ex.future.done():
            ex.future.set_result(ex)

    def _fail(self, exc: Exception) -> None:
        ex, self.exchange = self.exchange, None
        if ex is not None and not ex.future.done():
            ex.future.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _on_close(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        ex = self.exchange
        if ex is None:
            return
        if not self.in_head and ex.framing == "eof":
            self._complete()
            return
        if not self.received_any:
            error: Exception = httpx.RemoteProtocolError(
                "server disconnected without sending a response"
            )
        elif exc is not None:
            error = httpx.ReadError(f"connection lost: {type(exc).__name__}")
        else:
            error = httpx.RemoteProtocolError("server closed the connection mid-response")
        self.exchange = None
        if not ex.future.done():
            ex.future.set_exception(error)


class _ProtocolViolation(Exception):
    pass


def _expire(future: asyncio.Future[Any], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 connection pool, bounded by ``max_connections``."""

    def __init__(
        self,
        *,
        max_connections: int = 16,
        keepalive_expiry_s: float = 30.0,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry_s = keepalive_expiry_s
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_ResponseProtocol]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl_context = self._verify
            else:
                self._ssl_context = httpx.create_ssl_context(verify=self._verify)
        return self._ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The httpx transport interface (use it inside any ``httpx.AsyncClient``)."""
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        port = url.port or (443 if url.scheme == "https" else 80)
        answer = await self.send_raw(
            url.scheme, url.host, port, _serialise(request, body), timeouts, request
        )
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            content=bytes(answer.body),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    async def send_raw(
        self,
        scheme: str,
        host: str,
        port: int,
        data: bytes,
        timeouts: Mapping[str, float | None],
        request: httpx.Request | None = None,
    ) -> RawResponse:
        """Send a fully serialised request (head and body) and return the parsed answer.

        The emitter's own path: it skips building ``httpx.Request``/``Response`` objects, which
        cost about a quarter of the CPU per batch. Errors are httpx's ``TransportError`` types.
        """
        if self._closed:
            raise RuntimeError("transport is closed")
        slots = self._slots
        if slots is None:
            slots = self._slots = asyncio.Semaphore(self._max_connections)
        if slots.locked():
            try:
                async with asyncio.timeout(timeouts.get("pool")):
                    await slots.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout("no free connection", request=request) from None
        else:
            await slots.acquire()
        try:
            return await self._exchange((scheme, host, port), data, timeouts, request)
        finally:
            slots.release()

    async def _exchange(
        self,
        key: tuple[str, str, int],
        data: bytes,
        timeouts: Mapping[str, float | None],
        request: httpx.Request | None,
    ) -> RawResponse:
        https = key[0] == "https"
        conn = self._checkout(key)
        reused = conn is not None
        if conn is None:
            conn = await self._connect(key, https, timeouts.get("connect"), request)
        try:
            ex = await self._roundtrip(conn, data, timeouts, request)
        except httpx.RemoteProtocolError:
            _close(conn)
            if not (reused and not conn.received_any):
                raise
            # The server closed an idle keep-alive connection just as we reused it; nothing was
            # answered, so send once more on a fresh connection (as browsers and urllib3 do).
            conn = await self._connect(key, https, timeouts.get("connect"), request)
            try:
                ex = await self._roundtrip(conn, data, timeouts, request)
            except BaseException:
                _close(conn)
                raise
        except BaseException:
            _close(conn)
            raise
        if ex.close or conn.closed or conn.buffer or self._closed:
            _close(conn)
        else:
            conn.last_used = time.monotonic()
            self._idle.setdefault(key, []).append(conn)
        return ex

    def _checkout(self, key: tuple[str, str, int]) -> _ResponseProtocol | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if (
                conn.closed
                or conn.buffer
                or conn.transport is None
                or conn.transport.is_closing()
                or now - conn.last_used > self._keepalive_expiry_s
            ):
                _close(conn)
                continue
            return conn
        return None

    async def _connect(
        self,
        key: tuple[str, str, int],
        https: bool,
        timeout: float | None,
        request: httpx.Request | None,
    ) -> _ResponseProtocol:
        loop = asyncio.get_running_loop()
        _scheme, host, port = key
        try:
            async with asyncio.timeout(timeout):
                _transport, protocol = await loop.create_connection(
                    _ResponseProtocol,
                    host,
                    port,
                    ssl=self._ssl() if https else None,
                    server_hostname=host if https else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("connect timed out", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(
                f"cannot connect to {host}:{port}: {exc.strerror or type(exc).__name__}",
                request=request,
            ) from None
        return protocol

    async def _roundtrip(
        self,
        conn: _ResponseProtocol,
        data: bytes,
        timeouts: Mapping[str, float | None],
        request: httpx.Request | None,
    ) -> RawResponse:
        loop = asyncio.get_running_loop()
        transport = conn.transport
        if transport is None or transport.is_closing():
            raise httpx.RemoteProtocolError("connection closed", request=request)
        future: asyncio.Future[RawResponse] = loop.create_future()
        conn.begin(RawResponse(future))
        transport.write(data)
        if conn.paused:
            waiter = conn.drain_waiter = loop.create_future()
            try:
                async with asyncio.timeout(timeouts.get("write")):
                    await waiter
            except TimeoutError:
                raise httpx.WriteTimeout("write timed out", request=request) from None
        read_timeout = timeouts.get("read")
        handle = (
            loop.call_later(
                read_timeout, _expire, future, httpx.ReadTimeout("read timed out", request=request)
            )
            if read_timeout is not None
            else None
        )
        try:
            return await future
        except httpx.TransportError as exc:
            exc.request = request
            raise
        finally:
            if handle is not None:
                handle.cancel()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                _close(conn)
        self._idle.clear()


def _close(conn: _ResponseProtocol) -> None:
    conn.exchange = None
    if conn.transport is not None and not conn.transport.is_closing():
        conn.transport.close()


def _serialise(request: httpx.Request, body: bytes) -> bytes:
    head = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        head += (name, b": ", value, _CRLF)
    head.append(_CRLF)
    return b"".join(head) + body
