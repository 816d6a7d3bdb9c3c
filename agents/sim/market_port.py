"""Where a simulation meets the market: in process, or a live ``klaster serve`` over HTTP.

Both ports offer the same few calls, in the engine's units (int ticks, Wh, epoch seconds),
so :mod:`agents.sim.simulation` runs one loop against either and gets the same result:

- ``move_to(t)``: the market's clock to ``t`` [s] (gates it passes close);
- ``submit(member, batch)``: one all-or-nothing batch, its order ids;
- ``outcome(start)``: the interval's cleared volume [Wh], price [tick] (-1: no trade),
  fills per order id, and what the call published for traders to learn from: the best bid
  and ask left unfilled and, without a trade, the indicative price [tick];
- ``send_readings(batch)``: meter readings (as the dso, or the coordinator);
- ``change_cluster(cluster, effective)``: the coordinator's change of configuration (members
  joining or leaving), in force from an interval start [s];
- ``statements(begin, end)``, ``kpis(begin, end)``: the settlement's figures.

:class:`HttpMarket` talks to a server started with ``klaster serve --scenario FILE``: its
clock is simulated and moved by the coordinator (``POST /v1/clock``), and every member's
token is in ``DATA/scenario-tokens.txt``. Its event loop runs on a thread of its own, so the
simulation loop stays plain synchronous code.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from engine import (
    BatchAccepted,
    Calendar,
    Market,
    OrderBatch,
    ReadingBatch,
    Rejected,
    SimulatedClock,
    member_statement,
    read_token_file,
    statement,
)
from matching.units import (
    pln_mwh_to_exact_ticks,
    pln_mwh_to_ticks,
    round_half_even,
    ticks_to_pln_mwh,
)

US = 1_000_000  # [us/s]
T = TypeVar("T")


class PortError(RuntimeError):
    """The market refused what the simulation sent, or could not be reached."""


class MarketPort(Protocol):
    """What the simulation needs of a market (see the module docstring)."""

    calendar: Calendar

    def band(self, start_s: int) -> tuple[int, int]: ...
    def now_s(self) -> int: ...
    def move_to(self, t_s: int) -> None: ...
    def submit(self, member_id: str, batch: OrderBatch) -> np.ndarray: ...
    def outcome(self, start_s: int) -> Cleared | None: ...
    def send_readings(self, member_id: str, batch: ReadingBatch) -> None: ...
    def change_cluster(self, cluster: Any, effective_s: int) -> None: ...
    def statements(self, begin_s: int, end_s: int) -> dict[str, Totals]: ...
    def kpis(self, begin_s: int, end_s: int) -> ClusterKpis: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Cleared:
    """One interval's auction outcome."""

    volume: int  # [Wh]
    price: int  # [tick], -1 when nothing traded
    order_ids: np.ndarray  # int64, orders with a fill
    filled: np.ndarray  # int64 [Wh], same order
    best_bid: int | None = None  # [tick], the highest bid left (partly) unfilled
    best_ask: int | None = None  # [tick], the lowest ask left (partly) unfilled
    indicative: int | None = None  # [tick], only when nothing traded


@dataclass(frozen=True)
class Totals:
    """A member's statement: energy [Wh] and money [grosz] (cost > 0: the member pays)."""

    bought_wh: int
    sold_wh: int
    shortfall_wh: int
    surplus_wh: int
    cost_grosz: int
    baseline_grosz: int
    savings_grosz: int
    # the bill on the points' tariffs, gross, and the same meters without the market
    bill_grosz: int
    bill_baseline_grosz: int
    bill_saving_grosz: int
    # energy shared by the cluster's key [Wh]: allocated to the member, and of its production
    shared_in_wh: int = 0
    shared_out_wh: int = 0


@dataclass(frozen=True)
class ClusterKpis:
    """Cluster KPIs: energy [Wh], ratios [1] and average prices [tick], None if undefined."""

    intervals: int
    pending: int
    import_wh: int
    export_wh: int
    local_use_wh: int
    traded_wh: int
    boundary_import_wh: int  # after netting inside the cluster, per interval
    boundary_export_wh: int
    import_covered_locally: Fraction | Decimal | None
    export_used_locally: Fraction | Decimal | None
    traded_share: Fraction | Decimal | None
    average_buyer_price: Fraction | Decimal | None
    average_seller_price: Fraction | Decimal | None
    average_cap: Fraction | Decimal | None
    average_floor: Fraction | Decimal | None
    savings_grosz: int
    renewable_export_wh: int
    renewable_local_use_wh: int  # per hour, min(renewable export, import)
    renewable_used_locally: Fraction | Decimal | None


def clearing_price(volume: int, price: int | None, buyer_price: int | None, value: int) -> int:
    """The interval's price [tick]: the uniform price, else the buyers' price, else the
    volume-weighted average paid by buyers (``value`` [Wh*tick], rounded half to even);
    -1 when nothing traded."""
    if not volume:
        return -1
    if price is not None:
        return int(price)
    if buyer_price is not None:
        return int(buyer_price)
    return round_half_even(Fraction(value, volume))


