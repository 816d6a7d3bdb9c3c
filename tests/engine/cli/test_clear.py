"""Black-box tests of ``klaster clear``: run as a subprocess, check the bytes it writes.

Expected results are worked out by hand from matching/SPEC.md; the comments show the steps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from tests import REPO

ROOT = REPO
EXAMPLE = ROOT / "matching" / "examples" / "book.csv"
HEADER = "order_id,member,side,price,quantity\n"
FILLS_HEADER = "order_id,member,side,filled_kwh,price_pln_mwh\n"
MECHANISMS = ("uniform", "pay-as-bid", "pair-midpoint", "trade-reduction")


def run_klaster(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *(str(a) for a in args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def write_book(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "book.csv"
    path.write_text(header + textwrap.dedent(rows).lstrip("\n"), encoding="utf-8")
    return path


def fills(text: str) -> str:
    return FILLS_HEADER + textwrap.dedent(text).lstrip("\n")


def assert_cleared(
    done: subprocess.CompletedProcess[str], expected_fills: str, expected_summary: str
) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected_fills
    assert done.stderr == expected_summary + "\n"
    json.loads(done.stderr)  # the summary is valid JSON


# Two bids, two asks. D(p) = 3.0 kWh up to 400, 1.0 up to 500; S(p) = 1.5 from 300, 2.5 from
# 450. V = 1.5 kWh, b* = 400, a* = 300. b1 fills, b2 gets the rest (0.5), s1 fills, s2 is
# out. Left unfilled: b2 at 400 and s2 at 450, so the interval is [max(300, 400),
# min(400, 450)] = [400, 400]. Pairing: b1-s1 1.0, b2-s1 0.5.
TWO_BY_TWO = """
    b1,alice,buy,500.00,1.000
    b2,bob,buy,400.00,2.000
    s1,carol,sell,300.00,1.500
    s2,dave,sell,450.00,1.000
"""

# Three unit bids and asks (McAfee's example): V = 3 kWh, b* = 700, a* = 500.
THREE_BY_THREE = """
    b1,a,buy,900.00,1.000
    b2,b,buy,800.00,1.000
    b3,c,buy,700.00,1.000
    s1,d,sell,300.00,1.000
    s2,e,sell,400.00,1.000
    s3,f,sell,500.00,1.000
