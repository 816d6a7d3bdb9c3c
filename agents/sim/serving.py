"""``klaster serve --scenario SCENARIO.toml``: a scenario's cluster for a live server.

Registered as the entry point ``scenario`` of ``klaster.serve_sources`` (``pyproject.toml``,
:class:`engine.ServeSource`): the server serves the scenario's cluster on a simulated clock
that starts two days before the scenario's first day (as an in-process simulation starts,
:mod:`agents.sim.simulation`) and moves only when the coordinator sets it
(``POST /v1/clock``), and issues a token to every member on its first start, kept in
``DIR/scenario-tokens.txt`` for ``klaster simulate --url``.
"""

from __future__ import annotations

import datetime as dt

from agents.sim.extra import missing_extra
from engine import ServedCluster, ServeSource

TOKENS_FILE = "scenario-tokens.txt"
LEAD_S = 2 * 86400  # the clock starts this long before the first simulated day [s]


def served_scenario(path: str) -> ServedCluster:
    """The scenario in ``path`` as ``klaster serve`` serves it, or ClusterError naming what
    is wrong (the simulation's packages missing included)."""
    from engine import ClusterError, SimulatedClock  # here: klaster --help needs neither

    try:
        from agents.sim.scenario import ScenarioError, load_scenario
    except ModuleNotFoundError as exc:
        message = missing_extra(exc, "klaster serve --scenario")
        if message is None:
            raise
        raise ClusterError(path, "", message) from None
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise ClusterError(path, "", str(exc).removeprefix(f"{path}: ")) from None
    first = dt.datetime.combine(scenario.start, dt.time(), scenario.cluster.timezone)
    start_us = int(first.timestamp() - LEAD_S) * 1_000_000
    return ServedCluster(scenario.cluster, SimulatedClock(start_us), TOKENS_FILE)


SCENARIO = ServeSource(
    metavar="SCENARIO.toml",
    help="serve a simulation scenario's cluster on a simulated clock that the coordinator "
    f"moves (POST /v1/clock); tokens for every member go to DIR/{TOKENS_FILE}",
    load=served_scenario,
)
