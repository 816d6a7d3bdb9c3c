"""The journal on PostgreSQL against the journal on SQLite, in the same run.

The two cases of ``test_bench_journal.py`` on each store (``engine.store.place``):
- batch ingestion: encode one event holding a 10,000-order batch, append it, commit it (one
  durable transaction);
- single orders: 10,000 small events through a :class:`GroupCommitter` from 100 concurrent
  tasks, each acknowledged only once durable.

PostgreSQL is a throwaway server of this run (``tests/postgres.py``: ``initdb`` in ``/tmp``,
a unix socket, ``fsync`` and ``synchronous_commit`` on, as shipped), the SQLite file is in
pytest's temporary directory on the same disk. After the run, ``benchmark figures`` shows
each case's ratio PostgreSQL/SQLite of the medians (> 1: PostgreSQL is slower). No target
is asserted: the figures say what the choice of store costs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bench_journal import (
    BATCH_ORDERS,
    SINGLE_EVENTS,
    TS,
    batch_event,
    per_second,
    single_orders_from_tasks,
)

from engine.market.events import encode
from engine.store.journal import StoredJournal
from engine.store.place import DataDirStore, PostgresStore
from tests.postgres import Server, throwaway_server

TASKS = 100
KINDS = ("sqlite", "postgresql")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    try:
        with throwaway_server() as server:
            yield server
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def medians() -> dict[tuple[str, str], float]:
    """(case, store) -> median [s], filled as the cases run."""
    return {}


@pytest.fixture(params=KINDS)
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoredJournal]:
    if request.param == "sqlite":
        store: DataDirStore | PostgresStore = DataDirStore(tmp_path / "data")
    else:
        server = request.getfixturevalue("postgres")
        store = PostgresStore(server.create_database(f"bench_{next(_names)}"))
    j = store.open_journal("zywiec")
    j.kind = request.param  # type: ignore[attr-defined]
    yield j
    j.close(discard=True)


def record(benchmark, medians: dict, report: list[str], case: str, kind: str) -> None:
    """Keep this store's median; once both stores ran the case, show their ratio."""
    if benchmark.stats is None:  # --benchmark-disable
        return
    medians[(case, kind)] = benchmark.stats.stats.median
    sqlite, postgresql = medians.get((case, "sqlite")), medians.get((case, "postgresql"))
    if sqlite and postgresql:
        ratio = postgresql / sqlite
        benchmark.extra_info["ratio_postgresql_sqlite"] = round(ratio, 2)
        report.append(
            f"stores, {case}: PostgreSQL {postgresql * 1e3:.2f} ms, SQLite"
            f" {sqlite * 1e3:.2f} ms (medians), ratio PostgreSQL/SQLite {ratio:.2f}"
        )


def test_batch_ingestion_on_each_store(
    benchmark, journal: StoredJournal, medians: dict, report: list[str]
) -> None:
    batch = batch_event()
    kind = journal.kind  # type: ignore[attr-defined]
    benchmark.group = "stores: batch ingestion"
    benchmark.extra_info.update(size=BATCH_ORDERS, case=f"{kind}: 10k-order batch, commit")

    def ingest() -> int:
        journal.append("OrdersAccepted", TS, encode(batch))
        return journal.commit()

    benchmark.pedantic(ingest, rounds=50, warmup_rounds=3)
    assert journal.verify().ok
    per_second(benchmark, BATCH_ORDERS)
    record(benchmark, medians, report, "batch ingestion (10k orders)", kind)


def test_single_orders_through_group_commit_on_each_store(
    benchmark, journal: StoredJournal, medians: dict, report: list[str]
) -> None:
    kind = journal.kind  # type: ignore[attr-defined]
    benchmark.group = "stores: single orders, group commit"
    benchmark.extra_info.update(size=SINGLE_EVENTS, case=f"{kind}: {TASKS} concurrent tasks")
    groups: list[int] = []
    run = lambda: single_orders_from_tasks(journal, TASKS, groups)  # noqa: E731
    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    benchmark.extra_info["mean_group_size"] = round(SINGLE_EVENTS * len(groups) / sum(groups), 1)
    per_second(benchmark, SINGLE_EVENTS)
    record(benchmark, medians, report, f"single orders ({TASKS} tasks, 10k)", kind)
