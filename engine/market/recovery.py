"""A cluster's market on a data directory: the journal, recovery and replay.

``open_market(data_dir, cluster)`` opens (or creates) ``DATA/journal.sqlite``. A new journal
starts with a :class:`~engine.market.events.ClusterConfigured` event holding the cluster's
fingerprint; an existing one
is replayed through a fresh :class:`~engine.market.market.Market`, which rebuilds the exact state,
open books included, and checks every recorded clearing byte for byte. Every event is
hashed as it is read (:meth:`~engine.store.journal.Journal.read_checked`: one pass over the
file), and a journal that breaks its hash chain or ends before its checkpoint is refused
(:class:`~engine.store.journal.JournalCorrupt`, naming the first bad seq) before anything
is served. Restarting with a different cluster config than the journal was written with is
refused: the journal would not mean the same thing.

The market appends events as it runs; :meth:`Node.commit` makes them durable, and only
then may anything be acknowledged (orders whose seq is at most :attr:`Node.durable_seq`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.market import events
from engine.market.events import ClusterConfigured, Event
from engine.market.market import Market
from engine.market.state import MarketState, ReplayMismatch
from engine.model.clock import Clock, WallClock
from engine.store.journal import JOURNAL_FILE, GroupCommitter, Journal
from engine.store.lock import DataDirLock


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

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def append(self, event: Event) -> int:
        return self.journal.append(event.kind, event.ts_us, events.encode(event))


class GroupCommitSink:
    """The market's sink under a :class:`~engine.store.journal.GroupCommitter`: events are
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


@dataclass
class Node:
    """A market and its journal, with the data directory's writer lock (if on one)."""

    market: Market
    journal: Journal
    lock: DataDirLock | None = None

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


def open_market(data_dir: str | Path, cluster: Any, clock: Clock | None = None) -> Node:
    """Open the market of ``cluster`` on ``data_dir``, recovering what the journal holds.

    Takes the directory's writer lock first (:class:`~engine.store.lock.DataDirLocked` if
    another market holds it); the lock is let go again if opening fails."""
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(path)
    try:
        journal = Journal.open(path / JOURNAL_FILE)
    except BaseException:
        lock.release()
        raise
    try:
        market = Market(cluster, clock or WallClock(), JournalSink(journal))
        recorded = _decoded(journal)
        first = next(recorded, None)
        fingerprint = cluster_fingerprint(cluster)
        if first is None:
            configured = ClusterConfigured(
                seq=1, ts_us=market.clock.now_us(), cluster_id=cluster.id, fingerprint=fingerprint
            )
            journal.append(configured.kind, configured.ts_us, events.encode(configured))
            journal.commit()
        else:
            _check_configured(first, cluster, fingerprint, path)
            market.replay(recorded)
    except BaseException:
        journal.close(discard=True)
        lock.release()
        raise
    market.seq = journal.last_seq
    return Node(market, journal, lock)


@dataclass(frozen=True)
class ReplayReport:
    events: int
    orders: int
    gate_closures: int  # clearings recomputed and found byte-identical


def replay_journal(path: str | Path, cluster: Any) -> ReplayReport:
    """Rebuild the state from a journal file (read-only) and check every clearing comes out
    the same; raises :class:`~engine.store.journal.JournalCorrupt` (the chain or the
    checkpoint), :class:`ReplayMismatch` or :class:`ClusterMismatch` when it does not."""
    journal = Journal.open(path, read_only=True)
    try:
        recorded = _decoded(journal)
        first = next(recorded, None)
        if first is None:
            return ReplayReport(0, 0, 0)
        _check_configured(first, cluster, cluster_fingerprint(cluster), Path(path))
        state = MarketState(cluster)
        kinds = state.replay(recorded)
        events_seen = 1 + sum(kinds.values())
        return ReplayReport(events_seen, len(state._index), kinds.get("GateClosed", 0))
    finally:
        journal.close()


def _check_configured(first: Event, cluster: Any, fingerprint: str, path: Path) -> None:
    if not isinstance(first, ClusterConfigured):
        raise ReplayMismatch(
            f"{path}: the journal must begin with ClusterConfigured, begins with {first.kind}"
        )
    if first.fingerprint != fingerprint:
        raise ClusterMismatch(
            f"{path}: the journal was written for cluster {first.cluster_id!r} with another "
            f"config (fingerprint {first.fingerprint[:12]}), this config is {fingerprint[:12]}"
        )


def _decoded(journal: Journal) -> Iterator[Event]:
    """The journal's events, each checked against the hash chain before it is decoded."""
    decode = events.decode
    for chunk in journal.read_checked():
        for seq, kind, ts_us, payload, _hash in chunk:
            yield decode(seq, kind, ts_us, payload)
