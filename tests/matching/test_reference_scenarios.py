"""Hand-computed scenarios that pin the clearing rules of matching/SPEC.md on the reference.

Every expected number here was worked out on paper from the spec; the comments show the
working. Books are written as rows ``o(price, quantity, seq=..., m=...)``; sequence defaults
to the index and every order without ``m`` gets its own member.
"""

from __future__ import annotations

import numpy as np
import pytest

from matching import Book, ClearingResult, make_book
from matching.reference import clear_reference

BUYER_BASE = 1000  # default member of bid i is 1000 + i, of ask j 2000 + j: never shared
SELLER_BASE = 2000


def o(price: int, quantity: int, *, seq: int | None = None, m: int | None = None) -> dict:
    """One order row of a scenario: limit price [tick], quantity [Wh], sequence, member."""
    return {"price": price, "quantity": quantity, "seq": seq, "m": m}


def book(bids: list[dict], asks: list[dict]) -> Book:
    """Build a validated book from order rows."""

    def column(rows: list[dict], key: str, default: int) -> list[int]:
        return [default + i if r[key] is None else r[key] for i, r in enumerate(rows)]

    return make_book(
        [r["price"] for r in bids],
        [r["quantity"] for r in bids],
        [r["price"] for r in asks],
        [r["quantity"] for r in asks],
        bid_sequence=column(bids, "seq", 0),
        ask_sequence=column(asks, "seq", 0),
        bid_member=column(bids, "m", BUYER_BASE),
        ask_member=column(asks, "m", SELLER_BASE),
    )


def trade_rows(result: ClearingResult) -> list[tuple[int, int, int, int, int]]:
    """The trade list as (buyer, seller, quantity, buyer_price, seller_price) rows."""
    t = result.trades
    assert t is not None
    columns = (t.buyer, t.seller, t.quantity, t.buyer_price, t.seller_price)
    return [tuple(int(c[i]) for c in columns) for i in range(len(t))]


def check_outputs_agree(result: ClearingResult) -> None:
    """Fills, values and volume follow from the trade list (SPEC 6)."""
    bid_value = np.zeros_like(result.bid_value)
    ask_value = np.zeros_like(result.ask_value)
    bid_filled = np.zeros_like(result.bid_filled)
    ask_filled = np.zeros_like(result.ask_filled)
    for buyer, seller, quantity, buyer_price, seller_price in trade_rows(result):
        assert quantity > 0
        bid_filled[buyer] += quantity
        ask_filled[seller] += quantity
        bid_value[buyer] += quantity * buyer_price
        ask_value[seller] += quantity * seller_price
    assert bid_filled.tolist() == result.bid_filled.tolist()
    assert ask_filled.tolist() == result.ask_filled.tolist()
    assert bid_value.tolist() == result.bid_value.tolist()
    assert ask_value.tolist() == result.ask_value.tolist()
    assert result.volume == int(result.bid_filled.sum()) == int(result.ask_filled.sum())


# Textbook single-unit crossing: bids b = 100, 90, 80, 70 and asks s = 60, 75, 85, 95, 1 Wh
# each. k = 2 units cross (b_2 = 90 >= s_2 = 75, b_3 = 80 < s_3 = 85), b* = 90, a* = 75, and
# the competitive interval is [max(s_2, b_3), min(b_2, s_3)] = [80, 85].
TEXTBOOK = book(
    bids=[o(100, 1), o(90, 1), o(80, 1), o(70, 1)],
    asks=[o(60, 1), o(75, 1), o(85, 1), o(95, 1)],
)


