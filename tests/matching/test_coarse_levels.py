"""Paths for books with many more price levels than orders give the reference's bytes.

A wide dense span is totalled in coarse slots first and per level only around the crossing
(``matching.clearing.COARSE_MIN_LEVELS``), and when no member has filled orders on both
sides the walk is a merge over the filled orders sorted into priority order, or over levels
when a sort key would not fit 63 bits. Here every dense span takes the coarse path, with a
handful of slots so that the crossing's window is a part of the span, not all of it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, clearing, make_book, pairing
from matching.reference import MECHANISMS, RATIONING, clear_reference
from tests.matching.test_clearing_properties import DIFFERENTIAL_SETTINGS, KS, books
from tests.matching.test_merge_path import books_without_shared_members


@pytest.fixture
def coarse_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clearing, "COARSE_MIN_LEVELS", 0)


# The patched thresholds stay patched across examples, as they should.
@settings(
    DIFFERENTIAL_SETTINGS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    book=books(),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    k=KS,
    slots=st.sampled_from([1, 2, 3, 5, 8]),
    trades=st.booleans(),
)
def test_coarse_totals_give_the_reference_bytes(
    coarse_everywhere: None,
    monkeypatch: pytest.MonkeyPatch,
    book: Book,
    mechanism: str,
    rationing: str,
    k: float,
    slots: int,
    trades: bool,
) -> None:
    monkeypatch.setattr(clearing, "COARSE_SLOTS", slots)
    result = clearing.clear(book, mechanism, k=k, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, k=k, rationing=rationing)
    if not trades:
        result.trades = expected.trades  # the digest then covers fills, values and prices
    assert result.digest() == expected.digest()


@settings(
    DIFFERENTIAL_SETTINGS,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    book=books_without_shared_members() | books(shared_members=False),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    trades=st.booleans(),
)
@pytest.mark.parametrize("merge", ["sorted orders", "levels", "levels for pay-as-bid values"])
@pytest.mark.parametrize("threads", [1, 2])
def test_each_merge_gives_the_reference_bytes_without_the_general_walk(
    coarse_everywhere: None,
    monkeypatch: pytest.MonkeyPatch,
    merge: str,
    threads: int,
    book: Book,
    mechanism: str,
    rationing: str,
    trades: bool,
) -> None:
    if threads == 2:  # every book counts as large: each side's values split by level
        monkeypatch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)
        monkeypatch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
        monkeypatch.setattr(clearing, "SPLIT_PASS_MIN_ORDERS", 0)

    def refuse(*args: object) -> int:
        raise AssertionError("the general pairing walk ran")

    monkeypatch.setattr(pairing, "pair_walk", refuse)
    if merge == "levels":  # as when a sort key would not fit 63 bits
        monkeypatch.setattr(clearing, "_merge_sorted", lambda *args: None)
        monkeypatch.setattr(clearing, "_pay_as_bid_values", lambda *args: None)
    elif merge == "levels for pay-as-bid values":  # as for a large book: from every level's total
        monkeypatch.setattr(clearing, "VALUES_BY_LEVELS_MIN_ORDERS", 0)
    result = clearing.clear(book, mechanism, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, rationing=rationing)
    if not trades:
        result.trades = expected.trades
    assert result.digest() == expected.digest()


def book_with_keys_too_wide() -> Book:
    """One order of 8e10 Wh (37 bits of fill), 2,048 orders (11 bits of position) and 65,536
    levels (16 bits of rank): more than a 63-bit sort key holds."""
    rng = np.random.default_rng(7)
    n = 2048
    quantity = np.ones(n, np.int64)
    quantity[5] = 80_000_000_000
    return make_book(
        np.append(rng.integers(30_000, 65_535, n - 1), 65_535),
        quantity,
        np.append(rng.integers(0, 35_000, n - 1), 0),
        quantity[::-1].copy(),
    )


def test_keys_too_wide_for_63_bits_take_the_merge_over_levels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A book whose sort keys would need more than 63 bits: the merge over levels runs."""
    book = book_with_keys_too_wide()
    sorted_merge = clearing._merge_sorted
    refused = []

    def spy(*args: object) -> object:
        result = sorted_merge(*args)
        refused.append(result is None)
        return result

    monkeypatch.setattr(clearing, "_merge_sorted", spy)
    for mechanism in MECHANISMS:
        result = clearing.clear(book, mechanism)
        assert result.digest() == clear_reference(book, mechanism).digest()
    assert refused and all(refused)
