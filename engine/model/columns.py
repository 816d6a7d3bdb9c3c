"""Growable int64 column buffers: the storage of orders, trades and indexes.

Orders live in numpy columns, not Python objects (house plan: "columnar first"). A
:class:`Columns` holds named int64 columns of one length that grow by doubling, so that
appending a batch is a few ``memcpy``s and reading is a zero-copy view.

Single rows (the single-order path: one row in a book, the order index and a member's list
per order) wait as tuples in a short list and go into the columns together, at the next read
or batch append or once :data:`PENDING_ROWS` of them wait: writing one numpy element costs
about as much as appending a whole tuple to a list, and a row is up to seven elements.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

#: Single rows kept as tuples before they are written into the columns together.
PENDING_ROWS = 1024


class _WaitingRows:
    """What both column stores share: rows written (``_length``) and single rows waiting
    after them as tuples (``_rows``), written by the store's ``_flush``."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._length = 0  # rows in the columns
        self._rows: list[tuple[int, ...]] = []  # single rows appended after them

    def __len__(self) -> int:
        return self._length + len(self._rows)

    def append_row(self, *values: int) -> int:
        """Append one row, values in column order; return its index (the fast path of
        single orders: it waits as a tuple, see the module docstring)."""
        if len(values) != len(self._names):
            raise ValueError(f"a row of {len(self._names)} columns, not {len(values)}")
        rows = self._rows
        row = self._length + len(rows)
        rows.append(values)
        if len(rows) >= PENDING_ROWS:
            self._flush()
        return row

    def _flush(self) -> None:
        raise NotImplementedError

    def _take_waiting(self) -> np.ndarray:
        """The waiting rows as one (rows x columns) int64 array, and none waiting any more
        (``np.fromiter`` over the flattened values: about half of what ``np.array`` of the
        tuples costs)."""
        rows = self._rows
        flat = np.fromiter(chain.from_iterable(rows), np.int64, len(rows) * len(self._names))
        rows.clear()
        return flat.reshape(-1, len(self._names))


class Columns(_WaitingRows):
    """Named int64 columns of equal length, appendable in batches."""

    def __init__(self, names: tuple[str, ...], capacity: int = 1024) -> None:
        super().__init__(names)
        self._buffers = {name: np.empty(capacity, np.int64) for name in names}

    def __getitem__(self, name: str) -> np.ndarray:
        """A view of the filled part of one column (writable: callers update in place)."""
        if self._rows:
            self._flush()
        return self._buffers[name][: self._length]

    def append(self, **columns: np.ndarray | int) -> int:
        """Append rows: every column given, as arrays of one length or as scalars that
        repeat down the new rows. Returns the index of the first new row."""
        if self._rows:
            self._flush()
        sizes = {len(v) for v in columns.values() if np.ndim(v) > 0}
        if len(sizes) > 1:
            raise ValueError(f"columns of different lengths: {sorted(sizes)}")
        n = sizes.pop() if sizes else 1
        first = self._length
        self._reserve(first + n)
        for name in self._names:
            self._buffers[name][first : first + n] = columns[name]
        self._length = first + n
        return first

    def _flush(self) -> None:
        """Write the waiting single rows into the columns."""
        first, n = self._length, len(self._rows)
        self._reserve(first + n)
        block = self._take_waiting()
        for j, name in enumerate(self._names):
            self._buffers[name][first : first + n] = block[:, j]
        self._length = first + n

    def _reserve(self, size: int) -> None:
        capacity = len(next(iter(self._buffers.values())))
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        for name, old in self._buffers.items():
            new = np.empty(capacity, np.int64)
            new[: self._length] = old[: self._length]
            self._buffers[name] = new