"""


@pytest.mark.parametrize(
    ("mechanism", "expected_fills", "expected_summary"),
    [
        (
            "uniform",
            """
            b1,alice,buy,1.000,400.00
            b2,bob,buy,0.500,400.00
            s1,carol,sell,1.500,400.00
            s2,dave,sell,0.000,
            """,
            '{"mechanism": "uniform", "price_pln_mwh": 400.00, "volume_kwh": 1.500, "trades": 2}',
        ),
        (
            # Each pair at the bid: s1 gets (1000 * 500 + 500 * 400) / 1500 = 466.666...
            "pay-as-bid",
            """
            b1,alice,buy,1.000,500.00
            b2,bob,buy,0.500,400.00
            s1,carol,sell,1.500,466.67
            s2,dave,sell,0.000,
            """,
            '{"mechanism": "pay-as-bid", "price_pln_mwh": null, "volume_kwh": 1.500, "trades": 2}',
        ),
        (
            # b1-s1 at (500 + 300) / 2 = 400, b2-s1 at (400 + 300) / 2 = 350; s1 averages
            # (1000 * 400 + 500 * 350) / 1500 = 383.333...
            "pair-midpoint",
            """
            b1,alice,buy,1.000,400.00
            b2,bob,buy,0.500,350.00
            s1,carol,sell,1.500,383.33
            s2,dave,sell,0.000,
            """,
            '{"mechanism": "pair-midpoint", "price_pln_mwh": null, "volume_kwh": 1.500, '
            '"trades": 2}',
        ),
        (
            # The marginal levels (bids at 400, asks at 300) are excluded: no ask is left.
            "trade-reduction",
            """
            b1,alice,buy,0.000,
            b2,bob,buy,0.000,
            s1,carol,sell,0.000,
            s2,dave,sell,0.000,
            """,
            '{"mechanism": "trade-reduction", "price_pln_mwh": null, "volume_kwh": 0.000, '
            '"trades": 0, "buyer_price_pln_mwh": null, "seller_price_pln_mwh": null}',
        ),
    ],
)
def test_two_by_two_book_clears_as_worked_out_by_hand(
    tmp_path: Path, mechanism: str, expected_fills: str, expected_summary: str
) -> None:
    book = write_book(tmp_path, TWO_BY_TWO)
    done = run_klaster("clear", book, "--mechanism", mechanism)
    assert_cleared(done, fills(expected_fills), expected_summary)


def test_trade_reduction_excludes_the_marginal_pair_and_splits_the_prices(tmp_path: Path) -> None:
    book = write_book(tmp_path, THREE_BY_THREE)
    done = run_klaster("clear", book, "--mechanism", "trade-reduction")
    expected = """
        b1,a,buy,1.000,700.00
        b2,b,buy,1.000,700.00
        b3,c,buy,0.000,
        s1,d,sell,1.000,500.00
        s2,e,sell,1.000,500.00
        s3,f,sell,0.000,
    """
    summary = (
        '{"mechanism": "trade-reduction", "price_pln_mwh": null, "volume_kwh": 2.000, '
        '"trades": 2, "buyer_price_pln_mwh": 700.00, "seller_price_pln_mwh": 500.00}'
    )
    assert_cleared(done, fills(expected), summary)


@pytest.mark.parametrize(
    ("k", "price"), [("0", "500.00"), ("0.25", "550.00"), ("0.5", "600.00"), ("1", "700.00")]
)
def test_uniform_price_moves_through_the_competitive_interval_with_k(
    tmp_path: Path, k: str, price: str
) -> None:
    # Everything fills, nothing is left over: the interval is [a*, b*] = [500, 700].
    book = write_book(tmp_path, THREE_BY_THREE)
    done = run_klaster("clear", book, "--k", k)
    rows = "".join(
        f"{o},{m},{s},1.000,{price}\n"
        for o, m, s in [
            ("b1", "a", "buy"),
            ("b2", "b", "buy"),
            ("b3", "c", "buy"),
            ("s1", "d", "sell"),
            ("s2", "e", "sell"),
            ("s3", "f", "sell"),
        ]
    )
    summary = (
        f'{{"mechanism": "uniform", "price_pln_mwh": {price}, "volume_kwh": 3.000, "trades": 3}}'
    )
    assert_cleared(done, FILLS_HEADER + rows, summary)


# Three equal bids at one price share one ask of 1 Wh less than a multiple of three:
# pro-rata gives 333 Wh each and the leftover Wh to the earliest (all remainders tie).
RATIONED = """
    b1,szkola,buy,600.00,1.000
    b2,firma,buy,600.00,1.000
    b3,cieplownia,buy,600.00,1.000
    s1,dom-pv,sell,250.00,1.000
