"""The plain-Python reference of the clearing rules, written to be read, not to be fast.

This module exists so that the numba kernels (``matching.clearing``) can be checked against
an implementation that anyone can hold next to ``matching/SPEC.md`` and verify line by line.
Every section of the spec is one small function here; all arithmetic is on Python ints, all
orderings are ``sorted()`` with explicit keys, and nothing is cached or vectorised.

Contract: ``clear_reference(book, mechanism, k=..., rationing=...)`` returns exactly the
:class:`ClearingResult` that ``matching.clearing.clear(..., trades=True)`` returns, byte for
byte (compare ``digest()``).

Priority (SPEC "Priority"): bids by price descending, asks by price ascending, then sequence
ascending, then index ascending. Pro-rata leftovers go to the largest remainders, ties by
sequence then index.

Cost: O(n^2) in the number of orders (demand and supply are recomputed per candidate price,
the pairing walk rescans the sides). Use it for tests and small books only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.book import Book, Side
from matching.result import ClearingResult, Trades
from matching.units import K_SCALE, k_to_ppm

MECHANISMS = ("uniform", "pay-as-bid", "pair-midpoint", "trade-reduction")
RATIONING = ("pro-rata", "time-priority")


@dataclass(frozen=True, slots=True)
class Order:
    """One order of one side, as plain ints."""

    index: int
    price: int  # [tick]
    quantity: int  # [Wh]
    sequence: int
    member: int


@dataclass(slots=True)
class Trade:
    """One pairing; ``quantity`` may drop (to 0) during the fix-up of SPEC 5 step 4."""

    buyer: int  # bid index
    seller: int  # ask index
    quantity: int  # [Wh]


def orders_of(side: Side) -> list[Order]:
    """Turn a side's int64 columns into a list of orders, in index order."""
    return [
        Order(
            i, int(side.price[i]), int(side.quantity[i]), int(side.sequence[i]), int(side.member[i])
        )
        for i in range(len(side))
    ]


def bid_priority(bids: list[Order]) -> list[Order]:
    """Sort bids by price descending, then sequence ascending, then index ascending."""
    return sorted(bids, key=lambda o: (-o.price, o.sequence, o.index))


def ask_priority(asks: list[Order]) -> list[Order]:
    """Sort asks by price ascending, then sequence ascending, then index ascending."""
    return sorted(asks, key=lambda o: (o.price, o.sequence, o.index))


# --- SPEC 1: the uniform crossing -----------------------------------------------------------


def demand(bids: list[Order], p: int) -> int:
    """Return D(p), the bid quantity [Wh] willing to pay at least ``p`` [tick]."""
    return sum(o.quantity for o in bids if o.price >= p)


def supply(asks: list[Order], p: int) -> int:
    """Return S(p), the ask quantity [Wh] willing to sell at ``p`` [tick] or less."""
    return sum(o.quantity for o in asks if o.price <= p)


def crossing(bids: list[Order], asks: list[Order]) -> tuple[int, int | None, int | None]:
    """Return the volume V [Wh] and the marginal levels b*, a* [tick] (None when V == 0).

    D is constant between bid prices and S between ask prices, so the maximum of
    min(D, S) over all p is reached at an order's price, b* is a bid price and a* an ask
    price: scanning the order prices is exhaustive.
    """
    candidates = sorted({o.price for o in bids} | {o.price for o in asks})
    volume = max((min(demand(bids, p), supply(asks, p)) for p in candidates), default=0)
    if volume == 0:
        return 0, None, None
    b_star = max(o.price for o in bids if demand(bids, o.price) >= volume)
    a_star = min(o.price for o in asks if supply(asks, o.price) >= volume)
    assert a_star <= b_star
    return volume, b_star, a_star


