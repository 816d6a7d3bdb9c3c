"""Column storage: grouping starts without a sort agrees with numpy's sort; chunked
columns hold what contiguous ones hold, and both hold what was appended, single rows that
still wait included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model import columns as columns_module
from engine.model.columns import (
    MAX_COUNTED_SLOTS,
    ChunkedColumns,
    Columns,
    group_starts,
    stable_order,
)

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


@given(
    st.lists(st.integers(1, 70), max_size=12),
    st.sampled_from([1, 7, 64]),
)
def test_chunked_columns_hold_what_columns_hold(sizes: list[int], chunk: int) -> None:
    names = ("a", "b", "c")
    flat = Columns(names, capacity=1)
    chunked = ChunkedColumns(names, chunk_rows=chunk)
    next_value = 0
    for k, n in enumerate(sizes):
        if k % 3 == 2:  # one row at a time, the single-order path
            values = (next_value, -next_value, k)
            assert chunked.append_row(*values) == flat.append_row(*values)
            next_value += 1
            continue
        a = np.arange(next_value, next_value + n, dtype=np.int64)
        next_value += n
        assert chunked.append(a=a, b=-a, c=k) == flat.append(a=a, b=-a, c=k)
    assert len(chunked) == len(flat)
    for i in range(len(flat)):
        assert chunked.row(i) == [int(flat[name][i]) for name in names]
    with pytest.raises(IndexError):
        chunked.row(len(flat))


@given(
    st.lists(st.one_of(st.integers(0, 5), st.just("read")), max_size=40),
    st.sampled_from([1, 3, 1024]),
)
def test_single_rows_that_wait_read_as_appended(script: list[int | str], pending: int) -> None:
    """Rows appended one by one, batches and reads interleaved: every read (a column view, a
    row, a take) sees every row appended before it, in order, whenever the waiting rows
    are written into the columns (every ``pending`` rows, or at a read or a batch)."""
    names = ("a", "b")
    expected: list[tuple[int, int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns_module, "PENDING_ROWS", pending)
        flat, chunked = Columns(names, capacity=1), ChunkedColumns(names, chunk_rows=4)
        for step in script:
            if step == "read":
                assert [tuple(r) for r in zip(flat["a"], flat["b"], strict=True)] == expected
                if expected:
                    assert chunked.row(len(expected) - 1) == list(expected[-1])
                    taken = chunked.take(np.arange(len(expected)))
                    assert [tuple(r) for r in taken.T.tolist()] == expected
            elif step == 0:  # a batch of three rows
                a = np.arange(len(expected), len(expected) + 3, dtype=np.int64)
                assert flat.append(a=a, b=-a) == chunked.append(a=a, b=-a) == len(expected)
                expected += [(int(v), -int(v)) for v in a]
            else:
                row = (len(expected), step)
                assert flat.append_row(*row) == chunked.append_row(*row) == len(expected)
                expected.append(row)
            assert len(flat) == len(chunked) == len(expected)
        assert [chunked.row(i) for i in range(len(expected))] == [list(r) for r in expected]
        with pytest.raises(ValueError, match="a row of 2 columns"):
            flat.append_row(1, 2, 3)
