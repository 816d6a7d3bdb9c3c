"""A lean HTTP/1.1 load client for the gateway benchmarks: closed-loop keep-alive
connections on asyncio streams, each sending pre-encoded requests one after another.

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
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    last = [b""]

    async def connection(mine: Sequence[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            clock = time.perf_counter
            for request in mine:
                t0 = clock()
                writer.write(request)
                status, body = await _read_response(reader)
                latencies.append(clock() - t0)
                statuses[status] += 1
                last[0] = body
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(connection(r) for r in requests)), timeout)
    seconds = time.perf_counter() - start
    return LoadResult(seconds, np.asarray(latencies), statuses, last[0])
