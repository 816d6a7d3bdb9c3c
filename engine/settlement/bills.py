"""Statements a member could be billed with: per connection point and per member, per period.

The market's settlement (:func:`engine.settlement.settle.settle`, run with connection points
in place of members) gives each point's local trades and what its meter says beyond them:
``shortfall`` (taken from the supplier) and ``surplus`` (fed to the grid). This module prices
them on the point's own tariffs (:mod:`engine.config.billing`, :mod:`engine.config.tariffs`),
the same way for the statement and for its baseline (the same meters without the market).

Lines of a point's statement, positive when the member pays (``engine/DESIGN.md``,
"Statements", cites the law behind each rule):

- ``local_bought``: energy bought in the market at the buyer's trade prices;
- ``local_sold``: energy sold in the market at the seller's trade prices (negative);
- ``shared_in``, ``shared_out`` (negative): energy the cluster's sharing key allocated to the
  point, or took of its production, at the internal price (0 without one;
  :mod:`engine.settlement.sharing` shares per member, and a member's shares go to its points
  in point order, each up to what it imported, or exported, beyond its trades);
- ``supplier_energy``: the shortfall at the supplier's price of its interval and zone;
- ``export_credit`` (negative): the surplus at the regime's value. ``net-billing``: each Wh at
  max(RCE, 0) or max(RCEm, 0) into the prosumer deposit (credited rounded to a grosz), which
  pays for energy only: the line is what the deposit (older entries first) pays of
  ``supplier_energy``, the rest ``carried_grosz`` (12 months, :mod:`engine.settlement.credits`).
  ``net-metering``: ``ratio`` x surplus Wh of credit (floored to a Wh) into the bank; the
  bank offsets shortfall Wh, which then pay neither energy nor variable distribution (the
  line is that share of both), the rest ``carried_wh``. ``none``: nothing;
- ``distribution_variable``: all energy the point took from the network (its metered import,
  local or not) at its zone's variable rate;
- ``cluster_discount`` (negative): ``discount_share`` of the variable rate on the locally
  bought or shared energy the point took from the network, min(bought + shared in, import)
  per interval, where the point's ``cluster_discount`` is on;
- ``distribution_fixed``: the monthly fixed charge, pro rata by the time of the period's
  metered intervals in each local month;
- ``excise``: the excise rate on the metered import.

Money: every line is summed exactly (a ``Fraction`` of grosz, from int products Wh x tick)
and rounded once to a grosz, half to even (:func:`matching.units.round_half_even`); the net
total is the sum of the rounded lines, VAT ``round_half_even(net x vat_rate)``, gross = net +
VAT. A member's statement adds its points' rounded lines, net, VAT and gross, so every
statement equals the sum of its lines. The baseline has the same lines but the local and shared
ones and the discount (and a deposit and bank of its own); saving: :func:`_saving`, a net-billing
deposit counted at face value on both sides (it pays later energy: without it, a prosumer
whose deposit outgrows its energy bill would seem to gain all of its local sales). Pending
cells (no reading) are left out.

Netting: only where ``settlement.net_member_points`` is true, a member's surplus of an interval
first covers its own points' shortfall of that interval (taken from and given to its points in
point order), before anything is billed.

:func:`bill_points` bills one section (one configuration, dated by the local month of its
first interval for the credits): :mod:`engine.settlement.periods` cuts a period into
sections and passes each the credits the one before left (``opening``).

Limits: the net-billing refund of the unused deposit, public holidays in multi-zone groups,
and the capacity fee's consumption tiers are not modelled.

Cost: a settlement over points x intervals, a zone lookup per distinct tariff group and
interval, a few numpy passes per point, and Python-int sums over each point's row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import numpy as np

from engine.config.billing import PointBilling
from engine.config.cluster import Cluster
from engine.config.sharing import SharingRules
from engine.settlement.credits import NONE, Credits, credit, draw, expire
from engine.settlement.settle import PeriodTrades, Settlement, settle
from engine.settlement.sharing import SharingPlan, plan_for, share, shared_basis, spread
from matching.units import round_half_even, value_to_exact_grosz

LINES = (
    "local_bought", "local_sold", "shared_in", "shared_out", "supplier_energy",
    "export_credit", "distribution_variable", "cluster_discount", "distribution_fixed", "excise",
)  # fmt: skip
#: Lines of the baseline: no market and no key, so no local energy and no discount.
BASELINE_LINES = tuple(
    k
    for k in LINES
    if k not in ("local_bought", "local_sold", "shared_in", "shared_out", "cluster_discount")
)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a statement: ``wh`` [Wh] the energy it prices (0 for fixed charges),
    ``exact`` [grosz] its exact amount, ``grosz`` the amount billed."""

    kind: str
    wh: int
    exact: Fraction
    grosz: int


