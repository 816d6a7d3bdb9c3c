"""A lean HTTP/1.1 load client for the gateway benchmarks: keep-alive connections on asyncio
streams sending pre-encoded requests, closed-loop (each the next as soon as the previous
answer is read: the peak rate) or open-loop (paced at a fixed rate: latency at a given load).

Why not aiohttp's client: on this 2-core machine client and server share the CPU, and a
full client costs several times more per request than the server's handler; pre-encoded
requests and a minimal response parser keep the measurement about the server.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def encode_request(
    method: str, path: str, host: str, body: bytes, content_type: str, token: str
) -> bytes:
    """Return one HTTP/1.1 keep-alive request as bytes."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\nAccept: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass(frozen=True)
class LoadResult:
    seconds: float  # wall time of the whole run [s]
    latencies: np.ndarray  # float64 [s], one per request
    statuses: Counter[int]
    last_body: bytes

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1e3)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def closed_loop(
    host: str, port: int, requests: Sequence[Sequence[bytes]], timeout: float = 120.0
) -> LoadResult:
    """Open one connection per entry of ``requests``; each sends its requests in order,
    the next as soon as the previous answer is read. Return the latencies and statuses."""
    return await _load(host, port, requests, None, timeout)


async def open_loop(
    host: str, port: int, requests: Sequence[Sequence[bytes]], rate: float, timeout: float = 120.0
) -> LoadResult:
    """Send the requests at ``rate`` [1/s] in all, round robin over one connection per entry
    of ``requests``: the ``i``-th request overall is due at ``i / rate`` [s] after the start.
    A connection sends a request when it is due, or when the previous answer on it is read
    if that is later; a latency [s] counts from the due instant, so a server that falls
    behind pays for the queue it causes (no coordinated omission). The client's timer slack
    (about 1 ms on asyncio's selector loop) is counted in, too."""
    return await _load(host, port, requests, rate, timeout)


async def _load(
    host: str, port: int, requests: Sequence[Sequence[bytes]], rate: float | None, timeout: float
) -> LoadResult:
    """Closed loop if ``rate`` is None, else open loop at ``rate`` [1/s] (see the callers)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    last = [b""]
    count, clock = len(requests), time.perf_counter
    begin = clock()
    due_from = begin + 0.1  # open loop: every connection is open when the first is due

    async def connection(c: int, mine: Sequence[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for k, request in enumerate(mine):
                if rate is None:
                    t0 = clock()
                else:
                    t0 = due_from + (k * count + c) / rate
                    if t0 > clock():
                        await asyncio.sleep(t0 - clock())
                writer.write(request)
                status, body = await _read_response(reader)
                latencies.append(clock() - t0)
                statuses[status] += 1
                last[0] = body
        finally:
            writer.close()

    jobs = (connection(c, mine) for c, mine in enumerate(requests))
    await asyncio.wait_for(asyncio.gather(*jobs), timeout)
    seconds = clock() - (begin if rate is None else due_from)
    return LoadResult(seconds, np.asarray(latencies), statuses, last[0])
