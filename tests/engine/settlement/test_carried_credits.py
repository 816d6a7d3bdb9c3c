"""Prosumer credits carried across periods (issue 11): the net-billing deposit [grosz] and the
net-metering bank [Wh] are used oldest first and gone 12 months after the month they were
credited; a statement opens with what the journal's history left (a pure function of the
journal, the same on replay).

The worked example, checked by hand (one 15-minute interval at noon on the 1st of each month;
RCE = the band's floor 250.00 PLN/MWh, household supplier price 500.00 PLN/MWh; 1 Wh at
1 PLN/MWh is 0.1 grosz, so 1,000 Wh at 250.00 PLN/MWh is 25 grosz):

P-1, net billing at RCE:
  2026-01  export 10,000 Wh -> +250 (Jan)                  deposit [Jan 250]
  2026-02  import  2,000 Wh -> energy 100, paid by Jan     deposit [Jan 150]
  2026-03  export  4,000 Wh -> +100 (Mar)                  deposit [Jan 150, Mar 100]
  2026-04  import  1,000 Wh -> energy 50, paid by Jan      deposit [Jan 100, Mar 100]
  2027-01  nothing metered: Jan 2026 expired (100)         deposit [Mar 100]
  2027-03  Mar 2026 expired (100)                          deposit []
P-2, net metering (0.8: 6 kW installed):
  2026-01  export 10,000 Wh -> bank +8,000 Wh (Jan)        bank [Jan 8,000]
  2026-02  import  3,000 Wh -> offset 3,000 Wh             bank [Jan 5,000]
  2027-01  Jan 2026 expired (5,000 Wh)                     bank []
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config.cluster import cluster_from_document
from engine.market.market import Market
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.settlement.credits import VALID_MONTHS, credit, draw, expire
from engine.settlement.metering import ReadingBatch
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal

WARSAW = ZoneInfo("Europe/Warsaw")
L = 900


def noon(year: int, month: int) -> int:
    return int(datetime(year, month, 1, 12, tzinfo=WARSAW).timestamp())


# (month, P-1 import, P-1 export, P-2 import, P-2 export) [Wh]
READINGS = [
    ((2026, 1), 0, 10_000, 0, 10_000),
    ((2026, 2), 2_000, 0, 3_000, 0),
    ((2026, 3), 0, 4_000, 0, 0),
    ((2026, 4), 1_000, 0, 0, 0),
    ((2027, 1), 0, 0, 0, 0),
    ((2027, 3), 0, 0, 0, 0),
]


def prosumer_document() -> dict:
    doc = tomllib.loads(small_cluster_toml())
    p1 = doc["members"][1]["connection_points"][0]
    p1 |= {"supplier_pln_mwh": "500.00", "regime": "net-billing", "net_billing_price": "rce"}
    p2 = doc["members"][2]["connection_points"][0]
    p2 |= {"supplier_pln_mwh": "500.00", "regime": "net-metering", "installed_kw": "6"}
    return doc


def year_market() -> tuple[Market, RecordingJournal]:
    cluster = cluster_from_document(prosumer_document(), "test.toml")
    clock, journal = SimulatedClock((noon(2027, 4) + L) * 1_000_000), RecordingJournal()
    market = Market(cluster, clock, journal)
    codes = [market.registry.point_code[p] for p in ("P-OKE", "P-1", "P-2")]
    for (year, month), i1, e1, i2, e2 in READINGS:
        batch = ReadingBatch(
            np.full(3, noon(year, month), np.int64),
            np.array(codes, np.int64),
            np.array([0, i1, i2], np.int64),
            np.array([0, e1, e2], np.int64),
        )
        market.record_readings("oke", batch)
    return market, journal


def month_starts(year: int, month: int) -> list[int]:
    """Every interval of a local month."""
    first = int(datetime(year, month, 1, tzinfo=WARSAW).timestamp())
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=WARSAW)
    return list(range(first, int(following.timestamp()), L))


def month_statement(state, point_id: str, year: int, month: int):
    return next(s for s in state.bill_points(month_starts(year, month)) if s.point_id == point_id)


def test_the_worked_example_carries_the_deposit_oldest_first_and_expires_it() -> None:
    market, _ = year_market()
    feb = month_statement(market, "P-1", 2026, 2)
    assert feb.opening.market.deposit == ((2026 * 12, 250),)
    assert feb.bill.line("supplier_energy").grosz == 100
    assert feb.bill.line("export_credit").grosz == -100
    assert feb.closing.market.deposit == ((2026 * 12, 150),)
    apr = month_statement(market, "P-1", 2026, 4)
    assert apr.opening.market.deposit_grosz == 250  # Jan 150 + Mar 100
    assert apr.bill.line("export_credit").grosz == -50
    assert apr.closing.market.deposit == ((2026 * 12, 100), (2026 * 12 + 2, 100))
    assert apr.carried_grosz == 200
    jan27 = month_statement(market, "P-1", 2027, 1)
    assert (jan27.opening.market.deposit_grosz, jan27.expired_grosz) == (200, 100)
    assert jan27.closing.market.deposit == ((2026 * 12 + 2, 100),)
    mar27 = month_statement(market, "P-1", 2027, 3)
    assert (mar27.expired_grosz, mar27.carried_grosz) == (100, 0)


def test_the_worked_example_carries_the_net_metering_bank_and_expires_it() -> None:
    market, _ = year_market()
    jan = month_statement(market, "P-2", 2026, 1)
    assert (jan.opening.market.bank_wh, jan.carried_wh) == (0, 8_000)
    feb = month_statement(market, "P-2", 2026, 2)
    assert feb.opening.market.bank_wh == 8_000
    # 3,000 Wh offset: the whole energy and variable distribution of the month, at no cost
    worth = feb.bill.line("supplier_energy").exact + feb.bill.line("distribution_variable").exact
    assert feb.bill.line("export_credit").exact == -worth
    assert feb.carried_wh == 5_000
    jan27 = month_statement(market, "P-2", 2027, 1)
    assert (jan27.expired_wh, jan27.carried_wh) == (5_000, 0)


def test_a_period_over_several_months_opens_and_closes_like_its_months() -> None:
    market, _ = year_market()
    starts = [s for m in (2, 3, 4) for s in month_starts(2026, m)]
    spring = next(s for s in market.bill_points(starts) if s.point_id == "P-1")
    assert len(spring.sections) == 3  # one per local month
    assert spring.opening.market.deposit_grosz == 250
    assert spring.carried_grosz == 200
    months = [month_statement(market, "P-1", 2026, m) for m in (2, 3, 4)]
    assert spring.bill.gross_grosz == sum(m.bill.gross_grosz for m in months)
    assert spring.saving_grosz == sum(m.saving_grosz for m in months)


def test_the_credits_are_a_pure_function_of_the_journal_and_replay_alike() -> None:
    market, journal = year_market()
    state = MarketState(cluster_from_document(prosumer_document(), "test.toml"))
    state.replay(journal.events)
    for year, month in ((2026, 2), (2026, 4), (2027, 1)):
        for point_id in ("P-1", "P-2"):
            live = month_statement(market, point_id, year, month)
            again = month_statement(state, point_id, year, month)
            assert again == live


entries = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 10_000)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 10_000), st.integers(0, 10_000)), max_size=20
    )
)
def test_credits_never_go_negative_are_used_once_and_expire_after_twelve_months(months) -> None:
    """Month by month (gaps of 0-5 months), credit ``fed`` and draw ``need``: the balance
    conserves (opening + credited = used + expired + closing), nothing is negative, what is
    used comes from the oldest entries, and no entry outlives its 12 months."""
    held: tuple = ()
    month = 0
    for gap, fed, need in months:
        month += gap
        kept, lost = expire(held, month)
        assert all(m + VALID_MONTHS > month for m, _ in kept)
        assert lost == sum(a for m, a in held if m + VALID_MONTHS <= month)
        before = sum(a for _, a in kept) + fed
        after, used = draw(credit(kept, month, fed), need)
        assert 0 <= used <= need and used == min(need, before)
        assert sum(a for _, a in after) == before - used
        assert all(a > 0 for _, a in after)
        # oldest first: what is left is a suffix of the entries, the first maybe cut
        whole = list(credit(kept, month, fed))
        assert [m for m, _ in after] == [m for m, _ in whole[len(whole) - len(after) :]]
        if after:
            assert after[1:] == tuple(whole[len(whole) - len(after) + 1 :])
        held = after


def test_a_statement_opens_with_nothing_before_the_first_reading() -> None:
    market, _ = year_market()
    before = month_statement(market, "P-1", 2026, 1)
    assert before.opening.market.deposit == () and before.carried_grosz == 250


def test_a_late_reading_changes_the_credits_of_every_later_statement() -> None:
    """What was held at each month's start is kept; a reading before it forgets it."""
    market, journal = year_market()
    assert month_statement(market, "P-1", 2026, 4).opening.market.deposit_grosz == 250
    code = market.registry.point_code["P-1"]
    corrected = ReadingBatch(  # February took 4,000 Wh, not 2,000: 200 grosz from the deposit
        np.array([noon(2026, 2)], np.int64),
        np.array([code], np.int64),
        np.array([4_000], np.int64),
        np.array([0], np.int64),
    )
    market.record_readings("oke", corrected)
    apr = month_statement(market, "P-1", 2026, 4)
    assert apr.opening.market.deposit == ((2026 * 12, 50), (2026 * 12 + 2, 100))
    cold = MarketState(cluster_from_document(prosumer_document(), "test.toml"))
    cold.replay(journal.events)
    assert month_statement(cold, "P-1", 2026, 4) == apr
