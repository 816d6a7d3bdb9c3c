"""What per-trade prices cost beyond the fills, piece by piece, against the baseline sort.

Usage::

    python benchmarks/clearing_floor.py [--sizes 1e4 1e5 1e6] [--rounds 15]

The issue's target puts every mechanism's clearing at most at ``np.sort`` (default kind) of
the book's 2n prices. Uniform and trade reduction need the fills alone. Pay-as-bid and
pair-midpoint values, and the trade list, need more: a trade's price depends on which bid
meets which ask, so the filled orders must be laid end to end in priority order and
walked. This script times, on the benchmark's seeded books (``benchmarks/conftest.py``),
each piece of that on its own, single-threaded, in the same process and in turns with
the baseline sort:

- ``fills``: ``clear(book, "uniform", trades=False)``, the whole clearing of the fills,
  which every mechanism shares (trade reduction aside);
- ``pack``: the kernels that turn the filled orders into sort keys (asks and bids in
  priority order, bids by level alone for pay-as-bid);
- ``sort``: numpy's sort of those keys (the keys pay-as-bid needs: asks by priority, bids
  by level, int32 where they fit; pair-midpoint and the trade list: both by priority);
- ``walk``: the one pass over the sorted keys that writes the values or the trades.

Each figure is the median over rounds of the piece's time divided by the baseline's in
that round. ``floor, 1 thread`` adds the pieces; ``floor, 2 ideal threads`` gives each side
its pack and sort on a thread and halves the walk with no cost for handing over, which
no real run reaches. ``clear()`` is the clearing as it runs (threads from 1e5 orders a
side), timed in rounds of its own. The walks are checked to give the clearing's values and
trades before anything is timed.

A floor above 1.0x says that the fills, numpy's own sort of the filled orders' keys and
one pass over them already cost more than the target allows, before any hand-over between
threads; the fills are the uniform clearing, which meets its own target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from conftest import build_random_book  # noqa: E402
from sort_baseline import simd_summary  # noqa: E402

from matching import Book, clearing, merge  # noqa: E402
from matching.clearing import clear, warm_up  # noqa: E402

_EMPTY = np.zeros(0, np.int64)


def _pieces(book: Book) -> dict[str, Callable[[], object]]:
    """The timed calls for one book: the pieces (each alone, one thread) and the clearings."""
    levels = clearing._levels(book)
    fills = clear(book, "uniform", trades=False)
    assert levels is not None and fills.volume > 0
    bids, asks = book.bids, book.asks
    bid_fill, ask_fill = fills.bid_filled, fills.ask_filled
    nlev, offset = levels.count, levels.offset
    dense = levels.prices is None
    prices = (nlev, offset, _EMPTY if dense else levels.prices, dense)

    ask_packed = np.empty(len(asks), np.int64)
    bid_short, bid_long = np.empty(len(bids), np.int32), np.empty(len(bids), np.int64)
    bid_value = np.empty(len(bids), np.int64)
    bid_prio = np.empty(len(bids), np.int64)

    def pack_asks() -> tuple:
        return merge.pack_ask_priority(
            levels.ask_key, ask_fill, asks.sequence, _EMPTY, False, offset, nlev, ask_packed
        )

    def pack_bid_levels() -> tuple:
        return merge.pack_bid_levels(
            levels.bid_key, bid_fill, bids.price, offset, nlev, bid_short, bid_long, bid_value
        )

    bid_index_bits = max(len(bids) - 1, 1).bit_length()
    bid_fill_bits = int(bid_fill.max()).bit_length()

    def pack_bids() -> int:
        return merge.pack_filled(
            levels.bid_key,
            offset,
            nlev,
            bid_fill,
            _EMPTY,
            False,
            True,
            bid_index_bits,
            bid_fill_bits,
            bid_prio,
        )

    status, ask_count, ask_index_bits, ask_fill_bits = pack_asks()
    assert status == 0
    status, short, level_count, level_fill_bits = pack_bid_levels()
    assert status == 0
    prio_count = pack_bids()
    ask_keys = ask_packed[:ask_count].copy()
    level_keys = (bid_short if short else bid_long)[:level_count].copy()
    bid_keys = bid_prio[:prio_count].copy()
    ask_sorted, level_sorted, bid_sorted = np.sort(ask_keys), np.sort(level_keys), np.sort(bid_keys)
    ask_value = np.zeros(len(asks), np.int64)
    values = np.zeros(len(bids), np.int64), np.zeros(len(asks), np.int64)
    trades = [np.empty(len(bid_keys) + len(ask_keys), np.int64) for _ in range(5)]
    ask_bits = (ask_index_bits, ask_fill_bits)
    bid_bits = (bid_index_bits, bid_fill_bits)

    def walk(pricing: int, with_trades: bool, price: int) -> int:
        return merge.merge_sorted(
            bid_sorted, _EMPTY, False, *bid_bits, ask_sorted, _EMPTY, False, *ask_bits,
            *prices, pricing, price, price, with_trades, not with_trades,
            *trades, *values,
        )  # fmt: skip

    # The pieces do the clearing's own work: the walks give its values and its trades.
    walk(merge.PRICE_MIDPOINT, False, 0)
    expected = clear(book, "pair-midpoint", trades=False)
    assert np.array_equal(values[0], expected.bid_value)
    assert np.array_equal(values[1], expected.ask_value)
    count = walk(merge.PRICE_FIXED, True, fills.price or 0)
    expected_trades = clear(book, "uniform", trades=True).trades
    assert expected_trades is not None
    assert np.array_equal(trades[0][:count], expected_trades.buyer)
    assert np.array_equal(trades[2][:count], expected_trades.quantity)

    def pay_as_bid() -> None:
        merge.ask_values_at_bid_prices(
            level_sorted, level_fill_bits, ask_sorted, _EMPTY, False, *ask_bits, *prices, ask_value
        )

    pay_as_bid()
    assert np.array_equal(ask_value, clear(book, "pay-as-bid", trades=False).ask_value)
    return {
        "fills": lambda: clear(book, "uniform", trades=False),
        "pack asks (priority)": pack_asks,
        "pack bids (levels)": pack_bid_levels,
        "pack bids (priority)": pack_bids,
        "sort asks (priority)": lambda: np.sort(ask_keys),
        "sort bids (levels)": lambda: np.sort(level_keys),
        "sort bids (priority)": lambda: np.sort(bid_keys),
        "walk pay-as-bid": pay_as_bid,
        "walk pair-midpoint": lambda: walk(merge.PRICE_MIDPOINT, False, 0),
        "walk trade list": lambda: walk(merge.PRICE_FIXED, True, fills.price or 0),
    }


def _clearings(book: Book) -> dict[str, Callable[[], object]]:
    """The clearings as they run, timed in rounds of their own (the pieces' arrays would
    otherwise change which pages the clearing's arrays reuse)."""
    return {
        "clear() pay-as-bid": lambda: clear(book, "pay-as-bid", trades=False),
        "clear() pair-midpoint": lambda: clear(book, "pair-midpoint", trades=False),
        "clear() uniform+trades": lambda: clear(book, "uniform", trades=True),
    }


def _ratios(size: int, rounds: int) -> dict[str, float]:
    """Median ratio of each piece, then of each clearing, to the baseline sort, timed in
    turns with it."""
    book = build_random_book(size)
    baseline = np.concatenate([book.bids.price, book.asks.price])
    repeat = max(1, 200_000 // size)  # a few ms a timing at the small sizes

    def timed(call: Callable[[], object]) -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            call()
        return time.perf_counter() - start

    medians: dict[str, float] = {}
    for calls in (_pieces(book), _clearings(book)):
        ratios: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                ratios[name].append(timed(call) / timed(lambda: np.sort(baseline)))
        medians |= {name: statistics.median(r) for name, r in ratios.items()}
    return medians


def _floors(r: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Per mechanism: (floor on one thread, floor on two ideal threads)."""
    pab = (
        r["pack bids (levels)"] + r["sort bids (levels)"],
        r["pack asks (priority)"] + r["sort asks (priority)"],
    )
    both = (r["pack bids (priority)"] + r["sort bids (priority)"], pab[1])
    out = {}
    for name, sides, walk in (
        ("pay-as-bid", pab, r["walk pay-as-bid"]),
        ("pair-midpoint", both, r["walk pair-midpoint"]),
        ("uniform+trades", both, r["walk trade list"]),
    ):
        out[name] = (
            r["fills"] + sum(sides) + walk,
            r["fills"] + max(sides) + walk / 2,
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    warm_up()
    print(f"baseline: np.sort (default kind) of the 2n prices; {simd_summary()}")
    for size in (int(s) for s in args.sizes):
        r = _ratios(size, args.rounds)
        print(f"\n{size:.0e} orders a side, ratio to the baseline (median of {args.rounds} rounds)")
        for name, ratio in r.items():
            print(f"  {name:28s} {ratio:6.2f}x")
        for mechanism, (one, two) in _floors(r).items():
            print(
                f"  floor {mechanism:22s} {one:6.2f}x on 1 thread, {two:5.2f}x on 2 ideal"
                f" threads; clear() {r[f'clear() {mechanism}']:.2f}x"
            )


if __name__ == "__main__":
    main()
