"""``klaster loadtest``: closed-loop order load against a gateway on loopback, then a check
that the server holds exactly the orders it acknowledged.

``klaster loadtest --url URL --agents N --duration S [--batch K] [--tokens FILE]
[--config CLUSTER.toml] [--json]``

- Loopback only (127.0.0.0/8, ::1, ``localhost``): a load test is not for someone else's
  server, and client and server on one host also share one clock.
- Tokens: ``member token`` lines (``#`` comments), default ``data/demo-tokens.txt``, which
  ``klaster serve`` writes on the demo cluster's first start. The API tells an agent neither
  its role nor its connection points, so both come from the cluster config (``--config``,
  default the demo cluster); only role ``member`` trades here, and a token the server
  answers 401 or 403 is dropped (reported as skipped).
- Load: N agents, round-robin over the tokens, each one asyncio task with its own
  :class:`~agents.client.sdk.KlasterClient` (msgpack, one keep-alive connection), send for S
  seconds one request after another: single orders, or columnar batches of K orders with
  ``--batch K``. Orders go to up to :data:`MAX_INTERVALS` open intervals whose auction gate
  is at least S + :data:`GRACE_S` + :data:`MARGIN_S` away, at random whole-tick prices in
  the interval's band. The market holds a connection point's orders of one interval to its
  limit together (its asks to the export limit, its bids to the import limit), so the run
  keeps the room each (interval, point, side) has left: the limit minus what the member's
  orders there booked before the run, minus what the run sent (given back when a request
  is refused). A quantity is random, from 1 Wh to a :data:`QUANTITY_SHARE` th of the limit,
  and at most the room left; an agent whose member has no room left anywhere stops early
  (counted, no failure). Every order carries ``client_order_id = RUN-AGENT-N`` (``RUN`` =
  ``lt-<8 hex>``).
- Report: acknowledged requests and orders, orders/s over the load's wall time, latency
  p50/p95/p99/max [ms] of acknowledged requests (a request the client retried after a 429
  includes its waits), errors by ``STATUS problem-type`` or ``connection ErrorName``.
- Verification: each member's own orders in the intervals used are listed before and after
  the load; the orders new on the server must be exactly the acknowledged ones (matched by
  the ``order_id`` of their acknowledgement), each with the content and the client order id
  sent; a missing order is named by its client order id.
- On a terminal, one status line on stderr says what is going on (listing, sending with a
  count of acknowledged orders, verifying with a count of orders listed back;
  :mod:`agents.terminal`); piped, stderr gets nothing but errors.

Errors: a 429 the client still gets after its retries (``max_retries``) is counted but is no
failure (it books nothing); every other error is. Exit codes: 0 verified and no unexpected
error; 1 a mismatch, an unexpected error, no interval open long enough or the server not
reachable; 2 bad arguments, an unreadable tokens file, no usable token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from agents.client.results import Interval, Order, from_wire, parse_instant
from agents.client.sdk import KlasterClient, KlasterError
from agents.terminal import StatusLine, keep_showing
from engine import Cluster, ClusterError, demo_cluster, load_cluster, read_token_file
from engine.api.routes import MAX_ORDERS_PAGE
from matching.units import DEFAULT_TICK_PLN_MWH, pln_mwh_to_ticks, ticks_to_pln_mwh

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
TRADING_ROLE = "member"
MAX_INTERVALS = 4  # spread the orders over this many intervals (books of a few intervals)
GRACE_S = 30.0  # requests still in flight this long after the end are cancelled (in doubt)
MARGIN_S = 60.0  # a gate must stay open this long after the run's latest possible end
CONNECTION_PAUSE_S = 0.1  # after a connection error: no hot loop against a dead server
EXPECTED_ERRORS = frozenset({"429 rate-limited"})  # counted, but not a failure
SHOWN_IDS = 10  # missing/extra/changed orders named in the report (all are counted)
QUANTITY_SHARE = 1000  # an order asks at most this share of its point's limit (>= 1 Wh)


class LoadTestError(Exception):
    """The run cannot start; ``exit_code`` is the command's."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- who trades -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """A connection point and the most it may buy or sell in one order [Wh]."""

    id: str
    max_buy_wh: int  # its import limit over one interval
    max_sell_wh: int  # its export limit

    def sides(self) -> list[tuple[str, int]]:
        """The sides it may take, each with its limit [Wh]."""
        return [(s, w) for s, w in (("buy", self.max_buy_wh), ("sell", self.max_sell_wh)) if w]


