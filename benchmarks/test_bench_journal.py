"""Journal speed against the issue's targets.

- Batch ingestion with a durable journal >= 500,000 orders/s: encode one event holding a
  10,000-order batch (five int64 columns), append it, commit it (one fsync'ed transaction).
- Single-order submissions >= 20,000/s: 10,000 small events appended through a
  :class:`GroupCommitter` from 10, 100 or 1,000 concurrent tasks, each acknowledged only once
  durable (payloads pre-encoded: the event codec has its own rows here).
- Replay of a 1,000,000-order journal <= 5 s: ``Journal.read`` of 1,000,000 single-order
  events, with and without decoding every payload; and ``verify`` of the same chain.
- The chain check at start (issue 10, finding 1) adds <= 3 s to a 1,000,000-event journal:
  the rows a start reads (``read_payloads``, with and without decoding) against the same
  read with every row hashed and linked (``read_checked``), in the same run; the second of
  each pair records the added seconds and the ratio (also shown after the run).

The journal lives under pytest's temporary directory (``/tmp``) unless ``KLASTER_BENCH_DIR``
names another (e.g. ``/dev/shm`` to take the disk out). Run with ``pytest benchmarks/
test_bench_journal.py``; ``extra_info`` of every row holds the throughput.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.market.events import OrderAccepted, OrdersAccepted, decode, encode
from engine.store.group_commit import GroupCommitter
from engine.store.journal import GENESIS_HASH, Journal, chain_hash

TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]
BATCH_ORDERS = 10_000
SINGLE_EVENTS = 10_000
REPLAY_EVENTS = 1_000_000
SINGLE_ORDER = OrderAccepted(
    seq=1,
    ts_us=TS,
    client_order_id="pv-roof-0042-000017",
    interval_start=1_767_225_600,
    member=17,
    order_id=1_234_567,
    point=42,
    price=45_000,
    quantity=1_500,
    side=1,
)
TARGET_BATCH_ORDERS_PER_S = 500_000
TARGET_SINGLE_ORDERS_PER_S = 20_000
TARGET_REPLAY_S = 5.0
TARGET_CHECK_ADDED_S = 3.0


def batch_event(seed: int = 20250515) -> OrdersAccepted:
    """A 10,000-order batch of one member: five int64 columns."""
    rng = np.random.default_rng(seed)
    n = BATCH_ORDERS
    return OrdersAccepted(
        seq=1,
        ts_us=TS,
        client_order_id=None,
        first_order_id=1,
        interval_start=1_767_225_600 + 900 * rng.integers(0, 96, n, dtype=np.int64),
        member=17,
        point=rng.integers(0, 500, n, dtype=np.int64),
        price=rng.integers(25_000, 90_000, n, dtype=np.int64),
        quantity=rng.integers(1, 10_000, n, dtype=np.int64),
        side=rng.integers(0, 2, n, dtype=np.int64),
    )


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("KLASTER_BENCH_DIR")
    if where:
        return Path(where) / f"klaster-bench-{os.getpid()}"
    return tmp_path_factory.mktemp("journal")


@pytest.fixture
def journal(directory: Path, request: pytest.FixtureRequest) -> Iterator[Journal]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{request.node.name}.sqlite"
    j = Journal.open(path)
    yield j
    j.close(discard=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def per_second(benchmark, items: int) -> float:
    """Record ``items / median`` in the row's extra_info and return it (inf if disabled)."""
    if benchmark.stats is None:  # --benchmark-disable
        return float("inf")
    rate = items / benchmark.stats.stats.median
    benchmark.extra_info["per_second"] = round(rate)
    return rate


def test_batch_ingestion_of_10000_orders_per_durable_commit(benchmark, journal: Journal) -> None:
    batch = batch_event()
    benchmark.group = "journal: batch ingestion"
    benchmark.extra_info.update(size=BATCH_ORDERS, case="encode+append+commit 10k-order batch")

    def ingest() -> int:
        journal.append("OrdersAccepted", TS, encode(batch))
        return journal.commit()

    benchmark.pedantic(ingest, rounds=200, warmup_rounds=5)
    assert journal.verify().ok
    assert per_second(benchmark, BATCH_ORDERS) >= TARGET_BATCH_ORDERS_PER_S


