"""The market's records as the API's response types (:mod:`engine.api`).

Units out: instants aware UTC datetimes (``"2026-01-01T01:00:00Z"`` on the wire), prices
exact ``Decimal`` [PLN/MWh] with the tick's decimals (``"400.00"``), energy int [Wh], money
int [grosz], ratios ``Decimal`` with 6 decimals; ``None`` where there is no value.

The stream (:mod:`engine.gateway.stream`) sends plain dicts: :func:`result` and
:func:`trades` give it the same types as builtins.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine import api
from engine.gateway.quantities import moment, pln_mwh
from engine.market.market import Market
from engine.model.calendar import IntervalState
from engine.settlement.bills import Bill, MemberStatement, PointStatement
from engine.settlement.kpis import Kpis
from engine.settlement.settle import Statement
from engine.store.chain import Head
from matching.units import RATIO_DECIMALS, average_price_decimals, round_decimal


def interval_state(market: Market, start: int) -> IntervalState:
    """The interval's state, counting a gate the coordinator closed early as closed."""
    state = market.state(start)
    if state in (IntervalState.OPEN, IntervalState.PLANNED) and market.result(start) is not None:
        continuous = market.cluster.continuous_minutes > 0
        return IntervalState.CONTINUOUS if continuous else IntervalState.CLEARED
    return state


def price(ticks: int | None, tick: Decimal) -> Decimal | None:
    return None if ticks is None else pln_mwh(int(ticks), tick)


def order(row: dict[str, Any], tick: Decimal) -> api.Order:
    """One of :meth:`Market.orders`' rows."""
    return api.Order(
        order_id=row["order_id"],
        interval_start=moment(row["interval_start"]),
        connection_point=row["point"],
        side=row["side"],
        price=pln_mwh(row["price"], tick),
        quantity_wh=row["quantity"],
        status=row["status"],
        filled_wh=row["filled"],
        client_order_id=row["client_order_id"],
    )


def _entry(market: Market, start: int) -> dict[str, Any]:
    cal, tick = market.calendar, market.cluster.tick_pln_mwh
    floor, cap = market.band(start)
    return {
        "interval_start": moment(start),
        "state": str(interval_state(market, start)),
        "opens_at": moment(max(0, cal.opens_at(start))),
        "gate_closes_at": moment(max(0, cal.auction_gate(start))),
        "delivered_at": moment(cal.delivered_at(start)),
        "floor": pln_mwh(floor, tick),
        "cap": pln_mwh(cap, tick),
    }


def calendar_entry(market: Market, start: int) -> api.CalendarEntry:
    return api.CalendarEntry(**_entry(market, start))


def interval(market: Market, start: int) -> api.Interval:
    """The interval's calendar entry, its indicative auction while open, its result once
    the gate has closed, and how many readings are missing once delivered."""
    state = interval_state(market, start)
    tick = market.cluster.tick_pln_mwh
    indicative: api.Indicative | api.UnsetType = api.UNSET
    if state == IntervalState.OPEN:
        now = market.indicative(start)
        indicative = api.Indicative(int(now.volume), price(now.price, tick))
    missing: int | api.UnsetType = api.UNSET
    if state in (IntervalState.DELIVERED, IntervalState.SETTLED):
        missing = len(market.readings.missing_points(start))
    return api.Interval(
        **_entry(market, start),
        indicative=indicative,
        result=clearing(market, start),
        missing_readings=missing,
    )


def clearing(market: Market, start: int) -> api.Result | None:
    """The auction's outcome, or None before the gate closed."""
    r = market.result(start)
    if r is None:
        return None
    c, shown, tick = r.clearing, r.published, market.cluster.tick_pln_mwh
    return api.Result(
        mechanism=c.mechanism,
        volume_wh=int(c.volume),
        price=price(c.price, tick),
        buyer_price=price(c.buyer_price, tick),
        seller_price=price(c.seller_price, tick),
        best_unfilled_bid=price(shown.best_bid, tick),
        best_unfilled_ask=price(shown.best_ask, tick),
        indicative_price=price(shown.indicative, tick),
    )


def trade_list(market: Market, start: int, member: int | None) -> list[api.Trade]:
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
    out: list[api.Trade] = []
    for phase, bid_id, ask_id, buyer, seller, quantity, bid_price, ask_price in rows:
        if member is None:
            out.append(
                api.Trade(
                    phase=phase,  # type: ignore[arg-type]
                    buyer=ids[buyer],
                    seller=ids[seller],
                    buyer_order_id=bid_id,
                    seller_order_id=ask_id,
                    quantity_wh=quantity,
                    buyer_price=pln_mwh(bid_price, tick),
                    seller_price=pln_mwh(ask_price, tick),
                )
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
                    api.Trade(
                        phase=phase,  # type: ignore[arg-type]
                        order_id=order_id,
                        side=side,  # type: ignore[arg-type]
                        quantity_wh=quantity,
                        price=pln_mwh(p, tick),
                    )
                )
    return out


