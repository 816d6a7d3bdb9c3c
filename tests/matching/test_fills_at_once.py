"""A small book clears up to its fills in one kernel call and gives the reference's bytes:
under a mechanism with one price a side (uniform, trade reduction), fills only, that call
is the whole clearing, from the prices on (``kernels.one_price_clearing``); under any
mechanism the levels come first and the values or trades after (``kernels.fills_at_once``).
Where a call declines (a member may trade with itself; for the first, a span too wide to be
levels) the pipeline's steps do it, with the same bytes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, ClearingResult, clearing, make_book
from matching.reference import MECHANISMS, RATIONING, clear_reference
from tests.matching.test_clearing_properties import DIFFERENTIAL_SETTINGS, KS, books

ONE_PRICE = ("uniform", "trade-reduction")


def digest_without_trades(book: Book, mechanism: str, k: float, rationing: str) -> tuple:
    result = clearing.clear(book, mechanism, k=k, rationing=rationing, trades=False)
    expected = clear_reference(book, mechanism, k=k, rationing=rationing)
    result.trades = expected.trades  # the digest then covers fills, values and prices
    return result.digest(), expected.digest()


def count_paths(monkeypatch: pytest.MonkeyPatch, name: str, done: type | None) -> Counter[str]:
    """Spy on ``clearing.<name>``: count its calls that gave a ``done`` (not None, when
    ``done`` is None) as "one call", the others as "declined"."""
    taken: Counter[str] = Counter()
    call = getattr(clearing, name)

    def spy(*args: object) -> object:
        result = call(*args)
        one = isinstance(result, done) if done is not None else result is not None
        taken["one call" if one else "declined"] += 1
        return result

    monkeypatch.setattr(clearing, name, spy)
    return taken


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Which path each one-price clearing took: the one call, or the steps after it declined."""
    return count_paths(monkeypatch, "_one_price_clearing", ClearingResult)


@pytest.fixture
def at_once(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The small books whose fills came from one call, and those declined."""
    return count_paths(monkeypatch, "_fills_at_once", None)


@settings(
    DIFFERENTIAL_SETTINGS,
    max_examples=1500,  # four mechanisms, with and without trades, coarse or not
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    book=books(shared_members=False) | books(),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    k=KS,
    trades=st.booleans(),
    slots=st.sampled_from([None, 1, 3, 8]),
)
def test_one_call_then_values_or_trades_give_the_reference_bytes(
    monkeypatch: pytest.MonkeyPatch,
    book: Book,
    mechanism: str,
    rationing: str,
    k: float,
    trades: bool,
    slots: int | None,
) -> None:
    if slots is not None:  # coarse slots first, the crossing's window per level
        monkeypatch.setattr(clearing, "COARSE_MIN_LEVELS", 0)
        monkeypatch.setattr(clearing, "COARSE_SLOTS", slots)
    result = clearing.clear(book, mechanism, k=k, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, k=k, rationing=rationing)
    if not trades:
        result.trades = expected.trades
    assert result.digest() == expected.digest()


def test_the_drawn_books_take_both_paths(paths: Counter[str], at_once: Counter[str]) -> None:
    """The properties here are about the one calls: check that they run on many of the books
    the properties draw, and that declining happens too (members trading with themselves,
    spans too wide), so that they cannot pass on the pipeline's steps alone."""

    @settings(DIFFERENTIAL_SETTINGS, max_examples=400)
    @given(
        book=books(shared_members=False) | books(),
        mechanism=st.sampled_from(MECHANISMS),
        trades=st.booleans(),
    )
    def clear(book: Book, mechanism: str, trades: bool) -> None:
        clearing.clear(book, mechanism, trades=trades)

    clear()
    for taken in (paths, at_once):
        assert taken["one call"] > 20 and taken["declined"] > 10, (paths, at_once)


def test_a_member_that_would_trade_with_itself_declines_the_one_call(
    paths: Counter[str],
) -> None:
    # Member 1 bids 5 Wh at 50 and asks 5 at 40: the crossing's 5 Wh would be its own.
    book = make_book([50, 30], [5, 1], [40, 60], [5, 1], bid_member=[1, 2], ask_member=[1, 3])
    result, expected = digest_without_trades(book, "uniform", 0.5, "pro-rata")
    assert result == expected
    assert paths == {"declined": 1}
    assert clearing.clear(book, "uniform", trades=False).volume == 0


def test_members_on_both_sides_that_cannot_trade_with_themselves_keep_the_one_call(
    paths: Counter[str],
) -> None:
    # Member 1 is on both sides but its ask lies above every bid: no self-trade possible,
    # and no hash bucket holds more than the volume.
    book = make_book([50, 45], [5, 5], [40, 90], [6, 1], bid_member=[1, 2], ask_member=[3, 1])
    for mechanism in ONE_PRICE:
        result, expected = digest_without_trades(book, mechanism, 0.5, "pro-rata")
        assert result == expected
    assert paths == {"one call": 2}


def test_a_span_too_wide_for_levels_declines_the_one_call(paths: Counter[str]) -> None:
    # Two orders a side over 10**8 ticks: prices are ranked, which the pipeline does.
    book = make_book([10**8, 10], [3, 2], [-(10**8), 5], [1, 4])
    for mechanism in ONE_PRICE:
        result, expected = digest_without_trades(book, mechanism, 0.25, "time-priority")
        assert result == expected
    assert paths == {"declined": 2}


def test_books_that_do_not_cross_or_lack_a_side(paths: Counter[str]) -> None:
    apart = make_book([10], [5], [20], [5])
    assert clearing.clear(apart, "uniform", trades=False).volume == 0
    assert paths == {"one call": 1}
    no_asks = make_book([10], [5], np.zeros(0, np.int64), np.zeros(0, np.int64))
    result = clearing.clear(no_asks, "trade-reduction", trades=False)
    assert result.volume == 0 and result.bid_filled.tolist() == [0]
    assert paths == {"one call": 1}  # an empty side never reaches it


def test_a_member_that_would_trade_with_itself_is_prevented_by_the_steps(
    at_once: Counter[str],
) -> None:
    book = make_book([50, 30], [5, 1], [40, 60], [5, 1], bid_member=[1, 2], ask_member=[1, 3])
    for mechanism in MECHANISMS:
        result = clearing.clear(book, mechanism)
        assert result.digest() == clear_reference(book, mechanism).digest()
    # uniform and trade reduction with trades, pay-as-bid and pair-midpoint: declined;
    # trade reduction crosses no volume there, so its call is done.
    assert at_once == {"declined": 3, "one call": 1}
