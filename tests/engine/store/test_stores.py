"""One suite, every store: the journal (appends, group commit, acknowledgement after commit,
the hash chain, the checkpoint, tampering, one writer) and the tokens, on a data directory
(SQLite) and on PostgreSQL alike (the ``place`` fixture runs each test on both)."""

from __future__ import annotations

import asyncio
import time

import msgpack
import pytest

from engine.book.auction import SELL
from engine.book.new_orders import NewOrder
from engine.config.demo import demo_cluster
from engine.market.recovery import open_market, replay_journal
from engine.model.clock import SimulatedClock
from engine.store.chain import GENESIS_HASH, Head, Problem
from engine.store.group_commit import GroupCommitter
from engine.store.journal import JournalCorrupt, JournalError, JournalFailed
from engine.store.lock import DataDirLocked
from engine.store.place import PostgresStore
from tests.postgres import Server
from tests.stores import CLUSTER, Place

TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]

NOTIFY_WITHIN_S = 5.0  # how soon a PostgreSQL NOTIFY must reach a listener, loaded machine


def payload(i: int) -> bytes:
    return msgpack.packb({"i": i})


def fill(place: Place, n: int) -> Head:
    """Commit ``n`` events in groups of up to 3; return the head."""
    with place.store.open_journal(CLUSTER) as journal:
        for i in range(n):
            journal.append("OrdersAccepted", TS + i, payload(i))
            if i % 3 == 2:
                journal.commit()
        journal.commit()
        return journal.head


def corruption(place: Place) -> JournalCorrupt:
    with place.store.open_journal(CLUSTER, read_only=True) as journal:
        with pytest.raises(JournalCorrupt) as raised:
            for _ in journal.read_checked():
                pass
        assert journal.verify() == raised.value.report  # the audit says the same
    return raised.value


# -- appending, committing, reading ---------------------------------------------------------


def test_events_get_consecutive_seqs_and_are_durable_and_readable_only_once_committed(
    place: Place,
) -> None:
    with place.store.open_journal(CLUSTER) as journal:
        assert journal.head == Head(0, GENESIS_HASH)
        seqs = [journal.append("OrdersAccepted", TS + i, payload(i)) for i in range(3)]
        assert seqs == [1, 2, 3] and journal.durable_seq == 0
        with place.store.open_journal(CLUSTER, read_only=True) as reader:
            assert list(reader.read()) == []  # appended is not committed
        assert journal.commit() == 3
        journal.append("OrderCancelled", TS + 9, payload(9))
        journal.commit()
        written = [(e.seq, e.kind, e.ts_us, msgpack.unpackb(e.payload)) for e in journal.read()]
        head = journal.head
    assert written[0] == (1, "OrdersAccepted", TS, {"i": 0})
    assert [w[0] for w in written] == [1, 2, 3, 4] and written[3][1] == "OrderCancelled"
    with place.store.open_journal(CLUSTER) as again:  # a restart finds the head
        assert again.head == head and again.last_seq == 4
        assert [e.seq for e in again.read(3)] == [3, 4]
        assert again.append("OrdersAccepted", TS, b"") == 5
        again.commit()
    with place.store.open_journal(CLUSTER, read_only=True) as reader:
        last, checkpoint = reader.stored_head()
        assert last is not None and Head(last.seq, last.hash) == checkpoint
        assert checkpoint.seq == 5
        with pytest.raises(JournalError, match="read-only"):
            reader.append("OrdersAccepted", TS, b"")


def test_a_large_group_is_one_commit_and_reads_back_in_chunks(place: Place) -> None:
    with place.store.open_journal(CLUSTER) as journal:
        for i in range(20_000):
            journal.append("OrdersAccepted", TS + i, payload(i))
        journal.commit()
        assert journal.commits == 1
    with place.store.open_journal(CLUSTER, read_only=True) as reader:
        rows = [row for chunk in reader.read_checked() for row in chunk]
        payloads = [row for chunk in reader.read_payloads(19_999) for row in chunk]
    assert [r[0] for r in rows] == list(range(1, 20_001))
    assert payloads == [(19_999, "OrdersAccepted", TS + 19_998, payload(19_998)), rows[-1][:4]]


