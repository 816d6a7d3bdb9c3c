"""The columnar reader of ``klaster clear`` against the row reader, on generated files.

``read_plain_book`` may take a file only if ``read_book_csv`` accepts it, and must then
give the same book and, for every mechanism, the same fills bytes as ``format_fills``;
every file it leaves (None) goes to ``read_book_csv``, so invalid files are refused in the
old words. Files are built from fields that are valid, nearly valid (a space, a third
decimal, a quote, NaN, ...) or wrong, rows with too few or too many of them, blank lines,
CR LF and lone CR line ends, a BOM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.cli.book_columns import plain_fills, read_plain_book
from engine.cli.book_csv import HEADER, BookCsvError, read_book_csv
from engine.cli.main import format_fills
from matching.book import Book
from matching.clearing import clear
from matching.mechanisms import MECHANISMS, RATIONING

HEADER_LINE = ",".join(HEADER)
NAMES = ["a", "b", "o1", "gmina-żywiec", "x y", "é", "ab\tc"]
NEAR_NAMES = ["", " ", " a", "a ", '"a"', "a,b", "\xa0a", "a\x00b", "a\x85"]
PRICES = ["0", "-0", "500.00", "500.5", "1.000", "001.50", "-12.34", "1000000.00"]
NEAR_PRICES = ["1e3", "NaN", "inf", "1.001", "1000000.01", "-1000000.01", ".5", "5.", " 5", ""]
QUANTITIES = ["1", "0.001", "1.500", "2.0000", "00.250", "45000000"]
NEAR_QUANTITIES = ["0", "-0", "-1", "0.0001", "1.2345", "50000000", "1e3", "+1", "1,5", ""]


def fields(valid: list[str], near: list[str]) -> st.SearchStrategy[str]:
    """Mostly valid values, sometimes a nearly valid one, now and then any text."""
    return st.one_of(
        st.sampled_from(valid),
        st.sampled_from(valid),
        st.sampled_from(valid),
        st.sampled_from(near),
        st.text(alphabet='0123456789.-, "ab\r\n', max_size=6),
    )


@st.composite
def rows(draw: st.DrawFn) -> str:
    order_id = draw(st.one_of(st.from_regex(r"o[0-9]{1,2}", fullmatch=True), fields(NAMES, [" "])))
    cells = [
        order_id,
        draw(fields(NAMES, NEAR_NAMES)),
        draw(fields(["buy", "sell"], ["bid", " buy", "SELL", ""])),
        draw(fields(PRICES, NEAR_PRICES)),
        draw(fields(QUANTITIES, NEAR_QUANTITIES)),
    ]
    width = draw(st.sampled_from([5, 5, 5, 5, 4, 6]))
    return ",".join((cells + ["x"])[:width])


@st.composite
def book_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(rows(), max_size=12))
    header = draw(st.sampled_from([HEADER_LINE, HEADER_LINE, "order_id, member,side,price,q"]))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " "])))
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    last = draw(st.sampled_from([end, ""]))
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    return (bom + end.join([header, *lines]) + last).encode("utf-8")


def assert_same_book(new: Book, old: Book) -> None:
    for name in ("bids", "asks"):
        for column in ("price", "quantity", "sequence", "member"):
            got, expected = getattr(getattr(new, name), column), getattr(getattr(old, name), column)
            assert got.dtype == expected.dtype, (name, column)
            np.testing.assert_array_equal(got, expected, err_msg=f"{name}.{column}")


def check(tmp_path: Path, data: bytes) -> bool:
    """Compare both readers on ``data``; return whether the columnar one took it."""
    path = tmp_path / "book.csv"
    path.write_bytes(data)
    plain = read_plain_book(data)
    try:
        book, order_rows = read_book_csv(path)
    except BookCsvError:
        assert plain is None, "the columnar reader took a file the row reader refuses"
        return False
    if plain is None:
        return False
    assert_same_book(plain.book, book)
    for mechanism in MECHANISMS:
        for rationing in RATIONING:
            result = clear(book, mechanism, rationing=rationing, trades=True)
            old = format_fills(order_rows, result).encode("utf-8")
            assert plain_fills(plain, result) == old, (mechanism, rationing)
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=book_files())
@example(data=b"order_id,member,side,price,quantity\n")
@example(data=b"order_id,member,side,price,quantity\no1,a,buy,1,1")
@example(data=b"order_id,member,side,price,quantity\r\no1,a,buy,-0,1\r\no2,a,sell,-0.00,1\r\n")
def test_the_columnar_reader_agrees_with_the_row_reader(tmp_path_factory, data: bytes) -> None:
    check(tmp_path_factory.mktemp("book"), data)


@st.composite
def plain_books(draw: st.DrawFn) -> bytes:
    """Valid plain files: every row is taken by the columnar reader."""
    count = draw(st.integers(1, 40))
    lines = [HEADER_LINE]
    for i in range(count):
        side = draw(st.sampled_from(["buy", "sell"]))
        ticks = draw(st.integers(-300, 300))
        wh = draw(st.integers(1, 3000))
        member = draw(st.sampled_from(["a", "b", "c", "gmina-żywiec"]))
        price = f"{'-' if ticks < 0 else ''}{abs(ticks) // 100}.{abs(ticks) % 100:02d}"
        lines.append(f"o{i},{member},{side},{price},{wh // 1000}.{wh % 1000:03d}")
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=plain_books())
def test_plain_books_take_the_columnar_path_with_the_same_fills(
    tmp_path_factory, data: bytes
) -> None:
    assert check(tmp_path_factory.mktemp("book"), data)


@pytest.mark.parametrize(
    "data",
    [
        b'order_id,member,side,price,quantity\no1,"a",buy,1,1\n',  # quoted: valid, not plain
        b"order_id,member,side,price,quantity\n\no1,a,buy,1,1\n",  # a blank line
        b"order_id,member,side,price,quantity\no1, a,buy,1,1\n",  # a space to strip
        b"order_id,member,side,price,quantity\no1,a,buy,1,1\no1,b,sell,1,1\n",  # duplicate
    ],
    ids=["quoted", "blank-line", "space", "duplicate-id"],
)
def test_what_is_not_plain_goes_to_the_row_reader(tmp_path: Path, data: bytes) -> None:
    assert read_plain_book(data) is None
    check(tmp_path, data)