Room = dict[tuple[int, str, str], int]  # (interval start [s], point, side) -> Wh left


def room_left(traders: Iterable[Trader], starts: Iterable[int], booked: Mapping) -> Room:
    """What each trader's points may still book per interval and side [Wh]: the limit
    minus ``booked`` (the same keys; what the members' orders there hold already)."""
    return {
        (start, point.id, side): max(limit - booked.get((start, point.id, side), 0), 0)
        for trader in traders
        for point in trader.points
        for side, limit in point.sides()
        for start in starts
    }


@dataclass(frozen=True, slots=True)
class Trader:
    member: str
    token: str
    points: tuple[Point, ...]  # each with at least one side > 0 Wh

    def limit(self, point_id: str, side: str) -> int:
        """The most one of its points may book on ``side`` in one interval [Wh]."""
        point = next(p for p in self.points if p.id == point_id)
        return point.max_buy_wh if side == "buy" else point.max_sell_wh


def read_tokens(path: Path) -> list[tuple[str, str]]:
    """``(member, token)`` pairs of a tokens file; raises OSError, or LoadTestError (exit 2)
    naming the line that is not ``member token``."""
    try:
        return read_token_file(path)
    except ValueError as exc:
        raise LoadTestError(str(exc), EXIT_BAD_INPUT) from None


def select_traders(
    pairs: Iterable[tuple[str, str]], cluster: Cluster
) -> tuple[list[Trader], dict[str, str]]:
    """The tokens of members that may trade here, and why each other member was skipped."""
    traders, skipped = [], {}
    for member_id, token in pairs:
        member = cluster.member_by_id(member_id)
        if member is None:
            skipped[member_id] = f"not a member of cluster {cluster.id}"
        elif member.role != TRADING_ROLE:
            skipped[member_id] = f"role {member.role}"
        else:
            points = tuple(
                Point(p.id, p.max_import_wh, p.max_export_wh)
                for p in member.connection_points
                if p.max_import_wh > 0 or p.max_export_wh > 0
            )
            if points:
                traders.append(Trader(member_id, token, points))
            else:
                skipped[member_id] = "no connection point may import or export"
    return traders, skipped


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentOrder:
    """An order as it was sent (kept once acknowledged)."""

    client_order_id: str
    member: str
    interval_start: int  # [s]
    connection_point: str
    side: str
    price: Decimal  # [PLN/MWh]
    quantity_wh: int

    def content(self) -> tuple[int, str, str, Decimal, int]:
        return (self.interval_start, self.connection_point, self.side, self.price, self.quantity_wh)


@dataclass(frozen=True, slots=True)
class Verification:
    """The run's orders on the server against the acknowledged ones."""

    listed: int  # orders new on the server since the load began (its own lists)
    missing: tuple[str, ...]  # client_order_ids acknowledged but not listed
    extra: tuple[int, ...]  # order_ids listed as new but never acknowledged
    changed: tuple[str, ...]  # client_order_ids listed with other content than sent

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.changed)