def test_group_commit_acknowledges_only_what_another_reader_already_sees(place: Place) -> None:
    journal = place.store.open_journal(CLUSTER)
    seen_at_ack: list[tuple[int, int]] = []

    async def order(committer: GroupCommitter, i: int) -> None:
        seq = await committer.append("OrdersAccepted", TS + i, payload(i))
        # acknowledged: a reader of its own (another connection) must find it
        with place.store.open_journal(CLUSTER, read_only=True) as reader:
            last, _ = reader.stored_head()
        assert last is not None
        seen_at_ack.append((seq, last.seq))

    async def main() -> GroupCommitter:
        async with GroupCommitter(journal) as committer:
            await asyncio.gather(*(order(committer, i) for i in range(40)))
        return committer

    committer = asyncio.run(main())
    journal.close()
    assert sorted(seq for seq, _ in seen_at_ack) == list(range(1, 41))
    assert all(durable >= seq for seq, durable in seen_at_ack)
    assert committer.groups < 40  # appends that arrived while a group committed shared one
    with place.store.open_journal(CLUSTER, read_only=True) as reader:
        assert reader.verify().ok and reader.verify().events == 40


def test_a_failed_commit_fails_the_journal_and_writes_nothing_of_its_group(
    place: Place,
) -> None:
    head = fill(place, 2)
    with place.store.open_journal(CLUSTER) as journal:
        journal.append("OrdersAccepted", TS, payload(2))
        # another event 3 appears behind the writer's back: its insert must fail
        place.execute(
            "INSERT INTO events (seq, kind, ts, payload, hash) VALUES (3, 'X', 0, x'00', x'00')"
            if place.kind == "sqlite"
            else "INSERT INTO events (cluster, seq, kind, ts, payload, hash)"
            " SELECT cluster, 3, 'X', 0, '\\x00', '\\x00' FROM checkpoint"
        )
        with pytest.raises(Exception):  # noqa: B017 - each store's own integrity error
            journal.commit()
        with pytest.raises(JournalFailed):
            journal.append("OrdersAccepted", TS, payload(3))
        assert journal.head == head
    assert place.execute("DELETE FROM events WHERE seq = 3") == 1
    with place.store.open_journal(CLUSTER, read_only=True) as reader:
        assert reader.verify().ok and reader.verify().events == 2


# -- the hash chain, the checkpoint, tampering --------------------------------------------


def test_a_changed_payload_is_refused_naming_its_seq(place: Place) -> None:
    fill(place, 10)
    assert place.execute("UPDATE events SET payload = ? WHERE seq = 4", payload(999)) == 1
    report = corruption(place).report
    assert (report.first_bad_seq, report.problem, report.events) == (
        4,
        Problem.CONTENT_ALTERED,
        3,
    )


def test_a_changed_hash_is_refused_naming_its_seq(place: Place) -> None:
    fill(place, 10)
    place.execute("UPDATE events SET hash = ? WHERE seq = 7", bytes(32))
    report = corruption(place).report
    assert (report.first_bad_seq, report.problem) == (7, Problem.HASH_ALTERED)


def test_events_deleted_from_the_end_are_caught_by_the_checkpoint(place: Place) -> None:
    fill(place, 10)
    assert place.execute("DELETE FROM events WHERE seq >= 9") == 2
    report = corruption(place).report
    assert (report.first_bad_seq, report.problem, report.events) == (9, Problem.TRUNCATED, 8)


def test_an_event_deleted_in_the_middle_is_a_gap(place: Place) -> None:
    fill(place, 10)
    place.execute("DELETE FROM events WHERE seq = 5")
    report = corruption(place).report
    assert (report.first_bad_seq, report.problem) == (5, Problem.GAP)