def single_orders_from_tasks(journal, tasks: int, groups: list[int]) -> None:
    """Append :data:`SINGLE_EVENTS` single-order events from ``tasks`` concurrent tasks, each
    awaiting its own durable commit; record how many groups the committer wrote."""
    payload = encode(SINGLE_ORDER)

    async def submit_all() -> None:
        async with GroupCommitter(journal) as committer:

            async def submitter(count: int) -> None:
                for _ in range(count):
                    await committer.append("OrderAccepted", TS, payload)

            await asyncio.gather(*(submitter(SINGLE_EVENTS // tasks) for _ in range(tasks)))
        groups.append(committer.groups)

    asyncio.run(submit_all())


@pytest.mark.parametrize("tasks", [10, 100, 1000])
def test_single_orders_through_group_commit(benchmark, journal: Journal, tasks: int) -> None:
    benchmark.group = "journal: single orders, group commit"
    benchmark.extra_info.update(size=SINGLE_EVENTS, case=f"{tasks} concurrent tasks")
    groups: list[int] = []
    run = lambda: single_orders_from_tasks(journal, tasks, groups)  # noqa: E731
    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    benchmark.extra_info["mean_group_size"] = round(SINGLE_EVENTS / np.mean(groups), 1)
    rate = per_second(benchmark, SINGLE_EVENTS)
    if tasks >= 100:  # a loaded gateway has hundreds of submissions in flight
        assert rate >= TARGET_SINGLE_ORDERS_PER_S


def write_chain(path: Path, events: int, kind: str, payload: bytes) -> None:
    """Write a journal of ``events`` copies of one payload (ts 1 us apart), its hashes and
    checkpoint, as rows in one transaction: seconds, where ``Journal.commit`` of a million
    appends spends most of its time building 10,000 INSERT statements."""
    Journal.open(path).close()  # the schema
    head, rows = GENESIS_HASH, []
    for seq in range(1, events + 1):
        head = chain_hash(head, seq, kind, TS + seq, payload)
        rows.append((seq, kind, TS + seq, payload, head))
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO events (seq, kind, ts, payload, hash) VALUES (?,?,?,?,?)", rows)
        db.execute("UPDATE checkpoint SET seq = ?, hash = ?", (events, head))
    db.close()


@pytest.fixture(scope="module")
def million_events(directory: Path) -> Iterator[Journal]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "replay.sqlite"
    if not path.exists():
        write_chain(path, REPLAY_EVENTS, "OrderAccepted", encode(SINGLE_ORDER))
    j = Journal.open(path, read_only=True)
    yield j
    j.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("case", ["read", "read+decode", "verify"])
def test_replay_of_a_million_single_order_events(
    benchmark, million_events: Journal, case: str
) -> None:
    benchmark.group = "journal: 1,000,000 single-order events"
    benchmark.extra_info.update(size=REPLAY_EVENTS, case=case)

    def read() -> int:
        n = 0
        for _ in million_events.read():
            n += 1
        return n

    def read_and_decode() -> int:
        n = 0
        for e in million_events.read():
            n += decode(e.seq, e.kind, e.ts_us, e.payload).quantity > 0
        return n

    def verify() -> int:
        return million_events.verify().events

    run = {"read": read, "read+decode": read_and_decode, "verify": verify}[case]
    assert benchmark.pedantic(run, rounds=3, warmup_rounds=0) == REPLAY_EVENTS
    per_second(benchmark, REPLAY_EVENTS)
    if case != "verify" and benchmark.stats is not None:
        assert benchmark.stats.stats.median <= TARGET_REPLAY_S


def count_rows(chunks: Iterator[list[tuple]]) -> int:
    return sum(map(len, chunks))


def count_decoded(chunks: Iterator[list[tuple]]) -> int:
    n = 0
    for chunk in chunks:
        for row in chunk:
            n += decode(*row[:4]).quantity > 0
    return n


START_READS: dict[str, Callable[[Journal], int]] = {
    "read": lambda j: count_rows(j.read_payloads()),
    "read+check": lambda j: count_rows(j.read_checked()),
    "read+decode": lambda j: count_decoded(j.read_payloads()),
    "read+check+decode": lambda j: count_decoded(j.read_checked()),
}
CHECKED = {"read": "read+check", "read+decode": "read+check+decode"}  # baseline: checked
_start_medians: dict[str, float] = {}


@pytest.mark.parametrize("case", list(START_READS))
def test_the_chain_check_at_start_of_a_million_events(
    benchmark, million_events: Journal, case: str, report: list[str]
) -> None:
    benchmark.group = "journal: start of 1,000,000 events, with and without the chain check"
    benchmark.extra_info.update(size=REPLAY_EVENTS, case=case)
    read = START_READS[case]
    assert benchmark.pedantic(lambda: read(million_events), rounds=3) == REPLAY_EVENTS
    if benchmark.stats is None:
        return
    _start_medians[case] = benchmark.stats.stats.median
    plain = next((p for p, c in CHECKED.items() if case in (p, c)))
    if {plain, CHECKED[plain]} <= _start_medians.keys():  # the second of the pair
        base, checked = _start_medians[plain], _start_medians[CHECKED[plain]]
        added = checked - base
        benchmark.extra_info.update(added_s=round(added, 3), ratio=round(checked / base, 2))
        report.append(
            f"chain check at start, 1,000,000 events, {plain}: {base:.2f} s without,"
            f" {checked:.2f} s with (+{added:.2f} s, x{checked / base:.2f})"
        )
        assert added <= TARGET_CHECK_ADDED_S


@pytest.mark.parametrize("case", ["encode single", "decode single", "encode batch", "decode batch"])
def test_codec(benchmark, case: str) -> None:
    benchmark.group = "codec"
    kind, _, what = case.partition(" ")
    event = SINGLE_ORDER if what == "single" else batch_event()
    benchmark.extra_info.update(size=1 if what == "single" else BATCH_ORDERS, case=case)
    if kind == "encode":
        benchmark(encode, event)
    else:
        benchmark(decode, event.seq, event.kind, event.ts_us, encode(event))
