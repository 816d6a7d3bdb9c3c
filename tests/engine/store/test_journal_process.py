"""The journal's writer in a process of its own: the same rows as a thread writes, every
failure told to the waiters, and no writer left behind by a dead parent."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgpack
import pytest

from engine.store.group_commit import GroupCommitter
from engine.store.journal import Journal, JournalError, JournalFailed
from engine.store.journal_process import PIPE_BYTES, WriterGone
from tests import REPO

TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT seq, kind, ts, payload, hash FROM events ORDER BY seq"
        ).fetchall()


async def stream(journal: Journal, own_process: bool, n: int) -> list[int]:
    """``n`` appends from 50 concurrent writers, as a server's handlers make them."""
    async with GroupCommitter(journal, own_process=own_process) as committer:
        assert (committer.writer_pid is not None) == own_process

        async def writer(w: int) -> list[int]:
            return [
                await committer.append("OrdersAccepted", TS + i, msgpack.packb({"w": w, "i": i}))
                for i in range(n // 50)
            ]

        return [s for seqs in await asyncio.gather(*(writer(w) for w in range(50))) for s in seqs]


def test_a_writer_process_writes_the_rows_a_writer_thread_writes(tmp_path: Path) -> None:
    heads = []
    for mode in (False, True):
        path = tmp_path / f"{mode}.sqlite"
        with Journal.open(path) as journal:
            seqs = asyncio.run(stream(journal, mode, 1000))
            assert sorted(seqs) == list(range(1, 1001))
            assert journal.durable_seq == 1000 and journal.verify().ok
            heads.append(journal.head)
    assert heads[0] == heads[1]  # the same events in the same order: the same chain
    assert rows(tmp_path / "False.sqlite") == rows(tmp_path / "True.sqlite")
    with Journal.open(tmp_path / "True.sqlite") as reopened:  # the file's head, checkpointed
        assert reopened.head == heads[1]


def test_a_group_larger_than_the_pipe_arrives_whole(tmp_path: Path) -> None:
    big = os.urandom(PIPE_BYTES // 3)

    async def main(journal: Journal) -> None:
        async with GroupCommitter(journal, own_process=True) as committer:
            futures = [
                committer.append_nowait("OrderColumns", TS, big + bytes([i])) for i in range(8)
            ]
            assert await asyncio.gather(*futures) == list(range(1, 9))

    with Journal.open(tmp_path / "j.sqlite") as journal:
        asyncio.run(main(journal))
        assert [e.payload for e in journal.read()] == [big + bytes([i]) for i in range(8)]


def test_a_failed_write_in_the_process_fails_its_waiters_with_sqlites_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.sqlite"

    async def main(journal: Journal) -> None:
        async with GroupCommitter(journal, own_process=True) as committer:
            await committer.append("GateClosed", TS, b"")
            with sqlite3.connect(path) as conn:  # a seq taken behind the journal's back
                conn.execute("INSERT INTO events VALUES (2, 'X', 0, x'', x'')")
            futures = [committer.append_nowait("GateClosed", TS, b"") for _ in range(3)]
            for future in futures:
                with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
                    await future
            with pytest.raises(JournalFailed):
                committer.enqueue("GateClosed", TS, b"")
            with pytest.raises(JournalFailed):
                await committer.aclose()

    with Journal.open(path) as journal:
        asyncio.run(main(journal))
        with pytest.raises(JournalFailed):
            journal.append("GateClosed", TS, b"")
        journal.close(discard=True)


def test_a_killed_writer_process_fails_every_waiter(tmp_path: Path) -> None:
    failures: list[BaseException] = []

    async def main(journal: Journal) -> None:
        committer = GroupCommitter(journal, own_process=True)
        committer.on_failure = failures.append
        committer.start()
        await committer.append("GateClosed", TS, b"")
        assert committer.writer_pid is not None
        os.kill(committer.writer_pid, signal.SIGKILL)
        future = committer.append_nowait("GateClosed", TS, b"")
        with pytest.raises(WriterGone, match="exited|gone"):
            await future
        with pytest.raises(JournalFailed):
            await committer.aclose()

    with Journal.open(tmp_path / "j.sqlite") as journal:
        asyncio.run(main(journal))
        assert journal.durable_seq == 1
        journal.close(discard=True)
    assert len(failures) == 1 and isinstance(failures[0], WriterGone)


def test_the_writer_process_outlives_the_signals_that_stop_its_parent(tmp_path: Path) -> None:
    # Ctrl-C in a terminal and a service manager stopping a group signal every process of
    # it: the parent, stopping gracefully, must still commit through its writer.
    async def main(journal: Journal) -> None:
        async with GroupCommitter(journal, own_process=True) as committer:
            await committer.append("GateClosed", TS, b"")
            assert committer.writer_pid is not None
            for signum in (signal.SIGINT, signal.SIGTERM):
                os.kill(committer.writer_pid, signum)
            await asyncio.sleep(0.2)
            assert await committer.append("GateClosed", TS, b"") == 2
            committer.enqueue("GateClosed", TS, b"")  # pending when the committer closes

    with Journal.open(tmp_path / "j.sqlite") as journal:
        asyncio.run(main(journal))
        assert journal.durable_seq == 3 and journal.verify().ok


def test_a_file_another_writer_moved_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal.open(path) as journal:
        with Journal.open(path) as other:  # a second writer, behind the first one's back
            other.append("GateClosed", TS, b"")
            other.commit()

        async def main() -> None:
            async with GroupCommitter(journal, own_process=True) as committer:
                with pytest.raises(JournalError, match="another writer"):
                    await committer.append("GateClosed", TS, b"")

        with pytest.raises(JournalFailed):
            asyncio.run(main())
        journal.close(discard=True)
    assert [r[0] for r in rows(path)] == [1]  # the other writer's event, nothing more


PARENT = textwrap.dedent(
    """
    import asyncio, sys
    from engine.store.group_commit import GroupCommitter
    from engine.store.journal import Journal

    async def main():
        committer = GroupCommitter(Journal.open(sys.argv[1]), own_process=True)
        committer.start()
        await committer.append("GateClosed", 1, b"")
        print(committer.writer_pid, flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


def test_the_writer_process_dies_with_its_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "j.sqlite")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert Path(f"/proc/{child}").exists()
    parent.kill()  # SIGKILL: no cleanup of its own runs
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for its reaper has stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