@pytest.mark.parametrize(
    ("k", "price"),
    [
        pytest.param(0, 80, id="k=0 gives the lower end"),
        pytest.param(1, 85, id="k=1 gives the upper end"),
        pytest.param(1.0, 85, id="k=1.0 as a float gives the upper end"),
        pytest.param(0.5, 83, id="k=0.5 rounds 82.5 half up to 83"),
        pytest.param(0.1, 81, id="k=0.1 rounds 80.5 half up to 81"),
        pytest.param(0.3, 82, id="k=0.3 rounds 81.5 half up to 82"),
        pytest.param(0.25, 81, id="k=0.25 rounds 81.25 down to 81"),
        pytest.param(0.7, 84, id="k=0.7 rounds 83.5 half up to 84"),
        pytest.param(0.0000004, 80, id="k below a millionth counts as 0"),
    ],
)
def test_uniform_price_lies_in_the_competitive_interval_placed_by_k(k: float, price: int) -> None:
    result = clear_reference(TEXTBOOK, "uniform", k=k)
    assert (result.price, result.buyer_price, result.seller_price) == (price, price, price)
    assert result.volume == 2
    assert result.bid_filled.tolist() == [1, 1, 0, 0]
    assert result.ask_filled.tolist() == [1, 1, 0, 0]
    assert trade_rows(result) == [(0, 0, 1, price, price), (1, 1, 1, price, price)]
    assert result.surplus == 0
    check_outputs_agree(result)


@pytest.mark.parametrize(
    ("mechanism", "prices", "trades"),
    [
        pytest.param(
            "pay-as-bid",
            (None, None, None),
            [(0, 0, 1, 100, 100), (1, 1, 1, 90, 90)],
            id="pay-as-bid trades at each buyer's limit",
        ),
        pytest.param(
            # (100 + 60) / 2 = 80 exactly; (90 + 75) / 2 = 82.5 rounds half up to 83.
            "pair-midpoint",
            (None, None, None),
            [(0, 0, 1, 80, 80), (1, 1, 1, 83, 83)],
            id="pair-midpoint trades at each pair's midpoint rounded half up",
        ),
        pytest.param(
            # Only bid 100 and ask 60 lie strictly inside b* = 90 and a* = 75.
            "trade-reduction",
            (None, 90, 75),
            [(0, 0, 1, 90, 75)],
            id="trade-reduction drops the marginal pair and prices at b* and a*",
        ),
    ],
)
def test_textbook_crossing_under_each_discriminatory_mechanism(
    mechanism: str, prices: tuple, trades: list
) -> None:
    result = clear_reference(TEXTBOOK, mechanism)
    assert (result.price, result.buyer_price, result.seller_price) == prices
    assert trade_rows(result) == trades
    check_outputs_agree(result)


@pytest.mark.parametrize(
    ("bids", "asks", "bid_filled", "ask_filled"),
    [
        pytest.param(
            # 7 Wh for T = 10 at 60: 0.7 r7, 1.4 r4, 4.9 r9; 2 left over go to r9 and r7.
            [o(60, 1), o(60, 2), o(60, 7)],
            [o(50, 7)],
            [1, 1, 5],
            [7],
            id="leftover Wh go to the largest remainders",
        ),
        pytest.param(
            # 10 Wh for T = 15: 3 each, all remainders 5; the one leftover goes to seq 0.
            [o(60, 5, seq=2), o(60, 5, seq=0), o(60, 5, seq=1)],
            [o(50, 10)],
            [3, 4, 3],
            [10],
            id="equal remainders go to the smaller sequence",
        ),
        pytest.param(
            [o(60, 5, seq=7), o(60, 5, seq=7), o(60, 5, seq=7)],
            [o(50, 10)],
            [4, 3, 3],
            [10],
            id="equal remainders and sequences go to the smaller index",
        ),
        pytest.param(
            # 11 Wh for T = 15: 3.67 r10 each; 2 leftover go to seq 1 (index 2), then index 0.
            [o(60, 5, seq=3), o(60, 5, seq=3), o(60, 5, seq=1)],
            [o(50, 11)],
            [4, 3, 4],
            [11],
            id="two leftovers by sequence then index",
        ),
        pytest.param(
            # Bid 70 fills outside the group; 60 shares the other 3 Wh: 1.5 r1 each.
            [o(60, 2), o(70, 4), o(60, 2)],
            [o(50, 7)],
            [2, 4, 1],
            [7],
            id="the group is only the marginal level",
        ),
        pytest.param(
            # Asks at a* = 40 share 3 Wh: 1.5 r2 each, the leftover to index 0.
            [o(60, 3)],
            [o(40, 2), o(40, 2)],
            [3],
            [2, 1],
            id="asks at the marginal level share pro rata",
        ),
        pytest.param(
            [o(50, 4), o(50, 6)],
            [o(50, 5)],
            [2, 3],
            [5],
            id="all orders at one price fill pro rata",
        ),
    ],
)
def test_pro_rata_rationing_of_the_marginal_level(
    bids: list, asks: list, bid_filled: list, ask_filled: list
) -> None:
    result = clear_reference(book(bids, asks), "uniform", rationing="pro-rata")
    assert result.bid_filled.tolist() == bid_filled
    assert result.ask_filled.tolist() == ask_filled
    check_outputs_agree(result)


