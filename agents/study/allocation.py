"""The allocation axis of a study: how a cluster places its members' energy.

Issue 14 names four modes: the market alone (today), a sharing key alone, and the two in
either order. A study names them in ``allocations``; each run passes its mode to the same
scenario loader ``klaster simulate`` uses (:func:`scenario_overrides`). This build's loader
has no allocation parameter yet, so only ``market`` runs and the others are refused with a
message that says what is missing. When the loader learns ``allocation=``, this module is
the one place to change: :data:`SUPPORTED` and :func:`scenario_overrides`.
"""

from __future__ import annotations

from typing import Any

#: Every allocation mode a study may name (``klaster simulate --allocation``, issue 14).
ALLOCATIONS = ("market", "key", "key_then_market", "market_then_key")
#: The modes this build's scenario loader can run.
SUPPORTED = ("market",)


def unsupported(allocation: str) -> str | None:
    """The reason ``allocation`` cannot run in this build, or None when it can."""
    if allocation not in ALLOCATIONS:
        return f"must be one of {', '.join(ALLOCATIONS)}, was {allocation!r}"
    if allocation not in SUPPORTED:
        return (
            f"{allocation!r} needs sharing keys in the simulation (klaster simulate "
            "--allocation), which this build does not have yet; it runs only "
            f"{', '.join(repr(a) for a in SUPPORTED)}"
        )
    return None


def scenario_overrides(allocation: str) -> dict[str, Any]:
    """The keyword arguments that make the scenario loader run ``allocation`` (the market,
    the loader's only mode in this build, needs none)."""
    reason = unsupported(allocation)
    if reason is not None:
        raise ValueError(f"allocation {reason}")
    return {}
