"""A small closed-loop HTTP/1.1 load generator, meant to run in its own process.

``--connections`` clients each send ``GET <path>`` back to back on a keep-alive connection
(reconnecting when the server closes it, as gunicorn's sync workers do) for ``--seconds``, and
time every request. Prints one JSON object: requests, requests/s, latency p50/p99/max in ms,
errors, and the requests answered during the ``--warmup`` (not in the other figures). Raw
asyncio sockets: an HTTP client library would cost more CPU than the server under test on a
small machine.

    python benchmarks/loadgen.py --url http://127.0.0.1:8000/items/1 --connections 16 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


async def client(
    host: str, port: int, request: bytes, until: float, samples: list[float], errors: list[str]
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and b"close" in value.lower():
                    close = True
            await reader.readexactly(length)
            samples.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
                errors.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000.0


async def run(url: str, connections: int, seconds: float, warmup: float) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "CloudFront-Viewer-Country: DE\r\nUser-Agent: loadgen/1\r\n\r\n"
    ).encode()
    warmed: list[float] = []  # counted too: every request answered may become an event
    if warmup > 0:
        until = time.perf_counter() + warmup
        await asyncio.gather(*(client(host, port, request, until, warmed, []) for _ in range(4)))
    samples: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(client(host, port, request, until, samples, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(samples)
    return {
        "requests": len(samples),
        "rps": len(samples) / elapsed,
        "p50_ms": percentile(ordered, 0.50),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] * 1000.0,
        "errors": len(errors),
        "warmup_requests": len(warmed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.connections, args.seconds, args.warmup))))


if __name__ == "__main__":
    main()
