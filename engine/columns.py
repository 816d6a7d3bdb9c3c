"""Growable int64 column buffers: the storage of orders, trades and indexes.

Orders live in numpy columns, not Python objects (house plan: "columnar first"). A
:class:`Columns` holds named int64 columns of one length that grow by doubling, so that
appending a batch is a few ``memcpy``s and reading is a zero-copy view.
"""

from __future__ import annotations

import numpy as np


class Columns:
    """Named int64 columns of equal length, appendable in batches."""

    def __init__(self, names: tuple[str, ...], capacity: int = 1024) -> None:
        self._names = names
        self._buffers = {name: np.empty(capacity, np.int64) for name in names}
        self._capacity = capacity
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> np.ndarray:
        """A view of the filled part of one column (writable: callers update in place)."""
        return self._buffers[name][: self._length]

    def append(self, **columns: np.ndarray | int) -> int:
        """Append rows: every column given, as arrays of one length or as scalars that
        repeat down the new rows. Returns the index of the first new row."""
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

    def append_row(self, *values: int) -> int:
        """Append one row, values in column order (the fast path of single orders)."""
        row = self._length
        if row == self._capacity:
            self._reserve(row + 1)
        for buffer, value in zip(self._buffers.values(), values, strict=True):
            buffer[row] = value
        self._length = row + 1
        return row

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
        self._capacity = capacity
