"""Who is calling: the member behind a token, its connection points and their limits, and
the rules of its cluster's market (``GET /v1/me``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from msgspec import Meta, Struct

from engine.api.values import Count, Instant, Price, Wh

Role = Literal["member", "coordinator", "dso"]
Kw = Annotated[Decimal, Meta(description="[kW], exact, as the cluster's config gives it")]


class OwnConnectionPoint(Struct, frozen=True):
    """One of the member's connection points: the most it may buy (import) or sell (export)
    in one interval [Wh], from the power limits of the cluster's config [kW]
    (``kW * 1000 * interval_minutes / 60``, floored)."""

    id: str
    max_import_wh: Wh
    max_export_wh: Wh
    max_import_kw: Kw
    max_export_kw: Kw


class ClusterRef(Struct, frozen=True):
    id: str
    name: str


class BandNow(Struct, frozen=True):
    """The price band [PLN/MWh] of the interval being delivered now (floor: what a surplus
    earns, cap: what a shortfall costs); every interval's band is in ``GET /v1/intervals``."""

    interval_start: Instant
    floor: Price
    cap: Price


class MarketRules(Struct, frozen=True):
    """The calendar and pricing rules of the cluster: intervals of ``interval_minutes``,
    open for orders ``horizon_intervals`` ahead; the auction gate closes
    ``gate_closure_minutes + continuous_minutes`` before an interval starts, continuous
    trading (if ``continuous_minutes`` > 0) ``gate_closure_minutes`` before; prices are
    whole multiples of ``tick_pln_mwh``; ``timezone`` is the cluster's local time (the
    API speaks UTC)."""

    timezone: str
    interval_minutes: Count
    gate_closure_minutes: Count
    horizon_intervals: Count
    continuous_minutes: Count
    mechanism: str
    tick_pln_mwh: Price
    network_fee_pln_mwh: Price


class Me(Struct, frozen=True):
    """The member a token belongs to (``GET /v1/me``): orders may name only its
    ``connection_points`` (none for the dso)."""

    member_id: str
    name: str
    role: Role
    cluster: ClusterRef
    connection_points: list[OwnConnectionPoint]
    band: BandNow
    rules: MarketRules


class Member(Struct, frozen=True):
    """A member of the cluster as the coordinator sees it: its connection points and their
    limits (none for the dso)."""

    member_id: str
    name: str
    role: Role
    connection_points: list[OwnConnectionPoint]


class Members(Struct, frozen=True):
    """Every member of the cluster, in the config's order (``GET /v1/members``)."""

    members: list[Member]
