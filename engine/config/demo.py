"""The built-in demo cluster (``engine/config/clusters/demo.toml``), used when no cluster file is
given.

It is modelled on the Żywiec energy cluster: coordinator OKE, the town, the county office, the
inter-municipal ecology association, two firms, a school, a heat plant, a waste company, ten
households with PV and the DSO; 15-minute intervals, the gate 5 minutes ahead, a day's
horizon, uniform pricing with k = 0.5, band 250.00..900.00 PLN/MWh, network fee 45.00 PLN/MWh.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from engine.config.cluster import Cluster, parse_cluster

DEMO_RESOURCE = "clusters/demo.toml"


@cache  # a Cluster is immutable, so every caller may share the one instance
def demo_cluster() -> Cluster:
    """Load and validate the packaged demo cluster."""
    text = files("engine.config").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    return parse_cluster(text, source=f"engine/{DEMO_RESOURCE}")