@dataclass(frozen=True, slots=True)
class Bill:
    """Lines and totals [grosz] of one statement (or its baseline)."""

    lines: tuple[Line, ...]
    net_grosz: int
    vat_grosz: int
    gross_grosz: int

    def line(self, kind: str) -> Line:
        """The line of ``kind``."""
        return next(line for line in self.lines if line.kind == kind)


@dataclass(frozen=True, slots=True)
class Carried:
    """What a point holds at the edge of a section (:mod:`engine.settlement.credits`):
    with the market and without it (its baseline's own deposit and bank)."""

    market: Credits = NONE
    baseline: Credits = NONE


NOTHING = Carried()


@dataclass(frozen=True, slots=True)
class Section:
    """A part of a period billed on its own: the intervals ``first`` .. ``first + count -
    1`` (indices into the period) under one configuration in one local month, on the
    point's ``tariff`` and ``regime`` then; ``statement`` its bill (without sections)."""

    first: int
    count: int
    tariff: str
    regime: str
    statement: PointStatement


@dataclass(frozen=True, slots=True)
class PointStatement:
    """One connection point over a period: its bill, its baseline and the saving [grosz]
    (:func:`_saving`); what is carried into the next period (the net-billing deposit
    [grosz], with and without the market, the net-metering bank [Wh]); the intervals
    (indices into the period) still missing its reading; the credits held at the period's
    start and end, and what expired in it (deposit [grosz], bank [Wh]); its ``sections``
    (empty: the period is one section).

    ``point``: in a section (:func:`bill_points`) the point's index among the section
    configuration's points; over a period (:mod:`engine.settlement.periods`) its stable code.
    ``point_id``, ``member_id``: the point and the member that held it (in a section, or
    in the period's sections this statement sums); ``tariff``, ``regime``: the point's in
    its first section."""

    point: int
    bill: Bill
    baseline: Bill
    saving_grosz: int
    carried_grosz: int
    baseline_carried_grosz: int
    carried_wh: int
    pending: tuple[int, ...]
    opening: Carried = NOTHING
    closing: Carried = NOTHING
    expired_grosz: int = 0
    expired_wh: int = 0
    sections: tuple[Section, ...] = ()
    point_id: str = ""
    member_id: str = ""
    tariff: str = ""
    regime: str = ""


@dataclass(frozen=True, slots=True)
class MemberStatement:
    """A member's points' statements and their sums (each line the sum of the points')."""

    member: str
    points: tuple[PointStatement, ...]
    bill: Bill
    baseline: Bill
    saving_grosz: int


def bill_points(
    cluster: Cluster,
    starts: list[int],
    trades: PeriodTrades,
    import_wh: np.ndarray,
    export_wh: np.ndarray,
    metered: np.ndarray,
    floor: np.ndarray,
    cap: np.ndarray,
    opening: list[Carried] | None = None,
    member_code: Mapping[str, int] | None = None,
    sharing: list[tuple[int, int, SharingRules]] | None = None,
) -> list[PointStatement]:
    """Bill every connection point of ``cluster`` over the intervals ``starts`` [s] as one
    section: its credits are dated and expire by the local month of its first interval.

    ``trades``: the period's trades with point codes as buyer and seller; ``import_wh``,
    ``export_wh`` [Wh] and ``metered`` (bool): (points x intervals); ``floor``, ``cap``
    [tick]: the bands of the intervals (the fallback RCE and supplier price); ``opening``:
    what each point (by index) holds at the start (None: nothing); ``member_code``: member
    id -> code, every member's of the cluster's life (default: the index in
    ``cluster.members``), the order in which a sharing key breaks ties, as the market's
    account does; ``sharing``: the sharing rules of each run of intervals ``[first, end)``
    (default: ``cluster.sharing`` for all), as each interval's configuration has them.
    """
    f = _Flows(
        cluster, starts, trades, import_wh, export_wh, metered, floor, cap, member_code, sharing
    )
    return [
        _point(
            cluster,
            f.prices,
            p,
            f.settled,
            f.shortfall[p],
            f.surplus[p],
            f.base_short[p],
            f.base_surplus[p],
            f.taken[p],
            metered[p],
            NOTHING if opening is None else opening[p],
            (f.shared_in[p], f.shared_out[p], f.price),
        )  # fmt: skip
        for p in range(len(cluster.points))
    ]