@pytest.mark.parametrize(
    ("bids", "asks", "bid_filled", "ask_filled"),
    [
        pytest.param(
            [o(60, 1, seq=2), o(60, 2, seq=1), o(60, 7, seq=0)],
            [o(50, 7)],
            [0, 0, 7],
            [7],
            id="the earliest sequence takes all it can",
        ),
        pytest.param(
            [o(60, 1), o(60, 2), o(60, 7)],
            [o(50, 7)],
            [1, 2, 4],
            [7],
            id="the last in sequence gets what is left",
        ),
        pytest.param(
            [o(60, 3, seq=4), o(60, 3, seq=4)],
            [o(50, 4)],
            [3, 1],
            [4],
            id="equal sequences go by index",
        ),
        pytest.param(
            [o(60, 4)],
            [o(40, 3, seq=5), o(40, 3, seq=2)],
            [4],
            [1, 3],
            id="asks at the marginal level go by sequence",
        ),
    ],
)
def test_time_priority_rationing_of_the_marginal_level(
    bids: list, asks: list, bid_filled: list, ask_filled: list
) -> None:
    result = clear_reference(book(bids, asks), "uniform", rationing="time-priority")
    assert result.bid_filled.tolist() == bid_filled
    assert result.ask_filled.tolist() == ask_filled
    check_outputs_agree(result)


def test_uniform_clearing_with_all_orders_at_one_price_fills_pro_rata() -> None:
    result = clear_reference(book([o(50, 4), o(50, 6)], [o(50, 5)]), "uniform", k=0.5)
    assert result.price == 50
    assert result.bid_filled.tolist() == [2, 3]
    assert trade_rows(result) == [(0, 0, 2, 50, 50), (1, 0, 3, 50, 50)]
    assert result.bid_value.tolist() == [100, 150]
    assert result.ask_value.tolist() == [250]


def test_partly_filled_marginal_bid_level_pins_the_uniform_price_at_any_k() -> None:
    # b* = 60 is partly filled, so u_b = 60 and lower = max(a* = 50, 60) = 60 = upper.
    clear_book = book([o(60, 1), o(60, 2), o(60, 7)], [o(50, 7)])
    assert {clear_reference(clear_book, k=k).price for k in (0, 0.5, 1)} == {60}


EMPTY_OUTCOMES = [
    pytest.param(book([], []), id="an empty book"),
    pytest.param(book([o(50, 3), o(40, 2)], []), id="a book with bids only"),
    pytest.param(book([], [o(50, 3)]), id="a book with asks only"),
    pytest.param(
        book([o(40, 3)], [o(50, 3), o(41, 1)]), id="a book whose best bid is below the best ask"
    ),
]


@pytest.mark.parametrize("mechanism", ["uniform", "pay-as-bid", "pair-midpoint", "trade-reduction"])
@pytest.mark.parametrize("clear_book", EMPTY_OUTCOMES)
def test_book_without_crossing_trades_nothing_and_has_no_price(
    clear_book: Book, mechanism: str
) -> None:
    result = clear_reference(clear_book, mechanism)
    assert result.volume == 0
    assert (result.price, result.buyer_price, result.seller_price) == (None, None, None)
    assert result.bid_filled.tolist() == [0] * len(clear_book.bids)
    assert result.ask_filled.tolist() == [0] * len(clear_book.asks)
    assert trade_rows(result) == []
    assert result.bid_filled.dtype == result.bid_value.dtype == np.int64


