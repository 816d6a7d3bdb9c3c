"""Journals written before events were typed (commit 5adca3a) replay unchanged.

The fixtures were made by that commit's code (``fixtures/make_v1_journal.py``) and hold every
event kind it wrote; ``fixtures/journal-v1-expected.json`` is what that code rebuilt from them
(``fixtures/expect_v1_journal.py``). No ``klaster journal upgrade`` is needed: the typed
events' encoding is the old payload format, byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from engine.config.cluster import parse_cluster
from engine.market import events
from engine.market.recovery import open_market, replay_journal
from engine.model.clock import SimulatedClock
from engine.store.journal import Journal
from tests.clusters import small_cluster_toml

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "journal-v1-expected.json").read_text())
T0 = 1_767_225_600
L = 900
MEMBERS = ("oke", "dom-1", "dom-2")
#: The KPIs the old code computed, and the names two of them have had since (they were not
#: self-sufficiency and self-consumption as the field uses the words).
OLD_KPIS = (
    "intervals", "pending", "import_wh", "export_wh", "local_use_wh", "traded_wh",
    "self_sufficiency", "self_consumption", "traded_share", "average_buyer_price",
    "average_seller_price", "average_cap", "average_floor", "savings_value", "savings_grosz",
)  # fmt: skip
KPIS_NOW = {"self_sufficiency": "import_covered_locally", "self_consumption": "export_used_locally"}


def old_statement(s: object) -> str:
    """The repr the old code gave a statement: every field but the shared energy."""
    kept = (f.name for f in dataclasses.fields(s) if not f.name.startswith("shared_"))
    return f"Statement({', '.join(f'{name}={getattr(s, name)!r}' for name in kept)})"


@pytest.mark.parametrize("continuous", [0, 30])
def test_every_old_payload_decodes_to_a_typed_event_that_encodes_to_the_same_bytes(
    continuous: int,
) -> None:
    journal = Journal.open(FIXTURES / f"journal-v1-c{continuous}.sqlite", read_only=True)
    try:
        stored = list(journal.read())
    finally:
        journal.close()
    kinds = {e.kind for e in stored}
    assert kinds >= {"ClusterConfigured", "OrderAccepted", "OrdersAccepted", "OrderCancelled"}
    assert kinds >= {"OrderReplaced", "GateClosed", "MeterReadingsRecorded", "PriceBandsPublished"}
    for e in stored:
        event = events.decode(e.seq, e.kind, e.ts_us, e.payload)
        assert type(event).__name__ == e.kind
        assert (event.seq, event.ts_us) == (e.seq, e.ts_us)
        assert events.encode(event) == e.payload


@pytest.mark.parametrize("continuous", [0, 30])
def test_an_old_journal_rebuilds_the_market_the_old_code_rebuilt(
    continuous: int, tmp_path: Path
) -> None:
    shutil.copy(FIXTURES / f"journal-v1-c{continuous}.sqlite", tmp_path / "journal.sqlite")
    cluster = parse_cluster(small_cluster_toml(continuous), source="test.toml")
    node = open_market(tmp_path, cluster, SimulatedClock((T0 + 8 * L) * 1_000_000))
    m = node.market
    expected = EXPECTED[f"c{continuous}"]
    starts = [T0 + 4 * L, T0 + 5 * L, T0 + 6 * L]
    # Replay recomputed every clearing and found the recorded digests; they are the old ones.
    assert {str(s): m.result(s).clearing.digest() for s in starts} == expected["digests"]
    assert {member: m.orders(member) for member in MEMBERS} == expected["orders"]
    fills = {str(s): [list(dataclasses.astuple(f)) for f in m.continuous_fills(s)] for s in starts}
    assert fills == expected["continuous_fills"]
    assert len(m.adjustments) == expected["adjustments"]
    statements = {member: m.statement(member, T0, T0 + 10 * L) for member in MEMBERS}
    # The old code's statements had no shared energy (no sharing key then): compare its
    # fields, and the new ones are zero.
    assert {member: old_statement(s) for member, s in statements.items()} == expected["statements"]
    for s in statements.values():
        assert not any(getattr(s, f.name) for f in dataclasses.fields(s) if "shared" in f.name)
    k = m.kpis(T0, T0 + 10 * L)
    old = ", ".join(f"{name}={getattr(k, KPIS_NOW.get(name, name))!r}" for name in OLD_KPIS)
    assert f"Kpis({old})" == expected["kpis"]
    # The first open journals the config it was written for (one ClusterChanged at the end),
    # so from then on the journal is the truth about its configuration.
    assert m.seq == expected["seq"] + 1
    node.close()
    report = replay_journal(tmp_path / "journal.sqlite", cluster)
    assert report.events == expected["seq"] + 1 and report.gate_closures == 3
    journal = Journal.open(tmp_path / "journal.sqlite", read_only=True)
    last = list(journal.read())[-1]
    journal.close()
    assert last.kind == "ClusterChanged"
    # ... and it reopens with another config file, serving its own.
    other = parse_cluster(small_cluster_toml(continuous).replace("k = 0.5", "k = 0.25"))
    again = open_market(tmp_path, other, SimulatedClock((T0 + 8 * L) * 1_000_000))
    assert again.proposal_differs and again.market.cluster.k == cluster.k == 0.5
    assert again.market.seq == expected["seq"] + 1
    again.close()
