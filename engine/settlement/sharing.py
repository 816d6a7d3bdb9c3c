"""Energy shared by a key, netted per metering interval beside (or instead of) the market.

The rules are the configuration's :class:`engine.config.sharing.SharingRules`; the keys'
arithmetic is :mod:`matching.sharing`. Per interval t and member m, with ``N`` the metered
net export (export - import over the member's points, [Wh]) and ``T`` the traded net export
(sold - bought) (``engine/DESIGN.md``, "Energy sharing"):

- what is shared is ``X = N`` (``key``, ``key_then_market``) or ``X = N - T``
  (``market_then_key``: what the market left); ``market`` shares nothing;
- **shared production**: every member's ``max(X, 0)`` (its export net of its own
  consumption), summed over the members; **consumption** open to the key: ``max(-X, 0)``;
- the key allocates the shared production to the consumption: ``shared_in`` [Wh];
- the producers deliver what was allocated in proportion to their shared production
  (largest remainder, ties to the lower member code): ``shared_out`` [Wh];
- the imbalance billed to the grid becomes ``D = N - T + shared_in - shared_out``, with
  ``T = 0`` under ``key`` (the market's trades are not settled there).

So in every interval: ``sum shared_in == sum shared_out <= sum max(X, 0)``, ``shared_in <=
max(-X, 0)`` and ``shared_out <= max(X, 0)`` per member, and at the internal price ``p`` the
money of shared energy, ``(shared_in - shared_out) * p``, sums to zero over the members.
Only metered cells share: a member with a missing reading in an interval takes no part
until it arrives (its interval is then settled again; until every reading is in, nothing
of the interval is final). Deterministic: integer arithmetic, ties by member code.

Bounds: the kernels take at most ``MAX_INTERVAL_WH`` per cell and per interval's
production; an interval beyond that (readings up to ``MAX_CELL_WH`` are valid) is shared
by the plain-Python reference, which is exact on any integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from engine.config.sharing import SharingRules
from matching import sharing, sharing_reference
from matching.sharing import MAX_INTERVAL_WH


@dataclass(frozen=True, slots=True, eq=False)
class SharingPlan:
    """One configuration's sharing over rows (member codes): ``weights`` [ppm] per row,
    ``order`` rows first served first, ``price_ticks`` [tick] (0: no price)."""

    allocation: str
    key: str
    weights: np.ndarray
    order: np.ndarray
    rounds: int | None
    price_ticks: int

    @property
    def trades_count(self) -> bool:
        """False under ``key``: the market's trades are not settled."""
        return self.allocation != "key"


def plan_for(rules: SharingRules, row_of: Mapping[str, int], rows: int) -> SharingPlan | None:
    """The plan of ``rules`` over ``rows`` member rows (``row_of``: member id -> row);
    None when the market alone allocates."""
    if not rules.shares:
        return None
    weights = np.zeros(rows, np.int64)
    for member, ppm in rules.weights:
        weights[row_of[member]] = ppm
    order = np.array([row_of[m] for m in rules.priority], np.int64)
    return SharingPlan(
        rules.allocation, rules.key, weights, order, rules.rounds, rules.price_ticks or 0
    )


def shared_basis(plan: SharingPlan, net: np.ndarray, traded_net: np.ndarray) -> np.ndarray:
    """``X`` [Wh] (module docstring): what the key shares, from the metered ``net`` and the
    ``traded_net`` export [Wh] of each row and interval."""
    return net - traded_net if plan.allocation == "market_then_key" else net


def share(
    plan: SharingPlan, basis: np.ndarray, metered: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(shared_in, shared_out)`` [Wh], (rows x intervals), from ``basis`` ``X``
    [Wh] of the same shape; cells not ``metered`` take no part."""
    x = np.where(metered, basis, 0)
    surplus = np.maximum(x, 0)
    deficit = np.maximum(-x, 0)
    production = surplus.sum(axis=0)
    shared_in = _allocate(plan, plan.key, production, deficit)
    shared_out = _allocate(plan, "pro-rata", shared_in.sum(axis=0), surplus)
    return shared_in, shared_out


def spread(owner: np.ndarray, need: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Spread each member's ``amount`` [Wh] (members x intervals) over its points' ``need``
    [Wh] (points x intervals, ``owner[point]`` its member row), earlier points first, each
    up to its need. ``amount`` must not exceed the sum of its points' need."""
    points = owner.shape[0]
    out = np.zeros_like(need)
    if points == 0 or need.shape[1] == 0:
        return out
    order = np.argsort(owner, kind="stable")  # by member, points in code order within
    rows, o = need[order], owner[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    before = np.cumsum(rows, axis=0) - rows  # the need of all earlier rows
    base = np.repeat(before[starts], np.diff(np.r_[starts, points]), axis=0)
    before -= base  # ... of the earlier points of the same member
    out[order] = np.clip(amount[o] - before, 0, rows)
    return out


def _allocate(
    plan: SharingPlan, key: str, production: np.ndarray, consumption: np.ndarray
) -> np.ndarray:
    members, intervals = consumption.shape
    if members == 0 or intervals == 0:
        return np.zeros((members, intervals), np.int64)
    parameters = {"weights": plan.weights, "order": plan.order, "rounds": plan.rounds}
    large = (production > MAX_INTERVAL_WH) | (consumption.max(axis=0) > MAX_INTERVAL_WH)
    if not large.any():  # the usual case: no column gathered, no copy
        return sharing.allocate(key, production, consumption, **parameters)
    out = np.zeros((members, intervals), np.int64)
    small = np.flatnonzero(~large)
    if small.size:
        out[:, small] = sharing.allocate(
            key, production[small], consumption[:, small], **parameters
        )
    for t in np.flatnonzero(large).tolist():  # beyond the kernels' bounds: exact Python ints
        column = consumption[:, t : t + 1].tolist()
        p = [int(production[t])]
        if key == "pro-rata":
            rows = sharing_reference.pro_rata(p, column)
        elif key == "priority":
            rows = sharing_reference.priority(p, column, plan.order.tolist())
        elif key == "static":
            rows = sharing_reference.static(p, column, plan.weights.tolist())
        else:
            rows = sharing_reference.iterative(p, column, plan.weights.tolist(), plan.rounds)
        out[:, t] = [r[0] for r in rows]
    return out