#: What decides a point's credits over a section, each an exact sum over its intervals, with
#: the market then without it (the baseline): shortfall [Wh], surplus [Wh], shortfall x the
#: supplier price [Wh*tick], surplus x the export price [Wh*tick] (see :func:`carry`).
CreditSums = tuple[int, int, int, int, int, int, int, int]
NO_SUMS: CreditSums = (0, 0, 0, 0, 0, 0, 0, 0)


def credit_sums(
    cluster: Cluster,
    starts: list[int],
    trades: PeriodTrades,
    import_wh: np.ndarray,
    export_wh: np.ndarray,
    metered: np.ndarray,
    floor: np.ndarray,
    cap: np.ndarray,
    member_code: Mapping[str, int] | None = None,
) -> list[CreditSums]:
    """Each point's :data:`CreditSums` over the intervals ``starts`` (arguments as
    :func:`bill_points`, all of one configuration and local month). Sums over intervals:
    the sums of two sets of intervals are the sums over both, so a history's are folded
    as its readings come (:mod:`engine.settlement.credit_fold`); shared energy counts as in
    the bills, each interval shared on its own."""
    f = _Flows(cluster, starts, trades, import_wh, export_wh, metered, floor, cap, member_code)
    out = []
    for p, point in enumerate(cluster.points):
        supplier = _supplier_prices(f.prices, point.billing)
        export = _export_prices(f.prices, point.billing)
        out.append(
            tuple(
                x
                for short, fed in (
                    (f.shortfall[p], f.surplus[p]),
                    (f.base_short[p], f.base_surplus[p]),
                )
                for x in (_sum(short), _sum(fed), _dot(short, supplier), _dot(fed, export))
            )
        )
    return out  # type: ignore[return-value]


def carry_sums(
    cluster: Cluster, month: int, opening: list[Carried], sums: list[CreditSums]
) -> list[Carried]:
    """What each of ``cluster``'s points holds after a section of local month ``month``
    (:func:`month_index`) whose :data:`CreditSums` are ``sums``, from ``opening``: the
    credits :func:`bill_points` would leave."""
    tick = cluster.tick_pln_mwh
    out = []
    for point, held, s in zip(cluster.points, opening, sums, strict=True):
        market, _, _ = carry(
            point.billing, month, held.market, s[0], s[1],
            value_to_exact_grosz(s[2], tick), value_to_exact_grosz(s[3], tick),
        )  # fmt: skip
        baseline, _, _ = carry(
            point.billing, month, held.baseline, s[4], s[5],
            value_to_exact_grosz(s[6], tick), value_to_exact_grosz(s[7], tick),
        )  # fmt: skip
        out.append(Carried(market, baseline))
    return out


def carry(
    billing: PointBilling, month: int, held: Credits, short_wh: int, surplus_wh: int,
    supplied: Fraction, fed: Fraction,
) -> tuple[Credits, int, tuple[int, int]]:  # fmt: skip
    """A point's credits over a section of local month ``month`` on its ``billing``: what
    expired at its start, then what is credited (``fed`` [grosz] into the net-billing
    deposit, rounded; ``ratio`` x ``surplus_wh`` into the net-metering bank, floored) and
    drawn oldest first (the ``supplied`` energy [grosz], rounded; the ``short_wh``):
    (what is held after it, what was drawn [grosz or Wh], what expired (grosz, Wh))."""
    deposit, lost_grosz = expire(held.deposit, month)
    bank, lost_wh = expire(held.bank, month)
    drawn = 0
    if billing.regime == "net-billing":
        deposit = credit(deposit, month, round_half_even(fed))
        deposit, drawn = draw(deposit, round_half_even(supplied))
    elif billing.regime == "net-metering":
        fed_wh = int(billing.net_metering_ratio * surplus_wh)
        bank, drawn = draw(credit(bank, month, fed_wh), short_wh)
    return Credits(deposit, bank), drawn, (lost_grosz, lost_wh)


