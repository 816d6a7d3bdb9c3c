"""Read a call-auction book from CSV: the input format of ``klaster clear``.

The file has the header ``order_id,member,side,price,quantity`` and one order per row:
``side`` is ``buy`` or ``sell``, ``price`` a plain decimal in PLN/MWh (may be negative) with at
most 2 decimals (1 tick = 0.01 PLN/MWh), ``quantity`` a plain decimal in kWh with at most 3
decimals (1 Wh resolution). Numbers are parsed as exact decimals, never floats. Members are
names, mapped to integer ids in order of first appearance; the arrival sequence is the row
order. Blank lines are skipped. Every problem is reported as a :class:`BookCsvError` naming
the file and line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.book import Book, BookError, make_book
from matching.units import (
    KWH_DECIMALS,
    MAX_ABS_PRICE_TICKS,
    MAX_SIDE_WH,
    PLN_MWH_DECIMALS,
    decimal_to_int,
    int_to_decimal_text,
)

HEADER = ("order_id", "member", "side", "price", "quantity")
SIDES = ("buy", "sell")

# Plain decimals only: Decimal() alone would also take "1e3", "1_000", "Infinity" and "NaN".
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class BookCsvError(ValueError):
    """A malformed book file; ``str()`` is ``PATH:LINE: reason`` (``PATH: reason`` if no line)."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order of the file, and where it went in the book."""

    line: int  # 1-based line number in the file
    order_id: str
    member: str
    side: str  # "buy" or "sell"
    index: int  # index into book.bids (buy) or book.asks (sell)


def _parse_number(text: str, decimals: int, what: str, unit: str) -> int:
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f"{what} must be a plain decimal number [{unit}], was {text!r}")
    return decimal_to_int(text, decimals, what)


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM spreadsheets write
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BookCsvError(path, line, "file must be UTF-8 text") from None


class _Columns:
    """Growing per-side columns and the running total that guards MAX_SIDE_WH."""

    def __init__(self) -> None:
        self.price: list[int] = []
        self.quantity: list[int] = []
        self.sequence: list[int] = []
        self.member: list[int] = []
        self.total_wh = 0


def read_book_csv(path: str | Path) -> tuple[Book, list[OrderRow]]:
    """Read and validate the book in ``path``; return it with its rows in file order.

    Raises :class:`BookCsvError` (``PATH:LINE: reason``) for a malformed file and
    ``OSError`` when the file cannot be read.
    """
    name = str(path)
    text = _decode(name, Path(path).read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BookCsvError(name, reader.line_num, f"bad CSV: {exc}") from None
    if header is None:
        raise BookCsvError(name, 1, f"empty file, expected the header {','.join(HEADER)}")
    if tuple(field.strip() for field in header) != HEADER:
        raise BookCsvError(name, 1, f"header must be {','.join(HEADER)}, was {','.join(header)}")

    sides = {"buy": _Columns(), "sell": _Columns()}
    members: dict[str, int] = {}  # insertion order = first appearance = member id
    first_line: dict[str, int] = {}
    rows: list[OrderRow] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record:
                continue
            try:
                rows.append(_parse_row(record, line, len(rows), sides, members, first_line))
            except ValueError as exc:
                raise BookCsvError(name, line, str(exc)) from None
    except csv.Error as exc:
        raise BookCsvError(name, reader.line_num, f"bad CSV: {exc}") from None

    buy, sell = sides["buy"], sides["sell"]
    try:
        book = make_book(
            np.array(buy.price, dtype=np.int64),
            np.array(buy.quantity, dtype=np.int64),
            np.array(sell.price, dtype=np.int64),
            np.array(sell.quantity, dtype=np.int64),
            bid_sequence=np.array(buy.sequence, dtype=np.int64),
            ask_sequence=np.array(sell.sequence, dtype=np.int64),
            bid_member=np.array(buy.member, dtype=np.int64),
            ask_member=np.array(sell.member, dtype=np.int64),
        )
    except BookError as exc:  # the row checks above should make this unreachable
        raise BookCsvError(name, None, str(exc)) from None
    return book, rows


def _parse_row(
    record: list[str],
    line: int,
    sequence: int,
    sides: dict[str, _Columns],
    members: dict[str, int],
    first_line: dict[str, int],
) -> OrderRow:
    if len(record) != len(HEADER):
        raise ValueError(f"expected {len(HEADER)} columns, found {len(record)}")
    order_id, member, side, price_text, quantity_text = (field.strip() for field in record)
    if not order_id:
        raise ValueError("order_id must not be empty")
    if order_id in first_line:
        raise ValueError(f"duplicate order_id {order_id!r}, first on line {first_line[order_id]}")
    if not member:
        raise ValueError("member must not be empty")
    if side not in SIDES:
        raise ValueError(f"side must be buy or sell, was {side!r}")

    price = _parse_number(price_text, PLN_MWH_DECIMALS, "price", "PLN/MWh")
    if abs(price) > MAX_ABS_PRICE_TICKS:
        limit = int_to_decimal_text(MAX_ABS_PRICE_TICKS, PLN_MWH_DECIMALS)
        raise ValueError(f"price must be within -{limit}..{limit} PLN/MWh, was {price_text}")
    quantity = _parse_number(quantity_text, KWH_DECIMALS, "quantity", "kWh")
    if quantity <= 0:
        raise ValueError(f"quantity must be > 0 kWh, was {quantity_text}")
    columns = sides[side]
    if columns.total_wh + quantity > MAX_SIDE_WH:
        limit = int_to_decimal_text(MAX_SIDE_WH, KWH_DECIMALS)
        raise ValueError(f"total {side} quantity must be <= {limit} kWh, exceeded on this row")

    first_line[order_id] = line
    member_id = members.setdefault(member, len(members))
    columns.total_wh += quantity
    columns.price.append(price)
    columns.quantity.append(quantity)
    columns.sequence.append(sequence)
    columns.member.append(member_id)
    return OrderRow(line, order_id, member, side, len(columns.price) - 1)
