"""The small cluster the market and gateway tests trade on: a coordinator, two households
and the dso, all in powiat żywiecki; 15-minute intervals, gate 5 minutes before delivery,
8 intervals open ahead. ``{continuous}`` is the continuous-trading window in minutes."""

from __future__ import annotations

CLUSTER = """
[cluster]
id = "test"
name = "Test cluster"
timezone = "Europe/Warsaw"
interval_minutes = 15
gate_closure_minutes = 5
horizon_intervals = 8
continuous_minutes = {continuous}
mechanism = "uniform"
k = 0.5
rationing = "pro-rata"
tick_pln_mwh = "0.01"
network_fee_pln_mwh = "45.00"

[prices]
floor_pln_mwh = "250.00"
cap_pln_mwh = "900.00"

[[members]]
id = "oke"
name = "Operator"
role = "coordinator"
[[members.connection_points]]
id = "P-OKE"
terc = "2417011"
dso = "TAURON Dystrybucja"
max_import_kw = "40"
max_export_kw = "40"

[[members]]
id = "dom-1"
name = "Household 1"
role = "member"
[[members.connection_points]]
id = "P-1"
terc = "2417011"
dso = "TAURON Dystrybucja"
max_import_kw = "12"
max_export_kw = "8"

[[members]]
id = "dom-2"
name = "Household 2"
role = "member"
[[members.connection_points]]
id = "P-2"
terc = "2417011"
dso = "TAURON Dystrybucja"
max_import_kw = "12"
max_export_kw = "8"

[[members]]
id = "tauron"
name = "DSO"
role = "dso"
"""


def small_cluster_toml(continuous: int = 0) -> str:
    """The TOML text of the small test cluster."""
    return CLUSTER.format(continuous=continuous)
