"""A minimal SQS JSON-protocol sink for throughput benchmarks, meant to run in its own process.

moto is far too slow to measure a client against (tens of batch calls per second), so the
benchmark sends to this instead: an asyncio HTTP/1.1 server with keep-alive that answers
``SendMessageBatch`` (every entry successful, with a real MD5 of the body), ``SendMessage`` and
``GetQueueAttributes``. It does not check signatures; it counts what it accepted so that the
benchmark can verify every event arrived.

    python benchmarks/sqs_sink.py [--port 0] [--delay-ms 500]

prints ``LISTENING <port>`` once bound. ``GET /stats`` returns ``{"requests": n, "messages": m}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import sys

MAX_MESSAGE_SIZE = 1_048_576


class SinkState:
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.requests = 0
        self.messages = 0
        self.next_id = 0


def _answer(state: SinkState, target: str, body: bytes) -> tuple[int, bytes]:
    operation = target.rsplit(".", 1)[-1]
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return 400, _error("SerializationException", "body is not JSON")
    if operation == "SendMessageBatch":
        successful = []
        for entry in payload.get("Entries", []):
            state.next_id += 1
            successful.append(
                {
                    "Id": entry["Id"],
                    "MessageId": f"sink-{state.next_id}",
                    "MD5OfMessageBody": hashlib.md5(
                        entry["MessageBody"].encode(), usedforsecurity=False
                    ).hexdigest(),
                }
            )
        state.messages += len(successful)
        return 200, json.dumps({"Successful": successful, "Failed": []}).encode()
    if operation == "SendMessage":
        state.next_id += 1
        state.messages += 1
        digest = hashlib.md5(payload["MessageBody"].encode(), usedforsecurity=False).hexdigest()
        return 200, json.dumps(
            {"MessageId": f"sink-{state.next_id}", "MD5OfMessageBody": digest}
        ).encode()
    if operation == "GetQueueAttributes":
        attributes = {"MaximumMessageSize": str(MAX_MESSAGE_SIZE), "FifoQueue": "false"}
        return 200, json.dumps({"Attributes": attributes}).encode()
    return 400, _error("UnsupportedOperation", f"{operation} is not implemented by the sink")


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()


class SinkProtocol(asyncio.Protocol):
    """One keep-alive connection; requests are answered in order (pipelining-safe)."""

    def __init__(self, state: SinkState) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.pending: list[asyncio.Future[bytes]] = []
        self.watching: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buffer[:head_end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < head_end + 4 + length:
                return
            body = bytes(self.buffer[head_end + 4 : head_end + 4 + length])
            del self.buffer[: head_end + 4 + length]
            self._handle(head[0], headers, body)

    def _handle(self, request_line: str, headers: dict[str, str], body: bytes) -> None:
        method, _, rest = request_line.partition(" ")
        path = rest.rsplit(" ", 1)[0]
        if method == "GET" and path == "/stats":
            status, payload = (
                200,
                json.dumps(
                    {"requests": self.state.requests, "messages": self.state.messages}
                ).encode(),
            )
        else:
            self.state.requests += 1
            status, payload = _answer(self.state, headers.get("x-amz-target", ""), body)
        reason = "OK" if status == 200 else "Bad Request"
        response = (
            f"HTTP/1.1 {status} {reason}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            f"x-amzn-RequestId: sink-{self.state.requests}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self.pending.append(future)
        if self.state.delay_s > 0:
            loop.call_later(self.state.delay_s, _resolve, future, response)
        else:
            future.set_result(response)
        self._write_ready()

    def _write_ready(self) -> None:
        while self.pending and self.pending[0].done():
            response = self.pending.pop(0).result()
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(response)
        head = self.pending[0] if self.pending else None
        if head is not None and head is not self.watching:
            self.watching = head
            head.add_done_callback(lambda _f: self._write_ready())

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _resolve(future: asyncio.Future[bytes], response: bytes) -> None:
    if not future.done():
        future.set_result(response)


async def serve(port: int, delay_s: float) -> None:
    state = SinkState(delay_s)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkProtocol(state), "127.0.0.1", port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"LISTENING {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="answer after this delay")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
