"""The journal's checkpoint and the checked read: the head kept outside the events table,
schema 1 files, and the one-pass check agreeing with the row-by-row diagnosis."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.store import journal as journal_module
from engine.store.chain import Head, Problem
from engine.store.journal import INSERT_ROWS, Journal, JournalCorrupt, JournalError

TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


def fill(journal: Journal, n: int) -> None:
    first = journal.last_seq
    for i in range(first, first + n):
        journal.append("OrdersAccepted", TS + i, b"payload-%d" % i)
    journal.commit()


def raw(path: Path, sql: str, *args: object) -> list[tuple]:
    """Read or change the file behind the journal's back."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(sql, args).fetchall()
    conn.close()
    return rows


def checkpoint(path: Path) -> list[tuple]:
    return raw(path, "SELECT seq, hash FROM checkpoint")


def test_the_checkpoint_is_the_head_after_every_commit_whatever_the_group_size(
    path: Path,
) -> None:
    assert Journal.open(path).close() is None
    assert checkpoint(path) == [(0, bytes(32))]
    with Journal.open(path) as journal:
        for size in (1, 5, INSERT_ROWS, 2 * INSERT_ROWS + 7):  # one INSERT and several
            fill(journal, size)
            assert checkpoint(path) == [journal.head]
    with Journal.open(path) as journal:
        assert journal.stored_head()[1] == journal.head == checkpoint(path)[0]


def test_a_failed_commit_leaves_the_checkpoint_at_the_last_durable_head(path: Path) -> None:
    journal = Journal.open(path)
    fill(journal, 3)
    head = journal.head
    for i in range(2 * INSERT_ROWS):
        journal.append("GateClosed", TS, b"%d" % i)
    raw(path, "INSERT INTO events VALUES (?, 'Intruder', 0, x'', x'')", 3 + 2 * INSERT_ROWS)
    with pytest.raises(sqlite3.IntegrityError):
        journal.commit()
    journal.close()
    assert checkpoint(path) == [head]


def schema_1(path: Path, n: int) -> None:
    """A journal as schema 1 wrote it: no checkpoint table."""
    with Journal.open(path) as journal:
        fill(journal, n)
    raw(path, "DROP TABLE checkpoint")
    raw(path, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def version(path: Path) -> list[tuple]:
    return raw(path, "SELECT value FROM meta WHERE key = 'schema_version'")


def test_a_schema_1_journal_is_checked_as_it_is_and_upgraded_by_its_next_commit(
    path: Path,
) -> None:
    schema_1(path, 5)
    before = path.read_bytes()
    with Journal.open(path, read_only=True) as journal:
        assert journal.verify().ok and journal.stored_head()[1] is None
        with pytest.raises(JournalError, match="read-only"):
            journal.append("GateClosed", TS, b"")
    with Journal.open(path) as journal:  # opened for writing, nothing written: as it was
        assert journal.verify().ok
    assert path.read_bytes() == before and version(path) == [("1",)]
    with Journal.open(path) as journal:
        fill(journal, 1)  # the upgrade: the checkpoint starts at seq 6
        head = journal.head
    assert head.seq == 6 and checkpoint(path) == [head] and version(path) == [("2",)]
    raw(path, "DELETE FROM events WHERE seq = 6")
    with Journal.open(path, read_only=True) as journal:
        report = journal.verify()
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 6, Problem.TRUNCATED)


def test_a_journal_whose_checkpoint_row_is_gone_is_refused(path: Path) -> None:
    with Journal.open(path) as journal:
        fill(journal, 2)
    raw(path, "DELETE FROM checkpoint")
    for read_only in (False, True):
        with pytest.raises(JournalError, match="without its checkpoint row"):
            Journal.open(path, read_only=read_only)


def test_a_checkpoint_with_another_hash_at_the_same_seq_is_named_with_both(path: Path) -> None:
    with Journal.open(path) as journal:
        fill(journal, 4)
        head = journal.head
    raw(path, "UPDATE checkpoint SET hash = zeroblob(32)")
    with Journal.open(path, read_only=True) as journal:
        report = journal.verify()
    assert (report.first_bad_seq, report.problem) == (4, Problem.CHECKPOINT_MISMATCH)
    assert head.hash.hex() in report.detail and bytes(32).hex() in report.detail


# -- the one-pass check against the row-by-row diagnosis --------------------------------------


def tampered(n: int, action: str, seq: int) -> tuple[int, Problem]:
    """Where and what a check must find after ``action`` on event ``seq`` of ``n``."""
    last = seq == n
    if action == "flip a payload byte" or action == "shift ts":
        return seq, Problem.BROKEN_LINK if last else Problem.CONTENT_ALTERED
    if action == "flip a hash byte":
        return seq, Problem.BROKEN_LINK if last else Problem.HASH_ALTERED
    if action == "delete the row":
        return seq, Problem.TRUNCATED if last else Problem.GAP
    assert action == "delete from it to the end"
    return seq, Problem.TRUNCATED


SQL = {
    "flip a payload byte": "UPDATE events SET payload = ? WHERE seq = ?",
    "shift ts": "UPDATE events SET ts = ts + 1 WHERE seq = ?",
    "flip a hash byte": "UPDATE events SET hash = ? WHERE seq = ?",
    "delete the row": "DELETE FROM events WHERE seq = ?",
    "delete from it to the end": "DELETE FROM events WHERE seq >= ?",
}


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    chunk=st.integers(1, 8),
    action=st.sampled_from(sorted(SQL)),
    data=st.data(),
)
def test_any_single_tampering_is_found_at_its_seq_by_the_checked_read_and_verify(
    n: int, chunk: int, action: str, data: st.DataObject
) -> None:
    seq = data.draw(st.integers(1, n), label="seq")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "journal.sqlite"
        with Journal.open(path) as journal:
            fill(journal, n)
        stored = raw(path, "SELECT payload, hash FROM events WHERE seq = ?", seq)[0]
        value = stored[0] if action == "flip a payload byte" else stored[1]
        flipped = bytes([value[0] ^ 1]) + value[1:]
        raw(path, SQL[action], *((flipped,) if "flip" in action else ()), seq)
        bad_seq, problem = tampered(n, action, seq)
        handed_out: list[int] = []
        with (
            mock.patch.object(journal_module, "READ_CHUNK_ROWS", chunk),  # chunk borders
            Journal.open(path, read_only=True) as journal,
        ):
            report = journal.verify()
            with pytest.raises(JournalCorrupt) as refused:
                for rows in journal.read_checked():
                    handed_out += [row[0] for row in rows]
    assert (report.ok, report.first_bad_seq, report.problem) == (False, bad_seq, problem)
    assert refused.value.report == report
    assert handed_out == list(range(1, len(handed_out) + 1))
    assert not handed_out or handed_out[-1] < bad_seq  # nothing at or after the fault


def rows_of(journal: Journal) -> Iterator[int]:
    for rows in journal.read_checked():
        yield from (row[0] for row in rows)


def test_a_sound_journal_is_handed_out_whole_in_order(path: Path) -> None:
    with Journal.open(path) as journal:
        fill(journal, 50)
    with (
        mock.patch.object(journal_module, "READ_CHUNK_ROWS", 7),
        Journal.open(path, read_only=True) as journal,
    ):
        assert list(rows_of(journal)) == list(range(1, 51))
        assert journal.verify().ok and journal.verify().head_hash == journal.head.hash
    assert Head(50, journal.head.hash) == checkpoint(path)[0]
