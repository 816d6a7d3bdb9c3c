"""Energy sharing keys: how an interval's shared production is allocated to the members.

EU directive 2019/944 art. 15a (as amended by 2024/1711) lets an energy community share
energy by allocation keys, netted per metering interval; grid operators allocate the shared
production of each quarter hour to the members' metered consumption. This module owns the
keys' arithmetic, over a (members x intervals) matrix, in integer Wh:

- ``static``: fixed shares ``w_m / sum(w)`` of the production; what a member cannot use
  stays unallocated (one round).
- ``pro-rata``: shares proportional to the members' consumption in the interval
  (``w = consumption``); nothing is left over that someone could use.
- ``priority``: members in a given order each take what they consume until the production
  is used up; members not in the order get nothing.
- ``iterative``: the static shares, then what members could not use is shared again among
  the members with room left, in proportion to their weights, round after round until
  nothing more can be placed, or for at most ``rounds`` rounds (``rounds=1`` is ``static``);
  what the last round hands out beyond a member's use stays unallocated.

**Exact.** The rounds are carried out exactly (rational shares), and each interval's
allocation is rounded once to whole Wh by largest remainder: every member gets the floor of
its exact share, and the Wh left over go one each to the members with the largest
remainders; **ties go to the member with the lower index** (earlier in the member list).
So in every interval: allocations are >= 0, never exceed the member's consumption, sum to at
most the shared production, and ``static`` and ``iterative`` give a member with weight 0
nothing. ``pro-rata`` and ``iterative`` place ``min(production, the consumption they can
reach)`` exactly; ``static`` may leave production unplaced that a member could have used.
(``pro-rata`` and ``iterative`` round shares that lie at or below the consumption, and a
share rounds up to at most the next whole Wh, so rounding never passes the consumption;
``static`` rounds first and then caps.)

**The iterative rounds as one formula.** With ``S`` the members saturated so far (their
allocation is their consumption) and ``A`` the other members with a weight, the rounds'
cumulative share of a member of ``A`` is ``L * w_m`` with the level
``L = (P - sum_S c) / sum_A w``: round one has ``L = P / sum(w)``; a round moves the members
with ``c_m <= L * w_m`` into ``S`` and hands out what they could not use to ``A``, which
gives the next ``L`` by the same formula. The rounds end when a round saturates nobody (the
rest of ``P`` is placed) or ``A`` is empty. :func:`iterative` runs exactly these rounds,
over the whole matrix at once (:mod:`matching.sharing_kernels`), each test in integers
(``c_m * sum_A w <= (P - sum_S c) * w_m``); ``matching.sharing_reference.iterative`` runs
them with Python fractions, member by member, handing out what is left round by round.
With at most ``R`` rounds, the members saturated in the first ``R - 1`` rounds get their
consumption and the others share ``P - sum_S c`` by weight (largest remainder), capped at
their consumption, as ``static`` does in round one.

**Limits** (checked by :func:`check_inputs`): production and consumption per member and
interval in ``0..MAX_INTERVAL_WH``, weights ``>= 0`` with a total of at most
``MAX_WEIGHT_TOTAL`` (percentages with four decimals are parts per million), so every
product here stays below 2**63.

**Cost.** ``priority``: one pass over the matrix; ``static`` and ``pro-rata``: three passes
plus, per interval with Wh left over, one partition of the members (O(M)); ``iterative``:
one pass per round, then a split; rounds <= members (a round that saturates nobody ends
its interval; realistic data needs a few). ``benchmarks/test_bench_sharing.py`` times them
at 100,000 members x 96 intervals against ``np.sum`` of the same matrix.

**Why here.** A key is a pure integer kernel over arrays that knows no member, clock or
journal: the contract of ``matching/`` (numba only here, a plain-Python reference beside
it, :mod:`matching.sharing_reference`), and the issue makes a key a peer of the market's
clearing (a cluster runs the market, a key, or both in either order). Settlement will call
it as the gate calls :func:`matching.clear`; that integration (a key per interval range,
shared energy as statement lines of its own, at an internal price or none) is
:mod:`engine.settlement.sharing`.
"""

from __future__ import annotations

import numpy as np

from matching import sharing_kernels as k

KEYS = ("static", "pro-rata", "priority", "iterative")
MAX_INTERVAL_WH = 10**9  # 1 GWh in one interval, per member or produced
MAX_WEIGHT_TOTAL = 10**6  # parts per million


