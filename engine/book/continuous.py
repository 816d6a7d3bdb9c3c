"""Continuous trading: orders match on arrival against resting orders, price-time priority.

After an interval's auction, a cluster may keep trading until the final gate. An arriving
order trades with the best resting orders of the other side while prices cross (a buy at
``p`` meets asks priced ``<= p``, best price first, then earliest order id), each trade at
the *resting* order's price; what is left rests. A member's arriving order skips the
member's own resting orders (self-trade prevention: they stay, untouched).

Layout: per side a ``SortedDict`` price [tick] -> ``deque`` of resting entries
``[order_id, member, remaining Wh]`` in arrival order, plus ``order_id -> entry`` for
cancels. Cost: O(log levels) per level touched plus O(1) per resting order filled; skipping
a member's own orders costs one step each.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sortedcontainers import SortedDict

BUY, SELL = 0, 1


@dataclass(frozen=True, slots=True)
class Fill:
    """One continuous trade."""

    buyer_order_id: int
    seller_order_id: int
    buyer: int  # member code
    seller: int
    quantity: int  # [Wh]
    price: int  # [tick], the resting order's


class ContinuousBook:
    """The resting orders of one interval's continuous phase."""

    def __init__(self) -> None:
        self._levels = (SortedDict(), SortedDict())  # BUY, SELL: price -> deque of entries
        self._entries: dict[int, list[int]] = {}  # order_id -> [order_id, member, remaining]
        self._side_price: dict[int, tuple[int, int]] = {}

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._entries

    def remaining(self, order_id: int) -> int:
        entry = self._entries.get(order_id)
        return 0 if entry is None else entry[2]

    def rest(self, order_id: int, member: int, side: int, price: int, quantity: int) -> None:
        """Put an order in the book without matching (the auction's leftovers)."""
        entry = [order_id, member, quantity]
        self._levels[side].setdefault(price, deque()).append(entry)
        self._entries[order_id] = entry
        self._side_price[order_id] = (side, price)

    def submit(
        self, order_id: int, member: int, side: int, price: int, quantity: int
    ) -> list[Fill]:
        """Match an arriving order, rest what is left; return its trades in order."""
        fills: list[Fill] = []
        other = self._levels[1 - side]
        left = quantity
        # Best prices first: the lowest asks for a buy, the highest bids for a sell.
        prices = list(
            other.irange(maximum=price)
            if side == BUY
            else other.irange(minimum=price, reverse=True)
        )
        for level_price in prices:
            queue = other[level_price]
            skipped: deque[list[int]] = deque()
            while queue and left > 0:
                entry = queue.popleft()
                if entry[1] == member:  # never trade with oneself: keep it, in order
                    skipped.append(entry)
                    continue
                q = min(left, entry[2])
                entry[2] -= q
                left -= q
                if side == BUY:
                    fills.append(Fill(order_id, entry[0], member, entry[1], q, level_price))
                else:
                    fills.append(Fill(entry[0], order_id, entry[1], member, q, level_price))
                if entry[2] > 0:
                    skipped.append(entry)  # partly filled: it keeps its place at the front
                    break
                del self._entries[entry[0]]
                del self._side_price[entry[0]]
            queue.extendleft(reversed(skipped))
            if not queue:
                del other[level_price]
            if left == 0:
                break
        if left > 0:
            self.rest(order_id, member, side, price, left)
        return fills

    def cancel(self, order_id: int) -> int:
        """Remove a resting order; return the quantity it still had [Wh] (0 if none)."""
        entry = self._entries.pop(order_id, None)
        if entry is None:
            return 0
        side, price = self._side_price.pop(order_id)
        queue = self._levels[side][price]
        queue.remove(entry)
        if not queue:
            del self._levels[side][price]
        return entry[2]

    def depth(self, side: int) -> list[tuple[int, int]]:
        """Resting quantity [Wh] per price, best first."""
        levels = self._levels[side]
        items = [(p, sum(e[2] for e in q)) for p, q in levels.items()]
        return list(reversed(items)) if side == BUY else items

    def check_invariants(self) -> None:
        """Raise AssertionError if the index disagrees with the levels, or if a resting bid
        and ask that cross belong to different members (only self-trade prevention may
        leave a book crossed)."""
        seen = 0
        for side in (BUY, SELL):
            for price, queue in self._levels[side].items():
                assert queue, "no empty levels"
                for entry in queue:
                    assert entry[2] > 0
                    assert self._side_price[entry[0]] == (side, price)
                    seen += 1
        assert seen == len(self._entries)
        bids, asks = self._levels
        if bids and asks and bids.peekitem(-1)[0] >= asks.peekitem(0)[0]:
            low_ask = asks.peekitem(0)[0]
            for bid_price, bid_queue in bids.items():
                if bid_price < low_ask:
                    continue
                for ask_price, ask_queue in asks.items():
                    if ask_price > bid_price:
                        break
                    members = {e[1] for e in bid_queue} | {e[1] for e in ask_queue}
                    assert len(members) == 1, "a crossed book between different members"
