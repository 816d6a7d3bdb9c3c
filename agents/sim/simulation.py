"""The coordinator loop: play a scenario through the market in accelerated time.

One simulated day at a time, on a :class:`~engine.model.clock.SimulatedClock`:

1. **Bidding round** for day D, one second after the last auction gate of day D-1 (so D-1 is
   cleared and every interval of D is open: the scenario checks the horizon). Moving the
   clock there closes D-1's gates (:meth:`Market.advance`). The agents first learn D-1's
   outcomes (fills, clearing prices), then each member sends **one batch** with an order per
   connection point and interval of D: a day-ahead round, as real day-ahead markets run,
   and 96 times fewer requests than bidding interval by interval.
2. **Metering**: at midnight every interval of D-1 is delivered; the dso (or the
   coordinator) sends the readings of every connection point of D-1 as one batch.

What an agent bids is its *forecast* net position (load - PV, after its own battery), the
forecast being the actual profile times seeded lognormal noise (``forecast_error``); what
its meter reads is the *actual* position, so forecast errors end up as imbalance, settled at
the retail and feed-in prices like any surplus or shortfall. A buyer's limit is the retail
price minus the network fee it would pay on local energy (its break-even), a seller's the
feed-in price. Dispatchable generators ask their marginal cost and produce exactly what they
sold; arbitrage batteries plan the day on yesterday's prices and then charge and discharge
what they actually bought and sold, as far as their state of charge allows.

Strategies learn per connection point and *time of day*: a ZIP agent for the 12:00 interval
learns from yesterday's 12:00 outcome (one quote and one outcome per day, as the
:class:`~agents.strategies.Strategy` interface expects), since noon and night prices differ.

Determinism: every random number comes from generators seeded by the scenario seed and the
connection point, so the same scenario and seed give the same result, byte for byte.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.devices.battery import self_consumption, state_of_charge
from agents.devices.loads import load_energy_wh
from agents.devices.pv import pv_energy_wh
from agents.devices.pv_tmy import pv_energy_tmy_wh
from agents.devices.weather import clear_sky_index
from agents.sim import figures
from agents.sim.market_port import LocalMarket, MarketPort
from agents.sim.result import SimulationResult
from agents.sim.scenario import PointDevices, Scenario
from agents.sim.surplus import interval_surpluses
from agents.strategies import (
    BUY,
    SELL,
    ZIP,
    BatteryArbitrage,
    Fill,
    LinearRamp,
    MarketView,
    Need,
    Outcome,
    Truthful,
    ZeroIntelligenceConstrained,
)
from engine import OrderBatch, ReadingBatch, cluster_from_document
from matching.surplus import efficiency
from matching.units import grosz_to_pln, ticks_to_pln_mwh_float, value_to_grosz, wh_to_kwh

Progress = Callable[[int, int], None]  # (days done, days in all)

#: Roles of the orders, for routing fills back.
NET, GENERATOR, STORAGE = 0, 1, 2


@dataclass(frozen=True)
class Timeline:
    """The simulated intervals: starts [s] and where each local day begins in them."""

    starts: np.ndarray  # int64 [s]
    day_first: np.ndarray  # int64 index of each day's first interval, plus len(starts)
    day_starts: np.ndarray  # int64 [s] local midnights, plus the end


def timeline(scenario: Scenario) -> Timeline:
    """The intervals of the scenario's local days (23 or 25 hours on DST days)."""
    tz = scenario.cluster.timezone
    length = scenario.cluster.interval_seconds
    midnights = [
        int(dt.datetime.combine(scenario.start + dt.timedelta(days=d), dt.time(), tz).timestamp())
        for d in range(scenario.days + 1)
    ]
    starts = np.arange(midnights[0], midnights[-1], length, dtype=np.int64)
    first = (np.asarray(midnights, np.int64) - midnights[0]) // length
    return Timeline(starts, first, np.asarray(midnights, np.int64))


@dataclass
class _Points:
    """Per connection point (of the agents), the profiles [Wh] as (P, T) int64."""

    devices: list[PointDevices]
    member: list[int]  # index into the agents
    code: np.ndarray  # connection point code
    max_import: np.ndarray
    max_export: np.ndarray
    load: np.ndarray
    pv: np.ndarray
    net_actual: np.ndarray  # load - pv after a self-consumption battery
    net_forecast: np.ndarray
    own_cover: np.ndarray  # a generator's output used by its own point's load
    soc: dict[int, np.ndarray]  # self-consumption batteries: point -> end-of-interval SoC [Wh]