"""


@pytest.mark.parametrize(
    ("rationing", "expected_fills", "trades"),
    [
        (
            "pro-rata",
            """
            b1,szkola,buy,0.334,600.00
            b2,firma,buy,0.333,600.00
            b3,cieplownia,buy,0.333,600.00
            s1,dom-pv,sell,1.000,600.00
            """,
            3,
        ),
        (
            "time-priority",
            """
            b1,szkola,buy,1.000,600.00
            b2,firma,buy,0.000,
            b3,cieplownia,buy,0.000,
            s1,dom-pv,sell,1.000,600.00
            """,
            1,
        ),
    ],
)
def test_marginal_bids_are_rationed_by_the_chosen_rule(
    tmp_path: Path, rationing: str, expected_fills: str, trades: int
) -> None:
    book = write_book(tmp_path, RATIONED)
    done = run_klaster("clear", book, "--rationing", rationing)
    summary = (
        '{"mechanism": "uniform", "price_pln_mwh": 600.00, "volume_kwh": 1.000, '
        f'"trades": {trades}}}'
    )
    assert_cleared(done, fills(expected_fills), summary)


def test_pay_as_bid_pairs_a_member_around_its_own_ask(tmp_path: Path) -> None:
    # Without self-trade prevention the gmina's bid (first in priority) would meet its own
    # cheapest ask; instead it buys from the firm and the school takes the gmina's ask.
    book = write_book(
        tmp_path,
        """
        b1,gmina-żywiec,buy,700.00,1.000
        b2,szkoła,buy,600.00,1.000
        s1,gmina-żywiec,sell,300.00,1.000
        s2,firma,sell,400.00,1.000
        """,
    )
    done = run_klaster("clear", book, "--mechanism", "pay-as-bid")
    expected = """
        b1,gmina-żywiec,buy,1.000,700.00
        b2,szkoła,buy,1.000,600.00
        s1,gmina-żywiec,sell,1.000,600.00
        s2,firma,sell,1.000,700.00
    """
    summary = '{"mechanism": "pay-as-bid", "price_pln_mwh": null, "volume_kwh": 2.000, "trades": 2}'
    assert_cleared(done, fills(expected), summary)


def test_average_price_is_rounded_half_to_even(tmp_path: Path) -> None:
    # s1 sells 1 Wh at 400.01 and 1 Wh at 400.00: the average is 400.005 -> 400.00.
    book = write_book(
        tmp_path,
        """
        b1,a,buy,400.01,0.001
        b2,b,buy,400.00,0.001
        s1,c,sell,100.00,0.002
        """,
    )
    done = run_klaster("clear", book, "--mechanism", "pay-as-bid")
    expected = """
        b1,a,buy,0.001,400.01
        b2,b,buy,0.001,400.00
        s1,c,sell,0.002,400.00
    """
    summary = '{"mechanism": "pay-as-bid", "price_pln_mwh": null, "volume_kwh": 0.002, "trades": 2}'
    assert_cleared(done, fills(expected), summary)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_book_that_does_not_cross_fills_nothing(tmp_path: Path, mechanism: str) -> None:
    book = write_book(tmp_path, "b1,a,buy,300.00,1.000\ns1,b,sell,400.00,1.000\n")
    done = run_klaster("clear", book, "--mechanism", mechanism)
    summary = (
        f'{{"mechanism": "{mechanism}", "price_pln_mwh": null, "volume_kwh": 0.000, "trades": 0'
    )
    if mechanism == "trade-reduction":
        summary += ', "buyer_price_pln_mwh": null, "seller_price_pln_mwh": null'
    assert_cleared(done, fills("b1,a,buy,0.000,\ns1,b,sell,0.000,\n"), summary + "}")


def test_a_book_with_only_the_header_clears_to_nothing(tmp_path: Path) -> None:
    book = write_book(tmp_path, "")
    done = run_klaster("clear", book)
    summary = '{"mechanism": "uniform", "price_pln_mwh": null, "volume_kwh": 0.000, "trades": 0}'
    assert_cleared(done, FILLS_HEADER, summary)


def test_example_book_clears_uniformly_at_the_rationed_heat_plant_bid() -> None:
    # Supply up to 365.00 is 24.145 kWh, demand above 380.00 is 18.5 kWh: the two bids at
    # 380.00 (heat plant 10 kWh, waterworks 4 kWh) share 5.645 kWh pro-rata: 4032.14 Wh and
    # 1612.86 Wh, the leftover Wh to the larger remainder (the waterworks).
    done = run_klaster("clear", EXAMPLE)
    expected = """
        zyw-01,dom-kowalscy,sell,1.250,380.00
        zyw-02,szkola-podstawowa-1,buy,8.400,380.00
        zyw-03,dom-nowak,sell,0.980,380.00
        zyw-04,cieplownia,buy,4.032,380.00
        zyw-05,gmina-zywiec,sell,12.500,380.00
        zyw-06,dom-wisniewscy,sell,1.640,380.00
        zyw-07,it-beskid,buy,6.250,380.00
        zyw-08,dom-wojcik,sell,2.100,380.00
        zyw-09,gmina-zywiec,buy,3.100,380.00
        zyw-10,dom-kaminscy,sell,1.500,380.00
        zyw-11,dom-zielinscy,buy,0.750,380.00
        zyw-12,dom-lewandowscy,sell,1.875,380.00
        zyw-13,wodociagi-zywiec,buy,1.613,380.00
        zyw-14,dom-kaminscy,sell,0.000,
        zyw-15,dom-mazur,sell,2.300,380.00
        zyw-16,dom-zielinscy,buy,0.000,
    """
    summary = (
        '{"mechanism": "uniform", "price_pln_mwh": 380.00, "volume_kwh": 24.145, "trades": 13}'
    )
    assert_cleared(done, fills(expected), summary)


def test_example_book_under_trade_reduction_rations_the_asks_below_the_margin() -> None:
    # Without the margins: 18.5 kWh of bids above 380.00 against 21.845 kWh of asks below
    # 365.00, so the asks share 18.5 kWh pro-rata.
    done = run_klaster("clear", EXAMPLE, "--mechanism", "trade-reduction")
    expected = """
        zyw-01,dom-kowalscy,sell,1.059,365.00
        zyw-02,szkola-podstawowa-1,buy,8.400,380.00
        zyw-03,dom-nowak,sell,0.830,365.00
        zyw-04,cieplownia,buy,0.000,
        zyw-05,gmina-zywiec,sell,10.586,365.00
        zyw-06,dom-wisniewscy,sell,1.389,365.00
        zyw-07,it-beskid,buy,6.250,380.00
        zyw-08,dom-wojcik,sell,1.778,365.00
        zyw-09,gmina-zywiec,buy,3.100,380.00
        zyw-10,dom-kaminscy,sell,1.270,365.00
        zyw-11,dom-zielinscy,buy,0.750,380.00
        zyw-12,dom-lewandowscy,sell,1.588,365.00
        zyw-13,wodociagi-zywiec,buy,0.000,
        zyw-14,dom-kaminscy,sell,0.000,
        zyw-15,dom-mazur,sell,0.000,
        zyw-16,dom-zielinscy,buy,0.000,
    """
    summary = (
        '{"mechanism": "trade-reduction", "price_pln_mwh": null, "volume_kwh": 18.500, '
        '"trades": 10, "buyer_price_pln_mwh": 380.00, "seller_price_pln_mwh": 365.00}'
    )
    assert_cleared(done, fills(expected), summary)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_example_book_fills_respect_quantities_limits_and_balance(mechanism: str) -> None:
    done = run_klaster("clear", EXAMPLE, "--mechanism", mechanism)
    assert done.returncode == 0, done.stderr
    orders = EXAMPLE.read_text(encoding="utf-8").splitlines()[1:]
    results = done.stdout.splitlines()
    assert results[0] + "\n" == FILLS_HEADER
    bought = sold = Decimal(0)
    for order, result in zip(orders, results[1:], strict=True):
        order_id, member, side, limit, quantity = order.split(",")
        assert result.split(",")[:3] == [order_id, member, side]
        filled, price = Decimal(result.split(",")[3]), result.split(",")[4]
        assert 0 <= filled <= Decimal(quantity)
        assert (price == "") == (filled == 0)
        if side == "buy":
            bought += filled
            assert not price or Decimal(price) <= Decimal(limit)
        else:
            sold += filled
            assert not price or Decimal(price) >= Decimal(limit)
    summary = json.loads(done.stderr)
    assert summary["mechanism"] == mechanism
    assert bought == sold == Decimal(done.stderr.split('"volume_kwh": ')[1].split(",")[0])
    assert summary["trades"] > 0


def test_out_writes_the_fills_to_a_file_and_nothing_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "fills.csv"
    out.write_text("stale\n", encoding="utf-8")  # replaced, not appended to
    done = run_klaster("clear", EXAMPLE, "--mechanism", "pay-as-bid", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert json.loads(done.stderr)["mechanism"] == "pay-as-bid"
    to_stdout = run_klaster("clear", EXAMPLE, "--mechanism", "pay-as-bid")
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fills.csv"]  # no temp file left


def test_same_book_gives_byte_identical_output() -> None:
    first = run_klaster("clear", EXAMPLE, "--mechanism", "pair-midpoint")
    second = run_klaster("clear", EXAMPLE, "--mechanism", "pair-midpoint")
    assert first.returncode == second.returncode == 0
    assert (first.stdout, first.stderr) == (second.stdout, second.stderr)


GOOD = "ok1,alice,buy,500.00,1.000\n"


def case(name: str, content: str, line: int, reason: str) -> object:
    return pytest.param(content, line, reason, id=name)


MALFORMED = [
    case("wrong-header", "order,member,side,price,quantity\n" + GOOD, 1, "header must be"),
    case("empty-file", "", 1, "empty file"),
    case(
        "too-few-columns", HEADER + GOOD + "o2,bob,sell,400.00\n", 3, "expected 5 columns, found 4"
    ),
    case("too-many-columns", HEADER + GOOD + "o2,b,sell,1,1,x\n", 3, "expected 5 columns, found 6"),
    case("line-after-blank", HEADER + GOOD + "\no2,bob,sell,400.00\n", 4, "expected 5 columns"),
    case(
        "bad-side", HEADER + "o1,alice,bid,500.00,1.000\n", 2, "side must be buy or sell, was 'bid'"
    ),
    case(
        "text-quantity", HEADER + "o1,alice,buy,500.00,abc\n", 2, "quantity must be a plain decimal"
    ),
    case(
        "nan-quantity", HEADER + "o1,alice,buy,500.00,NaN\n", 2, "quantity must be a plain decimal"
    ),
    case(
        "inf-quantity", HEADER + "o1,alice,buy,500.00,inf\n", 2, "quantity must be a plain decimal"
    ),
    case("exponent", HEADER + "o1,alice,buy,500.00,1e3\n", 2, "quantity must be a plain decimal"),
    case("inf-price", HEADER + "o1,alice,buy,Infinity,1.000\n", 2, "price must be a plain decimal"),
    case("empty-price", HEADER + "o1,alice,buy,,1.000\n", 2, "price must be a plain decimal"),
    case("negative-qty", HEADER + "o1,alice,buy,500.00,-1.000\n", 2, "quantity must be > 0 kWh"),
    case("zero-quantity", HEADER + "o1,alice,buy,500.00,0.000\n", 2, "quantity must be > 0 kWh"),
    case("qty-decimals", HEADER + "o1,alice,buy,500.00,1.2345\n", 2, "at most 3 decimals"),
    case("price-decimals", HEADER + "o1,alice,buy,500.001,1.000\n", 2, "at most 2 decimals"),
    case("duplicate-id", HEADER + GOOD + "ok1,bob,sell,400.00,1.000\n", 3, "duplicate order_id"),
    case("empty-member", HEADER + "o1,,buy,500.00,1.000\n", 2, "member must not be empty"),
    case("empty-order-id", HEADER + " ,alice,buy,500.00,1.000\n", 2, "order_id must not be empty"),
    case("price-above", HEADER + "o1,alice,buy,1000000.01,1.000\n", 2, "price must be within"),
    case("price-below", HEADER + "o1,alice,sell,-1000000.01,1.000\n", 2, "price must be within"),
    case(
        "side-total-over-limit",
        HEADER + "o1,a,sell,300.00,50000000.000\no2,b,sell,300.00,50000000.000\n",
        3,
        "total sell quantity must be <= 90000000.000 kWh",
    ),
    case("open-quote", HEADER + 'o1,alice,buy,500.00,"1.000\n', 2, "bad CSV"),
]


@pytest.mark.parametrize(("content", "line", "reason"), MALFORMED)
def test_malformed_book_fails_with_line_and_reason_and_writes_nothing(
    tmp_path: Path, content: str, line: int, reason: str
) -> None:
    book = tmp_path / "book.csv"
    book.write_text(content, encoding="utf-8")
    out = tmp_path / "fills.csv"
    done = run_klaster("clear", book, "--out", out)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{book}:{line}: ")
    assert reason in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.csv"]


def test_malformed_book_leaves_an_existing_out_file_untouched(tmp_path: Path) -> None:
    book = write_book(tmp_path, "o1,alice,buy,500.00,zero\n")
    out = tmp_path / "fills.csv"
    out.write_text("previous fills\n", encoding="utf-8")
    done = run_klaster("clear", book, "--out", out)
    assert done.returncode == 2
    assert out.read_text(encoding="utf-8") == "previous fills\n"


def test_malformed_book_without_out_prints_nothing_on_stdout(tmp_path: Path) -> None:
    book = write_book(tmp_path, GOOD + "o2,bob,sell,400.00,-0.5\n")
    done = run_klaster("clear", book)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{book}:3: quantity must be > 0 kWh")


def test_a_book_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_bytes(HEADER.encode() + GOOD.encode() + b"o2,gmina-\xbfywiec,sell,300.00,1.000\n")
    done = run_klaster("clear", book)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{book}:3: file must be UTF-8")


def test_unknown_book_file_fails_with_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    done = run_klaster("clear", missing, "--out", tmp_path / "fills.csv")
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(missing) in done.stderr
    assert "No such file" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_out_file_that_cannot_be_written_fails_with_exit_code_1(tmp_path: Path) -> None:
    out = tmp_path / "missing-dir" / "fills.csv"
    done = run_klaster("clear", EXAMPLE, "--out", out)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"klaster: cannot write {out}: No such file or directory\n"


@pytest.mark.parametrize(
    "args",
    [["--k", "1.5"], ["--k", "nan"], ["--mechanism", "dutch"], ["--rationing", "lottery"]],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    done = run_klaster("clear", EXAMPLE, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "usage: klaster clear" in done.stderr
