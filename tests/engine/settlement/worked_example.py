"""The worked example's cluster and week (used by its test and by the README's table).

Three members in the gmina of Staszów: the municipality (the coordinator) with its school on
C21, a household with 6 kW of PV on G11 under net billing at the hourly RCE, and a firm on
C11. One week of hourly intervals, Monday 2026-06-01 00:00 to Monday 2026-06-08 00:00
(Europe/Warsaw), every day alike:

- 10:00-14:00 (four hours): the household exports 3,500 Wh an hour and offers 3,000 Wh at
  300.00 PLN/MWh; the firm imports 3,000 Wh and bids 2,000 Wh at 500.00, the school imports
  5,000 Wh and bids 1,000 Wh at 500.00. The uniform auction (k = 0.5) clears all 3,000 Wh at
  400.00 PLN/MWh.
- the other twenty hours: the household imports 400 Wh, the firm 1,000 Wh, the school
  2,000 Wh an hour; nobody trades.

The RCE is 200.00 PLN/MWh, except Sunday's four midday hours at -50.00 (counted as zero).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from engine.book.auction import BUY, SELL
from engine.book.new_orders import OrderBatch
from engine.config.cluster import Cluster, load_cluster
from engine.market.market import Market
from engine.model.clock import SimulatedClock
from engine.settlement.metering import ReadingBatch
from tests.engine.market.recording import RecordingJournal

WEEK_START = 1_780_264_800  # 2026-06-01T00:00:00+02:00
HOUR = 3600
WEEK_END = WEEK_START + 7 * 24 * HOUR
BEFORE_US = (WEEK_START - 2 * HOUR) * 1_000_000  # the clock's start [us]
MIDDAY = range(10, 14)  # local hours
SCHOOL, HOUSE, FIRM = 0, 1, 2  # connection point codes

CLUSTER = """
[cluster]
id = "staszow-example"
name = "Worked example"
timezone = "Europe/Warsaw"
interval_minutes = 60
gate_closure_minutes = 5
horizon_intervals = 200
mechanism = "uniform"
k = 0.5
tick_pln_mwh = "0.01"
network_fee_pln_mwh = "0"

[prices]
floor_pln_mwh = "0.00"
cap_pln_mwh = "2000.00"

[settlement]
discount_share = "0.25"      # an assumed cluster discount, to show the line
excise_pln_mwh = "5.00"
vat_rate = "0.23"
rce_pln_mwh = "200.00"
rce_csv = "rce.csv"

[tariffs.G11]
fixed_pln_month = "24.00"
zones = [{ name = "all", hours = "0-24", distribution_pln_mwh = "330.00" }]
[tariffs.C11]
fixed_pln_month = "40.00"
zones = [{ name = "all", hours = "0-24", distribution_pln_mwh = "320.00" }]
[tariffs.C21]
fixed_pln_month = "350.00"
zones = [{ name = "all", hours = "0-24", distribution_pln_mwh = "230.00" }]

[[members]]
id = "gmina-staszow"
name = "Gmina Staszów"
role = "coordinator"
legal_kind = "municipality"
[[members.connection_points]]
id = "PL-PGE-SZKOLA"
terc = "2618073"
dso = "PGE Dystrybucja"
max_import_kw = "20"
max_export_kw = "0"
tariff = "C21"
supplier_pln_mwh = "600.00"
regime = "none"

[[members]]
id = "dom-nowak"
name = "Household with PV"
legal_kind = "person"
[[members.connection_points]]
id = "PL-PGE-DOM"
terc = "2618073"
dso = "PGE Dystrybucja"
max_import_kw = "5"
max_export_kw = "5"
installed_kw = "6"
source = "pv"
tariff = "G11"
supplier_pln_mwh = "500.00"
regime = "net-billing"
net_billing_price = "rce"

[[members]]
id = "firma"
name = "A firm"
legal_kind = "company"
[[members.connection_points]]
id = "PL-PGE-FIRMA"
terc = "2618073"
dso = "PGE Dystrybucja"
max_import_kw = "10"
max_export_kw = "0"
tariff = "C11"
supplier_pln_mwh = "650.00"
regime = "none"
"""


def hours() -> list[int]:
    return list(range(WEEK_START, WEEK_END, HOUR))


def is_midday(start: int) -> bool:
    return (start - WEEK_START) // HOUR % 24 in MIDDAY


def example_cluster(directory: Path) -> Cluster:
    """The example's cluster, its RCE file written into ``directory``."""
    sunday = WEEK_START + 6 * 24 * HOUR
    sunday_noon = [s for s in range(sunday, sunday + 24 * HOUR, HOUR) if is_midday(s)]
    rows = "".join(f"{datetime.fromtimestamp(s, UTC).isoformat()},-50.00\n" for s in sunday_noon)
    (directory / "rce.csv").write_text("interval_start,price_pln_mwh\n" + rows)
    (directory / "example.toml").write_text(CLUSTER)
    return load_cluster(directory / "example.toml")


def week_market(directory: Path) -> Market:
    """The example's market after its week: orders, auctions and every reading."""
    clock = SimulatedClock(BEFORE_US)
    market = Market(example_cluster(directory), clock, RecordingJournal())
    trade_week(market, clock)
    return market


def trade_week(market: Market, clock: SimulatedClock) -> None:
    """Send the week's orders, close every gate and record every reading."""
    midday = [s for s in hours() if is_midday(s)]
    for member, point, side, price, wh in (
        ("dom-nowak", HOUSE, SELL, 300_00, 3000),
        ("firma", FIRM, BUY, 500_00, 2000),
        ("gmina-staszow", SCHOOL, BUY, 500_00, 1000),
    ):
        n = len(midday)
        batch = OrderBatch(
            np.array(midday, np.int64),
            np.full(n, point, np.int64),
            np.full(n, side, np.int64),
            np.full(n, price, np.int64),
            np.full(n, wh, np.int64),
        )
        market.submit_batch(member, batch)
    clock.advance_to(WEEK_END * 1_000_000)
    market.close_due_gates()
    readings = []
    for s in hours():
        noon = is_midday(s)
        readings += [
            (s, SCHOOL, 5000 if noon else 2000, 0),
            (s, HOUSE, 0 if noon else 400, 3500 if noon else 0),
            (s, FIRM, 3000 if noon else 1000, 0),
        ]
    columns = [np.array(c, np.int64) for c in zip(*readings, strict=True)]
    market.record_readings("gmina-staszow", ReadingBatch(*columns))