class _Flows:
    """A section's energy per point and interval [Wh]: the settlement on points, what each
    takes from the supplier and feeds to the grid with the market and without it (netted
    inside members where configured), what it takes from the network; and the prices."""

    def __init__(self, cluster, starts, trades, import_wh, export_wh, metered, floor, cap,  # noqa: ANN001
                 member_code=None, sharing=None):  # fmt: skip
        if member_code is None:
            member_code = {m.id: i for i, m in enumerate(cluster.members)}
        owner = np.array([member_code[cluster.members[p.member_code].id] for p in cluster.points],
                         np.int64)  # fmt: skip
        rows = max(member_code.values(), default=-1) + 1
        runs = sharing if sharing is not None else [(0, len(starts), cluster.sharing)]
        plans = [(a, b, plan_for(rules, member_code, rows)) for a, b, rules in runs]
        alone = np.zeros(len(starts), bool)  # intervals of the key alone: no trade is settled
        for a, b, plan in plans:
            alone[a:b] = plan is not None and not plan.trades_count
        if alone.any():
            keep = ~alone[trades.interval]
            columns = (getattr(trades, f.name) for f in dataclasses.fields(trades))
            trades = PeriodTrades(*(np.asarray(c)[keep] for c in columns))
        self.settled = settle(trades, import_wh, export_wh, floor, cap, 0, metered)
        shortfall = np.array(self.settled.shortfall_wh)
        surplus = np.array(self.settled.surplus_wh)
        self.shared_in = np.zeros_like(shortfall)
        self.shared_out = np.zeros_like(shortfall)
        self.price = np.zeros(len(starts), np.int64)  # the internal price [tick] per interval
        for a, b, plan in plans:
            if plan is None:
                continue
            part = slice(a, b)
            self.shared_in[:, part], self.shared_out[:, part] = _shared(
                plan, owner, rows, self.settled, import_wh, export_wh, metered, part
            )
            self.price[part] = plan.price_ticks
        imbalance = surplus - shortfall + self.shared_in - self.shared_out
        self.shortfall, self.surplus = np.maximum(-imbalance, 0), np.maximum(imbalance, 0)
        net = np.where(metered, np.subtract(export_wh, import_wh), 0)
        self.base_short, self.base_surplus = np.maximum(-net, 0), np.maximum(net, 0)
        if cluster.settlement.net_member_points:
            owner = np.array([p.member_code for p in cluster.points], np.int64)
            for pair in ((self.shortfall, self.surplus), (self.base_short, self.base_surplus)):
                _net_members(owner, *pair)
        self.prices = _Prices(cluster, starts, floor, cap)
        self.taken = np.where(metered, import_wh, 0)


