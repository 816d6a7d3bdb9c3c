"""A cluster that changes over time: members join and leave, connection points move, and
the journal holds every configuration (issue 11, "Membership and configuration as history").

Codes stay stable across versions; a change takes effect from an interval whose auction is
still open; a leaving member's later orders are cancelled by the change itself and it can
no longer trade there, a joining member trades from its effective interval; clearings and
statements use the configuration in force for their interval, and a restart or a replay
rebuilds all of it byte for byte.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np

from engine.book.auction import BUY, CANCELLED, SELL
from engine.book.new_orders import NewOrder
from engine.config.cluster import Cluster, cluster_from_document
from engine.market.commands import Changed
from engine.market.market import Market
from engine.market.recovery import open_market, replay_journal
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.model.rejects import Reject, Rejected
from engine.settlement.metering import ReadingBatch
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
L = 900
FLOOR, CAP = 25_000, 90_000  # [tick] 250.00 and 900.00 PLN/MWh


def document(continuous: int = 0) -> dict:
    return tomllib.loads(small_cluster_toml(continuous))


def cluster(doc: dict) -> Cluster:
    return cluster_from_document(doc, "test.toml")


def joined(doc: dict, member_id: str = "dom-3", point_id: str = "P-3") -> dict:
    doc = copy.deepcopy(doc)
    point = dict(doc["members"][1]["connection_points"][0], id=point_id)
    member = {"id": member_id, "name": member_id, "role": "member", "connection_points": [point]}
    doc["members"].insert(3, member)
    return doc


def left(doc: dict, member_id: str) -> dict:
    doc = copy.deepcopy(doc)
    doc["members"] = [m for m in doc["members"] if m["id"] != member_id]
    return doc


def market_of(doc: dict, now_s: int = T0) -> tuple[Market, SimulatedClock, RecordingJournal]:
    clock, journal = SimulatedClock(now_s * 1_000_000), RecordingJournal()
    return Market(cluster(doc), clock, journal), clock, journal


def point(market: Market, point_id: str) -> int:
    return market.registry.point_code[point_id]


def test_codes_stay_stable_while_members_join_and_leave() -> None:
    m, _, _ = market_of(document())
    before = dict(m.registry.member_code), dict(m.registry.point_code)
    answer = m.change_cluster("oke", cluster(joined(document())), T0 + 4 * L)
    assert isinstance(answer, Changed)
    assert answer.changes == ('member "dom-3" joins (role member, connection points "P-3")',)
    assert m.registry.member_code == {**before[0], "dom-3": 4}
    assert m.registry.point_code == {**before[1], "P-3": 3}
    answer = m.change_cluster("oke", cluster(left(joined(document()), "dom-1")), T0 + 6 * L)
    assert answer.changes == ('member "dom-1" leaves',)
    assert m.registry.member_code == {**before[0], "dom-3": 4}  # dom-1 keeps code 1
    early, middle, late = (m.registry_at(T0 + k * L) for k in (2, 4, 6))
    assert not early.active[4] and early.owner[3] == -1
    assert middle.active[1] and middle.active[4] and middle.owner[3] == 4
    assert not late.active[1] and late.owner[1] == -1 and late.owner[3] == 4


def test_a_leaving_member_has_its_later_orders_cancelled_and_cannot_trade_after() -> None:
    m, _, journal = market_of(document())
    p2 = point(m, "P-2")
    before = m.submit("dom-2", NewOrder(T0 + 2 * L, p2, SELL, FLOOR, 500))
    after = m.submit("dom-2", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 1500))
    answer = m.change_cluster("oke", cluster(left(document(), "dom-2")), T0 + 4 * L)
    assert isinstance(answer, Changed) and answer.cancelled == (after.order_id,)
    assert journal.events[-1].kind == "ClusterChanged"
    statuses = {o["order_id"]: o["status"] for o in m.orders("dom-2")}
    assert statuses == {before.order_id: "active", after.order_id: "cancelled"}
    assert m._point_limits.booked(T0 + 5 * L, p2, SELL) == 0  # its room is free again
    refused = m.submit("dom-2", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 100))
    assert isinstance(refused, Rejected) and refused.code == Reject.ROLE_FORBIDDEN
    assert "dom-2 is not in the cluster" in refused.message
    # Before the leave it still trades.
    assert not isinstance(m.submit("dom-2", NewOrder(T0 + 3 * L, p2, SELL, FLOOR, 100)), Rejected)


def test_a_joining_member_trades_from_its_effective_interval_and_settles() -> None:
    m, clock, _ = market_of(document())
    m.change_cluster("oke", cluster(joined(document())), T0 + 4 * L)
    p3, p1 = point(m, "P-3"), point(m, "P-1")
    refused = m.submit("dom-3", NewOrder(T0 + 3 * L, p3, BUY, CAP, 400))
    assert isinstance(refused, Rejected) and refused.code == Reject.ROLE_FORBIDDEN
    bought = m.submit("dom-3", NewOrder(T0 + 4 * L, p3, BUY, CAP, 400))
    sold = m.submit("dom-1", NewOrder(T0 + 4 * L, p1, SELL, FLOOR, 400))
    assert not isinstance(bought, Rejected) and not isinstance(sold, Rejected)
    clock.advance_to((T0 + 6 * L) * 1_000_000)
    m.close_due_gates()
    assert m.result(T0 + 4 * L).clearing.volume == 400
    start = T0 + 4 * L
    codes = [point(m, p) for p in ("P-OKE", "P-1", "P-2", "P-3")]
    readings = ReadingBatch(
        np.full(4, start, np.int64),
        np.array(codes, np.int64),
        np.array([0, 0, 0, 400], np.int64),
        np.array([0, 400, 0, 0], np.int64),
    )
    assert not isinstance(m.record_readings("oke", readings), Rejected)
    assert m.is_settled(start)
    statement = m.statement("dom-3", start, start + L)
    assert statement.bought_wh == 400 and statement.pending == ()


def test_a_change_is_refused_early_for_fixed_fields_and_from_others() -> None:
    m, clock, _ = market_of(document())
    new = cluster(joined(document()))
    too_early = m.change_cluster("oke", new, T0)
    assert isinstance(too_early, Rejected) and too_early.code == Reject.INTERVAL_NOT_OPEN
    assert "2026-01-01T00:15:00Z" in too_early.message  # the first that may change
    misaligned = m.change_cluster("oke", new, T0 + 4 * L + 60)
    assert isinstance(misaligned, Rejected) and misaligned.code == Reject.BAD_INTERVAL
    forbidden = m.change_cluster("dom-1", new, T0 + 4 * L)
    assert isinstance(forbidden, Rejected) and forbidden.code == Reject.ROLE_FORBIDDEN
    doc = joined(document())
    doc["cluster"]["interval_minutes"] = 30
    fixed = m.change_cluster("oke", cluster(doc), T0 + 4 * L)
    assert isinstance(fixed, Rejected) and "cluster.interval_minutes cannot change" in fixed.message
    same = m.change_cluster("oke", cluster(document()), T0 + 4 * L)
    assert isinstance(same, Rejected) and "in force" in same.message
    # An early gate closure fixes its interval: a change starts after it.
    m.close_gate("oke", T0 + 5 * L)
    after_early = m.change_cluster("oke", new, T0 + 5 * L)
    assert isinstance(after_early, Rejected) and after_early.code == Reject.INTERVAL_NOT_OPEN
    assert isinstance(m.change_cluster("oke", new), Changed)  # default: the first that may


def test_a_point_that_moves_cancels_the_old_owners_orders_and_serves_the_new_one() -> None:
    m, _, _ = market_of(document())
    p2 = point(m, "P-2")
    old = m.submit("dom-2", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 300))
    doc = joined(document(), "dom-3", "P-3")
    doc["members"][2]["connection_points"][0]["id"] = "P-9"  # dom-2 keeps a new point
    doc["members"][1]["connection_points"].append(
        dict(document()["members"][2]["connection_points"][0], max_export_kw="10")
    )  # P-2 moves to dom-1 with another limit
    answer = m.change_cluster("oke", cluster(doc), T0 + 4 * L)
    assert isinstance(answer, Changed) and answer.cancelled == (old.order_id,)
    assert 'connection point "P-2" moves from "dom-2" to "dom-1"' in answer.changes
    assert 'connection point "P-2": max_export_kw "8" → "10"' in answer.changes
    assert 'connection point "P-9" is added to "dom-2"' in answer.changes
    assert not isinstance(m.submit("dom-1", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 2500)), Rejected)
    refused = m.submit("dom-2", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 100))
    assert isinstance(refused, Rejected) and refused.code == Reject.NOT_YOUR_CONNECTION_POINT
    # Before the move P-2 is still dom-2's, with its old limit (8 kW: 2000 Wh).
    assert not isinstance(m.submit("dom-2", NewOrder(T0 + 3 * L, p2, SELL, FLOOR, 2000)), Rejected)
    over = m.submit("dom-1", NewOrder(T0 + 3 * L, p2, SELL, FLOOR, 100))
    assert isinstance(over, Rejected) and over.code == Reject.NOT_YOUR_CONNECTION_POINT
    assert m._books[T0 + 5 * L].orders["status"][0] == CANCELLED


def test_a_restart_serves_the_journal_and_replays_every_change_byte_for_byte(
    tmp_path: Path,
) -> None:
    clock = SimulatedClock(T0 * 1_000_000)
    node = open_market(tmp_path, cluster(document()), clock)
    m = node.market
    p1, p2 = point(m, "P-1"), point(m, "P-2")
    m.submit("dom-2", NewOrder(T0 + 2 * L, p2, SELL, FLOOR, 500))
    m.submit("dom-1", NewOrder(T0 + 2 * L, p1, BUY, CAP, 300))
    m.submit("dom-2", NewOrder(T0 + 5 * L, p2, SELL, FLOOR, 500))
    m.change_cluster("oke", cluster(left(joined(document()), "dom-2")), T0 + 4 * L)
    p3 = point(m, "P-3")
    m.submit("dom-3", NewOrder(T0 + 5 * L, p3, SELL, FLOOR, 700))
    m.submit("dom-1", NewOrder(T0 + 5 * L, p1, BUY, CAP, 900))
    clock.advance_to((T0 + 7 * L) * 1_000_000)
    m.close_due_gates()
    digests = {s: r.clearing.digest() for s, r in m._results.items()}
    statements = {
        who: repr(m.statement(who, T0, T0 + 8 * L)) for who in ("dom-1", "dom-2", "dom-3")
    }
    seq = m.seq
    node.close()
    # The file given at restart is the old one: the journal's configuration is served.
    again = open_market(tmp_path, cluster(document()), clock)
    r = again.market
    assert again.proposal_differs and r.seq == seq
    assert {s: res.clearing.digest() for s, res in r._results.items()} == digests
    assert {who: repr(r.statement(who, T0, T0 + 8 * L)) for who in statements} == statements
    assert r.registry.member_code["dom-3"] == 4 and r.versions.starts[1] == T0 + 4 * L
    again.close()
    report = replay_journal(tmp_path / "journal.sqlite")
    assert report.events == seq and report.gate_closures == len(digests)


def test_a_replay_of_recorded_events_rebuilds_the_versions() -> None:
    m, clock, journal = market_of(document())
    m.change_cluster("oke", cluster(joined(document())), T0 + 4 * L)
    m.change_cluster("oke", cluster(left(document(), "dom-1")), T0 + 3 * L)  # replaces it
    state = MarketState(cluster(document()))
    state.replay(journal.events)
    assert state.versions.starts == m.versions.starts == [m.versions.starts[0], T0 + 3 * L]
    assert state.registry.member_code == m.registry.member_code
    assert "dom-3" in m.registry.member_code and not m.registry_at(T0 + 5 * L).active[4]


def test_a_batch_spanning_a_change_is_checked_row_by_row_on_each_rows_configuration() -> None:
    from engine.book.new_orders import OrderBatch
    from engine.model.rejects import BatchRejected

    m, _, _ = market_of(document())
    m.change_cluster("oke", cluster(left(document(), "dom-2")), T0 + 4 * L)
    p2 = point(m, "P-2")

    def batch(*starts: int) -> OrderBatch:
        n = len(starts)
        return OrderBatch(
            np.array(starts, np.int64),
            np.full(n, p2, np.int64),
            np.full(n, SELL, np.int64),
            np.full(n, FLOOR, np.int64),
            np.full(n, 100, np.int64),
            tuple(f"c-{i}" for i in range(n)),
        )

    refused = m.submit_batch("dom-2", batch(T0 + 2 * L, T0 + 4 * L, T0 + 3 * L))
    assert isinstance(refused, BatchRejected)
    assert [(r.row, r.code) for r in refused.rows] == [(1, Reject.ROLE_FORBIDDEN)]
    accepted = m.submit_batch("dom-2", batch(T0 + 2 * L, T0 + 3 * L))
    assert accepted.order_ids.tolist() == [1, 2]
