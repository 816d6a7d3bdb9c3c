"""Intervals: the calendar, one interval with its auction, its depth, its trades, and the
coordinator's early gate closure."""

from __future__ import annotations

from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from engine.api.values import Count, Instant, OrderId, Price, Side, Wh

State = Literal["planned", "open", "continuous", "cleared", "delivered", "settled"]


class CalendarEntry(Struct, frozen=True):
    """An interval's state, gate times and price band [PLN/MWh]."""

    interval_start: Instant
    state: State
    opens_at: Instant
    gate_closes_at: Instant
    delivered_at: Instant
    floor: Price
    cap: Price


class Calendar(Struct, frozen=True):
    now: Instant
    intervals: list[CalendarEntry]


class Indicative(Struct, frozen=True):
    """The auction as it would clear now: volume [Wh] and price [PLN/MWh] (null: none)."""

    volume_wh: Wh
    price: Price | None


class Result(Struct, frozen=True):
    """An auction's outcome: volume [Wh] and prices [PLN/MWh]; uniform pricing has one
    price, other mechanisms a buyer's and a seller's price. What a trader learns from
    besides: the highest bid and the lowest ask the auction left (partly) unfilled (null: every
    order of that side filled, or there was none) and, only when nothing traded and both
    exist, ``indicative_price``: the point between them the uniform price rule (its ``k``)
    would pick."""

    mechanism: str
    volume_wh: Wh
    price: Price | None
    buyer_price: Price | None
    seller_price: Price | None
    best_unfilled_bid: Price | None
    best_unfilled_ask: Price | None
    indicative_price: Price | None


class Interval(CalendarEntry, frozen=True):
    """One interval: ``indicative`` only while open; ``result`` null before the gate
    closes; ``missing_readings`` (connection points without a reading) once delivered."""

    indicative: Indicative | UnsetType = UNSET
    result: Result | None = None
    missing_readings: Count | UnsetType = UNSET


class Level(Struct, frozen=True):
    """Open quantity [Wh] at one price [PLN/MWh]."""

    price: Price
    quantity_wh: Wh


class Depth(Struct, frozen=True):
    """Open quantity per price: bids best (highest) first, asks best (lowest) first."""

    interval_start: Instant
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class AuctionBook(Struct, frozen=True):
    """The auction's book as supply and demand levels [Wh at PLN/MWh], bids highest first,
    asks lowest first: the active orders while the gate is open (``at_gate`` false), the
    orders the auction cleared once it closed (``at_gate`` true; the result's clearing
    point lies on these curves)."""

    interval_start: Instant
    at_gate: bool
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class Trade(Struct, frozen=True, kw_only=True):
    """A trade [Wh at PLN/MWh]. A member sees its own side: ``order_id``, ``side``,
    ``price``; the coordinator sees both sides: ``buyer``, ``seller``, their order ids and
    prices. Fields of the other view are absent."""

    phase: Literal["auction", "continuous"]
    buyer: str | UnsetType = UNSET
    seller: str | UnsetType = UNSET
    buyer_order_id: OrderId | UnsetType = UNSET
    seller_order_id: OrderId | UnsetType = UNSET
    order_id: OrderId | UnsetType = UNSET
    side: Side | UnsetType = UNSET
    quantity_wh: Wh
    price: Price | UnsetType = UNSET
    buyer_price: Price | UnsetType = UNSET
    seller_price: Price | UnsetType = UNSET


class Trades(Struct, frozen=True):
    """An interval's trades, auction first, then continuous in the order they happened;
    empty before the gate closes."""

    interval_start: Instant
    state: State
    trades: list[Trade]


class GateClosure(Struct, frozen=True):
    """The state and result of an interval whose gate the coordinator closed."""

    interval_start: Instant
    state: State
    result: Result | None
