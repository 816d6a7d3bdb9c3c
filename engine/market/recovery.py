"""A cluster's market on a data directory: the journal, recovery and replay.

``open_market(where, cluster)`` opens (or creates) the journal of a data directory
(``DATA/journal.sqlite``) or a store. A new journal starts with a
:class:`~engine.market.events.ClusterConfigured` event holding the cluster's fingerprint and
a :class:`~engine.market.events.ClusterChanged` holding its whole configuration, in force
from the start; an existing one is replayed through a fresh
:class:`~engine.market.market.Market`, which rebuilds the exact state, open books included,
and checks every recorded clearing byte for byte. Every event is hashed
(:meth:`~engine.store.journal.StoredJournal.checked_read`: as it is read, or for a large
journal by a second process beside the fold), and a journal that breaks its hash chain or
ends before its checkpoint is refused (:class:`~engine.store.journal.JournalCorrupt`,
naming the first bad seq) before anything is served or written. The journal is the truth
about the configuration: an existing journal serves the configurations it holds, whatever
``cluster`` is given (:attr:`Node.proposal_differs` says whether the file differs from the
configuration in force; ``klaster cluster apply`` journals a change). A journal written
before configurations were journaled holds only the fingerprint: it opens only with the
config it was written for (:class:`ClusterMismatch` otherwise), and that first open
journals the config, so it is its own truth from then on.

The market appends events as it runs; :meth:`Node.commit` makes them durable, and only
then may anything be acknowledged (orders whose seq is at most :attr:`Node.durable_seq`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.config.document import DocumentError, cluster_of, document_of
from engine.market import events
from engine.market.events import ClusterChanged, ClusterConfigured, Event, OrderAccepted
from engine.market.market import Market
from engine.market.order_runs import OrderRun, decode_run
from engine.market.state import MarketState, ReplayMismatch
from engine.model.calendar import FIRST_INSTANT_S
from engine.model.clock import Clock, WallClock
from engine.store.chain import VerifyReport
from engine.store.group_commit import GroupCommitter
from engine.store.journal import EventJournal, Journal, StoredJournal
from engine.store.lock import DataDirLock
from engine.store.place import JOURNAL_FILE as JOURNAL_FILE  # its old home: callers import it
from engine.store.place import DataDirStore, Store


class ClusterMismatch(ValueError):
    """A data directory written for another cluster config."""


def cluster_fingerprint(cluster: Any) -> str:
    """SHA-256 of everything in the config that decides what events mean (not its path).

    That is every field in the config's repr: a field left out of it (``repr=False``: the
    lookup tables, the register facts of :mod:`engine.config.register`) and the source path
    are not, so a config that adds register facts still opens the journal written before."""
    values = [
        (f.name, getattr(cluster, f.name))
        for f in dataclasses.fields(cluster)
        if f.repr and not f.name.startswith("_") and f.name != "source"
    ]
    return hashlib.sha256(repr(values).encode()).hexdigest()


class JournalSink:
    """The market's event sink on a journal: events in their canonical encoding."""

    def __init__(self, journal: EventJournal) -> None:
        self.journal = journal

    def append(self, event: Event) -> int:
        return self.journal.append(event.kind, event.ts_us, events.encode(event))


class GroupCommitSink:
    """The market's sink under a :class:`~engine.store.group_commit.GroupCommitter`: events are
    appended at once, and whoever acknowledges awaits :meth:`durable` (concurrent
    submissions share one commit)."""

    def __init__(self, committer: GroupCommitter) -> None:
        self.committer = committer

    def append(self, event: Event) -> int:
        return self.committer.enqueue(event.kind, event.ts_us, events.encode(event))

    def durable(self, seq: int) -> Awaitable[int]:
        """Await it to return once the event ``seq`` (and so every earlier one) is durable;
        raises what failed the commit. Each call gets its own future: several acknowledgers
        may wait for one seq (a retried order gets the same answer), and one of them being
        cancelled cancels nobody else's."""
        if seq > self.committer.journal.last_seq:
            raise KeyError(f"event {seq} was never appended")
        return self.committer.wait(seq)


@dataclass(frozen=True)
class Audit:
    """A check of a journal's hash chain and checkpoint: when it ended [us since the epoch,
    UTC, the wall clock's] and what it found (``report.events`` and ``report.head_hash``:
    the verified prefix, all of it when ``report.ok``)."""

    checked_us: int
    report: VerifyReport


