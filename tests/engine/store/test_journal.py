"""The event journal: chain, durability, tamper detection, group commit, SIGKILL recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import msgpack
import pytest

from engine.store import wal_checkpoints
from engine.store.chain import Problem
from engine.store.group_commit import GroupCommitter
from engine.store.journal import (
    GENESIS_HASH,
    INSERT_ROWS,
    SCHEMA_VERSION,
    Event,
    Journal,
    JournalError,
    JournalFailed,
    NullJournal,
    PendingEvent,
    chain_hash,
)
from engine.store.wal_checkpoints import PERIOD_S, SQLITE_DEFAULT_PAGES
from tests import REPO


def encode(payload: dict) -> bytes:
    """An opaque payload for the journal (which stores bytes and knows no event types)."""
    return msgpack.packb(payload)


def decode(payload: bytes) -> dict:
    return msgpack.unpackb(payload)


TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    j = Journal.open(path)
    yield j
    j.close(discard=True)


def fill(journal: Journal, n: int) -> None:
    for i in range(n):
        journal.append("OrdersAccepted", TS + i, encode({"i": i}))
    journal.commit()


def raw(path: Path, sql: str, *args: object) -> None:
    """Change the file behind the journal's back, as a tamperer would."""
    with sqlite3.connect(path) as conn:
        conn.execute(sql, args)


# -- appending, committing, reading ---------------------------------------------------------


def test_appends_get_consecutive_seqs_and_become_readable_only_when_committed(
    journal: Journal,
) -> None:
    seqs = [journal.append("OrdersAccepted", TS + i, encode({"i": i})) for i in range(3)]
    assert seqs == [1, 2, 3]
    assert (journal.last_seq, journal.durable_seq, journal.pending) == (3, 0, 3)
    assert list(journal.read()) == []
    assert journal.commit() == 3
    assert (journal.durable_seq, journal.pending, journal.commits) == (3, 0, 1)
    events = list(journal.read())
    assert [(e.seq, e.kind, e.ts_us, decode(e.payload)) for e in events] == [
        (i + 1, "OrdersAccepted", TS + i, {"i": i}) for i in range(3)
    ]


def test_every_hash_chains_from_the_previous_one_starting_at_32_zero_bytes(
    journal: Journal,
) -> None:
    fill(journal, 5)
    prev = GENESIS_HASH
    for e in journal.read():
        assert e.hash == chain_hash(prev, e.seq, e.kind, e.ts_us, e.payload)
        prev = e.hash
    assert journal.head_hash == prev


def test_the_hash_is_sha256_of_the_fields_laid_out_as_the_design_says() -> None:
    import hashlib

    expected = hashlib.sha256(
        bytes(32) + (7).to_bytes(8, "big") + b"GateClosed" + (5).to_bytes(8, "big") + b"\x80"
    ).digest()
    assert chain_hash(GENESIS_HASH, 7, "GateClosed", 5, b"\x80") == expected


def test_one_commit_is_one_transaction_and_an_empty_commit_writes_nothing(
    journal: Journal,
) -> None:
    fill(journal, 100)
    assert journal.commits == 1
    assert journal.commit() == 100
    assert journal.commits == 1


def test_read_starts_at_the_seq_asked_for(journal: Journal) -> None:
    fill(journal, 10)
    assert [e.seq for e in journal.read(from_seq=8)] == [8, 9, 10]
    assert list(journal.read(from_seq=11)) == []


def test_reading_more_events_than_one_chunk_yields_them_all_in_order(journal: Journal) -> None:
    fill(journal, 20_000)  # more than READ_CHUNK_ROWS
    assert [e.seq for e in journal.read()] == list(range(1, 20_001))


def test_events_are_immutable(journal: Journal) -> None:
    fill(journal, 1)
    event = next(journal.read())
    assert isinstance(event, Event)
    with pytest.raises(AttributeError):
        event.kind = "Other"  # type: ignore[misc]


def test_reopening_continues_the_seq_and_the_chain(path: Path) -> None:
    with Journal.open(path) as j:
        fill(j, 4)
        head = j.head_hash
    with Journal.open(path) as j:
        assert (j.last_seq, j.durable_seq, j.head_hash) == (4, 4, head)
        assert j.append("GateClosed", TS + 10, encode({})) == 5
        j.commit()
        report = j.verify()
    assert report.ok and report.events == 5


