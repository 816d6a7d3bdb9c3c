"""Deciding a change of the cluster's configuration (the coordinator's ``ChangeCluster``).

A change puts a whole configuration in force from an interval start on
(:mod:`engine.market.versions`). It is refused unless that interval and every later one are
still to be cleared: the first instant that may change is the first interval whose auction
gate is still open and that no early gate closure cleared, so a cleared interval never
changes and a replay clears it byte for byte as it was. What a cluster keeps for life
(:data:`engine.config.document.FIXED`) is refused too. The event lists the orders it
cancels: every order still in a book at or after the effective instant that the new
configuration would refuse, as a new order would be refused: its member is not in it, or its
connection point is not that member's there, or its price is outside the interval's band
(a band the coordinator published stays in force over a change), or its point's orders on
its side pass the point's new limit. For a limit the orders are taken in arrival order and
each is kept whole if it still fits, else cancelled whole (what the acceptance check would
have done had the new limit been in force when they arrived); an order is never cut to a
smaller quantity, since it is an offer the member made and only the member changes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.book.auction import ACTIVE, CONTINUOUS, SELL
from engine.config.document import DocumentError, differences, document_of, fixed_changes
from engine.market.commands import ChangeCluster
from engine.model import wording
from engine.model.calendar import END_INSTANT_S, INSTANT_RANGE, in_range
from engine.model.registry import Registry
from engine.model.rejects import Reject, Rejected


def first_changeable(state: Any, now_s: int) -> int:
    """The first interval start [s] whose configuration may still change at ``now_s``: its
    auction gate is ahead and no interval from it on is cleared."""
    cal = state.calendar
    first = cal.start_of(now_s + cal.gate_closure_s) + cal.length_s
    if state._results:
        first = max(first, max(state._results) + cal.length_s)
    return first


def decide_change(
    state: Any, command: ChangeCluster, now_s: int
) -> Rejected | tuple[int, list[str], dict, dict, np.ndarray]:
    """Why the change is refused, or ``(effective_from_s, changes, document, files,
    cancelled order ids)``."""
    first = first_changeable(state, now_s)
    effective = first if command.effective_from_s is None else command.effective_from_s
    if type(effective) is not int or not in_range(effective):
        message = f"effective_from must be {INSTANT_RANGE}, was {effective!r} s"
        return Rejected(Reject.BAD_INTERVAL, "effective_from", message)
    if not state.calendar.is_start(effective):
        message = wording.not_an_interval_start(effective, state.calendar)
        return Rejected(Reject.BAD_INTERVAL, "effective_from", message)
    if effective < first:
        message = wording.change_too_early(effective, first)
        return Rejected(Reject.INTERVAL_NOT_OPEN, "effective_from", message)
    new = command.cluster
    fixed = fixed_changes(state.cluster, new)
    if fixed:
        return Rejected(Reject.BAD_VALUE, "config", "; ".join(fixed))
    try:
        document, files = document_of(new)
    except DocumentError as exc:
        return Rejected(Reject.BAD_VALUE, "config", str(exc))
    in_force = state.cluster_at(effective)
    try:  # built in memory (a simulation's derived register facts): its document as read
        old_document, old_files = document_of(in_force, checked=False)
    except DocumentError:  # none at all: every key reads as changed
        old_document, old_files = {}, {}
    changes = differences(old_document, document, old_files, files)
    replaced = [s for s in state.versions.starts if s > effective]
    changes += [f"the change from {wording.instant(s)} is replaced by this one" for s in replaced]
    if not changes:
        message = f"this is the configuration in force from {wording.instant(effective)} already"
        return Rejected(Reject.BAD_VALUE, "config", message)
    cancelled = _cancelled(state, new, Registry.of(new, state.registry), effective)
    if cancelled.shape[0]:
        changes.append(
            f"{cancelled.shape[0]} orders the new configuration refuses are cancelled"
            " (of members or points leaving, outside a price band or above a point's limit)"
        )
    return effective, changes, document, files, cancelled


def _cancelled(state: Any, new: Any, registry: Registry, effective: int) -> np.ndarray:
    """Order ids still in books at or after ``effective`` that the configuration ``new``
    (``registry``: its codes) would refuse (see the module docstring)."""
    out = []
    for start in sorted(state._books):  # sorted: the ids come out in one order anyway
        if start < effective or start >= END_INSTANT_S:
            continue
        o = state._books[start].orders
        live = (o["status"] == ACTIVE) | (o["status"] == CONTINUOUS)
        member, point, price = o["member"], o["point"], o["price"]
        floor, cap = state._published_bands.get(start) or new.band(start)
        allowed = registry.active[member] & (registry.owner[point] == member)
        allowed &= (floor <= price) & (price <= cap)
        keep = live & allowed
        out.append(o["order_id"][live & ~(keep & _fitting(o, keep, registry))])
    if not out:
        return np.zeros(0, np.int64)
    return np.sort(np.concatenate(out)).astype(np.int64)


def _fitting(o: np.ndarray, keep: np.ndarray, registry: Registry) -> np.ndarray:
    """Rows of one interval's book that still fit their point's limit on their side, the
    ``keep`` rows taken in arrival order, each whole or not at all."""
    fits = np.ones(keep.shape[0], bool)
    point, side, quantity = o["point"], o["side"], o["quantity"]
    limit = np.where(side == SELL, registry.max_export_wh[point], registry.max_import_wh[point])
    key = point * 2 + side
    totals = np.zeros(int(key.max(initial=0)) + 1, np.int64)  # exact int sums, no floats
    np.add.at(totals, key[keep], quantity[keep])
    caps = np.zeros_like(totals)
    caps[key] = limit
    # Only the (point, side)s that pass their limit need a loop over their orders.
    for k in np.flatnonzero(totals > caps).tolist():
        rows = np.flatnonzero(keep & (key == k))
        rows = rows[np.argsort(o["order_id"][rows], kind="stable")]
        booked, cap = 0, int(limit[rows[0]])
        for r in rows.tolist():
            if booked + int(quantity[r]) <= cap:
                booked += int(quantity[r])
            else:
                fits[r] = False
    return fits