@dataclass
class Node:
    """A market and its journal, with the data directory's writer lock (if on one)."""

    market: Market
    journal: StoredJournal
    audit: Audit  # the check of the chain this open made (an empty journal: 0 events)
    lock: DataDirLock | None = None
    # The cluster given to open_market differs from the configuration the journal has in
    # force at its latest effective instant (the journal's is served).
    proposal_differs: bool = False

    def commit(self) -> int:
        """Make every appended event durable; return the last durable seq."""
        return self.journal.commit()

    @property
    def durable_seq(self) -> int:
        return self.journal.durable_seq

    def close(self) -> None:
        self.journal.commit()
        self.journal.close()
        self.release()

    def release(self) -> None:
        """Let another writer open the data directory (after the journal is closed)."""
        if self.lock is not None:
            self.lock.release()


def open_market(where: str | Path | Store, cluster: Any, clock: Clock | None = None) -> Node:
    """Open the market of ``cluster`` on ``where`` (a data directory or a
    :class:`~engine.store.place.Store`), recovering what the journal holds.

    Takes the store's writer lock first (:class:`~engine.store.lock.DataDirLocked` if
    another market holds it; on PostgreSQL the journal's session takes it); the lock is let
    go again if opening fails."""
    store = as_store(where)
    lock = store.writer_lock()
    try:
        journal = store.open_journal(cluster.id)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    path = journal.path
    try:
        with journal.checked_read() as chunks:  # writes wait for the check's verdict
            recorded = _decoded(chunks)
            first = next(recorded, None)
            if first is not None:
                second = next(recorded, None)
                journaled = _journaled_cluster(journal, second)
                market = Market(journaled or cluster, clock or WallClock(), JournalSink(journal))
                if journaled is None:  # written before configurations were journaled
                    _check_configured(first, cluster, cluster_fingerprint(cluster), path)
                else:
                    _check_first(first, path)
                rest = [] if second is None else [second]
                market.replay(itertools.chain([first], rest, recorded))
        verified = journal.head  # the check passed: the chain ends at this checkpoint
        audit = Audit(WallClock().now_us(), VerifyReport(True, verified.seq, verified.hash))
        if first is None:
            market = Market(cluster, clock or WallClock(), JournalSink(journal))
            _begin(journal, market, cluster)
            differs = False
        else:
            market.seq = journal.last_seq
            if journaled is None:
                _journal_config(market, cluster, FIRST_INSTANT_S, ["the config is journaled"])
                journal.commit()
            differs = _differs(market.cluster, cluster)
    except BaseException:
        journal.close(discard=True)
        if lock is not None:
            lock.release()
        raise
    market.seq = journal.last_seq
    return Node(market, journal, audit, lock, differs)


def _begin(journal: StoredJournal, market: Market, cluster: Any) -> None:
    """Start a new journal: the fingerprint, then the whole configuration."""
    configured = ClusterConfigured(
        seq=1,
        ts_us=market.clock.now_us(),
        cluster_id=cluster.id,
        fingerprint=cluster_fingerprint(cluster),
    )
    journal.append(configured.kind, configured.ts_us, events.encode(configured))
    market.seq = 1
    _journal_config(market, cluster, FIRST_INSTANT_S, ["the cluster is configured"])
    journal.commit()


def _journal_config(market: Market, cluster: Any, effective_s: int, changes: list[str]) -> None:
    """Journal and apply ``cluster`` in force from ``effective_s`` (a configuration built in
    memory without a document is not journaled: its journal keeps only the fingerprint)."""
    try:
        document, files = document_of(cluster)
    except DocumentError:
        return
    event = ClusterChanged(
        **market._stamp(),
        cancelled=np.zeros(0, np.int64),
        changes=changes,
        config=document,
        effective_from_s=effective_s,
        files=files,
    )
    market._record(event)


def _journaled_cluster(journal: StoredJournal, second: Event | None) -> Any:
    """The configuration a journal starts from: its second event's, else (a journal written
    before configurations were journaled) the one its first open journaled, else None.
    That one holds the config the fingerprint matched, in force from the start."""
    found = second
    if not isinstance(second, ClusterChanged) and second is not None:
        stored = journal.first_of_kind(ClusterChanged.__name__)
        if stored is not None:
            found = events.decode(stored.seq, stored.kind, stored.ts_us, stored.payload)
    if not isinstance(found, ClusterChanged) or found.effective_from_s != FIRST_INSTANT_S:
        return None
    try:
        return cluster_of(found.config, found.files, f"the journal, event {found.seq}")
    except ValueError as exc:
        message = f"event {found.seq}: the configuration does not load: {exc}"
        raise ReplayMismatch(message) from None


