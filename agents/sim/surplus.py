"""A simulation's gains from trade per interval, from the orders it sent and their fills.

The simulation knows every order it submitted (interval, side, limit price, quantity) and,
after the gate, each order's fill, so it measures the realised and the maximum surplus of
each interval's book itself (:mod:`matching.surplus` gives the definitions), the same way in
process and over HTTP. Allocative efficiency over a run is the sum of the realised
surpluses over the sum of the maxima (:func:`matching.surplus.efficiency`).
"""

from __future__ import annotations

import numpy as np

from agents.strategies import BUY, SELL
from matching.surplus import max_surplus, realised_surplus


def interval_surpluses(
    interval: np.ndarray,
    side: np.ndarray,
    price: np.ndarray,
    quantity: np.ndarray,
    filled: np.ndarray,
) -> dict[int, tuple[int, int]]:
    """Return ``{interval: (realised, maximum)}`` [Wh*tick] for the orders given as
    columns: interval index, side (0 buy, 1 sell), limit price [tick], quantity and fill
    [Wh]."""
    out: dict[int, tuple[int, int]] = {}
    if interval.size == 0:  # a day without orders (the key alone)
        return out
    order = np.argsort(interval, kind="stable")
    keys, first = np.unique(interval[order], return_index=True)
    for t, rows in zip(keys.tolist(), np.split(order, first[1:]), strict=True):
        bid = rows[side[rows] == BUY]
        ask = rows[side[rows] == SELL]
        out[t] = (
            realised_surplus(price[bid], filled[bid], price[ask], filled[ask]),
            max_surplus(price[bid], quantity[bid], price[ask], quantity[ask]),
        )
    return out