def compare_orders(
    acked: Mapping[int, SentOrder],
    before: Mapping[str, Set[int]],
    after: Mapping[str, Sequence[Order]],
) -> Verification:
    """Compare ``acked`` (by order_id) with each member's orders ``after`` the load that
    were not there ``before`` it."""
    found: set[int] = set()
    extra: list[int] = []
    changed: list[str] = []
    listed = 0
    for member, orders in after.items():
        old = before.get(member, frozenset())
        for o in orders:
            if o.order_id in old:
                continue
            listed += 1
            sent = acked.get(o.order_id)
            if sent is None or sent.member != member:
                extra.append(o.order_id)
                continue
            found.add(o.order_id)
            content = (
                int(o.interval_start.timestamp()),
                o.connection_point,
                o.side,
                o.price,
                o.quantity_wh,
            )
            if content != sent.content() or o.client_order_id != sent.client_order_id:
                changed.append(sent.client_order_id)
    missing = [s.client_order_id for order_id, s in acked.items() if order_id not in found]
    return Verification(listed, tuple(missing), tuple(sorted(extra)), tuple(changed))


@dataclass
class LoadResult:
    """One run: what was sent and acknowledged, how fast, what failed, what the server holds."""

    run_id: str
    url: str
    agents: int
    members: int
    batch: int | None  # orders per request; None: single orders
    duration_s: float  # asked for [s]
    elapsed_s: float  # wall time of the load, requests still in flight at the end included [s]
    client_cpu_s: float  # CPU of this process during the load [s]; near elapsed_s: client-bound
    intervals: tuple[int, ...]  # starts [s] of the intervals used
    requests: int  # acknowledged
    orders: int  # acknowledged
    latencies_s: np.ndarray  # one per acknowledged request [s]
    errors: Counter[str]  # "STATUS problem-type" / "connection ErrorName" -> requests
    in_doubt_orders: int  # sent in requests whose answer was lost: booked or not, unknown
    skipped: dict[str, str]  # member -> why its token was not used
    verification: Verification
    booked_up: int = 0  # agents that stopped early: their member's points had no room left

    @property
    def unexpected_errors(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind not in EXPECTED_ERRORS)

    @property
    def ok(self) -> bool:
        return self.verification.ok and self.unexpected_errors == 0

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def latency_ms(self) -> dict[str, float | None]:
        """p50, p95, p99 (linear interpolation) and max [ms]; None without a request."""
        if len(self.latencies_s) == 0:
            return dict.fromkeys(("p50", "p95", "p99", "max"))
        p50, p95, p99 = np.percentile(self.latencies_s, [50, 95, 99]) * 1e3
        top = float(self.latencies_s.max()) * 1e3
        return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "max": top}

    def to_json(self) -> dict[str, Any]:
        v = self.verification
        return {
            "run_id": self.run_id,
            "url": self.url,
            "agents": self.agents,
            "members": self.members,
            "batch": self.batch,
            "duration_s": self.duration_s,
            "elapsed_s": round(self.elapsed_s, 3),
            "client_cpu_s": round(self.client_cpu_s, 3),
            "intervals": [_iso(s) for s in self.intervals],
            "requests": self.requests,
            "orders": self.orders,
            "orders_per_s": round(self.orders_per_s, 1),
            "latency_ms": {
                k: None if x is None else round(x, 3) for k, x in self.latency_ms().items()
            },
            "errors": dict(sorted(self.errors.items())),
            "unexpected_errors": self.unexpected_errors,
            "in_doubt_orders": self.in_doubt_orders,
            "booked_up_agents": self.booked_up,
            "skipped": self.skipped,
            "verification": {
                "ok": v.ok,
                "listed": v.listed,
                "missing": len(v.missing),
                "extra": len(v.extra),
                "changed": len(v.changed),
                "missing_client_order_ids": list(v.missing[:SHOWN_IDS]),
                "extra_order_ids": list(v.extra[:SHOWN_IDS]),
                "changed_client_order_ids": list(v.changed[:SHOWN_IDS]),
            },
            "ok": self.ok,
        }


def _iso(start_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_s))


