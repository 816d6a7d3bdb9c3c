"""A journal altered on disk is refused at open (issue 10, finding 1): the market checks the
hash chain of every event and the checkpoint before it serves anything, and names the first
bad event; ``verify`` and ``replay`` come to the same verdict. Every test runs twice: with
the chain checked in this process as rows are read, and checked by a second process beside
the fold (as a journal of ``BACKGROUND_CHECK_EVENTS`` events or more is)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.config.cluster import parse_cluster
from engine.config.demo import demo_cluster
from engine.market.recovery import JOURNAL_FILE, open_market, replay_journal
from engine.market.state import ReplayMismatch
from engine.model.clock import SimulatedClock
from engine.store import check_process
from engine.store import journal as journal_module
from engine.store.journal import Journal, JournalCorrupt
from tests.clusters import small_cluster_toml
from tests.tampering import (
    CLEARED_SELL_SEQ,
    EVENTS,
    START,
    T0,
    TAMPERINGS,
    Tampering,
    a_day_of_trading,
    flip_side_byte,
    rechain,
    sql,
)


def contents(data: Path) -> list[tuple]:
    """Every stored row and the checkpoint."""
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        rows = db.execute("SELECT * FROM events ORDER BY seq").fetchall()
        rows += db.execute("SELECT * FROM checkpoint").fetchall()
    db.close()
    return rows


def open_demo(data: Path):
    return open_market(data, demo_cluster(), SimulatedClock(T0 * 1_000_000))


@pytest.fixture(autouse=True, params=["in this process", "in a second process"])
def checked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[object] | None:
    """Where the chain is checked: None in this process, else the second processes started
    (a list to look at)."""
    if request.param == "in this process":
        return None
    started: list[object] = []
    if request.param == "in a second process":
        monkeypatch.setattr(journal_module, "BACKGROUND_CHECK_EVENTS", 1)
        real = check_process.BackgroundCheck

        def counted(*args: object) -> object:
            started.append(args)
            return real(*args)

        monkeypatch.setattr(check_process, "BackgroundCheck", counted)
    return started


@pytest.fixture
def data(tmp_path: Path) -> Path:
    a_day_of_trading(tmp_path / "data")
    return tmp_path / "data"


def test_the_untampered_day_opens_with_its_sell_order_a_sell(
    data: Path, checked: list[object] | None
) -> None:
    node = open_demo(data)
    try:
        orders = [o for m in demo_cluster().members for o in node.market.orders(m.id)]
        assert sorted(o["side"] for o in orders) == ["buy"] * 3 + ["sell"] * 4
        assert node.journal.head.seq == EVENTS
    finally:
        node.close()
    replay_journal(data / JOURNAL_FILE, demo_cluster())
    if checked is not None:
        assert len(checked) == 2  # the open's and the replay's


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "problem"), list(TAMPERINGS.values()), ids=list(TAMPERINGS)
)
def test_a_tampered_journal_is_refused_at_open_naming_the_first_bad_event(
    data: Path, tamper: Tampering, bad_seq: int, problem: str
) -> None:
    tamper(data)
    before = contents(data)
    with pytest.raises(JournalCorrupt) as refused:
        open_demo(data)
    report = refused.value.report
    assert (report.ok, report.first_bad_seq, str(report.problem)) == (False, bad_seq, problem)
    message = str(refused.value)
    assert f"at seq {bad_seq} ({problem})" in message and "\n" not in message
    assert contents(data) == before  # nothing appended, nothing repaired
    # The audit and the replay come to the same verdict.
    with Journal.open(data / JOURNAL_FILE, read_only=True) as journal:
        assert journal.verify() == report
    with pytest.raises(JournalCorrupt) as replayed:
        replay_journal(data / JOURNAL_FILE, demo_cluster())
    assert replayed.value.report == report
    # The refused open let the data directory go: the next try says the same, not "locked".
    with pytest.raises(JournalCorrupt):
        open_demo(data)


def test_a_journal_cut_short_together_with_its_checkpoint_opens(data: Path) -> None:
    """The limit of a check from the file alone: whoever rewrites the checkpoint too passes.
    The head moves back, which a head published before shows (``klaster audit head``)."""
    with Journal.open(data / JOURNAL_FILE, read_only=True) as journal:
        published = journal.head
    sql(data, "DELETE FROM events WHERE seq = ?", EVENTS)  # the gate closure
    rechain(data)
    node = open_demo(data)
    try:
        assert node.journal.head.seq == EVENTS - 1 != published.seq
        assert node.market.result(START) is None  # the interval was never cleared
    finally:
        node.close()


def test_a_rewrite_that_changes_a_cleared_order_is_still_caught_by_the_replay(
    data: Path,
) -> None:
    """A sell flipped to a buy with every hash recomputed passes the chain, but the gate
    closure it fed no longer clears to its recorded digest."""
    flip_side_byte(data, CLEARED_SELL_SEQ)
    rechain(data)
    with pytest.raises(ReplayMismatch):
        open_demo(data)


def test_a_refused_start_writes_nothing_to_a_schema_1_journal(tmp_path: Path) -> None:
    """A journal written before the checkpoint existed is checked by its chain alone, and
    upgraded only by a commit after a start that passed."""
    fixtures = Path(__file__).parent / "fixtures"
    shutil.copy(fixtures / "journal-v1-c0.sqlite", tmp_path / JOURNAL_FILE)
    sql(tmp_path, "UPDATE events SET ts = ts + 1 WHERE seq = 3")
    before = (tmp_path / JOURNAL_FILE).read_bytes()
    cluster = parse_cluster(small_cluster_toml(0), source="test.toml")
    with pytest.raises(JournalCorrupt, match=r"at seq 3 \(content altered\)"):
        open_market(tmp_path, cluster, SimulatedClock(T0 * 1_000_000))
    assert (tmp_path / JOURNAL_FILE).read_bytes() == before
