"""A small data directory of the demo cluster and the ways to tamper with its journal.

Each tampering edits ``DATA/journal.sqlite`` with plain SQL, as someone with the file would:
the events table only, the hashes left as they were, unless the helper says otherwise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import msgspec

from engine.book.auction import SELL
from engine.book.new_orders import NewOrder
from engine.config.demo import demo_cluster
from engine.market import events
from engine.market.recovery import JOURNAL_FILE, open_market
from engine.model.clock import SimulatedClock
from engine.store.journal import GENESIS_HASH, chain_hash

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z [s]
START = T0 + 3600  # the interval traded and cleared [s]
OPEN_SELL_SEQ = 3  # a sell order for the interval after START, whose gate stays open
CLEARED_SELL_SEQ = 5  # a sell order for START, in its clearing
EVENTS = 10  # ClusterConfigured, ClusterChanged, seven orders, GateClosed


def a_day_of_trading(data: Path) -> None:
    """The configuration (seqs 1 and 2), a sell order for ``START + 15 min`` (seq 3, its
    gate still open at the end), six orders for ``START`` (seqs 4..9: buys at even seqs,
    sells at odd ones) and ``START``'s gate closure (seq 10)."""
    cluster = demo_cluster()
    clock = SimulatedClock(T0 * 1_000_000)
    node = open_market(data, cluster, clock)
    members = [m for m in cluster.members if m.role == "member"]
    floor, cap = cluster.band(START)
    point = members[0].connection_points[0].code
    node.market.submit(members[0].id, NewOrder(START + 900, point, SELL, floor + 500, 100))
    for i, member in enumerate(members[:6]):
        side = i % 2
        price = floor + 1000 * i if side else cap - 1000 * i
        point = member.connection_points[0].code
        node.market.submit(member.id, NewOrder(START, point, side, price, 100 + 50 * i))
    clock.advance_to((START - 300) * 1_000_000)
    node.market.close_due_gates()
    node.close()


def sql(data: Path, statement: str, *args: object) -> None:
    """Run one statement on the data directory's journal, outside the journal's code."""
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        db.execute(statement, args)
    db.close()


def row(data: Path, seq: int) -> tuple[str, int, bytes, bytes]:
    """``(kind, ts, payload, hash)`` of event ``seq`` as stored."""
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        found = db.execute("SELECT kind, ts, payload, hash FROM events WHERE seq = ?", (seq,))
        kind, ts, payload, digest = found.fetchone()
    db.close()
    return kind, ts, payload, digest


def flip_side_byte(data: Path, seq: int = OPEN_SELL_SEQ) -> None:
    """Flip the lowest bit of the side of an ``OrderAccepted`` payload: a sell reads as a
    buy (and a buy as a sell); the payload still decodes."""
    payload = bytearray(row(data, seq)[2])
    at = payload.index(b"\xa4side") + len(b"\xa4side")  # msgpack: fixstr "side", then a fixint
    payload[at] ^= 1
    sql(data, "UPDATE events SET payload = ? WHERE seq = ?", bytes(payload), seq)


def reencode(data: Path, seq: int, **changes: object) -> None:
    """Decode event ``seq``, change fields, store its canonical encoding: a valid event,
    but the hash left as it was."""
    kind, ts, payload, _ = row(data, seq)
    event = msgspec.structs.replace(events.decode(seq, kind, ts, payload), **changes)
    sql(data, "UPDATE events SET payload = ? WHERE seq = ?", events.encode(event), seq)


def price_one_tick_higher(data: Path, seq: int = OPEN_SELL_SEQ) -> None:
    kind, ts, payload, _ = row(data, seq)
    reencode(data, seq, price=events.decode(seq, kind, ts, payload).price + 1)


def rechain(data: Path) -> None:
    """Recompute every hash and the checkpoint from the events as they now are: someone
    who rewrites the whole file, which the file alone cannot show."""
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        head, seq = GENESIS_HASH, 0
        rows = db.execute("SELECT seq, kind, ts, payload FROM events ORDER BY seq").fetchall()
        for seq, kind, ts, payload in rows:
            head = chain_hash(head, seq, kind, ts, payload)
            db.execute("UPDATE events SET hash = ? WHERE seq = ?", (head, seq))
        db.execute("UPDATE checkpoint SET seq = ?, hash = ?", (seq, head))
    db.close()


Tampering = Callable[[Path], None]
TAMPERINGS: dict[str, tuple[Tampering, int, str]] = {
    # name: (tamper with DATA, the first bad seq, the problem reported)
    "a sell order's side byte flipped": (flip_side_byte, OPEN_SELL_SEQ, "content altered"),
    "a price re-encoded one tick higher": (
        price_one_tick_higher,
        OPEN_SELL_SEQ,
        "content altered",
    ),
    "a stored hash changed": (
        lambda d: sql(d, "UPDATE events SET hash = zeroblob(32) WHERE seq = 4"),
        4,
        "hash altered",
    ),
    "a timestamp shifted by 1 us": (
        lambda d: sql(d, "UPDATE events SET ts = ts + 1 WHERE seq = 5"),
        5,
        "content altered",
    ),
    "an event's kind changed": (
        lambda d: sql(d, "UPDATE events SET kind = 'Intruder' WHERE seq = 3"),
        3,
        "content altered",
    ),
    "the gate closure's volume re-encoded": (
        lambda d: reencode(d, EVENTS, volume=1),
        EVENTS,
        "broken link",  # the last event: no next one tells content from hash
    ),
    "the last event deleted": (
        lambda d: sql(d, "DELETE FROM events WHERE seq = ?", EVENTS),
        EVENTS,
        "truncated",
    ),
    "the last three events deleted": (
        lambda d: sql(d, "DELETE FROM events WHERE seq > ?", EVENTS - 3),
        EVENTS - 2,
        "truncated",
    ),
    "every event deleted": (lambda d: sql(d, "DELETE FROM events"), 1, "truncated"),
    "an event appended with a valid hash but no checkpoint": (
        lambda d: sql(
            d,
            "INSERT INTO events VALUES (?, 'GateClosed', 0, x'80', ?)",
            EVENTS + 1,
            chain_hash(row(d, EVENTS)[3], EVENTS + 1, "GateClosed", 0, b"\x80"),
        ),
        EVENTS + 1,
        "checkpoint mismatch",
    ),
}