def format_report(r: LoadResult) -> str:
    """The human-readable report, a few aligned lines."""
    mode = f"batches of {r.batch}" if r.batch else "single orders"
    lat = r.latency_ms()
    latency = ", ".join(f"{k} {'-' if x is None else f'{x:.1f}'} ms" for k, x in lat.items())
    if r.errors:
        errors = ", ".join(
            f"{kind}: {n}{' (expected, no failure)' if kind in EXPECTED_ERRORS else ''}"
            for kind, n in sorted(r.errors.items())
        )
    else:
        errors = "none"
    v = r.verification
    if v.ok:
        verdict = f"ok, the server holds exactly the {r.orders:,} acknowledged orders"
    else:
        verdict = (
            f"FAILED: {len(v.missing):,} missing {list(v.missing[:SHOWN_IDS])}, "
            f"{len(v.extra):,} extra {list(v.extra[:SHOWN_IDS])}, "
            f"{len(v.changed):,} changed {list(v.changed[:SHOWN_IDS])}"
        )
        if r.in_doubt_orders:
            verdict += f" ({r.in_doubt_orders:,} orders were in requests whose answer was lost)"
    lines = [
        f"loadtest {r.run_id}: {r.agents} agents on {r.members} members, {mode}, "
        f"{r.duration_s:g} s against {r.url}, intervals {', '.join(map(_iso, r.intervals))}",
        f"acknowledged  {r.requests:,} requests, {r.orders:,} orders in {r.elapsed_s:.2f} s "
        f"= {r.orders_per_s:,.0f} orders/s (client CPU {r.client_cpu_s:.1f} s)",
        f"latency       {latency} (per acknowledged request)",
        f"errors        {errors}",
        f"verification  {verdict}",
    ]
    if r.booked_up:
        lines.append(
            f"booked up     {r.booked_up} agent(s) stopped early: their member's connection "
            "points had no room left in the intervals"
        )
    if r.skipped:
        lines.append(
            "skipped       " + ", ".join(f"{m} ({why})" for m, why in sorted(r.skipped.items()))
        )
    return "\n".join(lines)


# -- the run --------------------------------------------------------------------------------


async def _calendar(client: KlasterClient) -> tuple[int, list[Interval]]:
    """The server's now [s] and its calendar (the typed call drops ``now``)."""
    _, body = await client.request("GET", "/v1/intervals")
    now = int(parse_instant(body["now"]).timestamp())
    return now, [from_wire(Interval, row) for row in body["intervals"]]


def choose_intervals(
    now_s: int, calendar: Iterable[Interval], open_for_s: float, tick: Decimal
) -> dict[int, tuple[int, int]]:
    """Up to MAX_INTERVALS open intervals whose gate is ``open_for_s`` away or more, those
    furthest from their gates, with their bands [tick]: ``{start: (floor, cap)}``."""
    usable = [
        i
        for i in calendar
        if i.state == "open"
        and i.gate_closes_at is not None
        and i.floor is not None
        and i.cap is not None
        and i.gate_closes_at.timestamp() >= now_s + open_for_s
    ]
    bands = {}
    for i in usable[-MAX_INTERVALS:]:  # the last ones: furthest from clearing
        start = int(i.interval_start.timestamp())
        bands[start] = (pln_mwh_to_ticks(i.floor, tick), pln_mwh_to_ticks(i.cap, tick))
    return bands


