"""The cluster the market benchmarks trade on: the demo cluster with every connection point
able to import and export ``MAX_POINT_KW`` (1 GW: 250 MWh in a 15-minute interval).

The market holds a point's orders of one interval to its import and export limits together
(``engine/book/point_limits.py``). The benchmarks send a few members' hundreds of thousands
of orders into a few intervals to time the engine, far more than any real point delivers;
order sizes still come from the demo's own limits (at most 5,000 Wh), so that only the sums
per interval need the room.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.config.cluster import Cluster, parse_cluster
from engine.config.demo import DEMO_RESOURCE
from engine.config.members import MAX_POINT_KW
from engine.store.tokens import TokenStore
from tests.serving import Server, start_server

MAX_ORDER_WH = 5_000  # the largest order the benchmarks send


def roomy_toml() -> str:
    """The demo cluster's TOML with every point's limits at ``MAX_POINT_KW``."""
    from importlib.resources import files

    text = files("engine.config").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    return re.sub(
        r'^(max_(?:import|export)_kw) = "[^"]*"', rf'\1 = "{MAX_POINT_KW}"', text, flags=re.M
    )


def roomy_cluster() -> Cluster:
    """The roomy demo cluster (see the module docstring)."""
    return parse_cluster(roomy_toml(), source="benchmarks/roomy.py")


def traders(cluster: Cluster) -> list[tuple[str, int, str, int]]:
    """(member id, point code, point id, largest order [Wh]) of the trading members whose
    first connection point both imports and exports in the *demo* cluster ``cluster``: the
    largest order is the smaller of its two limits, at most ``MAX_ORDER_WH``."""
    out = []
    for m in cluster.members:
        if m.role == "member" and m.connection_points:
            p = m.connection_points[0]
            limit = min(p.max_import_wh, p.max_export_wh, MAX_ORDER_WH)
            if limit > 0:
                out.append((m.id, p.code, p.id, limit))
    return out


def start_roomy_server(data: Path) -> Server:
    """``klaster serve --config`` of the roomy cluster on a free loopback port, with a token
    for every member (issued into the data directory's token store before the start)."""
    data.mkdir(parents=True, exist_ok=True)
    config = data.parent / f"{data.name}-roomy.toml"
    config.write_text(roomy_toml(), encoding="utf-8")
    with TokenStore.open(data) as store:
        tokens = {m.id: store.issue(m.id) for m in roomy_cluster().members}
    server = start_server(data, "--config", str(config))
    server.tokens = tokens
    return server