# Bids 100 x2, 90 x3, 80 x1; asks 60 x1, 70 x2 (seq 0), 85 x4 (seq 1); ask 60 has seq 5.
# V = 5 at p = 85..90, b* = 90, a* = 85. Uniform: u_b = 80, u_a = 85 -> price 85.
# Trade reduction: bids above 90: 2 Wh; asks below 85: 3 Wh; V' = 2, asks are the long side.
REDUCTION_BOOK = book(
    bids=[o(100, 2), o(90, 3), o(80, 1)],
    asks=[o(60, 1, seq=5), o(70, 2, seq=0), o(85, 4, seq=1)],
)


def test_uniform_clearing_of_the_trade_reduction_book_for_comparison() -> None:
    result = clear_reference(REDUCTION_BOOK, "uniform", k=0.5)
    assert (result.volume, result.price) == (5, 85)
    assert result.bid_filled.tolist() == [2, 3, 0]
    assert result.ask_filled.tolist() == [1, 2, 2]
    assert trade_rows(result) == [
        (0, 0, 1, 85, 85),
        (0, 1, 1, 85, 85),
        (1, 1, 1, 85, 85),
        (1, 2, 2, 85, 85),
    ]


@pytest.mark.parametrize(
    ("rationing", "ask_filled", "trades"),
    [
        pytest.param(
            # 2 Wh for T = 3 across levels: 0.67 r2, 1.33 r1 -> the leftover to ask 0.
            "pro-rata",
            [1, 1, 0],
            [(0, 0, 1, 90, 85), (0, 1, 1, 90, 85)],
            id="pro rata across price levels",
        ),
        pytest.param(
            "time-priority",
            [0, 2, 0],
            [(0, 1, 2, 90, 85)],
            id="time priority across price levels ignores the price",
        ),
    ],
)
def test_trade_reduction_excludes_the_marginal_levels_and_rations_the_long_side(
    rationing: str, ask_filled: list, trades: list
) -> None:
    result = clear_reference(REDUCTION_BOOK, "trade-reduction", rationing=rationing)
    assert result.volume == 2
    assert (result.price, result.buyer_price, result.seller_price) == (None, 90, 85)
    assert result.bid_filled.tolist() == [2, 0, 0]
    assert result.ask_filled.tolist() == ask_filled
    assert trade_rows(result) == trades
    assert result.bid_value.tolist() == [180, 0, 0]
    assert result.surplus == 2 * (90 - 85)
    check_outputs_agree(result)


def test_trade_reduction_with_equal_inner_sides_fills_both_completely() -> None:
    # V = 4, b* = 80, a* = 40; inside: bid 100 x2 and ask 20 x2.
    result = clear_reference(book([o(100, 2), o(80, 2)], [o(20, 2), o(40, 2)]), "trade-reduction")
    assert (result.volume, result.buyer_price, result.seller_price) == (2, 80, 40)
    assert trade_rows(result) == [(0, 0, 2, 80, 40)]
    assert result.surplus == 80


def test_trade_reduction_with_nothing_inside_the_marginal_levels_trades_nothing() -> None:
    result = clear_reference(book([o(100, 5)], [o(60, 5)]), "trade-reduction")
    assert result.volume == 0
    assert (result.price, result.buyer_price, result.seller_price) == (None, None, None)
    assert trade_rows(result) == []


