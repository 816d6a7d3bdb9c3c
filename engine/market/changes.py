"""Deciding a change of the cluster's configuration (the coordinator's ``ChangeCluster``).

A change puts a whole configuration in force from an interval start on
(:mod:`engine.market.versions`). It is refused unless that interval and every later one are
still to be cleared: the first instant that may change is the first interval whose auction
gate is still open and that no early gate closure cleared, so a cleared interval never
changes and a replay clears it byte for byte as it was. What a cluster keeps for life
(:data:`engine.config.document.FIXED`) is refused too. The event lists the orders it
cancels: every order still in a book at or after the effective instant whose member is not
in the new configuration, or whose connection point is not that member's there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.book.auction import ACTIVE, CONTINUOUS
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
    cancelled = _cancelled(state, Registry.of(new, state.registry), effective)
    if cancelled.shape[0]:
        changes.append(f"{cancelled.shape[0]} orders of members or points leaving are cancelled")
    return effective, changes, document, files, cancelled


def _cancelled(state: Any, registry: Registry, effective: int) -> np.ndarray:
    """Order ids still in books at or after ``effective`` that ``registry`` does not allow."""
    out = []
    for start, book in state._books.items():
        if start < effective or start >= END_INSTANT_S:
            continue
        o = book.orders
        live = (o["status"] == ACTIVE) | (o["status"] == CONTINUOUS)
        member, point = o["member"], o["point"]
        allowed = registry.active[member] & (registry.owner[point] == member)
        out.append(o["order_id"][live & ~allowed])
    if not out:
        return np.zeros(0, np.int64)
    return np.sort(np.concatenate(out)).astype(np.int64)
