"""The allocation axis of a study: how a cluster places its members' energy.

Issue 14 names four modes: the market alone, a sharing key alone, and the two in either
order. A study names them in ``allocations``; each run passes its mode to the same scenario
loader ``klaster simulate --allocation`` uses (:func:`scenario_overrides`): the key and its
parameters come from the scenario's ``[sharing]`` table, pro rata without one.
"""

from __future__ import annotations

from typing import Any

#: Every allocation mode a study may name (``klaster simulate --allocation``, issue 14).
ALLOCATIONS = ("market", "key", "key_then_market", "market_then_key")


def unsupported(allocation: str) -> str | None:
    """Why ``allocation`` cannot run, or None when it can."""
    if allocation not in ALLOCATIONS:
        return f"must be one of {', '.join(ALLOCATIONS)}, was {allocation!r}"
    return None


def scenario_overrides(allocation: str) -> dict[str, Any]:
    """The keyword arguments that make the scenario loader run ``allocation``."""
    reason = unsupported(allocation)
    if reason is not None:
        raise ValueError(f"allocation {reason}")
    return {"allocation": allocation}
