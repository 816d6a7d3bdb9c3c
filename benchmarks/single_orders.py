"""Pre-encoded single-order requests for the demo cluster, shared by the gateway benchmarks
(served as the roomy demo cluster of ``roomy.py``: the sums per point and interval need it).

One place builds them so that klaster and the bare aiohttp baseline
(``test_bench_http_ratio.py``) receive the very same bytes as ``test_bench_gateway.py`` sends.
"""

from __future__ import annotations

import json
import time

import msgpack
import numpy as np
from http_load import encode_request
from roomy import traders as demo_traders

from engine.config.demo import demo_cluster

CODECS = {"json": "application/json", "msgpack": "application/msgpack"}


def encode(codec: str, body: object) -> bytes:
    if codec == "json":
        return json.dumps(body, separators=(",", ":")).encode()
    return msgpack.packb(body, use_bin_type=True)


def traders() -> list[tuple[str, str, int]]:
    """(member, connection point id, largest order [Wh]) of the demo traders."""
    return [(member, point, limit) for member, _, point, limit in demo_traders(demo_cluster())]


def open_intervals(n: int = 8) -> list[int]:
    """Starts [s] of ``n`` intervals whose gates are more than 10 minutes away."""
    length = demo_cluster().interval_seconds
    first = (int(time.time()) // length + 2) * length
    return [first + i * length for i in range(n)]


def order_requests(
    rng: np.random.Generator,
    host: str,
    tokens: dict[str, str],
    codec: str,
    connections: int,
    per_connection: int,
) -> list[list[bytes]]:
    """One list of ``POST /v1/orders`` requests per connection, connection ``c`` trading for
    the ``c``-th demo trader (round robin): random side, interval, price [PLN/MWh] in
    250.00..900.00 and quantity [Wh] up to the point's limit or 5,000."""
    starts, who = open_intervals(), traders()
    content_type = CODECS[codec]
    out = []
    for c in range(connections):
        member, point, limit = who[c % len(who)]
        out.append(
            [
                encode_request(
                    "POST",
                    "/v1/orders",
                    host,
                    encode(
                        codec,
                        {
                            "interval_start": int(rng.choice(starts)),
                            "connection_point": point,
                            "side": "buy" if rng.random() < 0.5 else "sell",
                            "price": f"{rng.integers(25_000, 90_001) / 100:.2f}",
                            "quantity_wh": int(rng.integers(1, limit + 1)),
                        },
                    ),
                    content_type,
                    tokens[member],
                )
                for _ in range(per_connection)
            ]
        )
    return out
