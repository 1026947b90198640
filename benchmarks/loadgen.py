"""A bounded HTTP load generator for loopback benchmarks: N clients, each sending one request
after another for a fixed time, then it stops by itself.

Standard library only (asyncio streams), and deliberately small: on a two-CPU machine the
load generator shares the processors with the server it measures, so the lighter its own
work per request the truer the figures. It speaks just enough HTTP/1.1 for that: one request
per connection (`Connection: close`, which is all gunicorn's sync workers do anyway), the
status line read, the body read to the end. Bounded three ways: a duration, a total number
of requests, and a timeout per request.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

REQUEST_TIMEOUT = 30.0


@dataclass
class Result:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # no answer (refused, reset, timed out)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 400)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile of the latencies in seconds (q in 0..1)."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[max(0, min(98, round(q * 100) - 1))]

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "requests/s": round(self.per_second, 1),
            "p50 (ms)": round(self.quantile(0.50) * 1000),
            "p95 (ms)": round(self.quantile(0.95) * 1000),
            "answers by status": " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items())),
            "no answer": self.errors,
        }


def request_bytes(
    method: str, path: str, port: int, *, headers: dict[str, str] | None = None, body=b""
) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


async def _send(port: int, data: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        answer = await reader.read()  # to the end: the server closes the connection
    finally:
        writer.close()
    return int(answer.split(b" ", 2)[1])


async def _client(i, port, make, deadline, budget, result: Result) -> None:
    n = 0
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        n += 1
        data = make(i, n)
        started = time.perf_counter()
        try:
            status = await asyncio.wait_for(_send(port, data), REQUEST_TIMEOUT)
        except (OSError, TimeoutError, IndexError, ValueError):
            result.errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
        result.statuses[status] += 1


def run(
    port: int,
    make: Callable[[int, int], bytes],
    *,
    clients: int,
    seconds: float,
    max_requests: int = 200_000,
) -> Result:
    """`clients` clients send `make(i, n)` (client i's n-th request) to 127.0.0.1:`port`
    for `seconds`, or until `max_requests` were sent; the result once all have finished."""

    async def main() -> Result:
        result = Result()
        started = time.perf_counter()
        budget = [max_requests]
        await asyncio.gather(
            *(_client(i, port, make, started + seconds, budget, result) for i in range(clients))
        )
        result.seconds = time.perf_counter() - started
        return result

    return asyncio.run(main())