class LocalMarket:
    """The market in this process, on a simulated clock."""

    def __init__(self, cluster: Any, now_s: int) -> None:
        self.clock = SimulatedClock(now_s * US)
        self.market = Market(cluster, self.clock)
        self.calendar: Calendar = self.market.calendar

    def band(self, start_s: int) -> tuple[int, int]:
        return self.market.band(start_s)

    def now_s(self) -> int:
        return self.clock.now_us() // US

    def move_to(self, t_s: int) -> None:
        self.clock.advance_to(t_s * US)
        self.market.close_due_gates()

    def submit(self, member_id: str, batch: OrderBatch) -> np.ndarray:
        answer = self.market.submit_batch(member_id, batch)
        if not isinstance(answer, BatchAccepted):
            raise PortError(f"orders of {member_id} refused: {answer.rejects[:3]}")
        return answer.order_ids

    def outcome(self, start_s: int) -> Cleared | None:
        result = self.market.result(start_s)
        if result is None:
            return None
        c = result.clearing
        ids = np.concatenate((result.bid_order_ids, result.ask_order_ids))
        filled = np.concatenate((c.bid_filled, c.ask_filled))
        keep = filled > 0
        value = int(c.bid_value.sum()) if c.volume and c.price is None else 0
        price = clearing_price(int(c.volume), c.price, c.buyer_price, value)
        shown = result.published
        return Cleared(
            int(c.volume), price, ids[keep], filled[keep],
            shown.best_bid, shown.best_ask, shown.indicative,
        )  # fmt: skip

    def change_cluster(self, cluster: Any, effective_s: int) -> None:
        """Put ``cluster`` in force from ``effective_s`` [s] on, as the coordinator."""
        answer = self.market.change_cluster(cluster.coordinator.id, cluster, effective_s)
        if isinstance(answer, Rejected):
            raise PortError(f"the configuration change was refused: {answer.message}")

    def send_readings(self, member_id: str, batch: ReadingBatch) -> None:
        answer = self.market.record_readings(member_id, batch)
        if hasattr(answer, "rejects"):
            raise PortError(f"readings refused: {answer.rejects[:3]}")

    def statements(self, begin_s: int, end_s: int) -> dict[str, Totals]:
        """Every member's statement, from one settlement of the period."""
        _, settled = self.market.settlement(begin_s, end_s)
        _, points = self.market.point_statements(begin_s, end_s)
        tick = self.market.cluster.tick_pln_mwh
        totals = {}
        for code, member_id in enumerate(self.market.registry.member_ids):
            s = statement(settled, code, tick_pln_mwh=tick)
            b = member_statement(points, member_id)
            totals[member_id] = Totals(
                s.bought_wh, s.sold_wh, s.shortfall_wh, s.surplus_wh,
                s.cost_grosz, s.baseline_grosz, s.savings_grosz,
                b.bill.gross_grosz, b.baseline.gross_grosz, b.saving_grosz,
                s.shared_in_wh, s.shared_out_wh,
            )  # fmt: skip
        return totals

    def kpis(self, begin_s: int, end_s: int) -> ClusterKpis:
        k = self.market.kpis(begin_s, end_s)
        return ClusterKpis(
            k.intervals, len(k.pending), k.import_wh, k.export_wh, k.local_use_wh,
            k.traded_wh, k.boundary_import_wh, k.boundary_export_wh, k.import_covered_locally,
            k.export_used_locally, k.traded_share, k.average_buyer_price,
            k.average_seller_price, k.average_cap, k.average_floor, k.savings_grosz,
            k.renewable_export_wh or 0, k.renewable_local_use_wh or 0, k.renewable_used_locally,
        )  # fmt: skip

    def close(self) -> None:
        """Nothing to release."""


def read_tokens(path: str | Path) -> dict[str, str]:
    """Member -> token, from a token file as ``klaster serve`` writes it."""
    try:
        return dict(read_token_file(path))
    except ValueError as exc:
        raise PortError(str(exc)) from None