def simulate(
    scenario: Scenario, progress: Progress | None = None, port: MarketPort | None = None
) -> SimulationResult:
    """Run ``scenario`` through ``port`` (default: an in-process market); return its
    outcome. A live server's port (:class:`~agents.sim.market_port.HttpMarket`) must serve the
    scenario's cluster on a simulated clock that has not passed the scenario's start."""
    return _Run(scenario, port).run(progress)


class _Run:
    def __init__(self, scenario: Scenario, port: MarketPort | None = None) -> None:
        self.scenario = scenario
        self.cluster = cluster = scenario.cluster
        self.time = timeline(scenario)
        self.length = cluster.interval_seconds
        self.gate = cluster.gate_closure_minutes * 60
        self.port = port or LocalMarket(cluster, int(self.time.starts[0]) - 2 * 86400)
        self.agents = scenario.agents
        self.points = _profiles(scenario, self.time)
        meterer = cluster.dso or cluster.coordinator
        self.meterer = meterer.id
        T = len(self.time.starts)
        P = len(self.points.devices)
        self.generation = self.points.own_cover.copy()  # dispatched output [Wh]
        self.sold_output = np.zeros((P, T), np.int64)  # generators' fills [Wh]
        self.storage = np.zeros((P, T), np.int64)  # arbitrage batteries at the meter
        self.soc = dict(self.points.soc)  # every battery's end-of-interval charge [Wh]
        self.prices = np.full(T, -1, np.int64)  # -1: no trade
        self.volume = np.zeros(T, np.int64)
        self.offered = np.zeros((2, T), np.int64)  # bid and ask energy per interval
        self.order_count = 0
        self.metered = np.zeros((2, T), np.int64)  # cluster import and export per interval
        # Members in the cluster now, and each point's intervals in it (members may join or
        # leave mid-run: scenario.membership); the market starts with every member.
        self.members_now = frozenset(m.id for m in cluster.members)
        self.in_cluster = np.ones((P, T), bool)
        # Gains from trade at the orders' limit prices per interval [Wh*tick], Python ints:
        # realised by the fills and the most the orders could have realised.
        self.surplus = [0] * T
        self.max_surplus = [0] * T
        self._strategies(scenario)

    def _strategies(self, scenario: Scenario) -> None:
        self.truthful = Truthful()  # arbitrage batteries quote at their thresholds with it
        shared = {
            "truthful": self.truthful,
            "zic": ZeroIntelligenceConstrained(),
            "ramp": LinearRamp(),
        }
        slots = 25 * 3600 // self.length  # intervals in the longest local day
        self.strategy: list[Any] = []  # per point: a shared object or a list per time of day
        self.batteries: dict[int, BatteryArbitrage] = {}
        for p, devices in enumerate(self.points.devices):
            name = self.agents[self.points.member[p]].strategy
            self.strategy.append([ZIP() for _ in range(slots)] if name == "zip" else shared[name])
            if devices.battery is not None and devices.battery_mode == "arbitrage":
                b = devices.battery
                self.batteries[p] = BatteryArbitrage(
                    b.capacity_wh,
                    b.power_w,
                    b.efficiency,
                    soc_wh=b.initial_soc_wh,
                    interval_s=self.length,
                    spread_permille=round(devices.battery_spread * 1000),
                )
        seed = scenario.seed
        self.rngs = [np.random.default_rng([seed, 7, int(c)]) for c in self.points.code]

    # --- the loop -----------------------------------------------------------------------

    def run(self, progress: Progress | None) -> SimulationResult:
        days = self.scenario.days
        pending: list[tuple[int, list]] | None = None  # the day whose outcome is unknown
        for day in range(days + 1):
            boundary = int(self.time.day_starts[day])
            # One second after the previous day's last gate: it is cleared, this day open.
            self.port.move_to(boundary - self.length - self.gate + 1)
            if pending is not None:
                self._learn(*pending)
            if day < days:
                self._membership(day)
                pending = (day, self._bid(day))
            self.port.move_to(boundary)
            if day > 0:
                self._meter(day - 1)
                if progress is not None:
                    progress(day, days)
        return self._result()

    def _membership(self, day: int) -> None:
        """Journal the members in force from ``day`` on, if they change (as the coordinator
        would: the whole configuration, effective at the day's first interval)."""
        members = self.scenario.in_force(day)
        first, end = int(self.time.day_first[day]), int(self.time.day_first[day + 1])
        for p in range(len(self.points.devices)):
            member_id = self.agents[self.points.member[p]].member_id
            self.in_cluster[p, first:end] = member_id in members
        if members == self.members_now:
            return
        document = copy.deepcopy(self.cluster.document)
        document["members"] = [m for m in document["members"] if m["id"] in members]
        source = f"{self.scenario.source}, day {day + 1}"
        changed = cluster_from_document(document, source, files=self.cluster.files)
        self.port.change_cluster(changed, int(self.time.day_starts[day]))
        self.members_now = members

    def _bid(self, day: int) -> list:
        """Send every member's orders for ``day``; return what is needed to learn later.
        Under the ``key`` allocation nobody trades (the market's trades would not settle):
        PV and loads are metered and the key shares, generators and arbitrage stay idle."""
        if self.cluster.sharing.allocation == "key":
            return [[], np.zeros(0, np.int64), np.zeros((4, 0), np.int64)]
        first, end = int(self.time.day_first[day]), int(self.time.day_first[day + 1])
        starts = self.time.starts[first:end].tolist()
        cal = self.port.calendar
        now = self.port.now_s()
        fee = self.cluster.network_fee_ticks
        views = []
        for t, s in zip(range(first, end), starts, strict=True):
            floor, cap = self.port.band(s)
            opens, gate = cal.opens_at(s), cal.auction_gate(s)
            yesterday = t - (end - first)
            last = int(self.prices[yesterday]) if yesterday >= 0 else -1
            views.append(
                MarketView(
                    floor,
                    cap,
                    time_left=(gate - now) / (gate - opens),
                    last_price=last if last >= 0 else None,
                )
            )
        bands = [(v.floor, v.cap) for v in views]
        rows: dict[int, list[tuple[int, int, int, int, int]]] = {}  # member -> rows
        memo: list[tuple[int, int, int, int, int]] = []  # per row: point, t, role, slot, side
        forecast = self.points.net_forecast[:, first:end]
        for p, devices in enumerate(self.points.devices):
            if not self.in_cluster[p, first]:  # its member is not in the cluster this day
                continue
            member = self.points.member[p]
            code = int(self.points.code[p])
            member_rows = rows.setdefault(member, [])
            rng = self.rngs[p]
            strategy = self.strategy[p]
            per_slot = isinstance(strategy, list)
            # What the point may still quote per side and interval [Wh]: the market holds
            # all its orders of an interval to its import (bids) and export (asks) limit.
            room = [
                [int(self.points.max_import[p])] * len(starts),
                [int(self.points.max_export[p])] * len(starts),
            ]
            net = forecast[p].tolist()
            for i, s in enumerate(starts):
                position = net[i]
                if position == 0:
                    continue
                floor, cap = bands[i]
                if position > 0:
                    energy = min(position, room[BUY][i])
                    need = Need(BUY, energy, cap - fee) if energy else None
                else:
                    energy = min(-position, room[SELL][i])
                    need = Need(SELL, energy, floor) if energy else None
                if need is None:
                    continue
                quotes = (strategy[i] if per_slot else strategy).quote(need, views[i], rng)
                for q in quotes:
                    member_rows.append((s, code, q.side, q.price, q.quantity))
                    memo.append((p, first + i, NET, i, q.side))
                    room[q.side][i] -= q.quantity
            if devices.generator is not None:
                self._bid_generator(p, devices, starts, first, views, member_rows, memo, room)
            if p in self.batteries:
                self._bid_storage(p, starts, first, views, member_rows, memo, rng, room)
        order_ids, orders = self._submit(rows, memo)
        return [memo, order_ids, orders]

    def _bid_generator(self, p, devices, starts, first, views, member_rows, memo, room) -> None:
        gen = devices.generator
        spare = (gen.max_wh - self.points.own_cover[p, first : first + len(starts)]).tolist()
        code = int(self.points.code[p])
        for i, s in enumerate(starts):
            v = views[i]
            energy = min(spare[i], room[SELL][i])  # beside what the point's surplus asks
            if energy <= 0 or gen.marginal_cost > v.cap:
                continue  # nothing spare, or it would not run at any price the band allows
            member_rows.append((s, code, SELL, max(gen.marginal_cost, v.floor), energy))
            memo.append((p, first + i, GENERATOR, i, SELL))
            room[SELL][i] -= energy

    def _bid_storage(self, p, starts, first, views, member_rows, memo, rng, room) -> None:
        battery = self.batteries[p]
        saved = battery.soc_wh
        code = int(self.points.code[p])
        for i, s in enumerate(starts):
            need = battery.plan(views[i])
            if need is None:
                continue
            energy = min(need.energy_wh, room[need.side][i])
            if energy <= 0:
                continue
            for q in self.truthful.quote(Need(need.side, energy, need.limit), views[i], rng):
                member_rows.append((s, code, q.side, q.price, q.quantity))
                memo.append((p, first + i, STORAGE, i, q.side))
                room[q.side][i] -= q.quantity
                battery.apply(Fill(q.side, q.quantity))  # plan on the assumption it fills
        battery.soc_wh = saved

    def _submit(self, rows: dict[int, list], memo: list) -> tuple[np.ndarray, np.ndarray]:
        """One batch per member; return the order ids in ``memo`` order and the orders'
        columns (interval index, side, price, quantity) in the same order."""
        ids, sent = [], []
        # memo was filled point by point; rows by member in the same point order, so the
        # concatenation of the members' rows in first-seen order matches memo.
        order = _member_order(self.points.member)
        for member in order:
            member_rows = rows.get(member)
            if not member_rows:
                continue
            cols = np.array(member_rows, dtype=np.int64).T
            batch = OrderBatch(cols[0], cols[1], cols[2], cols[3], cols[4])
            member_id = self.agents[member].member_id
            ids.append(self.port.submit(member_id, batch))
            t = self._t_index(cols[0])
            np.add.at(self.offered, (cols[2], t), cols[4])
            sent.append(np.stack((t, cols[2], cols[3], cols[4])))
        self.order_count += sum(len(i) for i in ids)
        if not ids:
            return np.zeros(0, np.int64), np.zeros((4, 0), np.int64)
        return np.concatenate(ids), np.concatenate(sent, axis=1)

    def _t_index(self, starts: np.ndarray) -> np.ndarray:
        return (starts - self.time.starts[0]) // self.length

    def _learn(self, day: int, pending: list) -> None:
        """Fills and prices of ``day`` back to the agents, generators and batteries."""
        memo, order_ids, orders = pending
        first, end = int(self.time.day_first[day]), int(self.time.day_first[day + 1])
        filled_by_id: dict[int, int] = {}
        shown: dict[int, tuple[int | None, int | None, int | None]] = {}  # t -> published
        for t in range(first, end):
            cleared = self.port.outcome(int(self.time.starts[t]))
            if cleared is None:
                continue
            shown[t] = (cleared.best_bid, cleared.best_ask, cleared.indicative)
            self.volume[t] = cleared.volume
            self.prices[t] = cleared.price
            filled_by_id.update(
                zip(cleared.order_ids.tolist(), cleared.filled.tolist(), strict=True)
            )
        fills = np.array([filled_by_id.get(i, 0) for i in order_ids.tolist()], np.int64)
        for t, (realised, best) in interval_surpluses(*orders, fills).items():
            self.surplus[t], self.max_surplus[t] = realised, best
        outcomes = {}
        for (p, t, role, slot, side), order_id in zip(memo, order_ids.tolist(), strict=True):
            filled = filled_by_id.get(order_id, 0)
            if role == NET:
                strategy = self.strategy[p]
                if isinstance(strategy, list):
                    key = (p, slot)
                    outcomes[key] = outcomes.get(key, 0) + filled
            elif role == GENERATOR:
                self.generation[p, t] += filled
                self.sold_output[p, t] += filled
            elif filled:
                self.storage[p, t] += filled if side == BUY else -filled
        for (p, slot), filled in outcomes.items():
            price = int(self.prices[first + slot])
            best = shown.get(first + slot, (None, None, None))
            outcome = Outcome(price if price >= 0 else None, filled, *best)
            self.strategy[p][slot].observe(outcome, self.rngs[p])
        for p, battery in self.batteries.items():
            self._settle_battery(p, battery, first, end)

    def _settle_battery(self, p: int, battery: BatteryArbitrage, first: int, end: int) -> None:
        """Charge and discharge what was traded, as far as the state of charge allows."""
        rng = self.rngs[p]
        for t in range(first, end):
            flow = int(self.storage[p, t])
            price = int(self.prices[t])
            battery.observe(Outcome(price if price >= 0 else None), rng)
            if flow > 0:
                done = min(flow, battery.charge_room_wh())
                if done:
                    battery.apply(Fill(BUY, done))
            elif flow < 0:
                done = min(-flow, battery.discharge_room_wh())
                if done:
                    battery.apply(Fill(SELL, done))
                done = -done
            else:
                done = 0
            self.storage[p, t] = done  # what the meter sees
            self.soc.setdefault(p, np.zeros(len(self.time.starts), np.int64))[t] = battery.soc_wh

    def _meter(self, day: int) -> None:
        first, end = int(self.time.day_first[day]), int(self.time.day_first[day + 1])
        pts = self.points
        net = pts.net_actual[:, first:end] - self.sold_output[:, first:end]
        net = net + self.storage[:, first:end]
        imports = np.minimum(np.maximum(net, 0), pts.max_import[:, None])
        exports = np.minimum(np.maximum(-net, 0), pts.max_export[:, None])
        all_points = len(self.cluster.points)
        T = end - first
        imp = np.zeros((all_points, T), np.int64)
        exp = np.zeros((all_points, T), np.int64)
        inside = self.in_cluster[:, first:end]  # a member out of the cluster is not metered
        imp[pts.code] = np.where(inside, imports, 0)
        exp[pts.code] = np.where(inside, exports, 0)
        self.metered[0, first:end] = imp.sum(axis=0)
        self.metered[1, first:end] = exp.sum(axis=0)
        metered = np.ones(all_points, bool)  # by code: the points in the cluster this day
        owners = [m.id for m in self.cluster.members for _ in m.connection_points]
        members = self.scenario.in_force(day)
        metered[:] = [owner in members for owner in owners]
        starts = np.repeat(self.time.starts[first:end][None, :], all_points, axis=0)[metered]
        codes = np.repeat(np.arange(all_points, dtype=np.int64)[:, None], T, axis=1)[metered]
        imp, exp = imp[metered], exp[metered]
        batch = ReadingBatch(starts.ravel(), codes.ravel(), imp.ravel(), exp.ravel())
        self.port.send_readings(self.meterer, batch)

    def _result(self) -> SimulationResult:
        cluster, time = self.cluster, self.time
        begin, end = int(time.day_starts[0]), int(time.day_starts[-1])
        by_member = self.port.statements(begin, end)
        totals = [by_member[m.id] for m in cluster.members]
        kpis = self.port.kpis(begin, end)
        tick = cluster.tick_pln_mwh

        def kwh(wh: Any) -> np.ndarray:
            return wh_to_kwh(np.asarray(wh, np.float64))

        def pln(grosz: list[int]) -> np.ndarray:
            return grosz_to_pln(np.asarray(grosz, np.float64))

        def pln_mwh(ticks: Any) -> Any:
            return ticks_to_pln_mwh_float(ticks, tick)

        band = np.array([self.port.band(int(s)) for s in time.starts], np.int64).reshape(-1, 2)
        price = np.where(self.prices >= 0, pln_mwh(self.prices), np.nan)
        intervals = {
            "interval_start": time.starts.copy(),
            "price_pln_mwh": price,
            "floor_pln_mwh": pln_mwh(band[:, 0]),
            "cap_pln_mwh": pln_mwh(band[:, 1]),
            "bid_kwh": kwh(self.offered[BUY]),
            "ask_kwh": kwh(self.offered[SELL]),
            "traded_kwh": kwh(self.volume),
            "load_kwh": kwh(self._inside(self.points.load).sum(axis=0)),
            "pv_kwh": kwh(self._inside(self.points.pv).sum(axis=0)),
            "generation_kwh": kwh(self._inside(self.generation).sum(axis=0)),
            "import_kwh": kwh(self.metered[0]),
            "export_kwh": kwh(self.metered[1]),
            "local_use_kwh": kwh(self.metered.min(axis=0)),
            "boundary_import_kwh": kwh(np.maximum(self.metered[0] - self.metered[1], 0)),
            "boundary_export_kwh": kwh(np.maximum(self.metered[1] - self.metered[0], 0)),
        }
        strategies = {a.member_id: a.strategy for a in self.agents}
        members = {
            "member_id": [m.id for m in cluster.members],
            "name": [m.name for m in cluster.members],
            "kind": [self.scenario.kinds[m.id] for m in cluster.members],
            "strategy": [strategies.get(m.id, "") for m in cluster.members],
            "bought_kwh": kwh([t.bought_wh for t in totals]),
            "sold_kwh": kwh([t.sold_wh for t in totals]),
            "shortfall_kwh": kwh([t.shortfall_wh for t in totals]),
            "surplus_kwh": kwh([t.surplus_wh for t in totals]),
            "cost_pln": pln([t.cost_grosz for t in totals]),
            "baseline_pln": pln([t.baseline_grosz for t in totals]),
            "savings_pln": pln([t.savings_grosz for t in totals]),
            "bill_pln": pln([t.bill_grosz for t in totals]),
            "bill_baseline_pln": pln([t.bill_baseline_grosz for t in totals]),
            "bill_saving_pln": pln([t.bill_saving_grosz for t in totals]),
            "shared_in_kwh": kwh([t.shared_in_wh for t in totals]),
            "shared_out_kwh": kwh([t.shared_out_wh for t in totals]),
        }

        load_wh = int(self._inside(self.points.load).sum())
        by_source = self._generation_by_source()
        summary = {
            "scenario": self.scenario.name,
            "seed": self.scenario.seed,
            "start": self.scenario.start.isoformat(),
            "days": self.scenario.days,
            "intervals": kpis.intervals,
            "pending_intervals": kpis.pending,
            "members": len(cluster.members),
            "agents": len(self.agents),
            "connection_points": len(cluster.points),
            "orders": self.order_count,
            "mechanism": cluster.mechanism,
            "allocation": cluster.sharing.allocation,
            "sharing_key": cluster.sharing.key if cluster.sharing.shares else None,
            "shared_kwh": figures.kwh(sum(t.shared_in_wh for t in totals)),
            **figures.measures(kpis, load_wh, sum(by_source.values())),
            "average_price_pln_mwh": figures.price(kpis.average_buyer_price, tick),
            "average_seller_price_pln_mwh": figures.price(kpis.average_seller_price, tick),
            "average_cap_pln_mwh": figures.price(kpis.average_cap, tick),
            "average_floor_pln_mwh": figures.price(kpis.average_floor, tick),
            "savings_pln": figures.pln(kpis.savings_grosz),
            **self._efficiency(),
            "bill_pln": figures.pln(sum(t.bill_grosz for t in totals)),
            "bill_baseline_pln": figures.pln(sum(t.bill_baseline_grosz for t in totals)),
            "bill_saving_pln": figures.pln(sum(t.bill_saving_grosz for t in totals)),
            "load_kwh": figures.kwh(load_wh),
            "pv_kwh": figures.kwh(int(self._inside(self.points.pv).sum())),
            "generation_kwh": figures.kwh(int(self._inside(self.generation).sum())),
            "register": figures.register_section(cluster, kpis, by_source),
        }
        return SimulationResult(
            self.scenario.name, str(cluster.timezone), intervals, members, summary, self._series()
        )

    def _series(self) -> dict[str, np.ndarray]:
        """The batteries' summed state of charge and capacity [kWh] per interval, counted
        while their point is in the cluster; nothing without batteries."""
        if not self.soc:
            return {}
        rows = sorted(self.soc)
        charge = np.where(self.in_cluster[rows], np.stack([self.soc[p] for p in rows]), 0)
        capacity = np.array([self.points.devices[p].battery.capacity_wh for p in rows])
        size = np.where(self.in_cluster[rows], capacity[:, None], 0)
        return {
            "battery_soc_kwh": wh_to_kwh(charge.sum(axis=0).astype(np.float64)),
            "battery_capacity_kwh": wh_to_kwh(size.sum(axis=0).astype(np.float64)),
        }

    def _efficiency(self) -> dict[str, Any]:
        """Allocative efficiency (:mod:`matching.surplus`) and its two surpluses [PLN]."""
        realised, best = sum(self.surplus), sum(self.max_surplus)
        tick = self.cluster.tick_pln_mwh
        return {
            "allocative_efficiency": figures.ratio(efficiency(realised, best)),
            "surplus_pln": figures.pln(value_to_grosz(realised, tick)),
            "max_surplus_pln": figures.pln(value_to_grosz(best, tick)),
        }

    def _generation_by_source(self) -> dict[str, int]:
        """What the members generated in the run [Wh] by source: PV, and each dispatchable
        generator's output under its scenario source (``unspecified`` if none)."""
        out = {"pv": int(self._inside(self.points.pv).sum())}
        generation = self._inside(self.generation)
        for p, devices in enumerate(self.points.devices):
            if devices.generator is not None:
                source = devices.generator.source
                out[source] = out.get(source, 0) + int(generation[p].sum())
        return out

    def _inside(self, per_point: np.ndarray) -> np.ndarray:
        """A (points x intervals) figure counted only while the point is in the cluster."""
        return np.where(self.in_cluster, per_point, 0)