async def _own_orders(
    url: str,
    token: str,
    intervals: Iterable[int],
    known: Set[int] | None = None,
    listed: Callable[[int], None] | None = None,
) -> tuple[set[int], list[Order], Counter[tuple[int, str, str]]]:
    """The ids of the member's orders in ``intervals``; given the ``known`` ids, the other
    orders, typed (typing only new ones keeps a re-run on a full book cheap); and what its
    orders hold of each (interval, point, side)'s limit [Wh]: an order's quantity, only what
    it filled once cancelled. ``listed(n)`` is told each page's ``n`` orders."""
    ids: set[int] = set()
    orders: list[Order] = []
    booked: Counter[tuple[int, str, str]] = Counter()
    async with KlasterClient(url, token) as client:
        for start in intervals:
            cursor = 0
            while cursor is not None:  # every page of the interval's orders
                query = {"interval_start": start, "cursor": cursor, "limit": MAX_ORDERS_PAGE}
                _, body = await client.request("GET", "/v1/orders", params=query)
                for row in body["orders"]:
                    ids.add(row["order_id"])
                    held = row["quantity_wh"]
                    if row["status"] == "cancelled":
                        held = row.get("filled_wh") or 0
                    booked[(start, row["connection_point"], row["side"])] += held
                    if known is not None and row["order_id"] not in known:
                        orders.append(from_wire(Order, row))
                if listed is not None:
                    listed(len(body["orders"]))
                cursor = body["next_cursor"]
    return ids, orders, booked


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, KlasterError):
        return f"{exc.status} {exc.title if exc.type == 'about:blank' else exc.code}"
    return f"connection {type(exc).__name__}"