def uniform_price(
    bids: list[Order],
    asks: list[Order],
    bid_fill: list[int],
    ask_fill: list[int],
    b_star: int,
    a_star: int,
    k_ppm: int,
) -> int:
    """Return the uniform price [tick] from the fills before self-trade prevention."""
    unfilled_bids = [o.price for o in bids if bid_fill[o.index] < o.quantity]
    unfilled_asks = [o.price for o in asks if ask_fill[o.index] < o.quantity]
    lower = max([a_star] + ([max(unfilled_bids)] if unfilled_bids else []))
    upper = min([b_star] + ([min(unfilled_asks)] if unfilled_asks else []))
    assert lower <= upper
    # k to 6 decimals, rounded half up towards upper; the numerator is never negative.
    return lower + (k_ppm * (upper - lower) + K_SCALE // 2) // K_SCALE


# --- SPEC 2: rationing a group --------------------------------------------------------------


def ration(group: list[Order], allotment: int, rationing: str) -> dict[int, int]:
    """Share ``allotment`` [Wh] among ``group``; return fills by order index.

    The dict is only looked up by index, so its order does not matter.
    """
    total = sum(o.quantity for o in group)
    assert 0 <= allotment <= total
    if rationing == "time-priority":
        fills = {}
        left = allotment
        for o in sorted(group, key=lambda o: (o.sequence, o.index)):
            fills[o.index] = min(o.quantity, left)
            left -= fills[o.index]
        return fills
    # pro-rata: floor of the exact share, then one Wh each to the largest remainders.
    fills = {o.index: o.quantity * allotment // total for o in group}
    remainder = {o.index: o.quantity * allotment % total for o in group}
    leftover = allotment - sum(fills.values())
    by_remainder = sorted(group, key=lambda o: (-remainder[o.index], o.sequence, o.index))
    for o in by_remainder[:leftover]:
        fills[o.index] += 1
    return fills


def uniform_fills(
    orders: list[Order], volume: int, marginal: int, better: int, rationing: str
) -> list[int]:
    """Fill one side of the uniform crossing; ``better`` is +1 for bids, -1 for asks.

    Orders priced better than the marginal level fill, worse ones get nothing, the orders at
    the marginal level share what is left of ``volume`` [Wh].
    """
    fills = [0] * len(orders)
    inside = [o for o in orders if (o.price - marginal) * better > 0]
    for o in inside:
        fills[o.index] = o.quantity
    group = [o for o in orders if o.price == marginal]
    for index, fill in ration(group, volume - sum(o.quantity for o in inside), rationing).items():
        fills[index] = fill
    return fills


# --- SPEC 3: trade reduction ----------------------------------------------------------------


def trade_reduction_fills(
    bids: list[Order], asks: list[Order], b_star: int, a_star: int, rationing: str
) -> tuple[list[int], list[int]]:
    """Fill the orders strictly inside the marginal levels; the long side is one group."""
    taking_bids = [o for o in bids if o.price > b_star]
    taking_asks = [o for o in asks if o.price < a_star]
    reduced = min(sum(o.quantity for o in taking_bids), sum(o.quantity for o in taking_asks))
    bid_fill = [0] * len(bids)
    ask_fill = [0] * len(asks)
    for fills, taking in ((bid_fill, taking_bids), (ask_fill, taking_asks)):
        # The short side's group is rationed to its own total: every order fills completely.
        for index, fill in ration(taking, reduced, rationing).items():
            fills[index] = fill
    return bid_fill, ask_fill


# --- SPEC 4: self-trade prevention ----------------------------------------------------------


def prevent_self_trade(
    bids: list[Order], asks: list[Order], bid_fill: list[int], ask_fill: list[int]
) -> None:
    """Reduce the fills (in place) of the one member who would have to trade with itself."""
    volume = sum(bid_fill)
    members = sorted({o.member for o in bids} | {o.member for o in asks})
    excess = {
        m: sum(bid_fill[o.index] for o in bids if o.member == m)
        + sum(ask_fill[o.index] for o in asks if o.member == m)
        - volume
        for m in members
    }
    offenders = [m for m in members if excess[m] > 0]
    assert len(offenders) <= 1
    for m in offenders:
        for fills, in_priority in ((bid_fill, bid_priority(bids)), (ask_fill, ask_priority(asks))):
            left = excess[m]
            for o in reversed(in_priority):
                if o.member == m:
                    cut = min(fills[o.index], left)
                    fills[o.index] -= cut
                    left -= cut


# --- SPEC 5: the pairing walk ---------------------------------------------------------------


def book_trade(
    trades: list[Trade],
    buyer: int,
    seller: int,
    quantity: int,
    bid_left: list[int],
    ask_left: list[int],
) -> None:
    """Append a trade and take its quantity [Wh] off both orders' remaining fills."""
    bid_left[buyer] -= quantity
    ask_left[seller] -= quantity
    trades.append(Trade(buyer, seller, quantity))


def pair(
    bids: list[Order], asks: list[Order], bid_fill: list[int], ask_fill: list[int]
) -> list[Trade]:
    """Pair the fills into trades by the walk of SPEC 5; drop trades that fell to 0 Wh."""
    bid_order = bid_priority(bids)
    ask_order = ask_priority(asks)
    bid_left = list(bid_fill)
    ask_left = list(ask_fill)
    trades: list[Trade] = []
    while any(bid_left):
        live_bids = [o for o in bid_order if bid_left[o.index] > 0]
        live_asks = [o for o in ask_order if ask_left[o.index] > 0]
        head_bid, head_ask = live_bids[0], live_asks[0]
        other_ask = next((o for o in live_asks[1:] if o.member != head_bid.member), None)
        other_bid = next((o for o in live_bids[1:] if o.member != head_ask.member), None)
        if head_bid.member != head_ask.member:  # step 1
            buyer, seller = head_bid, head_ask
        elif other_ask is not None:  # step 2
            buyer, seller = head_bid, other_ask
        elif other_bid is not None:  # step 3
            buyer, seller = other_bid, head_ask
        else:  # step 4: everything left belongs to head_bid.member
            fix_up(bids, asks, trades, live_bids, live_asks, bid_left, ask_left)
            break
        quantity = min(bid_left[buyer.index], ask_left[seller.index])
        book_trade(trades, buyer.index, seller.index, quantity, bid_left, ask_left)
    assert not any(bid_left) and not any(ask_left)
    return [t for t in trades if t.quantity > 0]


def fix_up(
    bids: list[Order],
    asks: list[Order],
    trades: list[Trade],
    m_bids: list[Order],
    m_asks: list[Order],
    bid_left: list[int],
    ask_left: list[int],
) -> None:
    """Reroute earlier trades x <- y into x <- m and m <- y until member m has nothing left.

    ``m_bids`` and ``m_asks`` are m's orders with fill left, in priority. SPEC 4 guarantees
    that the trades without m hold at least what m has left.
    """
    m = m_bids[0].member
    need = sum(bid_left[o.index] for o in m_bids)
    made = len(trades)  # the trades appended below involve m and are never rerouted
    for t in reversed(trades[:made]):
        if need == 0:
            break
        if t.quantity == 0 or bids[t.buyer].member == m or asks[t.seller].member == m:
            continue
        moved = min(t.quantity, need)
        t.quantity -= moved
        bid_left[t.buyer] += moved  # x and y get the quantity back, to trade it with m
        ask_left[t.seller] += moved
        for m_ask in m_asks:  # x buys from m's asks, head first
            quantity = min(ask_left[m_ask.index], bid_left[t.buyer])
            if quantity > 0:
                book_trade(trades, t.buyer, m_ask.index, quantity, bid_left, ask_left)
        for m_bid in m_bids:  # then m's bids, head first, buy from y
            quantity = min(bid_left[m_bid.index], ask_left[t.seller])
            if quantity > 0:
                book_trade(trades, m_bid.index, t.seller, quantity, bid_left, ask_left)
        need -= moved
    assert need == 0


# --- SPEC 5 prices and SPEC 6: per-order outputs -------------------------------------------


def trade_prices(
    mechanism: str,
    bid: Order,
    ask: Order,
    price: int | None,
    b_star: int | None,
    a_star: int | None,
) -> tuple[int, int]:
    """Return (buyer_price, seller_price) [tick] of one trade under ``mechanism``."""
    if mechanism == "uniform":
        assert price is not None
        return price, price
    if mechanism == "pay-as-bid":
        return bid.price, bid.price
    if mechanism == "pair-midpoint":
        midpoint = (bid.price + ask.price + 1) // 2  # floor division: half rounds up
        return midpoint, midpoint
    assert b_star is not None and a_star is not None
    return b_star, a_star


def int64(values: list[int]) -> np.ndarray:
    """Return ``values`` as an int64 array (they fit: see matching.units)."""
    return np.array(values, dtype=np.int64)


# --- the whole clearing ---------------------------------------------------------------------


def clear_reference(
    book: Book, mechanism: str = "uniform", *, k: float = 0.5, rationing: str = "pro-rata"
) -> ClearingResult:
    """Clear ``book`` by the rules of matching/SPEC.md, with the trade list.

    ``mechanism`` is one of :data:`MECHANISMS`, ``rationing`` one of :data:`RATIONING`, ``k``
    in [0, 1] places the uniform price between the lower (0) and upper (1) end of the
    competitive interval. Raises ``ValueError`` for anything else.
    """
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {', '.join(MECHANISMS)}, was {mechanism!r}")
    if rationing not in RATIONING:
        raise ValueError(f"rationing must be one of {', '.join(RATIONING)}, was {rationing!r}")
    k_ppm = k_to_ppm(k)
    bids, asks = orders_of(book.bids), orders_of(book.asks)
    bid_fill, ask_fill = [0] * len(bids), [0] * len(asks)
    price = buyer_price = seller_price = None

    volume, b_star, a_star = crossing(bids, asks)
    if volume > 0 and mechanism == "trade-reduction":
        bid_fill, ask_fill = trade_reduction_fills(bids, asks, b_star, a_star, rationing)
        if sum(bid_fill) > 0:
            buyer_price, seller_price = b_star, a_star
    elif volume > 0:
        bid_fill = uniform_fills(bids, volume, b_star, +1, rationing)
        ask_fill = uniform_fills(asks, volume, a_star, -1, rationing)
        if mechanism == "uniform":
            price = uniform_price(bids, asks, bid_fill, ask_fill, b_star, a_star, k_ppm)
            buyer_price = seller_price = price

    # Prices above are final: self-trade prevention only lowers fills (SPEC 4), unless it
    # leaves no volume, and a clearing without volume has no price.
    prevent_self_trade(bids, asks, bid_fill, ask_fill)
    if sum(bid_fill) == 0:
        price = buyer_price = seller_price = None
    trades = pair(bids, asks, bid_fill, ask_fill)

    priced = [
        trade_prices(mechanism, bids[t.buyer], asks[t.seller], price, b_star, a_star)
        for t in trades
    ]
    bid_value, ask_value = [0] * len(bids), [0] * len(asks)
    for t, (paid, received) in zip(trades, priced, strict=True):
        bid_value[t.buyer] += t.quantity * paid
        ask_value[t.seller] += t.quantity * received
    assert sum(bid_fill) == sum(ask_fill)
    return ClearingResult(
        mechanism=mechanism,
        volume=sum(bid_fill),
        price=price,
        buyer_price=buyer_price,
        seller_price=seller_price,
        bid_filled=int64(bid_fill),
        ask_filled=int64(ask_fill),
        bid_value=int64(bid_value),
        ask_value=int64(ask_value),
        trades=Trades(
            buyer=int64([t.buyer for t in trades]),
            seller=int64([t.seller for t in trades]),
            quantity=int64([t.quantity for t in trades]),
            buyer_price=int64([p for p, _ in priced]),
            seller_price=int64([p for _, p in priced]),
        ),
    )