def _member_order(members: list[int]) -> list[int]:
    seen: dict[int, None] = {}
    for m in members:
        seen.setdefault(m, None)
    return list(seen)


def _profiles(scenario: Scenario, time: Timeline) -> _Points:
    """Every agent point's load, PV and net position, actual and forecast [Wh]."""
    cluster = scenario.cluster
    length = cluster.interval_seconds
    devices = [d for agent in scenario.agents for d in agent.points]
    member = [i for i, agent in enumerate(scenario.agents) for _ in agent.points]
    P, T = len(devices), len(time.starts)
    code = np.array([d.point for d in devices], np.int64)
    points = cluster.points
    max_import = np.array([points[c].max_import_wh for c in code], np.int64)
    max_export = np.array([points[c].max_export_wh for c in code], np.int64)
    load = np.zeros((P, T), np.int64)
    pv = np.zeros((P, T), np.int64)
    with_load = [p for p, d in enumerate(devices) if d.load is not None]
    if with_load:
        load[with_load] = load_energy_wh(
            [devices[p].load.profile for p in with_load],
            [devices[p].load.annual_kwh for p in with_load],
            time.starts,
            length,
            str(cluster.timezone),
            scenario.seed,
        )
    with_pv = [p for p, d in enumerate(devices) if d.pv is not None]
    if with_pv:
        systems = [devices[p].pv for p in with_pv]
        if scenario.weather is not None:  # a typical meteorological year: seasons, weather
            tmy = scenario.weather
            pv[with_pv] = pv_energy_tmy_wh(scenario.site, systems, time.starts, length, tmy)
        else:
            sky = clear_sky_index(time.starts, length, scenario.seed)
            pv[with_pv] = pv_energy_wh(scenario.site, systems, time.starts, length, sky)
    # Forecasts: the actual profiles times mean-one lognormal noise.
    rng = np.random.default_rng([scenario.seed, 11])
    sigma = scenario.forecast_error

    def forecast(actual: np.ndarray) -> np.ndarray:
        noise = rng.lognormal(-sigma * sigma / 2, sigma, actual.shape) if sigma else 1.0
        return np.rint(actual * noise).astype(np.int64)

    net_actual = load - pv
    net_forecast = forecast(load) - forecast(pv)
    charge: dict[int, np.ndarray] = {}
    behind = [
        p for p, d in enumerate(devices)
        if d.battery is not None and d.battery_mode == "self-consumption"
    ]  # fmt: skip
    if behind:
        specs = [devices[p].battery for p in behind]
        capacity = np.array([b.capacity_wh for b in specs], np.int64)
        step = np.array([b.max_wh(length) for b in specs], np.int64)
        efficiency = np.array([b.efficiency for b in specs], np.float64)
        soc = np.array([b.initial_soc_wh for b in specs], np.int64)
        for net in (net_actual, net_forecast):
            flow, _ = self_consumption(net[behind], capacity, step, efficiency, soc)
            net[behind] += flow
            if net is net_actual:
                charge = dict(zip(behind, state_of_charge(flow, efficiency, soc), strict=True))
    # A generator covers its own point's forecast load first (cheaper than retail, and a
    # CHP runs anyway for its heat) and offers the rest; a forecast error is imbalance.
    own_cover = np.zeros((P, T), np.int64)
    for p, d in enumerate(devices):
        if d.generator is not None:
            own_cover[p] = np.clip(net_forecast[p], 0, d.generator.max_wh)
    net_actual -= own_cover
    net_forecast -= own_cover
    return _Points(
        devices, member, code, max_import, max_export, load, pv, net_actual, net_forecast,
        own_cover, charge,
    )  # fmt: skip


__all__ = ["Timeline", "simulate", "timeline"]
