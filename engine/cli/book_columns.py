"""``klaster clear`` for big books: a plain book file read by columns, its fills written so.

:func:`read_plain_book` reads a book file of the format of :mod:`engine.cli.book_csv` with
numba kernels (:mod:`engine.cli.book_kernels`) instead of a Python object per row, when the
file is *plain* (defined there: no quoting, no blank line, names without surrounding
space, ...); it returns None for any other file, valid or not, which then goes to
:func:`engine.cli.book_csv.read_book_csv` as before. So an invalid book is refused, its
line named, by the same code and in the same words as ever, and a plain one gives the same
:class:`~matching.book.Book` and, through :func:`plain_fills`, the same fills bytes as
``read_book_csv`` and ``format_fills`` (``tests/engine/cli/test_book_columns.py`` holds
both to that on generated files).

Cost at 1e6 rows: a pass over the bytes (the members numbered through a hash table), a sort
of the order ids' hashes and a pass to write the fills, in place of 5e6 strings; see
``benchmarks/clear_cli.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.cli import book_kernels
from matching.book import Book, BookError, make_book
from matching.result import ClearingResult
from matching.units import KWH_DECIMALS, MAX_ABS_PRICE_TICKS, MAX_SIDE_WH, PLN_MWH_DECIMALS

_BOM = b"\xef\xbb\xbf"  # as "utf-8-sig" skips it
_HEADERS = (b"order_id,member,side,price,quantity\n", b"order_id,member,side,price,quantity\r\n")
FILLS_HEADER = b"order_id,member,side,filled_kwh,price_pln_mwh\n"
_FILL_BYTES = 48  # a fills row beyond its prefix: quantity, comma, price, LF, with room


@dataclass(frozen=True, slots=True)
class PlainBook:
    """A plain book file and where each of its rows went: the columns of
    :func:`book_kernels.write_fills`."""

    book: Book
    data: np.ndarray  # the file [uint8]
    line_start: np.ndarray  # per row, in file order
    prefix_end: np.ndarray
    side: np.ndarray  # 0 buy, 1 sell
    side_index: np.ndarray  # index into book.bids or book.asks


def read_plain_book(data: bytes) -> PlainBook | None:
    """The book in a file's bytes ``data``, or None when the file is not plain (then
    :func:`engine.cli.book_csv.read_book_csv` reads it, or names what is wrong)."""
    if not data.isascii():
        try:
            data.decode("utf-8")  # as read_book_csv decodes; it names a bad line
        except UnicodeDecodeError:
            return None
    start = len(_BOM) if data.startswith(_BOM) else 0
    header = next((h for h in _HEADERS if data.startswith(h, start)), None)
    if header is None:
        return None
    start += len(header)
    array = np.frombuffer(data, dtype=np.uint8)
    lines = int(np.count_nonzero(array[start:] == ord("\n"))) + 1
    line_start, prefix_end, member_start, member_end, side_index, member, price, quantity = (
        np.empty(lines, np.int64) for _ in range(8)
    )
    id_hash, member_hash = np.empty(lines, np.uint64), np.empty(lines, np.uint64)
    member_table = np.full(1 << (2 * lines).bit_length(), -1, np.int64)  # load <= 1/2
    side = np.empty(lines, np.int8)
    rows = book_kernels.scan_rows(
        array,
        start,
        PLN_MWH_DECIMALS,
        KWH_DECIMALS,
        MAX_ABS_PRICE_TICKS,
        MAX_SIDE_WH,
        line_start,
        prefix_end,
        id_hash,
        member_start,
        member_end,
        member_hash,
        member_table,
        side,
        side_index,
        member,
        price,
        quantity,
    )
    del member_table, member_hash, member_start, member_end
    if rows == book_kernels.NOT_PLAIN:
        return None
    id_hash = np.sort(id_hash[:rows])  # a sort of 1e6 ints takes milliseconds
    if rows > 1 and bool(np.any(id_hash[1:] == id_hash[:-1])):
        return None  # a repeated order id (or, about once in 1e7 books of 1e6 rows, two ids
        # of one hash): read_book_csv names its lines, or reads the book after all
    side = side[:rows]
    buy, sell = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
    try:
        book = make_book(
            price[buy],
            quantity[buy],
            price[sell],
            quantity[sell],
            bid_sequence=buy,
            ask_sequence=sell,
            bid_member=member[buy],
            ask_member=member[sell],
        )
    except BookError:  # the scan's checks should make this unreachable; read_book_csv says
        return None
    return PlainBook(book, array, line_start[:rows], prefix_end[:rows], side, side_index[:rows])


def plain_fills(plain: PlainBook, result: ClearingResult) -> bytes:
    """The fills CSV of a plain book (header and one row per order, in file order), byte
    for byte what ``engine.cli.main.format_fills`` writes, UTF-8 encoded."""
    rows = len(plain.line_start)
    size = int((plain.prefix_end - plain.line_start).sum()) + _FILL_BYTES * rows
    out = np.empty(len(FILLS_HEADER) + size, np.uint8)
    out[: len(FILLS_HEADER)] = np.frombuffer(FILLS_HEADER, np.uint8)
    written = book_kernels.write_fills(
        plain.data,
        rows,
        plain.line_start,
        plain.prefix_end,
        plain.side,
        plain.side_index,
        result.bid_filled,
        result.ask_filled,
        result.bid_value,
        result.ask_value,
        KWH_DECIMALS,
        PLN_MWH_DECIMALS,
        out[len(FILLS_HEADER) :],
    )
    return out[: len(FILLS_HEADER) + written].tobytes()
