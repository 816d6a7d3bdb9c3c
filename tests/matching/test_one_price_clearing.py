"""A small book under a mechanism with one price a side (uniform, trade reduction), fills
only, clears in one kernel call (``kernels.one_price_clearing``) and gives the reference's
bytes; where that call declines (a member may trade with itself, a span too wide to be
levels) the whole pipeline does, with the same bytes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, clearing, make_book
from matching.reference import RATIONING, clear_reference
from tests.matching.test_clearing_properties import DIFFERENTIAL_SETTINGS, KS, books

ONE_PRICE = ("uniform", "trade-reduction")


def digest_without_trades(book: Book, mechanism: str, k: float, rationing: str) -> tuple:
    result = clearing.clear(book, mechanism, k=k, rationing=rationing, trades=False)
    expected = clear_reference(book, mechanism, k=k, rationing=rationing)
    result.trades = expected.trades  # the digest then covers fills, values and prices
    return result.digest(), expected.digest()


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count which path each clearing took: the one call, or the pipeline after it declined."""
    taken: Counter[str] = Counter()
    one_call = clearing._one_price_clearing

    def spy(*args: object) -> object:
        result = one_call(*args)
        taken["one call" if result is not None else "declined"] += 1
        return result

    monkeypatch.setattr(clearing, "_one_price_clearing", spy)
    return taken


@settings(
    DIFFERENTIAL_SETTINGS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    book=books(shared_members=False) | books(),
    mechanism=st.sampled_from(ONE_PRICE),
    rationing=st.sampled_from(RATIONING),
    k=KS,
    slots=st.sampled_from([None, 1, 3, 8]),
)
def test_one_call_gives_the_reference_bytes(
    monkeypatch: pytest.MonkeyPatch,
    paths: Counter[str],
    book: Book,
    mechanism: str,
    rationing: str,
    k: float,
    slots: int | None,
) -> None:
    if slots is not None:  # coarse slots first, the crossing's window per level
        monkeypatch.setattr(clearing, "COARSE_MIN_LEVELS", 0)
        monkeypatch.setattr(clearing, "COARSE_SLOTS", slots)
    result, expected = digest_without_trades(book, mechanism, k, rationing)
    assert result == expected


def test_the_drawn_books_take_both_paths(paths: Counter[str]) -> None:
    """The property above is about the one call: check that it runs on many books the
    property draws, and that declining happens too (members trading with themselves, spans
    too wide), so that it cannot pass on the pipeline alone."""

    @settings(DIFFERENTIAL_SETTINGS, max_examples=300)
    @given(book=books(shared_members=False) | books(), mechanism=st.sampled_from(ONE_PRICE))
    def clear(book: Book, mechanism: str) -> None:
        clearing.clear(book, mechanism, trades=False)

    clear()
    assert paths["one call"] > 40 and paths["declined"] > 20, paths


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