@pytest.mark.parametrize(
    ("bids", "asks", "bid_filled", "ask_filled", "price", "trades"),
    [
        pytest.param(
            # V = 3, a* = 60; member 7 holds B = 3, C = 2, e = 2: bid 3 -> 1, ask 2 -> 0.
            [o(100, 3, m=7)],
            [o(50, 2, m=7), o(60, 3, m=8)],
            [1],
            [0, 1],
            60,
            [(0, 1, 1, 60, 60)],
            id="decrement both sides by the excess",
        ),
        pytest.param(
            # V = 4, b* = 90, a* = 60; member 1: B = 4, C = 3, e = 3. Bids cut from the
            # lowest priority (90) up, asks likewise; V = 1; price 60 + 15 = 75.
            [o(100, 2, m=1), o(90, 2, m=1)],
            [o(50, 3, m=1), o(60, 1, m=2)],
            [1, 0],
            [0, 1],
            75,
            [(0, 1, 1, 75, 75)],
            id="cut bids in reverse price priority",
        ),
        pytest.param(
            # V = 4; member 1: B = 1, C = 4, e = 1. Ask priority at 50 is index 1 (seq 1)
            # then index 0 (seq 3), so index 0 loses the Wh.
            [o(100, 3, m=9), o(100, 1, m=1)],
            [o(50, 2, seq=3, m=1), o(50, 2, seq=1, m=1)],
            [3, 0],
            [1, 2],
            75,
            [(0, 1, 2, 75, 75), (0, 0, 1, 75, 75)],
            id="cut asks in reverse sequence priority",
        ),
        pytest.param(
            # The member only meets itself: V = 5 -> 0, and no volume means no price.
            [o(100, 5, m=3)],
            [o(50, 5, m=3)],
            [0],
            [0],
            None,
            [],
            id="a member alone trades nothing and sets no price",
        ),
    ],
)
def test_self_trade_prevention_decrements_both_sides_in_reverse_priority(
    bids: list, asks: list, bid_filled: list, ask_filled: list, price: int | None, trades: list
) -> None:
    result = clear_reference(book(bids, asks), "uniform", k=0.5)
    assert result.bid_filled.tolist() == bid_filled
    assert result.ask_filled.tolist() == ask_filled
    assert result.volume == sum(bid_filled)
    assert result.price == price
    assert trade_rows(result) == trades
    check_outputs_agree(result)


A, B, C, M, X, Y = 1, 2, 3, 4, 5, 6  # members of the pairing scenarios


@pytest.mark.parametrize(
    ("bids", "asks", "trades"),
    [
        pytest.param(
            # Step 1 pairs A with B; then M meets M with nothing else left: step 4 reroutes
            # A <- B into A <- M and M <- B. Price: a* = 20, b* = 40 -> 30.
            [o(50, 1, m=A), o(40, 1, m=M)],
            [o(10, 1, m=B), o(20, 1, m=M)],
            [(0, 1, 1, 30, 30), (1, 0, 1, 30, 30)],
            id="step 4 fixes up a greedy pairing that strands one member",
        ),
        pytest.param(
            # Head bid M meets head ask M; step 2 takes the next ask, B. Price 20 + 12.5 -> 33.
            [o(50, 1, m=M), o(45, 1, m=C)],
            [o(10, 1, m=M), o(20, 1, m=B)],
            [(0, 1, 1, 33, 33), (1, 0, 1, 33, 33)],
            id="step 2 skips to the next ask of another member",
        ),
        pytest.param(
            # X <- Y, then M meets M: no other ask, so step 3 lets C buy from M; then M
            # meets M alone: step 4 splits X <- Y (the C <- M trade involves M and is
            # skipped). Price 10 + 17.5 -> 28.
            [o(60, 1, m=X), o(50, 1, m=M), o(45, 1, m=C)],
            [o(10, 2, m=M), o(5, 1, m=Y)],
            [(2, 0, 1, 28, 28), (0, 0, 1, 28, 28), (1, 1, 1, 28, 28)],
            id="step 3 takes the next bid and step 4 skips trades of the member",
        ),
        pytest.param(
            # A <- B 3 Wh; M has 2 Wh left on each side over two asks: the trade shrinks to
            # 1, A buys 1 from each of M's asks, M's bid buys 2 from B. Price 21 + 9.5 -> 31.
            [o(50, 3, m=A), o(40, 2, m=M)],
            [o(10, 3, m=B), o(20, 1, m=M), o(21, 1, m=M)],
            [(0, 0, 1, 31, 31), (0, 1, 1, 31, 31), (0, 2, 1, 31, 31), (1, 0, 2, 31, 31)],
            id="step 4 reduces a trade in place and touches each ask of the member",
        ),
        pytest.param(
            # A <- B 1, C <- Y 1, then M alone with 2: the last trade C <- Y goes first,
            # then A <- B; both fall to 0 and are dropped. a* = 15, b* = 30 -> 23.
            [o(50, 1, m=A), o(45, 1, m=C), o(30, 2, m=M)],
            [o(10, 1, m=B), o(12, 1, m=Y), o(15, 2, m=M)],
            [(1, 2, 1, 23, 23), (2, 1, 1, 23, 23), (0, 2, 1, 23, 23), (2, 0, 1, 23, 23)],
            id="step 4 walks the trades from the last to the first",
        ),
    ],
)
def test_pairing_walk_never_pairs_a_member_with_itself(
    bids: list, asks: list, trades: list
) -> None:
    result = clear_reference(book(bids, asks), "uniform", k=0.5)
    assert trade_rows(result) == trades
    check_outputs_agree(result)


