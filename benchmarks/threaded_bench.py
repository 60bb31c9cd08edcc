"""ThreadedEmitter from 8 threads at once: ``emit()`` latency and events per CPU-second.

    uv run python benchmarks/threaded_bench.py            # ~30 s
    uv run python benchmarks/threaded_bench.py --quick

1. ``emit()`` latency: 8 threads each emit in bursts of 5 with a 1 ms pause (a busy sync
   service: ≤ 40,000 events/s in total), every call timed with ``perf_counter_ns``; the sender
   thread works meanwhile. Endpoint healthy (the loopback sink) and down (connection refused).
2. Throughput: 8 threads emit as fast as the buffer allows (each waits while more than 5,000
   are buffered); events per CPU-second of the whole process, everything delivered and checked
   at the sink (another process).
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from array import array

from edgewatch_emitter import EmitterOptions
from edgewatch_emitter.threaded import ThreadedEmitter
from emitter_bench import CREDENTIALS, QUEUE_PATH, REGION, event, free_port, sink, sink_messages

THREADS = 8


def options(endpoint: str) -> EmitterOptions:
    return EmitterOptions(
        credentials=CREDENTIALS,
        region=REGION,
        endpoint_url=endpoint,
        max_message_bytes=1_048_576,
        request_timeout_s=2.0,
    )


def latency(endpoint: str, per_thread: int) -> tuple[float, float, float, int, int]:
    emitter = ThreadedEmitter(f"{endpoint}{QUEUE_PATH}", options(endpoint))
    events = [event(i) for i in range(1000)]
    for e in events:  # warm up
        emitter.emit(e)
    emitter.flush(5)
    samples = [array("q", bytes(8 * per_thread)) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        mine, clock, emit = samples[n], time.perf_counter_ns, emitter.emit
        barrier.wait()
        for i in range(per_thread):
            e = events[i % 1000]
            t0 = clock()
            emit(e)
            mine[i] = clock() - t0
            if i % 5 == 4:
                time.sleep(0.001)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = emitter.close(2).stats
    ordered = sorted(v for s in samples for v in s)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] / 1000

    return pct(0.5), pct(0.99), ordered[-1] / 1000, stats.sent, stats.dropped


def throughput(endpoint: str, total: int) -> tuple[int, float, float, int]:
    emitter = ThreadedEmitter(f"{endpoint}{QUEUE_PATH}", options(endpoint))
    events = [event(i) for i in range(1000)]
    before = sink_messages(endpoint)
    share = total // THREADS
    barrier = threading.Barrier(THREADS + 1)

    def worker() -> None:
        barrier.wait()
        for i in range(share):
            emitter.emit(events[i % 1000])
            if i % 100 == 99:
                while emitter.buffered > 5_000:
                    time.sleep(0.0005)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    result = emitter.flush(120)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    emitter.close()
    assert result.complete and result.stats.dropped == 0, result
    return share * THREADS, elapsed, cpu, sink_messages(endpoint) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    per_thread, total = (1_000, 40_000) if args.quick else (5_000, 200_000)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start.",
        "",
        f"### `ThreadedEmitter.emit()` from {THREADS} threads at once (budget: p99 ≤ 2 µs)",
        "",
        "| endpoint | calls | p50 µs | p99 µs | max µs | sent | dropped (counted) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    with sink() as healthy:
        p50, p99, top, sent, dropped = latency(healthy, per_thread)
    lines.append(
        f"| healthy | {per_thread * THREADS:,} | {p50:.2f} | {p99:.2f} | {top:,.0f} | "
        f"{sent:,} | {dropped:,} |"
    )
    down = f"http://127.0.0.1:{free_port()}"
    p50, p99, top, sent, dropped = latency(down, per_thread)
    lines.append(
        f"| down (connection refused) | {per_thread * THREADS:,} | {p50:.2f} | {p99:.2f} | "
        f"{top:,.0f} | {sent:,} | {dropped:,} |"
    )
    with sink() as endpoint:
        events, elapsed, cpu, delivered = throughput(endpoint, total)
    lines += [
        "",
        f"### Throughput: {THREADS} producer threads, the sender thread; the sink elsewhere",
        "",
        "| events | seconds | events/s | CPU s | events per CPU-second | CPU µs per event "
        "| delivered |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {events:,} | {elapsed:.2f} | {events / elapsed:,.0f} | {cpu:.2f} | "
        f"{events / cpu:,.0f} | {cpu / events * 1e6:.1f} | {delivered:,} |",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
