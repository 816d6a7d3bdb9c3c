"""Property tests of clearing: the kernels equal the reference, and both keep the invariants.

Books are small (0..12 orders a side) with prices in a narrow window so that ties are common,
sometimes negative, sometimes at the price limits or spread over the whole price range;
quantities are small or near the side limit of ``matching.units``; members come from a small
pool so that self-trades happen; sequences are sometimes shuffled, duplicated or arbitrary.

The invariant tests run on every implementation; the kernel is skipped (with the import error
as the reason) only when ``matching.clearing`` cannot be imported.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, ClearingResult, make_book
from matching.reference import MECHANISMS, RATIONING, clear_reference
from matching.units import MAX_ABS_PRICE_TICKS, MAX_SIDE_WH

try:
    from matching.clearing import clear
except ImportError as error:  # the kernels are written alongside; skip until they exist
    clear = None
    KERNEL_MISSING = f"matching.clearing cannot be imported: {error!r}"
else:
    KERNEL_MISSING = ""

needs_kernel = pytest.mark.skipif(clear is None, reason=KERNEL_MISSING)

Clear = Callable[..., ClearingResult]


def kernel(book: Book, mechanism: str, *, k: float, rationing: str) -> ClearingResult:
    """The numba implementation, with the trade list."""
    return clear(book, mechanism, k=k, rationing=rationing, trades=True)


IMPLEMENTATIONS = [
    pytest.param(clear_reference, id="reference"),
    pytest.param(kernel, id="kernel", marks=needs_kernel),
]

INT64_MIN, INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
MAX_ORDERS = 12
PRICE_BASES = [0, 100, -30, -6, MAX_ABS_PRICE_TICKS - 12, -MAX_ABS_PRICE_TICKS]
SMALL_QUANTITY = st.integers(1, 1000)
ROUND_QUANTITY = st.sampled_from([1, 2, 3, 5, 10])  # equal remainders in pro-rata groups
HUGE_QUANTITY = st.integers(MAX_SIDE_WH // 13, MAX_SIDE_WH // MAX_ORDERS)  # 12 still fit
ODD_MEMBERS = [INT64_MIN, -1, 0, 2**62, INT64_MAX]

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: The differential test is the one that finds kernel bugs: give it the most examples.
DIFFERENTIAL_SETTINGS = settings(SETTINGS, max_examples=600)


@st.composite
def books(draw: st.DrawFn, shared_members: bool = True) -> Book:
    """Draw a valid book; with ``shared_members`` False every order has its own member."""
    base = draw(st.sampled_from(PRICE_BASES))
    narrow = st.integers(base, base + 12)
    price = draw(
        st.sampled_from(
            [narrow, narrow, narrow, st.integers(-MAX_ABS_PRICE_TICKS, MAX_ABS_PRICE_TICKS)]
        )
    )
    price = st.one_of(narrow, price)  # a wide book still has some ties
    quantity = draw(
        st.sampled_from(
            [SMALL_QUANTITY, ROUND_QUANTITY, HUGE_QUANTITY, SMALL_QUANTITY | HUGE_QUANTITY]
        )
    )
    pool = draw(
        st.sampled_from([st.integers(0, 3), st.integers(0, 1), st.sampled_from(ODD_MEMBERS)])
    )
    columns = {}
    for side in ("bid", "ask"):
        n = draw(st.integers(0, MAX_ORDERS))
        columns[f"{side}_price"] = draw(st.lists(price, min_size=n, max_size=n))
        columns[f"{side}_quantity"] = draw(st.lists(quantity, min_size=n, max_size=n))
        sequence_kind = draw(st.sampled_from(["index", "shuffled", "duplicated", "any"]))
        if sequence_kind == "shuffled":
            columns[f"{side}_sequence"] = draw(st.permutations(range(n)))
        elif sequence_kind == "duplicated":
            columns[f"{side}_sequence"] = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
        elif sequence_kind == "any":
            sequence = st.integers(INT64_MIN, INT64_MAX)
            columns[f"{side}_sequence"] = draw(st.lists(sequence, min_size=n, max_size=n))
        if shared_members:
            columns[f"{side}_member"] = draw(st.lists(pool, min_size=n, max_size=n))
    return make_book(
        columns["bid_price"],
        columns["bid_quantity"],
        columns["ask_price"],
        columns["ask_quantity"],
        bid_sequence=columns.get("bid_sequence"),
        ask_sequence=columns.get("ask_sequence"),
        bid_member=columns.get("bid_member"),
        ask_member=columns.get("ask_member"),
    )


KS = st.sampled_from([0, 0.25, 0.5, 1]) | st.floats(0, 1)
MECHANISM = st.sampled_from(MECHANISMS)
RATIONING_RULE = st.sampled_from(RATIONING)


def without_members(book: Book) -> Book:
    """The same book with a distinct member per order: no self-trade prevention applies."""
    return make_book(
        book.bids.price,
        book.bids.quantity,
        book.asks.price,
        book.asks.quantity,
        bid_sequence=book.bids.sequence,
        ask_sequence=book.asks.sequence,
    )


def demand(book: Book, p: int) -> int:
    return sum(int(q) for bp, q in zip(book.bids.price, book.bids.quantity, strict=True) if bp >= p)


def supply(book: Book, p: int) -> int:
    return sum(int(q) for ap, q in zip(book.asks.price, book.asks.quantity, strict=True) if ap <= p)


def brute_force_crossing(book: Book) -> tuple[int, int | None, int | None]:
    """Return (V, b*, a*) by trying every order price and its neighbours."""
    prices = [int(p) for p in np.concatenate((book.bids.price, book.asks.price))]
    candidates = sorted({p + d for p in prices for d in (-1, 0, 1)})
    volume = max((min(demand(book, p), supply(book, p)) for p in candidates), default=0)
    if volume == 0:
        return 0, None, None
    b_star = max(p for p in candidates if demand(book, p) >= volume)
    a_star = min(p for p in candidates if supply(book, p) >= volume)
    return volume, b_star, a_star


def trade_rows(result: ClearingResult) -> list[tuple[int, ...]]:
    t = result.trades
    assert t is not None
    columns = (t.buyer, t.seller, t.quantity, t.buyer_price, t.seller_price)
    return [tuple(int(c[i]) for c in columns) for i in range(len(t))]


def differences(got: ClearingResult, want: ClearingResult) -> list[str]:
    """Name every field where two results differ, with both values."""
    found = []
    for field in ("mechanism", "volume", "price", "buyer_price", "seller_price"):
        if getattr(got, field) != getattr(want, field):
            found.append(
                f"{field}: kernel {getattr(got, field)!r}, reference {getattr(want, field)!r}"
            )
    for field in ("bid_filled", "ask_filled", "bid_value", "ask_value"):
        a, b = getattr(got, field), getattr(want, field)
        if a.dtype != np.int64 or a.tolist() != b.tolist():
            found.append(f"{field}: kernel {a.tolist()} ({a.dtype}), reference {b.tolist()}")
    if (got.trades is None) != (want.trades is None) or trade_rows(got) != trade_rows(want):
        found.append(f"trades:\n  kernel    {trade_rows(got)}\n  reference {trade_rows(want)}")
    return found


def book_text(book: Book) -> str:
    return "\n".join(
        f"{name}: price={s.price.tolist()} quantity={s.quantity.tolist()} "
        f"sequence={s.sequence.tolist()} member={s.member.tolist()}"
        for name, s in (("bids", book.bids), ("asks", book.asks))
    )


# --- (a) kernel == reference ----------------------------------------------------------------


@needs_kernel
@DIFFERENTIAL_SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_kernel_equals_the_reference_byte_for_byte(
    book: Book, mechanism: str, rationing: str, k: float
) -> None:
    got = kernel(book, mechanism, k=k, rationing=rationing)
    want = clear_reference(book, mechanism, k=k, rationing=rationing)
    found = differences(got, want)
    assert not found, f"{mechanism} {rationing} k={k!r}\n{book_text(book)}\n" + "\n".join(found)
    assert got.digest() == want.digest()


@needs_kernel
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_kernel_without_trades_gives_the_same_fills_values_and_prices(
    book: Book, mechanism: str, rationing: str, k: float
) -> None:
    full = clear(book, mechanism, k=k, rationing=rationing, trades=True)
    bare = clear(book, mechanism, k=k, rationing=rationing, trades=False)
    for field in ("mechanism", "volume", "price", "buyer_price", "seller_price"):
        assert getattr(bare, field) == getattr(full, field), field
    for field in ("bid_filled", "ask_filled", "bid_value", "ask_value"):
        assert getattr(bare, field).tolist() == getattr(full, field).tolist(), field


# --- (b)-(d) conservation, limits, no self-trades --------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_fills_are_conserved_within_quantities_and_made_of_trades(
    implementation: Clear, book: Book, mechanism: str, rationing: str, k: float
) -> None:
    result = implementation(book, mechanism, k=k, rationing=rationing)
    bid_filled, ask_filled = result.bid_filled.tolist(), result.ask_filled.tolist()
    assert sum(bid_filled) == sum(ask_filled) == result.volume
    assert all(0 <= f <= q for f, q in zip(bid_filled, book.bids.quantity.tolist(), strict=True))
    assert all(0 <= f <= q for f, q in zip(ask_filled, book.asks.quantity.tolist(), strict=True))
    bought, sold = [0] * len(book.bids), [0] * len(book.asks)
    paid, received = [0] * len(book.bids), [0] * len(book.asks)
    for buyer, seller, quantity, buyer_price, seller_price in trade_rows(result):
        assert quantity > 0
        bought[buyer] += quantity
        sold[seller] += quantity
        paid[buyer] += quantity * buyer_price
        received[seller] += quantity * seller_price
    assert bought == bid_filled
    assert sold == ask_filled
    assert paid == result.bid_value.tolist()
    assert received == result.ask_value.tolist()


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_no_buyer_pays_above_and_no_seller_receives_below_its_limit(
    implementation: Clear, book: Book, mechanism: str, rationing: str, k: float
) -> None:
    result = implementation(book, mechanism, k=k, rationing=rationing)
    bp, ap = book.bids.price.tolist(), book.asks.price.tolist()
    for buyer, seller, _, buyer_price, seller_price in trade_rows(result):
        assert buyer_price <= bp[buyer]
        assert seller_price >= ap[seller]
        if mechanism != "trade-reduction":
            assert buyer_price == seller_price
    for i, (filled, value) in enumerate(
        zip(result.bid_filled.tolist(), result.bid_value.tolist(), strict=True)
    ):
        assert value <= filled * bp[i]
    for j, (filled, value) in enumerate(
        zip(result.ask_filled.tolist(), result.ask_value.tolist(), strict=True)
    ):
        assert value >= filled * ap[j]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_no_trade_pairs_a_member_with_itself(
    implementation: Clear, book: Book, mechanism: str, rationing: str, k: float
) -> None:
    result = implementation(book, mechanism, k=k, rationing=rationing)
    bm, am = book.bids.member.tolist(), book.asks.member.tolist()
    assert all(bm[buyer] != am[seller] for buyer, seller, *_ in trade_rows(result))


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_self_trade_prevention_removes_exactly_the_excess_of_one_member(
    implementation: Clear, book: Book, mechanism: str, rationing: str, k: float
) -> None:
    # Fills before SPEC 4 do not depend on members: clear the book without them.
    before = implementation(without_members(book), mechanism, k=k, rationing=rationing)
    after = implementation(book, mechanism, k=k, rationing=rationing)
    volume = before.volume
    bid_member, ask_member = book.bids.member.tolist(), book.asks.member.tolist()
    excess = {
        m: sum(f for f, o in zip(before.bid_filled.tolist(), bid_member, strict=True) if o == m)
        + sum(f for f, o in zip(before.ask_filled.tolist(), ask_member, strict=True) if o == m)
        - volume
        for m in set(bid_member) | set(ask_member)
    }
    offenders = [m for m, e in excess.items() if e > 0]
    assert len(offenders) <= 1
    cut = sum(excess[m] for m in offenders)
    assert after.volume == volume - cut
    for side, members in (("bid", bid_member), ("ask", ask_member)):
        kept = getattr(after, f"{side}_filled").tolist()
        had = getattr(before, f"{side}_filled").tolist()
        for m, now, then in zip(members, kept, had, strict=True):
            if m in offenders:
                assert now <= then
            else:
                assert now == then
    if after.volume == 0:  # prevention left nothing: no volume, no price
        assert (after.price, after.buyer_price, after.seller_price) == (None, None, None)
    else:  # prices are set before prevention and kept
        assert (after.price, after.buyer_price, after.seller_price) == (
            before.price,
            before.buyer_price,
            before.seller_price,
        )


# --- (e) the uniform volume is the brute-force maximum ----------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(shared_members=False), rationing=RATIONING_RULE, k=KS)
def test_uniform_crossing_volume_is_the_maximum_of_min_demand_supply(
    implementation: Clear, book: Book, rationing: str, k: float
) -> None:
    volume, _, _ = brute_force_crossing(book)
    for mechanism in ("uniform", "pay-as-bid", "pair-midpoint"):
        assert implementation(book, mechanism, k=k, rationing=rationing).volume == volume


# --- (f) determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), mechanism=MECHANISM, rationing=RATIONING_RULE, k=KS)
def test_clearing_is_deterministic_and_leaves_the_book_untouched(
    implementation: Clear, book: Book, mechanism: str, rationing: str, k: float
) -> None:
    original = copy.deepcopy(book)
    first = implementation(book, mechanism, k=k, rationing=rationing)
    second = implementation(book, mechanism, k=k, rationing=rationing)
    third = implementation(copy.deepcopy(book), mechanism, k=k, rationing=rationing)
    assert first.digest() == second.digest() == third.digest()
    for name in ("bids", "asks"):
        for column in ("price", "quantity", "sequence", "member"):
            got = getattr(getattr(book, name), column)
            assert got.tolist() == getattr(getattr(original, name), column).tolist()


# --- (g) trade reduction --------------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), rationing=RATIONING_RULE)
def test_trade_reduction_keeps_a_surplus_and_trades_no_more_than_uniform(
    implementation: Clear, book: Book, rationing: str
) -> None:
    reduced = implementation(book, "trade-reduction", k=0.5, rationing=rationing)
    uniform = implementation(without_members(book), "uniform", k=0.5, rationing=rationing)
    assert reduced.price is None
    assert reduced.volume <= uniform.volume
    assert reduced.surplus >= 0
    if reduced.buyer_price is not None:
        assert reduced.buyer_price >= reduced.seller_price
        assert reduced.surplus == reduced.volume * (reduced.buyer_price - reduced.seller_price)
    else:
        assert reduced.volume == 0


# --- (h) the uniform price ------------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(), rationing=RATIONING_RULE, k=KS)
def test_uniform_price_lies_between_the_marginal_levels_and_clears_the_market(
    implementation: Clear, book: Book, rationing: str, k: float
) -> None:
    volume, b_star, a_star = brute_force_crossing(book)
    free = implementation(without_members(book), "uniform", k=k, rationing=rationing)
    if volume == 0:
        assert free.price is None
        return
    price = free.price
    assert a_star <= price <= b_star
    assert free.buyer_price == free.seller_price == price
    # Without self-trade prevention nobody is left out who would trade at the price.
    for p, q, f in zip(book.bids.price, book.bids.quantity, free.bid_filled, strict=True):
        assert f == q or p <= price
    for p, q, f in zip(book.asks.price, book.asks.quantity, free.ask_filled, strict=True):
        assert f == q or p >= price
    # Self-trade prevention comes after pricing: members do not move the price (unless
    # they leave no volume at all, and with it no price).
    with_members = implementation(book, "uniform", k=k, rationing=rationing)
    assert with_members.price == (price if with_members.volume else None)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@SETTINGS
@given(book=books(shared_members=False), rationing=RATIONING_RULE)
def test_uniform_price_rises_with_k(implementation: Clear, book: Book, rationing: str) -> None:
    prices = [implementation(book, "uniform", k=k, rationing=rationing).price for k in (0, 0.5, 1)]
    if prices[0] is not None:
        assert prices == sorted(prices)
