"""A period's statements as sections, and the credits carried from one section to the next.

A statement's period is cut into **sections**: runs of its intervals under one configuration
(:mod:`engine.market.versions`) in one local calendar month. Each section is billed on its
own (:func:`engine.settlement.bills.bill_points`) on the configuration in force for it:
its lines are each rounded once, half to even, then its net, VAT and gross; the period's
lines and totals are the sums of its sections' (as a member's are the sums of its points'),
so a period cut at a change of tariffs bills exactly as its two parts billed one after the
other. The month cut dates the prosumer credits (:mod:`engine.settlement.credits`): what a
section leaves in the net-billing deposit or the net-metering bank is what the next one
opens with, oldest first, gone after 12 months.

The credits a period opens with are a pure function of the journal: the intervals before it
with a reading billed section by section on the same cuts
(:meth:`engine.market.state.MarketState.credits_at`), so a replay gives the same balances.
A period that starts inside a month bills the month's intervals before it as one section
of the history: a month's statement opens with what the months before left.

Cost: one pass per section over points x intervals; the history's credits are folded as the
readings come (:mod:`engine.settlement.credit_fold`), so a statement bills its own period and
at most the part of its first month before it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from engine.settlement.bills import (
    BASELINE_LINES,
    LINES,
    NOTHING,
    Carried,
    PointStatement,
    Section,
    bill_points,
    month_index,
    sum_bills,
)
from engine.settlement.settle import PeriodTrades

#: What each connection point (by code) holds at an instant.
Ledger = dict[int, Carried]


@dataclass(frozen=True)
class Part:
    """The intervals of one section and what bills them: ``codes`` the point code of each
    of ``cluster.points``; ``first`` the index of its first interval in the period;
    ``trades`` with buyer and seller as indices into ``cluster.points``; readings (points x
    intervals) [Wh] and bands [tick] as :func:`~engine.settlement.bills.bill_points` takes
    them."""

    cluster: Any
    codes: np.ndarray
    first: int
    starts: list[int]
    trades: PeriodTrades
    import_wh: np.ndarray
    export_wh: np.ndarray
    metered: np.ndarray
    floor: np.ndarray
    cap: np.ndarray
    member_code: Mapping[str, int] | None = None
    """Member id -> code over the cluster's life (the order a sharing key breaks ties in)."""


def month_start(start_s: int, tz: Any) -> int:
    """The start [s] of the local month (``tz``) of the instant ``start_s`` [s]."""
    local = datetime.fromtimestamp(start_s, tz)
    return int(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def cut(starts: list[int], version_of: Callable[[int], int], tz: Any) -> list[list[int]]:
    """``starts`` (ascending) in runs of one configuration (``version_of``) and one local
    month (``tz``)."""
    runs: list[list[int]] = []
    last = None
    for start in starts:
        key = (version_of(start), month_index(datetime.fromtimestamp(start, tz)))
        if runs and key == last:
            runs[-1].append(start)
        else:
            runs.append([start])
        last = key
    return runs


def bill_parts(
    parts: Sequence[Part], ledger: Ledger
) -> tuple[dict[int, list[tuple[Part, PointStatement]]], Ledger]:
    """Bill the parts in order, each point opening with what it held after the part before:
    (each point code's sections, the ledger after the last)."""
    ledger = dict(ledger)
    sections: dict[int, list[tuple[Part, PointStatement]]] = {}
    for part in parts:
        codes = part.codes.tolist()
        opening = [ledger.get(code, NOTHING) for code in codes]
        billed = bill_points(
            part.cluster, part.starts, part.trades, part.import_wh, part.export_wh,
            part.metered, part.floor, part.cap, opening, part.member_code,
        )  # fmt: skip
        for code, statement in zip(codes, billed, strict=True):
            ledger[code] = statement.closing
            sections.setdefault(code, []).append((part, statement))
    return sections, ledger


def period_statements(
    sections: dict[int, list[tuple[Part, PointStatement]]],
) -> list[PointStatement]:
    """The period's statements: one per connection point and member that held it, the sums
    of the sections it held the point in (a point that moved inside the period is on each
    member's statement for its own sections; one that joined or left, for the sections it
    was in). Ordered by point code, then by the first section held; ``point`` is the code.
    """
    held: dict[tuple[int, str], list[tuple[Part, PointStatement]]] = {}
    intervals = 0
    for code in sorted(sections):
        for part, statement in sections[code]:
            held.setdefault((code, statement.member_id), []).append((part, statement))
            intervals = max(intervals, part.first + len(part.starts))
    return [_held(code, mine, intervals) for (code, _), mine in held.items()]


def _held(code: int, mine: list[tuple[Part, PointStatement]], intervals: int) -> PointStatement:
    """One point's sections under one member, as one statement of the period (``intervals``
    long): its sections listed unless it is one section over the whole period."""
    if len(mine) == 1 and len(mine[0][0].starts) == intervals:
        part, only = mine[0]
        return _shifted(only, code, part.first, ())
    statements = [s for _, s in mine]
    first, last = statements[0], statements[-1]
    return PointStatement(
        code,
        sum_bills([s.bill for s in statements], LINES),
        sum_bills([s.baseline for s in statements], BASELINE_LINES),
        sum(s.saving_grosz for s in statements),
        last.carried_grosz,
        last.baseline_carried_grosz,
        last.carried_wh,
        tuple(part.first + t for part, s in mine for t in s.pending),
        first.opening,
        last.closing,
        sum(s.expired_grosz for s in statements),
        sum(s.expired_wh for s in statements),
        tuple(_section(part, s) for part, s in mine),
        first.point_id, first.member_id, first.tariff, first.regime,
    )  # fmt: skip


def _section(part: Part, s: PointStatement) -> Section:
    return Section(part.first, len(part.starts), s.tariff, s.regime, s)


def _shifted(s: PointStatement, code: int, first: int, sections: tuple) -> PointStatement:
    """``s`` as point ``code`` of the period, its pending intervals counted from its start."""
    pending = tuple(first + t for t in s.pending)
    return dataclasses.replace(s, point=code, pending=pending, sections=sections)
