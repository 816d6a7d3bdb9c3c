"""Grouping interval starts without a sort agrees with numpy's sort-based answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.columns import MAX_COUNTED_SLOTS, group_starts, stable_order

LENGTHS = st.sampled_from([1, 60, 900, 3600])


@st.composite
def starts(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    length = draw(LENGTHS)
    base = draw(st.integers(0, 2**40)) // length * length
    slots = st.integers(0, draw(st.sampled_from([3, 100, 2 * MAX_COUNTED_SLOTS])))
    offsets = draw(st.lists(slots, max_size=60))
    values = np.array([base + o * length for o in offsets], np.int64)
    if values.size and draw(st.booleans()):  # some off the grid
        values[draw(st.integers(0, values.size - 1))] += draw(st.integers(1, 10**6))
    return values, length


@given(starts())
def test_group_starts_equals_np_unique(case: tuple[np.ndarray, int]) -> None:
    values, length = case
    distinct, inverse = group_starts(values, length)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(inverse, expected_inverse)
    np.testing.assert_array_equal(
        stable_order(inverse, distinct.shape[0]), np.argsort(values, kind="stable")
    )