class ChunkedColumns(_WaitingRows):
    """Named int64 columns that grow in fixed chunks and are never copied, read row by row.

    For an index that only grows (every order ever accepted): doubling a contiguous buffer
    of millions of rows would copy tens of MB in one go and stall every request behind it,
    where a new chunk costs the same at any size. Single rows wait as tuples, as in
    :class:`Columns`.
    """

    def __init__(self, names: tuple[str, ...], chunk_rows: int = 1 << 16) -> None:
        super().__init__(names)
        self._chunk = chunk_rows
        self._chunks: list[np.ndarray] = []  # each (columns x chunk_rows)

    def _block(self) -> tuple[np.ndarray, int]:
        """The chunk the next row goes to (added when full) and the row's offset in it."""
        c, offset = divmod(self._length, self._chunk)
        if c == len(self._chunks):
            self._chunks.append(np.empty((len(self._names), self._chunk), np.int64))
        return self._chunks[c], offset

    def append(self, **columns: np.ndarray | int) -> int:
        """Append rows (arrays of one length, or scalars that repeat); return the first."""
        if self._rows:
            self._flush()
        sizes = {len(v) for v in columns.values() if np.ndim(v) > 0}
        if len(sizes) > 1:
            raise ValueError(f"columns of different lengths: {sorted(sizes)}")
        n = sizes.pop() if sizes else 1
        first = self._length
        self._write([columns[name] for name in self._names], n)
        return first

    def _write(self, values: list[np.ndarray | int], n: int) -> None:
        """Write ``n`` rows (``values``: one array or repeated scalar per column)."""
        done = 0
        while done < n:
            block, offset = self._block()
            take = min(n - done, self._chunk - offset)
            for j, value in enumerate(values):
                block[j, offset : offset + take] = (
                    value[done : done + take] if np.ndim(value) else value
                )
            self._length += take
            done += take

    def _flush(self) -> None:
        """Write the waiting single rows into the chunks."""
        block = self._take_waiting()
        self._write(list(block.T), block.shape[0])

    def row(self, i: int) -> list[int]:
        """Row ``i``'s values in column order, as Python ints."""
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} of {len(self)}")
        if i >= self._length:  # a row still waiting
            return [int(v) for v in self._rows[i - self._length]]
        c, offset = divmod(i, self._chunk)
        return self._chunks[c][:, offset].tolist()

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The values of ascending ``rows`` (all below ``len(self)``), one array per column
        (shape columns x rows): one copy per chunk the rows touch."""
        if self._rows:
            self._flush()
        out = np.empty((len(self._names), rows.shape[0]), np.int64)
        chunk, offset = np.divmod(rows, self._chunk)
        cuts = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), rows.shape[0]]
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            if lo < hi:
                out[:, lo:hi] = self._chunks[int(chunk[lo])][:, offset[lo:hi]]
        return out


#: Most interval slots :func:`group_starts` counts directly (a month of minutes).
MAX_COUNTED_SLOTS = 1 << 16


def group_starts(starts: np.ndarray, length_s: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(starts, return_inverse=True)`` for interval starts [s], without a sort.

    A batch spans few intervals of one calendar, so the starts fall into a small range of
    ``length_s`` slots: counting the slots is O(n) where a sort is O(n log n) and, at 10,000
    orders, about 0.3 ms each time. Starts that are not on the grid, or spread over more
    than :data:`MAX_COUNTED_SLOTS` slots, take numpy's sort instead (same answer).
    """
    if starts.shape[0] == 0:
        return starts[:0].copy(), np.zeros(0, np.intp)
    low = int(starts.min())
    offsets = starts - low
    slots = offsets // length_s
    if (offsets % length_s).any():
        return np.unique(starts, return_inverse=True)
    span = int(slots.max()) + 1
    if span > MAX_COUNTED_SLOTS:
        return np.unique(starts, return_inverse=True)
    present = np.bincount(slots, minlength=span) > 0
    rank = np.cumsum(present) - 1  # slot -> index among the distinct starts
    distinct = low + np.flatnonzero(present).astype(np.int64) * length_s
    return distinct, rank[slots]


def stable_order(inverse: np.ndarray, groups: int) -> np.ndarray:
    """Row order grouped by ``inverse`` (ascending), arrival order kept within a group:
    numpy sorts 16-bit keys stably by radix, far faster than 64-bit ones."""
    key = inverse.astype(np.int16 if groups <= 32767 else np.int64)
    return np.argsort(key, kind="stable")
