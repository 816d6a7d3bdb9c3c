"""A cleared interval: the matching core's result in the engine's terms (order ids and
member codes instead of positions in the auction book)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching import ClearingResult
from matching.published import Published


@dataclass(frozen=True)
class IntervalResult:
    """The auction of one interval. Order ids ascend in both id arrays (the auction book is
    built from the interval's rows in arrival order). ``published``: the best bid and ask
    left unfilled and, without a trade, the indicative price [tick], derived from the book
    at the gate (not journaled)."""

    start_s: int
    clearing: ClearingResult
    bid_order_ids: np.ndarray
    ask_order_ids: np.ndarray
    bid_members: np.ndarray
    ask_members: np.ndarray
    published: Published = Published(None, None, None)

    def filled(self, order_id: int) -> int:
        """The order's filled quantity [Wh] (0 if it was not in this auction)."""
        for ids, fills in (
            (self.bid_order_ids, self.clearing.bid_filled),
            (self.ask_order_ids, self.clearing.ask_filled),
        ):
            i = int(np.searchsorted(ids, order_id))
            if i < ids.shape[0] and ids[i] == order_id:
                return int(fills[i])
        return 0

    def trades(self) -> dict[str, np.ndarray]:
        """The trades as columns: buyer/seller order id and member code, quantity [Wh],
        buyer and seller price [tick]."""
        t = self.clearing.trades
        return {
            "buyer_order_id": self.bid_order_ids[t.buyer],
            "seller_order_id": self.ask_order_ids[t.seller],
            "buyer": self.bid_members[t.buyer],
            "seller": self.ask_members[t.seller],
            "quantity": t.quantity,
            "buyer_price": t.buyer_price,
            "seller_price": t.seller_price,
        }

    def net_positions(self, members: int) -> np.ndarray:
        """Per member code: sold minus bought [Wh] (positive = net seller)."""
        c = self.clearing
        position = np.zeros(members, np.int64)
        np.add.at(position, self.ask_members, c.ask_filled)
        np.subtract.at(position, self.bid_members, c.bid_filled)
        return position
