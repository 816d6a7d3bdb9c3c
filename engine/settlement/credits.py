"""A prosumer's credits carried from one billing section to the next: FIFO, 12 months.

Two kinds, each a tuple of entries ``(month, amount)`` in the order they were credited
(``month``: the local calendar month as ``year * 12 + month - 1``):

- the **net-billing deposit** [grosz] (ustawa o OZE of 20 February 2015, art. 4b as amended
  by the act of 29 October 2021; ``/work/shared/domain.md``, "Bills as members really get
  them"): the value of the energy fed to the grid, at max(RCE, 0) or max(RCEm, 0), pays for
  energy only (not distribution) for 12 months;
- the **net-metering bank** [Wh] (the same act, art. 4 ust. 1 as in force until 31 March
  2022): 0.8 (up to 10 kW) or 0.7 of the energy fed to the grid offsets energy taken from it
  for 12 months, free of energy and variable distribution charges.

Rules (the same for both): an entry credited in month ``m`` may be used in the months ``m``
to ``m + 11`` and is gone (expired) from month ``m + 12`` on; what is used is taken from the
oldest entry first; amounts are whole grosz and whole Wh (an entry is rounded once when it is
credited, see :mod:`engine.settlement.bills`), so a balance conserves exactly:
``opening + credited = used + expired + closing``. The refund of part of an unused deposit
(up to 20 %, 30 % under the RCE) is not modelled: an expired deposit is lost here.
"""

from __future__ import annotations

from dataclasses import dataclass

Entries = tuple[tuple[int, int], ...]

VALID_MONTHS = 12  # an entry of month m is used in months m .. m + 11


@dataclass(frozen=True, slots=True)
class Credits:
    """A point's deposit [grosz] and bank [Wh] entries, oldest first."""

    deposit: Entries = ()
    bank: Entries = ()

    @property
    def deposit_grosz(self) -> int:
        """The deposit's balance [grosz]."""
        return sum(amount for _, amount in self.deposit)

    @property
    def bank_wh(self) -> int:
        """The bank's balance [Wh]."""
        return sum(amount for _, amount in self.bank)


NONE = Credits()


def expire(entries: Entries, month: int) -> tuple[Entries, int]:
    """Drop the entries no longer valid in ``month``: (what is left, the amount dropped)."""
    kept = tuple(e for e in entries if e[0] + VALID_MONTHS > month)
    return kept, sum(a for m, a in entries if m + VALID_MONTHS <= month)


def draw(entries: Entries, need: int) -> tuple[Entries, int]:
    """Take up to ``need`` (>= 0) from the oldest entries first: (what is left, taken)."""
    left, kept = need, []
    for month, amount in entries:
        take = min(amount, left)
        left -= take
        if amount > take:
            kept.append((month, amount - take))
    return tuple(kept), need - left


def credit(entries: Entries, month: int, amount: int) -> Entries:
    """Add ``amount`` (>= 0) credited in ``month`` (nothing for 0)."""
    return (*entries, (month, amount)) if amount > 0 else entries
