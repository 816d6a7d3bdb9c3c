"""Statements of members and the cluster's KPIs over a period [from, to)."""

from __future__ import annotations

import msgspec
from msgspec import Struct

from engine.api.service import JournalHead
from engine.api.values import Count, Grosz, Instant, Price, Ratio, Wh


class Statement(Struct, frozen=True):
    """A member's energy [Wh] and money [grosz] over the delivered intervals of a period;
    intervals still missing readings are listed in ``pending`` and left out of the totals.
    ``cost_grosz`` is what the member paid net (negative: earned), ``baseline_grosz`` what
    it would have paid without the market, ``savings_grosz`` the difference. ``journal`` is
    the journal's durable head when the statement was made, every event the statement
    rests on included: kept with the statement, it lets the member (or an auditor) check
    later that the journal still holds that event with that hash (``klaster audit``)."""

    from_: Instant = msgspec.field(name="from")
    to: Instant
    member: str
    intervals: Count
    pending: tuple[Instant, ...]
    bought_wh: Wh
    sold_wh: Wh
    shortfall_wh: Wh
    surplus_wh: Wh
    bought_grosz: Grosz
    sold_grosz: Grosz
    fee_grosz: Grosz
    shortfall_grosz: Grosz
    surplus_grosz: Grosz
    cost_grosz: Grosz
    baseline_grosz: Grosz
    savings_grosz: Grosz
    journal: JournalHead


class Kpis(Struct, frozen=True):
    """The cluster's KPIs over the complete intervals of a period: energy [Wh], shares as
    ratios, average prices [PLN/MWh, 2 more decimals than the tick] (null: no trade)."""

    from_: Instant = msgspec.field(name="from")
    to: Instant
    intervals: Count
    pending: tuple[Instant, ...]
    import_wh: Wh
    export_wh: Wh
    local_use_wh: Wh
    traded_wh: Wh
    self_sufficiency: Ratio | None
    self_consumption: Ratio | None
    traded_share: Ratio | None
    average_buyer_price: Price | None
    average_seller_price: Price | None
    average_cap: Price | None
    average_floor: Price | None
    savings_grosz: Grosz