def check_inputs(
    production: object, consumption: object, weights: object | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return the inputs as int64 arrays: production [Wh] of shape (T,), consumption [Wh]
    of shape (M, T) and weights [1] of shape (M,); raise ValueError naming what is wrong."""
    p = _integers("production", production, 1)
    c = _integers("consumption", consumption, 2)
    if c.shape[1] != p.shape[0]:
        raise ValueError(
            f"consumption must have one column per interval ({p.shape[0]}), has {c.shape[1]}"
        )
    for name, a in (("production", p), ("consumption", c)):
        if a.size and (int(a.min()) < 0 or int(a.max()) > MAX_INTERVAL_WH):
            raise ValueError(
                f"{name} must be within 0..{MAX_INTERVAL_WH} Wh, found "
                f"{int(a.min())}..{int(a.max())}"
            )
    if weights is None:
        return p, c, None
    w = _integers("weights", weights, 1)
    if w.shape[0] != c.shape[0]:
        raise ValueError(f"weights must have one entry per member ({c.shape[0]}), has {w.shape[0]}")
    if w.size and int(w.min()) < 0:
        raise ValueError(f"weights must be >= 0, found {int(w.min())}")
    total = int(w.sum(dtype=np.uint64)) if w.size else 0
    if total > MAX_WEIGHT_TOTAL:
        raise ValueError(f"weights must total at most {MAX_WEIGHT_TOTAL}, total {total}")
    return p, c, w


def _integers(name: str, values: object, ndim: int) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), has {a.ndim}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold integers [Wh], holds {a.dtype}")
    if a.dtype == np.uint64 and a.size and int(a.max()) > MAX_INTERVAL_WH:
        raise ValueError(f"{name} holds values above {MAX_INTERVAL_WH}")
    return np.ascontiguousarray(a, dtype=np.int64)


def allocate(
    key: str,
    production: object,
    consumption: object,
    *,
    weights: object | None = None,
    order: object | None = None,
    rounds: int | None = None,
) -> np.ndarray:
    """Return the allocation [Wh] of shape (members, intervals) by ``key`` (:data:`KEYS`);
    ``weights`` for ``static`` and ``iterative``, ``order`` (member indices, first served
    first) for ``priority``, ``rounds`` (>= 1; None: until nothing more can be placed) for
    ``iterative``."""
    if key not in KEYS:
        raise ValueError(f"key must be one of {', '.join(KEYS)}, was {key!r}")
    needs_weights = key in ("static", "iterative")
    if needs_weights and weights is None:
        raise ValueError(f"the {key} key needs weights")
    p, c, w = check_inputs(production, consumption, weights if needs_weights else None)
    if key == "pro-rata":
        return pro_rata(p, c)
    if key == "priority":
        if order is None:
            raise ValueError("the priority key needs an order of members")
        return priority(p, c, _order(order, c.shape[0]))
    assert w is not None  # needs_weights
    if key == "static":
        return static(p, c, w)
    if rounds is not None and (
        isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1
    ):
        raise ValueError(f"rounds must be an integer >= 1 or None, was {rounds!r}")
    return iterative(p, c, w, rounds)


def _order(order: object, members: int) -> np.ndarray:
    o = _integers("order", order, 1)
    if o.size and (int(o.min()) < 0 or int(o.max()) >= members):
        raise ValueError(f"order must name members 0..{members - 1}, found {o.min()}..{o.max()}")
    if np.unique(o).size != o.size:
        raise ValueError("order must name each member at most once")
    return o


# --- the keys (inputs checked) ----------------------------------------------------------------


def static(production: np.ndarray, consumption: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Static shares: ``min(consumption, share)``, the shares ``P * w_m / sum(w)`` rounded
    by largest remainder before the cap [Wh]."""
    total = np.full(production.shape, int(weights.sum()), np.int64)
    out = _split(production, total, consumption, weights, k.WEIGHT_PER_MEMBER)
    k.cap(out, consumption)
    return out


def pro_rata(production: np.ndarray, consumption: np.ndarray) -> np.ndarray:
    """Shares proportional to consumption, all of it when production covers it [Wh]."""
    total = consumption.sum(axis=0)
    placed = np.minimum(production, total)
    return _split(placed, total, consumption, _NO_WEIGHTS, k.WEIGHT_CONSUMPTION)


def priority(production: np.ndarray, consumption: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Members in ``order`` each take their consumption while production lasts [Wh]."""
    out = np.zeros(consumption.shape, np.int64)
    k.priority_fill(consumption, order, production, out)
    return out


def iterative(
    production: np.ndarray,
    consumption: np.ndarray,
    weights: np.ndarray,
    rounds: int | None = None,
) -> np.ndarray:
    """Static shares, then what members cannot use shared again among the others, by
    weight, round after round (the module docstring's level ``L``), at most ``rounds``
    rounds (None: until nothing more can be placed) [Wh]."""
    out = np.zeros(consumption.shape, np.int64)
    active = np.repeat((weights > 0)[:, np.newaxis], consumption.shape[1], axis=1)
    left = production.copy()  # P - sum_S c
    weight_left = np.full(production.shape, int(weights.sum()), np.int64)  # sum_A w
    done = weight_left == 0
    saturating = 0  # rounds run that may saturate members; the last round only splits
    while (rounds is None or saturating < rounds - 1) and k.saturate_round(
        consumption, weights, active, left, weight_left, done, out
    ):
        saturating += 1
    # The members still active share what is left by weight: without a limit nobody there
    # saturates; after the last allowed round their shares are capped, as static's are.
    share = _split(left, weight_left, consumption, weights, k.WEIGHT_PER_MEMBER, active)
    if rounds is not None:
        k.cap(share, consumption)
    out += share
    return out


_NO_WEIGHTS = np.zeros(0, np.int64)


def _split(
    amount: np.ndarray,
    total: np.ndarray,
    consumption: np.ndarray,
    weights: np.ndarray,
    weight_kind: int,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """Split ``amount[t]`` [Wh] in proportion ``weight / total[t]`` (``total[t]`` the sum of
    the active members' weights) into whole Wh by largest remainder, ties to the lower
    index (module docstring)."""
    members, intervals = consumption.shape
    if active is None:
        active = np.ones((members, intervals), np.bool_)
    out = np.empty((members, intervals), np.int64)
    remainder_t = np.empty((intervals, members), np.int64)
    k.split_floors(amount, total, consumption, weights, weight_kind, active, out, remainder_t)
    left = amount - out.sum(axis=0)  # Wh still to hand out: fewer than the remainders > 0
    cut = np.full(intervals, -1, np.int64)
    ties = np.zeros(intervals, np.int64)
    for t in np.flatnonzero((left > 0) & (total > 0)).tolist():
        row, n = remainder_t[t], int(left[t])
        cut[t] = int(np.partition(row, members - n)[members - n])  # the n-th largest
        ties[t] = n - int(np.count_nonzero(row > cut[t]))
    k.add_largest_remainders(remainder_t, cut, ties, out)
    return out