def bill(b: Bill) -> api.Bill:
    lines = tuple(api.StatementLine(line.kind, line.wh, line.grosz) for line in b.lines)  # type: ignore[arg-type]
    return api.Bill(lines, b.net_grosz, b.vat_grosz, b.gross_grosz)


def point_bill(s: PointStatement, starts: list[int], length: int) -> api.PointBill:
    """A point's statement as the API shows it (``length``: the interval's [s])."""
    sections = tuple(
        api.PointSection(
            from_=moment(starts[x.first]),
            to=moment(starts[x.first + x.count - 1] + length),
            tariff=x.tariff,
            regime=x.regime,  # type: ignore[arg-type]
            bill=bill(x.statement.bill),
            baseline=bill(x.statement.baseline),
            saving_grosz=x.statement.saving_grosz,
            opening_grosz=x.statement.opening.market.deposit_grosz,
            carried_grosz=x.statement.carried_grosz,
            opening_wh=x.statement.opening.market.bank_wh,
            carried_wh=x.statement.carried_wh,
        )
        for x in s.sections
    )
    return api.PointBill(
        point=s.point_id,
        tariff=s.tariff,
        regime=s.regime,  # type: ignore[arg-type]
        bill=bill(s.bill),
        baseline=bill(s.baseline),
        saving_grosz=s.saving_grosz,
        carried_grosz=s.carried_grosz,
        baseline_carried_grosz=s.baseline_carried_grosz,
        carried_wh=s.carried_wh,
        pending=tuple(moment(starts[i]) for i in s.pending),
        opening_grosz=s.opening.market.deposit_grosz,
        baseline_opening_grosz=s.opening.baseline.deposit_grosz,
        opening_wh=s.opening.market.bank_wh,
        expired_grosz=s.expired_grosz,
        expired_wh=s.expired_wh,
        sections=sections,
    )


def statement(
    member_id: str,
    s: Statement,
    starts: list[int],
    start: int,
    end: int,
    head: Head,
    billed: MemberStatement,
    length: int,
) -> api.Statement:
    return api.Statement(
        member=member_id,
        from_=moment(start),
        to=moment(end),
        intervals=len(starts),
        pending=tuple(moment(starts[i]) for i in s.pending),
        bought_wh=int(s.bought_wh),
        sold_wh=int(s.sold_wh),
        shortfall_wh=int(s.shortfall_wh),
        surplus_wh=int(s.surplus_wh),
        bought_grosz=int(s.bought_grosz),
        sold_grosz=int(s.sold_grosz),
        fee_grosz=int(s.fee_grosz),
        shortfall_grosz=int(s.shortfall_grosz),
        surplus_grosz=int(s.surplus_grosz),
        cost_grosz=int(s.cost_grosz),
        baseline_grosz=int(s.baseline_grosz),
        savings_grosz=int(s.savings_grosz),
        journal=journal_head(head),
        bill=bill(billed.bill),
        baseline=bill(billed.baseline),
        saving_grosz=billed.saving_grosz,
        points=tuple(point_bill(p, starts, length) for p in billed.points),
        shared_in_wh=int(s.shared_in_wh),
        shared_out_wh=int(s.shared_out_wh),
        shared_in_grosz=int(s.shared_in_grosz),
        shared_out_grosz=int(s.shared_out_grosz),
    )


def journal_head(head: Head) -> api.JournalHead:
    """The journal's head as the API shows it (the hash in hex)."""
    return api.JournalHead(head.seq, head.hash.hex())


def kpis(k: Kpis, starts: list[int], tick: Decimal, start: int, end: int) -> api.Kpis:
    # Rounded once from the exact value (matching.units.round_decimal), as reports do.
    def ratio(value: Fraction | None) -> Decimal | None:
        return None if value is None else round_decimal(value, RATIO_DECIMALS)

    def pln(value: Fraction | None) -> Decimal | None:  # [tick] -> PLN/MWh, 2 more decimals
        if value is None:
            return None
        return round_decimal(value * Fraction(tick), average_price_decimals(tick))

    return api.Kpis(
        from_=moment(start),
        to=moment(end),
        intervals=k.intervals,
        pending=tuple(moment(starts[i]) for i in k.pending),
        import_wh=k.import_wh,
        export_wh=k.export_wh,
        local_use_wh=k.local_use_wh,
        traded_wh=k.traded_wh,
        boundary_import_wh=k.boundary_import_wh,
        boundary_export_wh=k.boundary_export_wh,
        import_covered_locally=ratio(k.import_covered_locally),
        export_used_locally=ratio(k.export_used_locally),
        traded_share=ratio(k.traded_share),
        average_buyer_price=pln(k.average_buyer_price),
        average_seller_price=pln(k.average_seller_price),
        average_cap=pln(k.average_cap),
        average_floor=pln(k.average_floor),
        savings_grosz=k.savings_grosz,
        renewable_export_wh=k.renewable_export_wh or 0,
        renewable_local_use_wh=k.renewable_local_use_wh or 0,
        renewable_used_locally=ratio(k.renewable_used_locally),
    )