@dataclass
class _Load:
    """State shared by the agents of one run (one event loop: no locks needed)."""

    url: str
    run_id: str
    batch: int | None
    bands: dict[int, tuple[int, int]]  # interval start [s] -> (floor, cap) [tick]
    tick: Decimal  # [PLN/MWh]
    deadline: float  # time.monotonic() after which no request starts
    seed: int
    room: Room  # what each (interval, point, side) may still book [Wh]; see room_left
    acked: dict[int, SentOrder] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    in_doubt: int = 0
    booked_up: int = 0

    def make_orders(
        self, trader: Trader, rng: random.Random, agent: int, n: int
    ) -> list[SentOrder]:
        """The next request's orders, their quantities taken from the room left: fewer than
        a batch once the trader's points run out of room, none when they have none left."""
        starts = list(self.bands)
        orders = []
        for i in range(n, n + (self.batch or 1)):
            point = rng.choice(trader.points)
            side, _ = rng.choice(point.sides())
            key = (rng.choice(starts), point.id, side)
            if not self.room[key]:  # full: any other of the trader's with room
                free = [
                    (start, p.id, s)
                    for p in trader.points
                    for s, _ in p.sides()
                    for start in starts
                    if self.room[(start, p.id, s)]
                ]
                if not free:
                    break  # the last request of this agent, maybe a short batch
                key = rng.choice(free)
            start, point_id, side = key
            limit = trader.limit(point_id, side)
            quantity = min(rng.randint(1, max(limit // QUANTITY_SHARE, 1)), self.room[key])
            self.room[key] -= quantity
            floor, cap = self.bands[start]
            orders.append(
                SentOrder(
                    f"{self.run_id}-{agent}-{i}",
                    trader.member,
                    start,
                    point_id,
                    side,
                    ticks_to_pln_mwh(rng.randint(floor, cap), self.tick),
                    quantity,
                )
            )
        return orders

    def give_back(self, orders: Iterable[SentOrder]) -> None:
        """Return the room of orders that were not booked."""
        for o in orders:
            self.room[(o.interval_start, o.connection_point, o.side)] += o.quantity_wh

    async def agent(self, index: int, trader: Trader) -> None:
        rng = random.Random(self.seed * 1_000_003 + index)  # reproducible per agent
        n = 0
        async with KlasterClient(self.url, trader.token) as client:
            while time.monotonic() < self.deadline:
                orders = self.make_orders(trader, rng, index, n)
                if not orders:
                    self.booked_up += 1
                    return
                n += len(orders)
                began = time.perf_counter()
                try:
                    ids, duplicate = await self._submit(client, orders)
                except KlasterError as exc:  # answered: nothing booked
                    self.errors[_error_kind(exc)] += 1
                    self.give_back(orders)
                    continue
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    self.errors[_error_kind(exc)] += 1
                    self.in_doubt += len(orders)  # the server may have booked them
                    await asyncio.sleep(CONNECTION_PAUSE_S)
                    continue
                except asyncio.CancelledError:  # still in flight after the grace time
                    self.errors["connection cancelled after the grace time"] += 1
                    self.in_doubt += len(orders)
                    raise
                self.latencies.append(time.perf_counter() - began)
                if duplicate or len(ids) != len(orders) or any(i in self.acked for i in ids):
                    # every client_order_id is new, so a repeat answer or reused id is wrong
                    self.errors["bad acknowledgement"] += 1
                    continue
                self.requests += 1
                self.acked.update(zip(ids, orders, strict=True))

    async def _submit(
        self, client: KlasterClient, orders: list[SentOrder]
    ) -> tuple[Sequence[int], bool]:
        if self.batch is None:
            (o,) = orders
            ack = await client.submit_order(
                o.interval_start,
                o.connection_point,
                o.side,  # type: ignore[arg-type]
                o.price,
                o.quantity_wh,
                o.client_order_id,
            )
            return (ack.order_id,), ack.duplicate
        batch = await client.submit_batch(
            [o.interval_start for o in orders],
            [o.connection_point for o in orders],
            [o.side for o in orders],
            [o.price for o in orders],
            [o.quantity_wh for o in orders],
            [o.client_order_id for o in orders],
        )
        return batch.order_ids, batch.duplicate


async def run_loadtest(
    url: str,
    traders: Sequence[Trader],
    agents: int,
    duration_s: float,
    batch: int | None = None,
    *,
    tick_pln_mwh: Decimal = DEFAULT_TICK_PLN_MWH,
    run_id: str | None = None,
    seed: int | None = None,
    status: StatusLine | None = None,
) -> LoadResult:
    """Run the load and verify it (see the module docstring); ``url`` is not checked for
    loopback here; ``status`` says what is going on (on a terminal). Raises LoadTestError
    (no usable token, no interval open long enough), aiohttp.ClientError or OSError (the
    server is not reachable)."""
    run_id = run_id or f"lt-{secrets.token_hex(4)}"
    status = status or StatusLine(None)
    skipped: dict[str, str] = {}

    async def check(trader: Trader) -> tuple[int, list[Interval]] | None:
        async with KlasterClient(url, trader.token) as client:
            try:
                return await _calendar(client)
            except KlasterError as exc:
                if exc.status not in (401, 403):
                    raise
                # the token id (its first 8 characters, as `klaster members list` shows)
                skipped[trader.member] = f"{_error_kind(exc)} (token {trader.token[:8]})"
                return None

    calendars = await asyncio.gather(*(check(t) for t in traders))
    usable = [t for t, c in zip(traders, calendars, strict=True) if c is not None]
    if not usable:
        raise LoadTestError(f"no token was accepted by {url}: {skipped}", EXIT_BAD_INPUT)
    now_s, calendar = next(c for c in calendars if c is not None)
    bands = choose_intervals(now_s, calendar, duration_s + GRACE_S + MARGIN_S, tick_pln_mwh)
    if not bands:
        raise LoadTestError(
            f"no open interval's auction gate is at least {duration_s + GRACE_S + MARGIN_S:g} s "
            f"away (the run, {GRACE_S:g} s for stragglers and a {MARGIN_S:g} s margin); "
            "shorten --duration"
        )
    assigned = [usable[i % len(usable)] for i in range(agents)]  # round-robin
    by_member = {t.member: t.token for t in assigned}
    members = sorted(by_member)  # only these can have orders of this run
    status.show(f"listing the orders of {len(members)} members before the load…")
    listed = await asyncio.gather(*(_own_orders(url, by_member[m], bands) for m in members))
    before = {m: ids for m, (ids, _, _) in zip(members, listed, strict=True)}
    booked = sum((held for _, _, held in listed), Counter())

    began, cpu = time.monotonic(), time.process_time()
    seed = seed if seed is not None else time.time_ns()
    room = room_left(assigned, bands, booked)
    load = _Load(url, run_id, batch, bands, tick_pln_mwh, began + duration_s, seed, room)
    tasks = [asyncio.create_task(load.agent(i, t)) for i, t in enumerate(assigned)]
    sending = f"sending orders for {duration_s:g} s with {agents} agents…"
    telling = asyncio.create_task(
        keep_showing(status, lambda: f"{sending} {len(load.acked):,} acknowledged")
    )
    _, late = await asyncio.wait(tasks, timeout=duration_s + GRACE_S)
    for task in late:
        task.cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed, client_cpu = time.monotonic() - began, time.process_time() - cpu
    telling.cancel()
    status.end(f"{sending} {len(load.acked):,} acknowledged")
    for outcome in done:
        if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome  # a bug, not a load error: do not hide it in the counts

    after = await _listed_after(url, by_member, bands, before, len(load.acked), status)
    verification = compare_orders(load.acked, before, after)
    return LoadResult(
        run_id=run_id,
        url=url,
        agents=agents,
        members=len(members),
        batch=batch,
        duration_s=duration_s,
        elapsed_s=elapsed,
        client_cpu_s=client_cpu,
        intervals=tuple(sorted(bands)),
        requests=load.requests,
        orders=len(load.acked),
        booked_up=load.booked_up,
        latencies_s=np.asarray(load.latencies, dtype=np.float64),
        errors=load.errors,
        in_doubt_orders=load.in_doubt,
        skipped=skipped,
        verification=verification,
    )


async def _listed_after(
    url: str,
    tokens: Mapping[str, str],
    bands: Iterable[int],
    before: Mapping[str, Set[int]],
    acked: int,
    status: StatusLine,
) -> dict[str, list[Order]]:
    """Each member's orders new since ``before`` (what the verification compares), saying
    on ``status`` how many of the server's orders are listed back so far."""
    verifying = f"verifying {acked:,} orders against the server…"
    count = 0

    def listed(n: int) -> None:
        nonlocal count
        count += n
        status.show(f"{verifying} {count:,} listed")

    started = time.monotonic()
    status.show(verifying)
    members = sorted(tokens)
    lists = await asyncio.gather(
        *(_own_orders(url, tokens[m], bands, before[m], listed) for m in members)
    )
    status.end(f"{verifying} done in {time.monotonic() - started:.1f} s")
    return {m: orders for m, (_, orders, _) in zip(members, lists, strict=True)}


def run(args: argparse.Namespace) -> int:
    """Run ``klaster loadtest``; return the exit code."""
    try:
        cluster = demo_cluster() if args.config is None else load_cluster(args.config)
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        pairs = read_tokens(Path(args.tokens))
    except OSError as exc:
        print(
            f"klaster: cannot read tokens {args.tokens}: {exc.strerror or exc} (klaster serve "
            "writes DATA/demo-tokens.txt on the demo cluster's first start; see --tokens)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except LoadTestError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return exc.exit_code
    traders, skipped = select_traders(pairs, cluster)
    if not traders:
        print(
            f"klaster: no token in {args.tokens} belongs to a member of cluster {cluster.id} "
            f'with role "{TRADING_ROLE}" and a connection point',
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        result = asyncio.run(
            run_loadtest(
                args.url,
                traders,
                args.agents,
                args.duration,
                args.batch,
                tick_pln_mwh=cluster.tick_pln_mwh,
                status=StatusLine(sys.stderr),
            )
        )
    except LoadTestError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("klaster: loadtest interrupted; nothing verified", file=sys.stderr)
        return EXIT_FAILED
    except KlasterError as exc:  # outside the load: setting up or verifying
        print(f"klaster: {args.url} refused: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (aiohttp.ClientError, OSError) as exc:
        print(f"klaster: cannot reach {args.url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    result.skipped = {**skipped, **result.skipped}
    print(json.dumps(result.to_json()) if args.json else format_report(result))
    return EXIT_OK if result.ok else EXIT_FAILED
