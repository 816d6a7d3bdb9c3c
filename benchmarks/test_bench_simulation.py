"""Simulation speed: 1,000 prosumers for 30 days of 15-minute intervals (issue target: <= 60 s).

``agents/scenarios/households.toml`` as shipped: 1,000 households (40% with PV, 10% with a
battery; ZI-C, ZIP, truthful and ramp bidders) and the coordinator, 2,880 intervals, every
order through the in-process market (validation, books, clearing, metering, settlement).
The whole run is timed once (it takes tens of seconds); ``extra_info`` records the orders
and the cost per order, and, as a baseline measured in the same run, the time of the device
profiles alone (pvlib, demandlib, batteries), which every run needs before it trades.
Run with ``pytest benchmarks/test_bench_simulation.py --benchmark-json=sim.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

from agents.sim.scenario import load_scenario
from agents.sim.simulation import _profiles, simulate, timeline

SCENARIO = Path(__file__).resolve().parent.parent / "agents" / "scenarios" / "households.toml"


def test_households_1000_for_30_days(benchmark) -> None:
    scenario = load_scenario(SCENARIO, days=30)
    assert len(scenario.agents) == 1001 and scenario.days == 30
    simulate(load_scenario(SCENARIO, days=1))  # compile and load caches (numba, demandlib)
    started = time.perf_counter()
    _profiles(scenario, timeline(scenario))
    profiles_s = time.perf_counter() - started

    result = benchmark.pedantic(simulate, args=(scenario,), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.median
    orders = result.kpis["orders"]
    assert result.kpis["intervals"] == 2880 and result.kpis["pending_intervals"] == 0
    benchmark.extra_info.update(
        {
            "prosumers": 1000,
            "days": 30,
            "orders": orders,
            "us_per_order": round(seconds / orders * 1e6, 2),
            "profiles_s": round(profiles_s, 3),
            "target_s": 60,
        }
    )