def test_a_checkpoint_moved_behind_the_journal_is_refused(place: Place) -> None:
    fill(place, 5)
    place.execute("UPDATE checkpoint SET seq = 3")
    report = corruption(place).report
    assert report.problem == Problem.CHECKPOINT_MISMATCH


# -- one writer ------------------------------------------------------------------------------


def test_a_second_writer_is_refused_until_the_first_lets_go(place: Place) -> None:
    cluster = demo_cluster()
    node = open_market(place.store, cluster, SimulatedClock(TS))
    try:
        with pytest.raises(DataDirLocked, match="one writer per"):
            open_market(place.store, cluster, SimulatedClock(TS))
    finally:
        node.close()
    open_market(place.store, cluster, SimulatedClock(TS)).close()


def test_the_market_recovers_and_replays_from_either_store(place: Place) -> None:
    cluster = demo_cluster()
    clock = SimulatedClock(TS)
    start = TS // 1_000_000 + 3600
    floor, _ = cluster.band(start)
    member = next(m for m in cluster.members if m.role == "member" and m.connection_points)
    order = NewOrder(start, member.connection_points[0].code, SELL, floor, 500)
    node = open_market(place.store, cluster, clock)
    answers = [node.market.submit(member.id, order) for _ in range(3)]
    node.close()
    again = open_market(place.store, cluster, clock)
    try:
        # ClusterConfigured, ClusterChanged (the configuration) and 3 orders
        assert again.market.seq == answers[-1].seq == 5
    finally:
        again.close()
    report = replay_journal(place.store, cluster)
    assert (report.events, report.orders) == (5, 3)


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_are_issued_looked_up_revoked_and_expire(place: Place) -> None:
    now = [TS]
    with place.store.open_tokens(CLUSTER, lambda: now[0]) as tokens:
        live = tokens.issue("dom-01")
        now[0] += 1  # listed in the order issued
        brief = tokens.issue("dom-02", expires_us=TS + 60_000_000)
        assert (tokens.member_for(live), tokens.member_for(brief)) == ("dom-01", "dom-02")
        assert tokens.member_for("no-such-token") is None
        assert tokens.member_for("zażółć") is None  # not ASCII: unknown, not an error
        assert len(tokens) == 2
        assert [t.member for t in tokens.list()] == ["dom-01", "dom-02"]

        now[0] = TS + 60_000_000  # the expiry
        assert tokens.member_for(brief) is None and tokens.expired_at(brief) == now[0]
        assert tokens.expired_at(live) is None

        with place.store.open_tokens(CLUSTER, lambda: now[0]) as other:  # another process
            assert other.member_for(live) == "dom-01"
            revoked = other.revoke("dom-01")
        assert [t.token_id for t in revoked] == [live[:8]] and revoked[0].revoked
        # The cache hears of the other's commit: at once from SQLite's shared memory; from
        # PostgreSQL when its NOTIFY reaches this connection's socket, an instant later.
        deadline = time.monotonic() + (0 if place.kind == "sqlite" else NOTIFY_WITHIN_S)
        while tokens.member_for(live) is not None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert tokens.member_for(live) is None
        assert tokens.revoke("dom-01") == []
        assert len(tokens.list("dom-01")) == 1  # revoked tokens stay listed


def test_clusters_sharing_a_database_see_only_their_own_journal_and_tokens(
    postgres: Server,
) -> None:
    store = PostgresStore(postgres.create_database("shared"))
    with store.open_journal("zywiec") as ours, store.open_journal("oke") as theirs:
        ours.append("OrdersAccepted", TS, payload(1))
        ours.commit()
        assert theirs.head == Head(0, GENESIS_HASH) and list(theirs.read()) == []
        theirs.append("OrdersAccepted", TS, payload(2))
        assert theirs.commit() == 1  # seq 1 of its own cluster
    with store.open_tokens("zywiec") as ours, store.open_tokens("oke") as theirs:
        token = ours.issue("dom-01")
        assert theirs.member_for(token) is None and len(theirs) == 0
        assert ours.member_for(token) == "dom-01"