def _shared(plan: SharingPlan, owner: np.ndarray, rows: int, settled: Settlement,
            import_wh: np.ndarray, export_wh: np.ndarray, metered: np.ndarray, part: slice,
            ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each point's shared energy in and out [Wh] in the intervals ``part``: shared per
    member (``owner[point]`` its row), then spread over the member's points in point order."""
    metered = metered[:, part]
    net = np.where(metered, np.subtract(export_wh[:, part], import_wh[:, part]), 0)
    traded = np.subtract(settled.sold_wh[:, part], settled.bought_wh[:, part])
    basis = shared_basis(plan, net, traded)
    by_member = np.zeros((rows, basis.shape[1]), np.int64)
    np.add.at(by_member, owner, basis)
    missing = np.zeros((rows, basis.shape[1]), np.int64)
    np.add.at(missing, owner, (~metered).astype(np.int64))
    member_in, member_out = share(plan, by_member, missing == 0)
    need_in = np.where(metered, np.maximum(-basis, 0), 0)
    need_out = np.where(metered, np.maximum(basis, 0), 0)
    return spread(owner, need_in, member_in), spread(owner, need_out, member_out)


def member_statement(points: list[PointStatement], member_id: str) -> MemberStatement:
    """Add up the point statements ``member_id`` holds (``PointStatement.member_id``), in
    their order: a member of none of them gets an empty statement."""
    mine = tuple(s for s in points if s.member_id == member_id)
    bill = sum_bills([s.bill for s in mine], LINES)
    baseline = sum_bills([s.baseline for s in mine], BASELINE_LINES)
    return MemberStatement(member_id, mine, bill, baseline, sum(s.saving_grosz for s in mine))


def operator_value(trades: PeriodTrades, intervals: int) -> list[int]:
    """What buyers paid above what sellers got, per interval [Wh*tick]: the operator's share
    of the local trades (0 under a uniform price)."""
    spread = np.zeros(intervals, np.int64)
    q = np.asarray(trades.quantity, np.int64)
    np.add.at(spread, trades.interval, q * (trades.buyer_price - trades.seller_price))
    return spread.tolist()


class _Prices:
    """The period's prices per interval: zones per tariff group, RCE and RCEm, fixed-charge
    weights (the share of its local month each interval is)."""

    def __init__(self, cluster: Cluster, starts: list[int], floor: np.ndarray, cap: np.ndarray):
        rules, tz = cluster.settlement, cluster.timezone
        self.starts = starts
        self.cap = cap
        self.tick = cluster.tick_pln_mwh
        groups = {p.billing.tariff for p in cluster.points}
        self.zone = {
            name: np.array([rules.group(name).zone_of(s, tz) for s in starts], np.int64)
            for name in sorted(groups)  # sorted: deterministic, though each is independent
        }
        floors = floor.tolist()
        self.rce = np.maximum([rules.rce(s, f) for s, f in zip(starts, floors, strict=True)], 0)
        self.rcem = np.maximum(
            [rules.rcem(s, tz, f) for s, f in zip(starts, floors, strict=True)], 0
        )
        months = [
            datetime.fromtimestamp(s, tz).replace(day=1, hour=0, minute=0, second=0) for s in starts
        ]
        keys = sorted(set(months))
        first = months[0] if months else datetime.fromtimestamp(0, tz)
        self.month_index = month_index(first)  # the section's month, for its credits
        self.month = np.array([keys.index(m) for m in months], np.int64)
        self.month_share = [Fraction(cluster.interval_seconds, _month_seconds(m)) for m in keys]
        self.rules = rules
        self.excise = rules.excise_ticks


def _point(cluster, prices, p, settled: Settlement, short, surplus, base_short, base_surplus,
           taken, metered, opening: Carried, shared) -> PointStatement:  # fmt: skip
    point = cluster.points[p]
    billing = point.billing
    group = prices.rules.group(billing.tariff)
    zone = prices.zone[billing.tariff]
    rate = np.array(group.distribution_ticks, np.int64)[zone]
    supplier = _supplier_prices(prices, billing)
    export_price = _export_prices(prices, billing)
    tick = prices.tick

    def grosz(value: int | Fraction) -> Fraction:
        return value_to_exact_grosz(value, tick)

    fixed = sum(
        (share * int(np.count_nonzero(metered & (prices.month == m)))
         for m, share in enumerate(prices.month_share)), Fraction(0),
    ) * group.fixed_grosz_month  # fmt: skip
    common = {
        "distribution_variable": (_sum(taken), grosz(_dot(taken, rate))),
        "distribution_fixed": (0, fixed),
        "excise": (_sum(taken), grosz(_sum(taken) * prices.excise)),
    }

    def energy(shortfall, surplus_wh, held: Credits) -> tuple[dict, Credits, tuple[int, int]]:
        """The energy lines, what is held after them, and (grosz, Wh) that expired."""
        supplied = grosz(_dot(shortfall, supplier))
        fed = grosz(_dot(surplus_wh, export_price))
        held, drawn, lost = carry(
            billing, prices.month_index, held, _sum(shortfall), _sum(surplus_wh), supplied, fed
        )
        lines = {"supplier_energy": (_sum(shortfall), supplied)}
        if billing.regime == "net-billing":
            # Credited in whole grosz; pays energy only, oldest first (engine.settlement.credits)
            lines["export_credit"] = (_sum(surplus_wh), Fraction(-drawn))
        elif billing.regime == "net-metering":
            # Credited in whole Wh (floored); offsets shortfall Wh, energy and variable
            # distribution alike, oldest first.
            worth = supplied + grosz(_dot(shortfall, rate))
            share = Fraction(drawn, _sum(shortfall)) if _sum(shortfall) else Fraction(0)
            lines["export_credit"] = (_sum(surplus_wh), -share * worth)
        else:
            lines["export_credit"] = (_sum(surplus_wh), Fraction(0))
        return lines, held, lost

    market, held, expired = energy(short, surplus, opening.market)
    bought_wh = np.array(settled.bought_wh[p])
    shared_in, shared_out, shared_price = shared
    local_taken = np.minimum(bought_wh + shared_in, taken)
    discount = prices.rules.discount_share if billing.cluster_discount else Fraction(0)
    market |= {
        "local_bought": (_sum(bought_wh), grosz(_sum(settled.bought_value[p]))),
        "local_sold": (_sum(settled.sold_wh[p]), -grosz(_sum(settled.sold_value[p]))),
        "shared_in": (_sum(shared_in), grosz(_dot(shared_in, shared_price))),
        "shared_out": (_sum(shared_out), -grosz(_dot(shared_out, shared_price))),
        "cluster_discount": (_sum(local_taken), -discount * grosz(_dot(local_taken, rate))),
        **common,
    }
    baseline_energy, baseline_held, _ = energy(base_short, base_surplus, opening.baseline)
    bill = _bill({k: market[k] for k in LINES}, prices.rules.vat_rate)
    baseline = _bill(
        {k: (baseline_energy | common)[k] for k in BASELINE_LINES}, prices.rules.vat_rate
    )
    pending = tuple(int(t) for t in np.flatnonzero(~metered))
    closing = Carried(held, baseline_held)
    return PointStatement(
        p, bill, baseline, _saving(bill, baseline, opening, closing), held.deposit_grosz,
        baseline_held.deposit_grosz, held.bank_wh, pending, opening, closing, *expired,
        point_id=point.id, member_id=cluster.members[point.member_code].id,
        tariff=billing.tariff, regime=billing.regime,
    )  # fmt: skip


def _supplier_prices(prices: _Prices, billing: PointBilling) -> np.ndarray:
    """The point's supplier price of each interval [tick]."""
    zone = prices.zone[billing.tariff]
    return np.array(
        [billing.supplier.price(s, z, c) for s, z, c in
         zip(prices.starts, zone.tolist(), prices.cap.tolist(), strict=True)], np.int64,
    )  # fmt: skip


def _export_prices(prices: _Prices, billing: PointBilling) -> np.ndarray:
    """What a Wh fed to the grid credits the point in each interval [tick]: net billing's
    max(RCE, 0) or max(RCEm, 0), else 0."""
    if billing.regime == "net-billing":
        return prices.rce if billing.net_billing_price == "rce" else prices.rcem
    return np.zeros(len(prices.starts), np.int64)


def _saving(bill: Bill, baseline: Bill, opening: Carried, closing: Carried) -> int:
    """Baseline cost - cost [grosz], each the gross total plus what the deposit lost over
    the section (opening - closing, expiry included): a deposit pays later energy, so it
    counts at face value on both sides."""
    spent = opening.market.deposit_grosz - closing.market.deposit_grosz
    baseline_spent = opening.baseline.deposit_grosz - closing.baseline.deposit_grosz
    return (baseline.gross_grosz + baseline_spent) - (bill.gross_grosz + spent)


def month_index(moment: datetime) -> int:
    """A local month as a number (``year * 12 + month - 1``), for credits' dates."""
    return moment.year * 12 + moment.month - 1


def _bill(amounts: dict[str, tuple[int, Fraction]], vat_rate: Fraction) -> Bill:
    lines = tuple(Line(k, wh, exact, round_half_even(exact)) for k, (wh, exact) in amounts.items())
    net = sum(line.grosz for line in lines)
    vat = round_half_even(net * vat_rate)
    return Bill(lines, net, vat, net + vat)


def sum_bills(bills: list[Bill], kinds: tuple[str, ...]) -> Bill:
    """Add up bills line by line, and their net, VAT and gross (each already rounded)."""
    lines = tuple(
        Line(
            k,
            sum(b.line(k).wh for b in bills),
            sum((b.line(k).exact for b in bills), Fraction(0)),
            sum(b.line(k).grosz for b in bills),
        )
        for k in kinds
    )
    net = sum(b.net_grosz for b in bills)
    vat = sum(b.vat_grosz for b in bills)
    return Bill(lines, net, vat, net + vat)


def _net_members(owner: np.ndarray, shortfall: np.ndarray, surplus: np.ndarray) -> None:
    """Let each member's surplus cover its own shortfall per interval, in point order."""
    for member in np.unique(owner).tolist():
        rows = np.flatnonzero(owner == member)
        if rows.size < 2:
            continue
        offset = np.minimum(shortfall[rows].sum(axis=0), surplus[rows].sum(axis=0))
        for matrix in (shortfall, surplus):
            left = offset.copy()
            for r in rows.tolist():  # earlier points first: a documented, deterministic order
                take = np.minimum(matrix[r], left)
                matrix[r] -= take
                left -= take


def _sum(row: np.ndarray) -> int:
    return sum(np.asarray(row).tolist())


def _dot(wh: np.ndarray, price: np.ndarray) -> int:
    """Exact sum of wh x price over a row: each product fits int64, the sum a Python int."""
    return sum((np.asarray(wh, np.int64) * np.asarray(price, np.int64)).tolist())


def _month_seconds(first: datetime) -> int:
    """Length of the local month starting at ``first`` [s] (a DST month is an hour off)."""
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return int(following.timestamp()) - int(first.timestamp())