class HttpMarket:
    """A live ``klaster serve --scenario`` over HTTP (see the module docstring)."""

    def __init__(self, url: str, cluster: Any, tokens: dict[str, str]) -> None:
        from agents.client.sdk import KlasterClient  # aiohttp only when a server is used

        self.cluster = cluster
        self.calendar = Calendar(
            cluster.interval_seconds,
            cluster.gate_closure_minutes * 60,
            cluster.continuous_minutes * 60,
            cluster.horizon_intervals,
        )
        self.tick = cluster.tick_pln_mwh
        missing = [m.id for m in cluster.members if m.id not in tokens]
        if missing:
            raise PortError(f"no token for member(s) {', '.join(missing[:5])}")
        self._points = [p.id for p in cluster.points]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._clients = {m.id: KlasterClient(url, tokens[m.id]) for m in cluster.members}
        self._coordinator = self._clients[cluster.coordinator.id]
        self._now = self._call(self._coordinator.clock())

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        from agents.client.sdk import KlasterError

        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
        except KlasterError as exc:
            raise PortError(f"the server refused: {exc}") from None
        except OSError as exc:
            raise PortError(f"cannot reach the server: {exc}") from None

    def band(self, start_s: int) -> tuple[int, int]:
        return self.cluster.band(start_s)

    def now_s(self) -> int:
        return self._now

    def move_to(self, t_s: int) -> None:
        self._now = self._call(self._coordinator.set_clock(t_s))

    def submit(self, member_id: str, batch: OrderBatch) -> np.ndarray:
        tick = self.tick
        ack = self._call(
            self._clients[member_id].submit_batch(
                batch.interval_start.tolist(),
                [self._points[p] for p in batch.point.tolist()],
                ["buy" if s == 0 else "sell" for s in batch.side.tolist()],
                [ticks_to_pln_mwh(p, tick) for p in batch.price.tolist()],
                batch.quantity.tolist(),
            )
        )
        return np.asarray(ack.order_ids, np.int64)

    def outcome(self, start_s: int) -> Cleared | None:
        trades = self._call(self._coordinator.trades(start_s))
        ids: dict[int, int] = {}
        volume = value = 0
        for t in trades:
            if t.phase != "auction":
                continue
            volume += t.quantity_wh
            value += t.quantity_wh * pln_mwh_to_ticks(t.buyer_price, self.tick)
            for order_id in (t.buyer_order_id, t.seller_order_id):
                ids[order_id] = ids.get(order_id, 0) + t.quantity_wh
        interval = self._call(self._coordinator.interval(start_s))
        result = interval.result
        if result is None:
            return None

        def ticks(price: Decimal | None) -> int | None:
            return None if price is None else pln_mwh_to_ticks(price, self.tick)

        price = clearing_price(volume, ticks(result.price), ticks(result.buyer_price), value)
        order_ids = np.fromiter(ids.keys(), np.int64, len(ids))
        filled = np.fromiter(ids.values(), np.int64, len(ids))
        return Cleared(
            volume, price, order_ids, filled, ticks(result.best_unfilled_bid),
            ticks(result.best_unfilled_ask), ticks(result.indicative_price),
        )  # fmt: skip

    def change_cluster(self, cluster: Any, effective_s: int) -> None:
        """Put ``cluster`` in force from ``effective_s`` [s] on, as the coordinator
        (``POST /v1/cluster/changes``: its document and files, as ``klaster cluster apply``
        would send them)."""
        if cluster.document is None:
            raise PortError("the changed configuration has no document to send")
        files = {name: data.decode() for name, data in cluster.files.items()}
        self._call(self._coordinator.change_cluster(cluster.document, files, effective_s))

    def send_readings(self, member_id: str, batch: ReadingBatch) -> None:
        from agents.client.sdk import Reading

        client = self._clients[member_id]
        starts = np.unique(batch.interval_start)
        for start in starts.tolist():  # one request per interval keeps bodies small
            rows = np.flatnonzero(batch.interval_start == start)
            readings = [
                Reading(start, self._points[p], i, e)
                for p, i, e in zip(
                    batch.point[rows].tolist(),
                    batch.import_wh[rows].tolist(),
                    batch.export_wh[rows].tolist(),
                    strict=True,
                )
            ]
            self._call(client.send_readings(readings))

    def statements(self, begin_s: int, end_s: int) -> dict[str, Totals]:
        """Every member's statement, one request each (as the coordinator)."""
        totals = {}
        for member in self.cluster.members:
            s = self._call(self._coordinator.statement(begin_s, end_s, member=member.id))
            totals[member.id] = Totals(
                s.bought_wh, s.sold_wh, s.shortfall_wh, s.surplus_wh,
                s.cost_grosz, s.baseline_grosz, s.savings_grosz,
                s.bill.gross_grosz, s.baseline.gross_grosz, s.saving_grosz,
                s.shared_in_wh, s.shared_out_wh,
            )  # fmt: skip
        return totals

    def kpis(self, begin_s: int, end_s: int) -> ClusterKpis:
        k = self._call(self._coordinator.kpis(begin_s, end_s))

        def ticks(price: Decimal | None) -> Fraction | None:  # an average: not whole ticks
            return None if price is None else pln_mwh_to_exact_ticks(price, self.tick)

        return ClusterKpis(
            k.intervals, len(k.pending), k.import_wh, k.export_wh, k.local_use_wh,
            k.traded_wh, k.boundary_import_wh, k.boundary_export_wh, k.import_covered_locally,
            k.export_used_locally, k.traded_share, ticks(k.average_buyer_price),
            ticks(k.average_seller_price), ticks(k.average_cap), ticks(k.average_floor),
            k.savings_grosz, k.renewable_export_wh, k.renewable_local_use_wh,
            k.renewable_used_locally,
        )  # fmt: skip

    def close(self) -> None:
        """Close the clients and stop the loop's thread."""

        async def close_all() -> None:
            for client in self._clients.values():
                await client.close()

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