def test_pairing_fix_up_prices_each_new_pair_by_the_mechanism() -> None:
    # The first fix-up scenario: trades A(50) <- M(20) and M(40) <- B(10).
    fix_up_book = book([o(50, 1, m=A), o(40, 1, m=M)], [o(10, 1, m=B), o(20, 1, m=M)])
    assert trade_rows(clear_reference(fix_up_book, "pay-as-bid")) == [
        (0, 1, 1, 50, 50),
        (1, 0, 1, 40, 40),
    ]
    assert trade_rows(clear_reference(fix_up_book, "pair-midpoint")) == [
        (0, 1, 1, 35, 35),
        (1, 0, 1, 25, 25),
    ]


@pytest.mark.parametrize(
    ("mechanism", "k", "trade_price"),
    [
        pytest.param("uniform", 0.5, -12, id="uniform rounds -12.5 half up to -12"),
        pytest.param("uniform", 0.1, -14, id="uniform rounds -14.5 half up to -14"),
        pytest.param("uniform", 0, -15, id="uniform at k=0 is the ask"),
        pytest.param("pay-as-bid", 0.5, -10, id="pay-as-bid is the negative bid"),
        pytest.param("pair-midpoint", 0.5, -12, id="pair-midpoint rounds -12.5 half up to -12"),
    ],
)
def test_negative_prices_clear_like_positive_ones(
    mechanism: str, k: float, trade_price: int
) -> None:
    result = clear_reference(book([o(-10, 4)], [o(-15, 4)]), mechanism, k=k)
    assert trade_rows(result) == [(0, 0, 4, trade_price, trade_price)]
    assert result.bid_value.tolist() == [4 * trade_price]


def test_negative_marginal_levels_give_the_uniform_price_between_unfilled_orders() -> None:
    # D: 4 Wh at <= -20, 2 Wh at <= -10; S: 1 Wh at >= -30, 3 Wh at >= -15. V = 2,
    # b* = -10, a* = -15; u_b = -20, u_a = -15 (half filled) -> price -15 at any k.
    clear_book = book([o(-10, 2), o(-20, 2)], [o(-30, 1), o(-15, 2)])
    result = clear_reference(clear_book, "uniform", k=1)
    assert (result.volume, result.price) == (2, -15)
    assert result.ask_filled.tolist() == [1, 1]


def test_pair_midpoint_of_an_odd_negative_sum_rounds_towards_plus_infinity() -> None:
    result = clear_reference(book([o(-3, 1)], [o(-4, 1)]), "pair-midpoint")
    assert trade_rows(result) == [(0, 0, 1, -3, -3)]


def test_sequences_break_price_ties_before_indices_in_the_pairing_walk() -> None:
    # Two bids at 50 fill completely; seq puts index 1 first, so it meets the first ask.
    result = clear_reference(book([o(50, 1, seq=9), o(50, 1, seq=2)], [o(10, 1), o(20, 1)]))
    assert [(b, s) for b, s, *_ in trade_rows(result)] == [(1, 0), (0, 1)]