def test_the_file_is_in_wal_mode_with_full_sync_and_the_designed_schema(
    journal: Journal, path: Path
) -> None:
    assert journal._connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [(r[1], r[2], r[5]) for r in conn.execute("PRAGMA table_info(events)")]
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert columns == [
        ("seq", "INTEGER", 1),
        ("kind", "TEXT", 0),
        ("ts", "INTEGER", 0),
        ("payload", "BLOB", 0),
        ("hash", "BLOB", 0),
    ]
    assert version == (str(SCHEMA_VERSION),)


def test_a_journal_of_another_schema_version_is_refused(path: Path) -> None:
    Journal.open(path).close()
    raw(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(JournalError, match=r"schema version must be 2 \(or 1\), was '99'"):
        Journal.open(path)


@pytest.mark.parametrize(
    ("kind", "ts_us", "payload", "error", "message"),
    [
        ("Orders Accepted", TS, b"", ValueError, "kind must match"),
        ("", TS, b"", ValueError, "kind must match"),
        ("GateClosed", -1, b"", ValueError, r"ts_us must be an int in \[0, 2\*\*56\)"),
        ("GateClosed", 2**56, b"", ValueError, "ts_us must be an int"),
        ("GateClosed", float(TS), b"", ValueError, "ts_us must be an int"),
        ("GateClosed", TS, bytearray(b"x"), TypeError, "payload must be bytes, was bytearray"),
    ],
)
def test_malformed_events_are_refused_without_using_a_seq(
    journal: Journal, kind: str, ts_us: int, payload: bytes, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        journal.append(kind, ts_us, payload)
    assert journal.append("GateClosed", TS, b"") == 1


def test_closing_with_uncommitted_events_is_refused_unless_they_are_discarded(
    path: Path,
) -> None:
    j = Journal.open(path)
    j.append("GateClosed", TS, b"")
    with pytest.raises(JournalError, match="1 appended events are not committed"):
        j.close()
    j.close(discard=True)
    with Journal.open(path) as j:
        assert j.last_seq == 0


def test_a_memory_journal_commits_and_reads_back() -> None:
    with Journal.open(":memory:") as j:
        fill(j, 3)
        assert [e.seq for e in j.read()] == [1, 2, 3]
        assert j.verify().ok


def test_a_failed_commit_leaves_the_file_as_it_was_and_the_journal_unusable(
    journal: Journal, path: Path
) -> None:
    fill(journal, 2)
    journal.append("GateClosed", TS, b"mine")
    raw(path, "INSERT INTO events VALUES (3, 'Intruder', 0, x'', x'')")  # seq 3 is taken
    with pytest.raises(sqlite3.IntegrityError):
        journal.commit()
    assert journal.durable_seq == 2
    with pytest.raises(JournalFailed):
        journal.append("GateClosed", TS, b"")
    with pytest.raises(JournalFailed):
        journal.commit()
    assert [e.kind for e in journal.read()] == ["OrdersAccepted", "OrdersAccepted", "Intruder"]


def test_a_group_of_several_inserts_is_still_one_transaction(journal: Journal, path: Path) -> None:
    rows = 2 * INSERT_ROWS + 7  # three INSERT statements
    fill(journal, rows)
    assert [decode(e.payload)["i"] for e in journal.read()] == list(range(rows))
    assert journal.verify().ok
    for i in range(rows):
        journal.append("GateClosed", TS, b"%d" % i)
    # The last statement fails: the rows of the first two must not stay either.
    raw(path, "INSERT INTO events VALUES (?, 'Intruder', 0, x'', x'')", 2 * rows)
    with pytest.raises(sqlite3.IntegrityError):
        journal.commit()
    assert journal.durable_seq == rows
    assert len(list(journal.read())) == rows + 1  # the intruder only


def checkpoint(path: Path) -> tuple[int, bytes]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT seq, hash FROM checkpoint").fetchone()


def test_the_checkpoint_moves_with_each_group_in_its_transaction_and_only_with_it(
    journal: Journal, path: Path
) -> None:
    fill(journal, 3)  # a group of one statement: its own transaction
    assert checkpoint(path) == tuple(journal.head) and journal.head.seq == 3
    fill(journal, INSERT_ROWS + 1)  # a group of two statements
    assert checkpoint(path) == tuple(journal.head) and journal.head.seq == INSERT_ROWS + 4
    before = checkpoint(path)
    # Another connection's insert does not move it: the trigger is the writer's own.
    raw(path, "INSERT INTO events VALUES (?, 'Intruder', 0, x'', x'')", before[0] + 2)
    assert checkpoint(path) == before
    journal.append("GateClosed", TS, b"kept out")
    journal.append("GateClosed", TS, b"clashes with the intruder")
    with pytest.raises(sqlite3.IntegrityError):
        journal.commit()  # one statement: its first row must not stay, nor the checkpoint
    assert checkpoint(path) == before
    assert [e.kind for e in journal.read(before[0] + 1)] == ["Intruder"]


def test_the_null_journal_numbers_and_validates_but_keeps_nothing() -> None:
    j = NullJournal()
    assert [j.append("GateClosed", TS, b"") for _ in range(3)] == [1, 2, 3]
    assert j.commit() == 3 and j.durable_seq == 3 and j.commits == 1
    assert list(j.read()) == [] and j.verify().ok
    with pytest.raises(ValueError, match="kind must match"):
        j.append("no spaces", TS, b"")


# -- verification and tampering -------------------------------------------------------------


def test_an_empty_and_an_intact_journal_verify(journal: Journal) -> None:
    assert journal.verify().ok and journal.verify().events == 0
    fill(journal, 10)
    report = journal.verify()
    assert (report.ok, report.events, report.head_hash) == (True, 10, journal.head_hash)
    assert report.first_bad_seq is None and report.problem is None


def rewrite_with_consistent_hash(path: Path, seq: int) -> None:
    """Alter seq's payload and recompute its hash from the previous one: a careful tamperer."""
    with sqlite3.connect(path) as conn:
        prev = conn.execute("SELECT hash FROM events WHERE seq = ?", (seq - 1,)).fetchone()[0]
        kind, ts = conn.execute("SELECT kind, ts FROM events WHERE seq = ?", (seq,)).fetchone()
        payload = encode({"i": 999})
        digest = chain_hash(prev, seq, kind, ts, payload)
        conn.execute(
            "UPDATE events SET payload = ?, hash = ? WHERE seq = ?", (payload, digest, seq)
        )


TAMPERING: list[tuple[str, Callable[[Path], None], int, Problem]] = [
    (
        "payload changed",
        lambda p: raw(p, "UPDATE events SET payload = ? WHERE seq = 5", encode({"i": 999})),
        5,
        Problem.CONTENT_ALTERED,
    ),
    ("kind changed", lambda p: raw(p, "UPDATE events SET kind = 'X' WHERE seq = 5"), 5,
     Problem.CONTENT_ALTERED),
    ("ts changed", lambda p: raw(p, "UPDATE events SET ts = ts + 1 WHERE seq = 5"), 5,
     Problem.CONTENT_ALTERED),
    ("hash changed", lambda p: raw(p, "UPDATE events SET hash = zeroblob(32) WHERE seq = 5"), 5,
     Problem.HASH_ALTERED),
    ("row deleted", lambda p: raw(p, "DELETE FROM events WHERE seq = 5"), 5, Problem.GAP),
    ("first row deleted", lambda p: raw(p, "DELETE FROM events WHERE seq = 1"), 1, Problem.GAP),
    ("row renumbered", lambda p: raw(p, "UPDATE events SET seq = 50 WHERE seq = 10"), 10,
     Problem.GAP),
    # Indistinguishable from a change to seq 6 itself: found at the first seq that breaks.
    ("row rewritten with its hash", lambda p: rewrite_with_consistent_hash(p, 5), 6,
     Problem.CONTENT_ALTERED),
    ("two rows rewritten", lambda p: raw(p, "UPDATE events SET payload = x'00' WHERE seq > 8"),
     9, Problem.BROKEN_LINK),
    ("last payload changed", lambda p: raw(p, "UPDATE events SET payload = x'00' WHERE seq = 10"),
     10, Problem.BROKEN_LINK),
    ("payload made text", lambda p: raw(p, "UPDATE events SET payload = 'x' WHERE seq = 5"), 5,
     Problem.MALFORMED),
    ("hash truncated", lambda p: raw(p, "UPDATE events SET hash = x'00' WHERE seq = 5"), 5,
     Problem.MALFORMED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "problem"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING]
)
def test_tampering_is_reported_at_the_exact_seq(
    path: Path, tamper: Callable[[Path], None], bad_seq: int, problem: Problem
) -> None:
    with Journal.open(path) as j:
        fill(j, 10)
    tamper(path)
    with Journal.open(path) as j:
        report = j.verify()
    assert (report.ok, report.first_bad_seq, report.problem) == (False, bad_seq, problem)
    assert report.events == bad_seq - 1  # the verified prefix stops just before
    assert str(bad_seq) in report.detail


# -- group commit ---------------------------------------------------------------------------


def test_a_thousand_concurrent_appends_resolve_in_far_fewer_commits(journal: Journal) -> None:
    async def main() -> list[int]:
        async with GroupCommitter(journal) as committer:
            seqs = await asyncio.gather(
                *(committer.append("OrdersAccepted", TS + i, encode({"i": i})) for i in range(1000))
            )
        assert committer.groups == journal.commits < 100
        return seqs

    seqs = asyncio.run(main())
    assert sorted(seqs) == list(range(1, 1001))
    assert journal.durable_seq == 1000
    assert [decode(e.payload)["i"] for e in journal.read()] == list(range(1000))
    assert journal.verify().ok


def test_while_a_committer_writes_the_wal_is_checkpointed_beside_it_not_in_its_commits(
    journal: Journal, path: Path
) -> None:
    def autocheckpoint() -> int:
        return journal._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    database_bytes = path.stat().st_size

    async def main() -> None:
        async with GroupCommitter(journal) as committer:
            assert autocheckpoint() == 0  # no commit copies the log back
            for i in range(200):  # many small groups, as single orders give
                await committer.append("OrdersAccepted", TS + i, encode({"i": i}))
            await asyncio.sleep(4 * PERIOD_S)
            # A checkpoint beside the writer copied the log into the database file.
            assert path.stat().st_size > database_bytes

    asyncio.run(main())
    assert autocheckpoint() == SQLITE_DEFAULT_PAGES  # SQLite's own rule again
    assert not [t for t in threading.enumerate() if t.name == "klaster-checkpoint"]
    assert [decode(e.payload)["i"] for e in journal.read()] == list(range(200))
    assert journal.verify().ok


def test_a_log_over_its_limit_is_caught_up_and_restarted_by_the_next_commit(
    journal: Journal, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PASSIVE checkpoint copies only the frames there when it began; the writer restarts
    # the log only once all are copied, so under a steady stream the log grew without end
    # (over 100 MB in 14 s of single orders). Over the limit, a FULL checkpoint catches up.
    limit = 256 << 10
    monkeypatch.setattr(wal_checkpoints, "WAL_LIMIT_BYTES", limit)
    monkeypatch.setattr(wal_checkpoints, "PERIOD_S", 3600.0)  # only the calls below
    wal = Path(f"{path}-wal")
    beside = sqlite3.connect(path, isolation_level=None, timeout=0)
    with journal.while_committing():
        for i in range(100):  # 100 commits of a few pages each: over the limit
            journal.append("OrdersAccepted", TS + i, encode({"i": i}))
            journal.commit()
        assert wal.stat().st_size > limit
        assert wal_checkpoints.checkpoint(beside)
        journal.append("OrdersAccepted", TS, encode({"i": 100}))
        journal.commit()  # starts the log over, cut back to the limit
        assert wal.stat().st_size <= limit
        [(_, log_frames, copied)] = beside.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        assert log_frames == copied < 10  # the one commit since
    beside.close()
    assert [decode(e.payload)["i"] for e in journal.read()] == list(range(101))
    assert journal.verify().ok


def test_under_a_steady_stream_of_commits_the_wal_stays_bounded(
    journal: Journal, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 256 << 10
    monkeypatch.setattr(wal_checkpoints, "WAL_LIMIT_BYTES", limit)
    monkeypatch.setattr(wal_checkpoints, "PERIOD_S", 0.02)
    wal = Path(f"{path}-wal")
    largest = 0

    async def main() -> int:
        nonlocal largest
        async with GroupCommitter(journal) as committer:
            i = 0
            while committer.groups < 3000:  # ~10 pages each: 120 MB of log without a restart
                await committer.append("OrdersAccepted", TS + i, encode({"i": i}))
                largest = max(largest, wal.stat().st_size)
                i += 1
            size_limit = journal._connection().execute("PRAGMA journal_size_limit").fetchone()
            assert size_limit == (limit,)
            return i

    n = asyncio.run(main())
    assert largest < 64 * limit, largest  # 16 MB: the bound holds with room for a busy machine
    assert [decode(e.payload)["i"] for e in journal.read()] == list(range(n))
    assert journal.verify().ok


def test_aclose_makes_every_pending_append_durable(journal: Journal) -> None:
    async def main() -> list[asyncio.Future[int]]:
        committer = GroupCommitter(journal)
        committer.start()
        futures = [committer.append_nowait("GateClosed", TS, b"") for _ in range(50)]
        await committer.aclose()
        return futures

    futures = asyncio.run(main())
    assert [f.result() for f in futures] == list(range(1, 51))
    assert journal.durable_seq == 50 and journal.pending == 0


def test_a_cancelled_wait_cancels_no_other_wait_for_the_same_seq(journal: Journal) -> None:
    gated = GatedJournal(journal)

    async def main() -> None:
        async with GroupCommitter(gated) as committer:  # type: ignore[arg-type]
            seq = committer.enqueue("GateClosed", TS, b"")
            impatient, patient = committer.wait(seq), committer.wait(seq)
            await asyncio.to_thread(gated.entered.acquire)
            impatient.cancel()
            gated.proceed.release()
            await patient
            assert journal.durable_seq == seq
            assert committer.wait(seq).done()  # durable already: nothing to wait for

    asyncio.run(main())


def test_appending_to_a_committer_that_is_not_running_is_refused(journal: Journal) -> None:
    async def main() -> None:
        committer = GroupCommitter(journal)
        with pytest.raises(RuntimeError, match="not running"):
            committer.append_nowait("GateClosed", TS, b"")
        async with committer:
            await committer.append("GateClosed", TS, b"")
        with pytest.raises(RuntimeError, match="not running"):
            await committer.append("GateClosed", TS, b"")

    asyncio.run(main())


class GatedJournal:
    """A journal whose writes wait for the test's go-ahead and may fail on demand."""

    def __init__(self, inner: Journal) -> None:
        self.inner = inner
        self.entered = threading.Semaphore(0)
        self.proceed = threading.Semaphore(0)
        self.fail_with: BaseException | None = None
        self.group_sizes: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def write_group(self, group: list[PendingEvent]) -> int:
        self.group_sizes.append(len(group))
        self.entered.release()
        self.proceed.acquire()
        if self.fail_with is not None:
            raise self.fail_with
        return self.inner.write_group(group)


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.001)


def test_no_waiter_is_resolved_before_the_commit_of_its_group(journal: Journal) -> None:
    gated = GatedJournal(journal)
    resolved_when_durable: list[bool] = []

    def watch(future: asyncio.Future[int]) -> asyncio.Future[int]:
        future.add_done_callback(
            lambda f: resolved_when_durable.append(journal.durable_seq >= f.result())
        )
        return future

    async def main() -> None:
        async with GroupCommitter(gated) as committer:  # type: ignore[arg-type]
            first = watch(committer.append_nowait("GateClosed", TS, b"1"))
            await asyncio.to_thread(gated.entered.acquire)  # group 1 is being written
            later = [watch(committer.append_nowait("GateClosed", TS, b"2")) for _ in range(3)]
            await asyncio.sleep(0.05)
            assert not first.done() and not any(f.done() for f in later)
            gated.proceed.release()
            assert await first == 1
            await asyncio.to_thread(gated.entered.acquire)  # group 2 is being written
            await asyncio.sleep(0.05)
            assert not any(f.done() for f in later)
            gated.proceed.release()
            assert await asyncio.gather(*later) == [2, 3, 4]

    asyncio.run(main())
    assert gated.group_sizes == [1, 3]
    assert resolved_when_durable == [True] * 4


def test_a_failed_commit_fails_every_waiter_of_its_group_and_everything_after(
    journal: Journal,
) -> None:
    gated = GatedJournal(journal)
    disk_full = OSError(28, "No space left on device")

    async def main() -> None:
        committer = GroupCommitter(gated)  # type: ignore[arg-type]
        committer.start()
        group = [committer.append_nowait("GateClosed", TS, b"") for _ in range(5)]
        await asyncio.to_thread(gated.entered.acquire)
        waiting = [committer.append_nowait("GateClosed", TS, b"") for _ in range(2)]
        gated.fail_with = disk_full
        gated.proceed.release()
        for future in group:
            with pytest.raises(OSError) as failure:
                await future
            assert failure.value is disk_full
        for future in waiting:
            with pytest.raises(JournalFailed):
                await future
        with pytest.raises(JournalFailed):
            committer.append_nowait("GateClosed", TS, b"")
        with pytest.raises(JournalFailed) as closing:
            await committer.aclose()
        assert closing.value.__cause__ is disk_full

    asyncio.run(main())
    assert journal.durable_seq == 0 and list(journal.read()) == []


def test_a_group_commit_that_raises_for_real_fails_its_waiters(journal: Journal) -> None:
    async def main() -> None:
        async with GroupCommitter(journal) as committer:
            await committer.append("GateClosed", TS, b"")
            # A seq taken behind the journal's back: the next INSERT fails inside SQLite.
            raw(Path(journal.path), "INSERT INTO events VALUES (2, 'X', 0, x'', x'')")
            futures = [committer.append_nowait("GateClosed", TS, b"") for _ in range(3)]
            for future in futures:
                with pytest.raises(sqlite3.IntegrityError):
                    await future
            with pytest.raises(JournalFailed):
                await committer.aclose()

    asyncio.run(main())


# -- SIGKILL in the middle of a stream ------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from msgpack import packb as encode
    from engine.store.group_commit import GroupCommitter
    from engine.store.journal import Journal

    path, mode, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
    journal = Journal.open(path)
    out = sys.stdout

    def ack(seq, tag):
        out.write(f"{seq} {tag}\\n")
        out.flush()

    if mode == "sync":
        n = 0
        while True:
            tags = [run * 10**12 + n + i for i in range(7)]
            seqs = [journal.append("OrdersAccepted", n, encode({"tag": t})) for t in tags]
            journal.commit()
            for seq, tag in zip(seqs, tags):
                ack(seq, tag)
            n += 7
    else:
        async def writer(task):
            k = 0
            while True:
                tag = run * 10**12 + task * 10**9 + k
                ack(await committer.append("OrdersAccepted", k, encode({"tag": tag})), tag)
                k += 1

        async def main():
            global committer
            committer = GroupCommitter(journal, own_process=mode == "process")
            committer.start()
            await asyncio.gather(*(writer(t) for t in range(32)))

        asyncio.run(main())
    """
)


@pytest.mark.parametrize("mode", ["sync", "group", "process"])
def test_every_acknowledged_event_survives_sigkill_exactly_once(path: Path, mode: str) -> None:
    acked: dict[int, int] = {}
    for run in range(2):  # kill, restart on the same file, kill again
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), mode, str(run)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert child.stdout is not None
        target = len(acked) + 3000
        for line in child.stdout:
            seq, tag = map(int, line.split())
            assert seq not in acked
            acked[seq] = tag
            if len(acked) >= target:
                break
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        for line in rest.splitlines():  # acknowledged before the kill, still in the pipe
            seq, tag = map(int, line.split())
            acked[seq] = tag
        assert child.returncode == -signal.SIGKILL

    with Journal.open(path) as j:
        report = j.verify()
        stored = {e.seq: decode(e.payload)["tag"] for e in j.read()}
    assert report.ok, report.detail
    assert list(stored) == list(range(1, len(stored) + 1))
    assert all(stored.get(seq) == tag for seq, tag in acked.items())  # nothing acked is lost
    assert len(set(stored.values())) == len(stored)  # nothing written twice
