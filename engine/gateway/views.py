"""The market's records as the API shows them: plain dicts of ints and strings.

Units out: instants ISO 8601 UTC (``"2026-01-01T01:00:00Z"``), prices PLN/MWh as exact
decimal strings (``"400.00"``), energy int Wh (``*_wh``), money int grosz (``*_grosz``),
ratios decimal strings with 6 decimals; ``null`` where there is no value.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from engine.gateway.quantities import format_instant, format_price
from engine.market.market import Market
from engine.model.calendar import IntervalState
from engine.settlement.kpis import Kpis
from engine.settlement.settle import Statement

RATIO_DECIMALS = Decimal("0.000001")


def interval_state(market: Market, start: int) -> IntervalState:
    """The interval's state, counting a gate the coordinator closed early as closed."""
    state = market.state(start)
    if state in (IntervalState.OPEN, IntervalState.PLANNED) and market.result(start) is not None:
        continuous = market.cluster.continuous_minutes > 0
        return IntervalState.CONTINUOUS if continuous else IntervalState.CLEARED
    return state


def price(ticks: int | None, tick: Decimal) -> str | None:
    return None if ticks is None else format_price(int(ticks), tick)


def order(row: dict[str, Any], tick: Decimal) -> dict[str, Any]:
    """One of :meth:`Market.orders`' rows."""
    return {
        "order_id": row["order_id"],
        "interval_start": format_instant(row["interval_start"]),
        "connection_point": row["point"],
        "side": row["side"],
        "price": format_price(row["price"], tick),
        "quantity_wh": row["quantity"],
        "status": row["status"],
        "filled_wh": row["filled"],
        "client_order_id": row["client_order_id"],
    }


def calendar_entry(market: Market, start: int) -> dict[str, Any]:
    cal, tick = market.calendar, market.cluster.tick_pln_mwh
    floor, cap = market.band(start)
    return {
        "interval_start": format_instant(start),
        "state": str(interval_state(market, start)),
        "opens_at": format_instant(max(0, cal.opens_at(start))),
        "gate_closes_at": format_instant(max(0, cal.auction_gate(start))),
        "delivered_at": format_instant(cal.delivered_at(start)),
        "floor": format_price(floor, tick),
        "cap": format_price(cap, tick),
    }


def result(market: Market, start: int) -> dict[str, Any] | None:
    """The auction's outcome, or None before the gate closed."""
    r = market.result(start)
    if r is None:
        return None
    c, tick = r.clearing, market.cluster.tick_pln_mwh
    return {
        "mechanism": c.mechanism,
        "volume_wh": int(c.volume),
        "price": price(c.price, tick),
        "buyer_price": price(c.buyer_price, tick),
        "seller_price": price(c.seller_price, tick),
    }


def trades(market: Market, start: int, member: int | None) -> list[dict[str, Any]]:
    """The interval's trades, auction first, then continuous in the order they happened.

    ``member`` None: every trade with both sides (the coordinator's view); else only the
    member's own side of its trades (order, side, quantity, price), never the counterpart.
    """
    tick = market.cluster.tick_pln_mwh
    ids = market.registry.member_ids
    rows: list[tuple[str, int, int, int, int, int, int, int]] = []
    r = market.result(start)
    if r is not None and r.clearing.trades is not None and r.clearing.volume:
        t = r.trades()
        rows += [
            ("auction", *row)
            for row in zip(
                t["buyer_order_id"].tolist(),
                t["seller_order_id"].tolist(),
                t["buyer"].tolist(),
                t["seller"].tolist(),
                t["quantity"].tolist(),
                t["buyer_price"].tolist(),
                t["seller_price"].tolist(),
                strict=True,
            )
        ]
    for f in market.continuous_fills(start):
        rows.append(
            ("continuous", f.buyer_order_id, f.seller_order_id, f.buyer, f.seller, f.quantity)
            + (f.price, f.price)
        )
    out: list[dict[str, Any]] = []
    for phase, bid_id, ask_id, buyer, seller, quantity, bid_price, ask_price in rows:
        if member is None:
            out.append(
                {
                    "phase": phase,
                    "buyer": ids[buyer],
                    "seller": ids[seller],
                    "buyer_order_id": bid_id,
                    "seller_order_id": ask_id,
                    "quantity_wh": quantity,
                    "buyer_price": format_price(bid_price, tick),
                    "seller_price": format_price(ask_price, tick),
                }
            )
            continue
        # A member trading with itself cannot happen (self-trade prevention), but both
        # sides are shown if it ever did.
        for side, mine, order_id, p in (
            ("buy", buyer, bid_id, bid_price),
            ("sell", seller, ask_id, ask_price),
        ):
            if mine == member:
                out.append(
                    {
                        "phase": phase,
                        "order_id": order_id,
                        "side": side,
                        "quantity_wh": quantity,
                        "price": format_price(p, tick),
                    }
                )
    return out


STATEMENT_ENERGY = ("bought_wh", "sold_wh", "shortfall_wh", "surplus_wh")
STATEMENT_MONEY = (
    "bought_grosz",
    "sold_grosz",
    "fee_grosz",
    "shortfall_grosz",
    "surplus_grosz",
    "cost_grosz",
    "baseline_grosz",
    "savings_grosz",
)


def statement(member_id: str, s: Statement, starts: list[int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member": member_id,
        "intervals": len(starts),
        "pending": [format_instant(starts[i]) for i in s.pending],
    }
    for name in STATEMENT_ENERGY + STATEMENT_MONEY:
        body[name] = int(getattr(s, name))
    return body


def kpis(k: Kpis, starts: list[int], tick: Decimal) -> dict[str, Any]:
    def ratio(value: Fraction | None) -> str | None:
        if value is None:
            return None
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return str(exact.quantize(RATIO_DECIMALS, rounding=ROUND_HALF_EVEN))

    def pln(value: Fraction | None) -> str | None:  # [tick] -> PLN/MWh, 2 more decimals
        if value is None:
            return None
        exact = Decimal(value.numerator) * tick / Decimal(value.denominator)
        return str(exact.quantize(tick / 100, rounding=ROUND_HALF_EVEN))

    return {
        "intervals": k.intervals,
        "pending": [format_instant(starts[i]) for i in k.pending],
        "import_wh": k.import_wh,
        "export_wh": k.export_wh,
        "local_use_wh": k.local_use_wh,
        "traded_wh": k.traded_wh,
        "self_sufficiency": ratio(k.self_sufficiency),
        "self_consumption": ratio(k.self_consumption),
        "traded_share": ratio(k.traded_share),
        "average_buyer_price": pln(k.average_buyer_price),
        "average_seller_price": pln(k.average_seller_price),
        "average_cap": pln(k.average_cap),
        "average_floor": pln(k.average_floor),
        "savings_grosz": k.savings_grosz,
    }
