"""The runs of a study and one run: a scenario, its overrides, and the row it produces.

:func:`runs` lays the grid out in a fixed order (scenario, mechanism, allocation, strategy,
seed); :func:`run_one` simulates one of them and returns its row of :data:`RUN_COLUMNS`. A
run is a plain picklable value and :func:`run_one` a pure function of it (the simulation
seeds every generator from the run's seed, :mod:`agents.sim.simulation`), so where it runs
(this process, a process pool, a Ray worker) cannot change its row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.study.allocation import scenario_overrides
from agents.study.spec import AS_SCENARIO, ScenarioFile, Study

#: What identifies a run in the table, in grid order.
KEY_COLUMNS = ("scenario", "mechanism", "allocation", "strategy", "seed")
#: The KPIs of a run (``kpis.json`` names, :mod:`agents.sim.figures`) kept as float64.
METRICS = (
    "savings_pln",
    "allocative_efficiency",
    "surplus_pln",
    "max_surplus_pln",
    "lost_surplus_pln",  # max_surplus - surplus: the gains from trade the mechanism left
    "traded_kwh",
    "traded_share",
    "self_sufficiency",
    "import_covered_locally",
    "average_price_pln_mwh",
    "bill_saving_pln",
)
#: The columns of a run's row: its key, its size, its metrics.
RUN_COLUMNS = (*KEY_COLUMNS, "start", "days", "members", "orders", *METRICS)


@dataclass(frozen=True, slots=True)
class Run:
    """One cell of the grid with one seed."""

    scenario: ScenarioFile
    mechanism: str | None  # None: the scenario's own
    allocation: str
    strategy: str  # AS_SCENARIO or one strategy for every trading member
    seed: int
    days: int | None
    start: dt.date | None
    group_size: int | None


def runs(study: Study) -> list[Run]:
    """Every run of ``study``, in grid order (the table's row order)."""
    return [
        Run(scenario, mechanism, allocation, strategy, seed, study.days, study.start,
            study.group_size)
        for scenario in study.scenarios
        for mechanism in study.mechanisms
        for allocation in study.allocations
        for strategy in study.strategies
        for seed in study.seeds
    ]  # fmt: skip


def scenario_of(run: Run) -> Any:
    """The scenario ``run`` simulates: loaded by ``klaster simulate``'s loader with the
    run's overrides (the allocation's through :func:`scenario_overrides`)."""
    from agents.sim.scenario import parse_scenario

    scenario = parse_scenario(
        run.scenario.text,
        run.scenario.source,
        Path(run.scenario.base_dir),
        days=run.days,
        seed=run.seed,
        group_size=run.group_size,
        start=run.start,
        mechanism=run.mechanism,
        **scenario_overrides(run.allocation),
    )
    if run.strategy == AS_SCENARIO:
        return scenario
    agents = tuple(dataclasses.replace(a, strategy=run.strategy) for a in scenario.agents)
    return dataclasses.replace(scenario, agents=agents)


def run_one(run: Run) -> dict[str, Any]:
    """Simulate ``run`` in this process; return its row (:data:`RUN_COLUMNS`)."""
    from agents.sim.simulation import simulate

    kpis = simulate(scenario_of(run)).kpis
    row: dict[str, Any] = {
        "scenario": run.scenario.label,
        "mechanism": kpis["mechanism"],
        "allocation": run.allocation,
        "strategy": run.strategy,
        "seed": run.seed,
        "start": kpis["start"],
        "days": kpis["days"],
        "members": kpis["members"],
        "orders": kpis["orders"],
    }
    for name in METRICS:
        if name == "lost_surplus_pln":
            value = kpis["max_surplus_pln"] - kpis["surplus_pln"]  # Decimals: exact
        else:
            value = kpis.get(name)
        row[name] = float("nan") if value is None else float(value)
    return row
