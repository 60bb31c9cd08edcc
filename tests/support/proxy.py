"""An HTTP proxy on 127.0.0.1: ``CONNECT`` tunnels (for https) and absolute-form forwarding.

It records what it was asked (``connects``, ``forwarded``), so a test can tell that traffic went
through it. Forwarding is request by request (Content-Length bodies, as SQS answers have).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class LoopbackProxy:
    def __init__(self) -> None:
        self.connects: list[str] = []
        self.forwarded: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, version = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                if method == "CONNECT":
                    self.connects.append(target)
                    host, port = target.rsplit(":", 1)
                    up_reader, up_writer = await asyncio.open_connection(host, int(port))
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                    return
                self.forwarded.append(f"{method} {target}")
                parts = urlsplit(target)
                if upstream is None:
                    upstream = await asyncio.open_connection(parts.hostname, parts.port or 80)
                length = _content_length(head)
                body = await reader.readexactly(length)
                rest = head.split(b"\r\n", 1)[1]
                origin = f"{method} {parts.path or '/'} {version}\r\n".encode()
                upstream[1].write(origin + rest + body)
                answer = await upstream[0].readuntil(b"\r\n\r\n")
                answer += await upstream[0].readexactly(_content_length(answer))
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            if upstream is not None:
                upstream[1].close()
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()
