"""Statements of members and the cluster's KPIs over a period [from, to)."""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

from engine.api.service import JournalHead
from engine.api.values import Count, Grosz, Instant, Price, Ratio, Wh

LineKind = Literal[
    "local_bought", "local_sold", "shared_in", "shared_out", "supplier_energy", "export_credit",
    "distribution_variable", "cluster_discount", "distribution_fixed", "excise",
]  # fmt: skip


class StatementLine(Struct, frozen=True):
    """One line of a bill: the energy it prices [Wh] (0 for fixed charges) and its amount
    [grosz], positive when the member pays (``engine.settlement.bills`` says each kind)."""

    kind: LineKind
    wh: Wh
    grosz: Grosz


class Bill(Struct, frozen=True):
    """Lines and totals [grosz]: ``net_grosz`` is the sum of the lines, ``vat_grosz`` the
    VAT on it (rounded half to even), ``gross_grosz`` their sum."""

    lines: tuple[StatementLine, ...]
    net_grosz: Grosz
    vat_grosz: Grosz
    gross_grosz: Grosz


Regime = Literal["none", "net-metering", "net-billing"]


class PointSection(Struct, frozen=True):
    """A part of the period billed on its own: intervals in [from, to) under one
    configuration in one local month, on the point's tariff and regime then; its bill,
    baseline and saving; the prosumer credits it opened and closed with (the net-billing
    deposit [grosz], the net-metering bank [Wh])."""

    from_: Instant = msgspec.field(name="from")
    to: Instant
    tariff: str
    regime: Regime
    bill: Bill
    baseline: Bill
    saving_grosz: Grosz
    opening_grosz: Grosz
    carried_grosz: Grosz
    opening_wh: Wh
    carried_wh: Wh


class PointBill(Struct, frozen=True):
    """One connection point's bill on its own tariffs over the period, its baseline (the
    same meters without the market) and the saving (baseline gross - gross, a net-billing
    deposit counting at face value on both sides: what it lost over the period, opening -
    closing, is a cost); the prosumer credits the period opened with (what earlier periods
    left, oldest first: ``opening_grosz``, ``baseline_opening_grosz``, ``opening_wh``), what
    expired in it (12 months after the month it was credited) and what is carried forward
    (``carried_grosz``, ``baseline_carried_grosz``, ``carried_wh``); intervals still missing
    its reading (left out). ``sections``: the period's parts under different
    configurations or local months in which the member held the point, each billed on its
    own (the bill is their sum); empty when it held it over the whole period, one part.
    ``tariff`` and ``regime``: the point's in its first section."""

    point: str
    tariff: str
    regime: Regime
    bill: Bill
    baseline: Bill
    saving_grosz: Grosz
    carried_grosz: Grosz
    baseline_carried_grosz: Grosz
    carried_wh: Wh
    pending: tuple[Instant, ...]
    opening_grosz: Grosz
    baseline_opening_grosz: Grosz
    opening_wh: Wh
    expired_grosz: Grosz
    expired_wh: Wh
    sections: tuple[PointSection, ...]


class Statement(Struct, frozen=True):
    """A member's energy [Wh] and money [grosz] over the delivered intervals of a period;
    intervals still missing readings are listed in ``pending`` and left out of the totals.
    ``cost_grosz`` is what the member paid net (negative: earned), ``baseline_grosz`` what
    it would have paid without the market, ``savings_grosz`` the difference: the market's own
    account at the band prices and the network fee, kept for clients of before the tariffs.
    ``bill`` is the member's bill on its points' tariffs (the sum of ``points``' bills:
    suppliers bill each point on its own; ``points`` are the points it held in the period,
    each billed for the parts it held it in: a member who joined or left inside the period,
    or whose point moved, is billed for its own part), ``baseline`` the same without the
    market, and ``saving_grosz`` the difference of their gross totals. ``shared_in_wh`` and
    ``shared_out_wh`` are the energy the cluster's sharing key gave the member and took of
    its production (0 when the market allocates alone), ``shared_in_grosz`` and
    ``shared_out_grosz`` their value at the internal price (in ``cost_grosz``, and lines
    ``shared_in`` and ``shared_out`` of the bills). ``journal`` is
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
    bill: Bill
    baseline: Bill
    saving_grosz: Grosz
    points: tuple[PointBill, ...]
    shared_in_wh: Wh
    shared_out_wh: Wh
    shared_in_grosz: Grosz
    shared_out_grosz: Grosz


class StatementPage(Struct, frozen=True):
    """The coordinator's page of statements, one per member in member order; the next page
    is ``?cursor=next_cursor`` (null on the last)."""

    statements: tuple[Statement, ...]
    next_cursor: str | None


class Kpis(Struct, frozen=True):
    """The cluster's KPIs over the complete intervals of a period: energy [Wh], shares as
    ratios, average prices [PLN/MWh, 2 more decimals than the tick] (null: no trade).

    Per interval, then summed: ``import_wh`` and ``export_wh`` are the members' metered
    flows, ``local_use_wh`` min(import, export), ``boundary_import_wh`` max(0, import -
    export): what crossed the cluster's boundary inwards after netting inside the cluster
    (``boundary_export_wh`` outwards). ``import_covered_locally`` = local use / import,
    ``export_used_locally`` = local use / export. Renewable figures per hour: the export of
    points with a renewable source, and per hour min(that export, all import) summed."""

    from_: Instant = msgspec.field(name="from")
    to: Instant
    intervals: Count
    pending: tuple[Instant, ...]
    import_wh: Wh
    export_wh: Wh
    local_use_wh: Wh
    traded_wh: Wh
    boundary_import_wh: Wh
    boundary_export_wh: Wh
    import_covered_locally: Ratio | None
    export_used_locally: Ratio | None
    traded_share: Ratio | None
    average_buyer_price: Price | None
    average_seller_price: Price | None
    average_cap: Price | None
    average_floor: Price | None
    savings_grosz: Grosz
    renewable_export_wh: Wh
    renewable_local_use_wh: Wh
    renewable_used_locally: Ratio | None