def _differs(in_force: Any, proposal: Any) -> bool:
    """True if ``proposal`` is another configuration than ``in_force`` (the journal's)."""
    try:
        return document_of(in_force) != document_of(proposal)
    except DocumentError:
        return in_force != proposal


@dataclass(frozen=True)
class ReplayReport:
    events: int
    orders: int
    gate_closures: int  # clearings recomputed and found byte-identical


def replay_journal(
    where: str | Path | Store, cluster: Any = None, cluster_id: str | None = None
) -> ReplayReport:
    """Rebuild the state from a journal (read-only: a journal file, or a cluster's in a
    :class:`~engine.store.place.Store`, named by ``cluster_id`` or ``cluster``) and check
    every clearing comes out the same; raises :class:`~engine.store.journal.JournalCorrupt`
    (the chain or the checkpoint), :class:`ReplayMismatch` or :class:`ClusterMismatch` when
    it does not. A journal holding its configuration replays on it (``cluster`` is not
    needed); an older one needs the ``cluster`` it was written for."""
    state, kinds = _replayed(where, cluster, cluster_id)
    if state is None:
        return ReplayReport(0, 0, 0)
    events_seen = 1 + sum(kinds.values())
    return ReplayReport(events_seen, len(state._index), kinds.get("GateClosed", 0))


def replayed_state(where: str | Path | Store, cluster: Any = None) -> MarketState:
    """The state a journal folds to (read-only, checked as :func:`replay_journal` checks
    it), for reports such as the bulk export of statements."""
    state, _ = _replayed(where, cluster, None)
    return state if state is not None else MarketState(cluster)


def _replayed(
    where: str | Path | Store, cluster: Any, cluster_id: str | None
) -> tuple[MarketState | None, dict[str, int]]:
    """The state a journal folds to and how many events of each kind it held (``None``
    for an empty journal)."""
    if isinstance(where, str | Path):
        journal: StoredJournal = Journal.open(where, read_only=True)
    else:
        name = cluster_id or (cluster.id if cluster is not None else None)
        if name is None:
            raise ClusterMismatch(f"{where}: which cluster's journal? (a cluster id is needed)")
        journal = where.open_journal(name, read_only=True)
    path = journal.path
    try:
        with journal.checked_read() as chunks:
            recorded = _decoded(chunks)
            first = next(recorded, None)
            if first is None:
                return None, {}
            second = next(recorded, None)
            journaled = _journaled_cluster(journal, second)
            if journaled is None:
                if cluster is None:
                    raise ClusterMismatch(
                        f"{path}: the journal holds no configuration; give its config"
                    )
                _check_configured(first, cluster, cluster_fingerprint(cluster), path)
            else:
                _check_first(first, path)
            state = MarketState(journaled or cluster)
            rest = itertools.chain([] if second is None else [second], recorded)
            kinds = state.replay(rest)
        return state, kinds
    finally:
        journal.close()


def as_store(where: str | Path | Store) -> Store:
    """A data directory's path as its store; a store as it is."""
    return DataDirStore(Path(where)) if isinstance(where, str | Path) else where


def _check_first(first: Event, path: str | Path) -> None:
    if not isinstance(first, ClusterConfigured):
        raise ReplayMismatch(
            f"{path}: the journal must begin with ClusterConfigured, begins with {first.kind}"
        )


def _check_configured(first: Event, cluster: Any, fingerprint: str, path: str | Path) -> None:
    _check_first(first, path)
    if first.fingerprint != fingerprint:
        raise ClusterMismatch(
            f"{path}: the journal was written for cluster {first.cluster_id!r} with another "
            f"config (fingerprint {first.fingerprint[:12]}), this config is {fingerprint[:12]}"
        )


def _decoded(chunks: Iterator[list[tuple]]) -> Iterator[Event | OrderRun]:
    """The events of a journal's rows (:meth:`StoredJournal.checked_read`); consecutive
    single-order events come as one :class:`OrderRun` (columns)."""
    decode, single = events.decode, OrderAccepted.__name__
    for chunk in chunks:
        start = 0
        for at in [i for i, row in enumerate(chunk) if row[1] != single] + [len(chunk)]:
            if at > start:
                yield decode_run(chunk[start:at])
            if at < len(chunk):
                yield decode(*chunk[at][:4])
            start = at + 1


def decoded_events(journal: StoredJournal, kind: str) -> Iterator[Event]:
    """The journal's events of one kind, the whole chain checked as it is read."""
    decode = events.decode
    for chunk in journal.read_checked():
        for seq, stored_kind, ts_us, payload, _hash in chunk:
            if stored_kind == kind:
                yield decode(seq, stored_kind, ts_us, payload)
