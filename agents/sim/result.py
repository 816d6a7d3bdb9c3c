"""What a simulation run produces: per-interval and per-member columns and the cluster KPIs.

Plain columns (numpy arrays or lists of equal length) so the report writer needs no engine
types. Energy is kWh and money PLN here, converted once from the engine's exact Wh and
[Wh*tick]; these are output figures, not settlement values (the journal keeps those).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Columns of :attr:`SimulationResult.intervals`, one row per interval, in this order.
INTERVAL_COLUMNS = (
    "interval_start",  # int64 epoch [s] (UTC)
    "price_pln_mwh",  # float64 local clearing price; NaN when nothing traded
    "floor_pln_mwh",  # float64 feed-in price of the interval (band floor)
    "cap_pln_mwh",  # float64 retail price of the interval (band cap)
    "bid_kwh",  # float64 energy bid
    "ask_kwh",  # float64 energy offered
    "traded_kwh",  # float64 energy traded locally
    "load_kwh",  # float64 consumption of all members
    "pv_kwh",  # float64 PV generation of all members
    "generation_kwh",  # float64 dispatchable generation (heat plant, biogas, power plant)
    "import_kwh",  # float64 metered import of all members
    "export_kwh",  # float64 metered export of all members
    "local_use_kwh",  # float64 min(import, export): energy the cluster could use locally
    "boundary_import_kwh",  # float64 max(0, import - export): across the cluster's boundary
    "boundary_export_kwh",  # float64 max(0, export - import)
)

#: Columns of :attr:`SimulationResult.members`, one row per member (coordinator included).
MEMBER_COLUMNS = (
    "member_id",  # str
    "name",  # str
    "kind",  # str: household, business, public, heat-plant, ... (from the scenario)
    "strategy",  # str: the bidding strategy of its connection points
    "bought_kwh",  # float64 bought locally
    "sold_kwh",  # float64 sold locally
    "shortfall_kwh",  # float64 bought from the supplier at retail (cap)
    "surplus_kwh",  # float64 sold to the grid at feed-in (floor)
    "cost_pln",  # float64 what the member paid (negative: earned) with the cluster market
    "baseline_pln",  # float64 the same without the cluster market
    "savings_pln",  # float64 baseline - cost
    "bill_pln",  # float64 gross bill on its points' tariffs (engine.settlement.bills)
    "bill_baseline_pln",  # float64 the same meters billed without the cluster market
    "bill_saving_pln",  # float64 bill_baseline - bill
    "shared_in_kwh",  # float64 allocated to the member by the sharing key (0: market alone)
    "shared_out_kwh",  # float64 of its production shared by the key
)


@dataclass(frozen=True)
class SimulationResult:
    """The outcome of one run of a scenario."""

    scenario: str  # the scenario's name
    timezone: str  # IANA name, for plotting local time
    intervals: dict[str, np.ndarray]  # INTERVAL_COLUMNS
    members: dict[str, Any]  # MEMBER_COLUMNS: lists of str, arrays of float64
    kpis: dict[str, Any]  # JSON-ready cluster KPIs, rounded (see agents.sim.figures)
    # Per-interval series for the plots only, not written to intervals.csv: the batteries'
    # summed state of charge and capacity [kWh] ("battery_soc_kwh", "battery_capacity_kwh")
    # when the cluster has batteries.
    series: dict[str, np.ndarray] = field(default_factory=dict)
