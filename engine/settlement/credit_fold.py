"""The prosumer credits of a history, folded as its readings come.

What a statement opens with (:meth:`engine.market.state.MarketState.credits_at`) is what the
history before it left: its intervals with a reading billed section by section (runs of one
configuration in one local month, :mod:`engine.settlement.periods`). A section's credits
depend on its intervals only through sums (:data:`engine.settlement.bills.CreditSums`: the
shortfall and surplus [Wh] and their values [Wh*tick], with the market and without it), and
a sum over a section is the sum of its intervals' sums. So the market adds each reading's
interval into its section's sums as the reading is applied (and takes an interval's old sums
out before a reading corrects it), and a statement folds the sums of the sections before it,
a few integer operations per point and section, instead of billing the whole history again.

A section is keyed by ``(local month, effective instant of its configuration)``: keys sort
as the sections follow each other (a configuration is in force until the next one, months
follow each other). Its configuration and the codes of its points are kept with its sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.settlement.bills import NO_SUMS, NOTHING, CreditSums, carry_sums
from engine.settlement.periods import Ledger


@dataclass
class _Section:
    cluster: Any
    codes: list[int]
    sums: list[list[int]] = field(default_factory=list)
    intervals: int = 0  # how many read intervals its sums hold


class CreditFold:
    """The :data:`~engine.settlement.bills.CreditSums` of every section of the history that
    has a reading, by point; :meth:`ledger` folds them into what each point holds."""

    def __init__(self) -> None:
        self._sections: dict[tuple[int, int], _Section] = {}

    def add(
        self,
        key: tuple[int, int],
        cluster: Any,
        codes: np.ndarray,
        intervals: int,
        sums: list[CreditSums],
        sign: int = 1,
    ) -> None:
        """Add (``sign`` 1) or take out (-1) the sums of ``intervals`` read intervals of the
        section ``key`` (``(month index, effective instant [s])``) on ``cluster``, whose
        points have the ``codes``; a section left with no interval is gone (its intervals
        may come back under another configuration)."""
        section = self._sections.get(key)
        if section is None:
            section = _Section(cluster, codes.tolist(), [list(NO_SUMS) for _ in codes.tolist()])
            self._sections[key] = section
        for total, part in zip(section.sums, sums, strict=True):
            for i, value in enumerate(part):
                total[i] += sign * value
        section.intervals += sign * intervals
        if section.intervals == 0:
            del self._sections[key]

    def ledger(self, before_month: int) -> Ledger:
        """What each point holds after every section of a local month before
        ``before_month`` (a month index), the sections folded in order."""
        ledger: Ledger = {}
        for key in sorted(k for k in self._sections if k[0] < before_month):
            section = self._sections[key]
            sums: list[CreditSums] = [tuple(s) for s in section.sums]  # type: ignore[misc]
            ledger = carried(ledger, section.cluster, key[0], section.codes, sums)
        return ledger


def carried(
    ledger: Ledger, cluster: Any, month: int, codes: list[int], sums: list[CreditSums]
) -> Ledger:
    """``ledger`` after a section of local month ``month`` (a month index) on ``cluster``,
    whose points have the ``codes`` and the ``sums``."""
    opening = [ledger.get(code, NOTHING) for code in codes]
    return ledger | dict(zip(codes, carry_sums(cluster, month, opening, sums), strict=True))
