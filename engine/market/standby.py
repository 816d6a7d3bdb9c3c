"""A standby's market: the leader's journal replayed as it grows, ready to take over.

A :class:`Follower` opens a cluster's journal in a PostgreSQL store read-only
(:class:`~engine.store.pg_journal.PgJournal`), replays it
into a :class:`~engine.market.market.Market` exactly as a start would
(:func:`~engine.market.recovery.open_market`: the chain checked, every clearing recomputed
and compared), and from then on applies what the leader commits (:meth:`Follower.catch_up`:
the rows after the head it reached, each linked to the chain before it is applied). The
market is never asked to decide anything while it follows: its sink refuses appends.

:meth:`Follower.promote` turns it into a writer's :class:`~engine.market.recovery.Node`
once this process holds the cluster's writer lock: it opens the journal for writing on that
lock's session, applies the tail the old leader committed after the last catch-up, checks
that the head it reached is the journal's, and attaches the writing journal. Nothing is
replayed twice, so a takeover costs the tail, not the history.
"""

from __future__ import annotations

from typing import Any

from engine.market.events import Event
from engine.market.market import Market
from engine.market.recovery import (
    Audit,
    JournalSink,
    Node,
    _check_first,
    _decoded,
    _differs,
    _journaled_cluster,
)
from engine.model.clock import Clock, WallClock
from engine.store.chain import EMPTY_HEAD, ChainCheck, Head, Problem, VerifyReport
from engine.store.journal import JournalCorrupt, JournalError, StoredJournal


class NotYetWritten(JournalError):
    """The leader has not written the journal's first events yet: follow again later."""


class _Refusing:
    """The following market's sink: a standby never decides (a bug if it tries)."""

    def append(self, event: Event) -> int:
        raise JournalError(f"a standby appends nothing ({event.kind})")


class Follower:
    """A cluster's market replayed from a journal another process writes."""

    def __init__(self, journal: StoredJournal, market: Market, head: Head, differs: bool) -> None:
        self.journal = journal
        self.market = market
        self.head = head
        """The seq and hash of the last event applied (checked against the chain)."""
        self._differs = differs

    @classmethod
    def open(cls, journal: StoredJournal, cluster: Any, clock: Clock | None = None) -> Follower:
        """Replay the read-only ``journal`` (every event checked); raise
        :class:`NotYetWritten` while it holds no event, and what a start raises for a
        journal that cannot be served."""
        check_head: list[Head] = [EMPTY_HEAD]
        with journal.checked_read() as chunks:
            recorded = _decoded(_noting_head(chunks, check_head))
            first = next(recorded, None)
            if first is None:
                raise NotYetWritten(f"{journal.path}: no event yet")
            second = next(recorded, None)
            journaled = _journaled_cluster(journal, second)
            if journaled is None:  # only journals older than PostgreSQL stores lack it
                raise JournalError(f"{journal.path}: the journal holds no configuration")
            _check_first(first, journal.path)
            market = Market(journaled, clock or WallClock(), _Refusing())
            rest = [] if second is None else [second]
            market.replay(_chained(rest, recorded))
        market.seq = check_head[0].seq
        return cls(journal, market, check_head[0], _differs(market.cluster, cluster))

    def catch_up(self, journal: StoredJournal | None = None) -> int:
        """Apply the events committed after :attr:`head`, read from ``journal`` (default:
        the follower's own, on its connection); return how many.
        :class:`~engine.store.journal.JournalCorrupt` if one does not link to the chain
        (nothing of its chunk is applied)."""
        source = self.journal if journal is None else journal
        if journal is None:
            chunks: Any = [self.journal.tail(self.head.seq + 1)]  # type: ignore[attr-defined]
        else:
            chunks = _chunks(journal, self.head.seq + 1)
        check = ChainCheck()
        check.head = self.head
        applied = 0
        for chunk in chunks:
            if not chunk:
                continue
            if (fault := check.rows(chunk, None)) is not None:
                raise JournalCorrupt(source.path, fault)
            self.market.replay(_decoded(iter([chunk])))
            applied += len(chunk)
            self.head = check.head
            self.market.seq = self.head.seq
        return applied

    def promote(self, journal: StoredJournal) -> Node:
        """The writer's node: ``journal`` is the cluster's, open for writing (this process
        holds the writer lock). Applies the rest of the old leader's events and checks that
        the chain ends at the journal's head."""
        self.catch_up(journal)
        if journal.head != self.head:
            raise JournalCorrupt(
                journal.path,
                VerifyReport(
                    False,
                    self.head.seq,
                    self.head.hash,
                    self.head.seq + 1,
                    Problem.CHECKPOINT_MISMATCH,
                    f"the journal's head is seq {journal.head.seq}, the replay reached"
                    f" {self.head.seq}",
                ),
            )
        self.market.attach(JournalSink(journal))
        self.market.seq = journal.last_seq
        audit = Audit(WallClock().now_us(), VerifyReport(True, self.head.seq, self.head.hash))
        return Node(self.market, journal, audit, None, self._differs)

    def close(self) -> None:
        self.journal.close()


def _noting_head(chunks: Any, head: list[Head]) -> Any:
    """``chunks`` as they are, keeping the last row's (seq, hash) in ``head[0]``."""
    for chunk in chunks:
        if chunk:
            head[0] = Head(chunk[-1][0], chunk[-1][4])
        yield chunk


def _chained(first: list[Any], rest: Any) -> Any:
    yield from first
    yield from rest


def _chunks(journal: StoredJournal, from_seq: int) -> Any:
    """The committed rows from ``from_seq`` on as lists of (seq, kind, ts, payload, hash)."""
    with journal._snapshot() as reader:
        yield from journal._rows(reader, from_seq, True)
