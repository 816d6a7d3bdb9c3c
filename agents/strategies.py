"""Bidding strategies: how an agent turns what it needs in one interval into quotes.

Owns one interface, :class:`Strategy`, and five small classes behind it: :class:`Truthful`,
:class:`ZeroIntelligenceConstrained` (Gode and Sunder 1993), :class:`ZIP` (Cliff 1997),
:class:`LinearRamp` and :class:`BatteryArbitrage`. A strategy sees a :class:`Need` (side,
energy [Wh], limit price [tick]) and a :class:`MarketView` (what any member may know) and
returns :class:`Quote` values in the engine's units: side 0 buy / 1 sell, price [tick],
quantity [Wh], all ``int``.

Invariants (tests hold every strategy to them):

- every price lies in the interval's band ``[floor, cap]`` [tick] and never beyond the
  agent's limit: a buyer never bids above its limit, a seller never asks below it;
- every quantity is a positive ``int`` no larger than the need (the battery sizes its own
  need from its power, capacity and state of charge);
- a need that cannot be met inside the band (a buyer whose limit is below the floor, a seller
  whose limit is above the cap) gets no quote rather than a quote beyond the limit;
- randomness comes only from the ``numpy.random.Generator`` the caller passes in, so the
  same seed and the same calls give the same quotes.

Floats appear only in learning state (ZIP's margin), in the time fraction and in the
battery's efficiency at construction; every price and energy that leaves this module is an
integer, rounded once with ``round``.

References
----------
- Gode, D. K. and Sunder, S. (1993). Allocative efficiency of markets with zero-intelligence
  traders. Journal of Political Economy 101(1), 119-137. doi:10.1086/261868
- Cliff, D. (1997). Minimal-intelligence agents for bargaining behaviours in market-based
  environments. HP Laboratories Bristol, HPL-97-91.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from matching.units import energy_wh

BUY = 0
SELL = 1
PPM = 1_000_000  # parts per million: the battery's efficiency as an integer


@dataclass(frozen=True, slots=True)
class Need:
    """What an agent wants in one interval.

    side: 0 buy, 1 sell. energy_wh: energy to trade [Wh], > 0. limit: the value of that
    energy to the agent [tick]: the most a buyer will pay (e.g. the retail cap it avoids),
    the least a seller will take (e.g. the feed-in floor it would otherwise get).
    """

    side: int
    energy_wh: int
    limit: int

    def __post_init__(self) -> None:
        if self.side not in (BUY, SELL):
            raise ValueError(f"side must be 0 (buy) or 1 (sell), was {self.side}")
        if self.energy_wh <= 0:
            raise ValueError(f"energy must be > 0 Wh, was {self.energy_wh}")


@dataclass(frozen=True, slots=True)
class MarketView:
    """What an agent may know about one interval.

    floor, cap: the interval's price band [tick] (feed-in and retail prices). time_left:
    time until the gate as a fraction of the trading window [1], 1 at opening, 0 at the gate.
    last_price: the previous interval's clearing price [tick] or None. indicative: the
    current indicative clearing price [tick] or None.
    """

    floor: int
    cap: int
    time_left: float = 1.0
    last_price: int | None = None
    indicative: int | None = None

    def __post_init__(self) -> None:
        if self.floor > self.cap:
            raise ValueError(f"floor must be <= cap, was {self.floor} > {self.cap} ticks")
        if not 0.0 <= self.time_left <= 1.0:
            raise ValueError(f"time_left must be in 0..1, was {self.time_left}")


@dataclass(frozen=True, slots=True)
class Quote:
    """One order to submit: side 0 buy / 1 sell, price [tick], quantity [Wh]."""

    side: int
    price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an agent learns after the gate: the clearing price [tick] (None when the
    interval did not clear), how much of its own quotes filled [Wh], the best bid and ask
    [tick] left (partly) unfilled after the clearing, and, when nothing traded, the
    indicative price [tick] between them (each None when there is none, or when the caller
    does not publish it: :mod:`matching.published`)."""

    price: int | None
    filled_wh: int = 0
    best_bid: int | None = None
    best_ask: int | None = None
    indicative: int | None = None


class Strategy(Protocol):
    """Turn a need into quotes; learn from outcomes (a no-op for stateless strategies)."""

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return the quotes for ``need`` in the interval ``market`` describes."""
        ...

    def observe(self, outcome: Outcome, rng: np.random.Generator) -> None:
        """Update internal state from the outcome of the last quoted interval."""
        ...


def admissible(need: Need, market: MarketView) -> tuple[int, int] | None:
    """Return the prices [tick] ``need`` may be quoted at, as ``(low, high)``, or None.

    A buyer may bid from the floor up to ``min(limit, cap)``; a seller may ask from
    ``max(limit, floor)`` up to the cap. None when that range is empty.
    """
    if need.side == BUY:
        low, high = market.floor, min(need.limit, market.cap)
    else:
        low, high = max(need.limit, market.floor), market.cap
    return (low, high) if low <= high else None


def reservation(need: Need, low: int, high: int) -> int:
    """Return the agent's limit clipped into the admissible range [tick]."""
    return high if need.side == BUY else low


class _Stateless:
    def observe(self, outcome: Outcome, rng: np.random.Generator) -> None:
        """Learn nothing: the strategy has no state."""


class Truthful(_Stateless):
    """Quote the whole need at the agent's limit, clipped into the band."""

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return one quote at the limit [tick] for the whole energy [Wh]."""
        bounds = admissible(need, market)
        if bounds is None:
            return []
        return [Quote(need.side, reservation(need, *bounds), need.energy_wh)]


class ZeroIntelligenceConstrained(_Stateless):
    """Zero-intelligence constrained trader (ZI-C) of Gode and Sunder 1993.

    A buyer bids a price drawn uniformly from ``[floor, limit]``, a seller asks one drawn
    uniformly from ``[limit, cap]`` [tick]: random, but never at a loss. The band edges play
    the role of the paper's price range of 1..200.
    """

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return one quote at a uniform random integer price [tick] for the whole need."""
        bounds = admissible(need, market)
        if bounds is None:
            return []
        low, high = bounds
        return [Quote(need.side, int(rng.integers(low, high, endpoint=True)), need.energy_wh)]


class LinearRamp(_Stateless):
    """Start greedy and move linearly to the limit as the gate approaches.

    With ``s`` the start margin [1] and ``t`` the time left [1], a buyer bids
    ``limit - s * t * (limit - floor)`` and a seller asks ``limit + s * t * (cap - limit)``
    [tick]: at opening (``t = 1``, ``s = 1``) the far band edge, at the gate the limit.
    """

    def __init__(self, start_margin: float = 1.0) -> None:
        if not 0.0 <= start_margin <= 1.0:
            raise ValueError(f"start_margin must be in 0..1, was {start_margin}")
        self.start_margin = start_margin

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return one quote on the ramp [tick] for the whole need [Wh]."""
        bounds = admissible(need, market)
        if bounds is None:
            return []
        low, high = bounds
        step = round(self.start_margin * market.time_left * (high - low))
        price = high - step if need.side == BUY else low + step
        return [Quote(need.side, price, need.energy_wh)]


class ZIP:
    """Zero-intelligence-plus trader of Cliff 1997, adapted to a uniform-price call auction.

    The agent holds a profit margin ``mu`` in [0, 1]. Its price [tick] is a fraction ``mu`` of
    the way from its limit towards the far band edge: a buyer bids
    ``p = limit - mu * (limit - floor)``, a seller asks ``p = limit + mu * (cap - limit)``.
    (For a buyer with floor 0 this is Cliff's ``p = limit * (1 - mu)``; measuring the margin
    against the band instead keeps a seller whose limit is 0 ticks able to learn.)

    After each interval it moves ``p`` towards a target ``tau`` [tick] with the Widrow-Hoff
    rule and momentum (Cliff 1997, eqs. 9-15)::

        delta = beta * (tau - p)
        gamma_t = momentum * gamma_{t-1} + (1 - momentum) * delta
        p' = p + gamma_t, then mu' solved from p' and clipped to [0, 1]

    The target sits just beyond an observed price ``q``: ``tau = R * q + A`` with ``R``
    uniform in ``[1, 1 + r]`` and ``A`` uniform in ``[0, a * (cap - floor)]`` when the price
    should rise, and ``R`` in ``[1 - r, 1]``, ``A`` in ``[-a * (cap - floor), 0]`` when it
    should fall.

    **How the call-market variant differs from Cliff 1997.** Cliff's traders meet in a
    continuous double auction and learn from every shout, accepted or not, one at a time: a
    seller whose price is at or below an accepted price raises its margin (aims just above
    it), and one whose price is at or above a rejected offer (or an accepted bid) lowers it;
    buyers mirror this. A call market publishes one result per interval instead
    (:class:`Outcome`), and the target follows from it:

    - *a trade at the uniform price* ``q``: every trader aims just past ``q`` towards the
      other side, filled or not: a buyer a little above ``q``, a seller a little below, on
      the side of ``q`` where its order fills. A buyer whose bid lay far above ``q`` thus
      takes more margin, one whose bid lay below concedes; both end up with a small cushion
      on the filling side of the price. Cliff's filled trader aims just *beyond* ``q``
      instead (a seller above it), because in a continuous auction a trader is paid its own
      price, so its margin is what it gains by shading. Under a uniform price every order at
      least as good as ``q`` fills and is paid ``q``: shading past ``q`` gains nothing and
      loses the next call (with Cliff's rule the symmetric market trades 2.6 of the 6
      competitive units a period, 47 % of the competitive surplus), while the cushion keeps
      the trader in and leaves the price to the marginal traders, whose limits pin it at
      the competitive price. What this gives up: a marginal trader's own price does set
      ``q``, and one with market power could gain by shading it; these traders do not try.
    - *no trade*, with the *indicative price* ``i`` published (the point the uniform price
      rule picks between the best unfilled bid and ask, which do not cross): every trader
      aims just past ``i`` the same way. This replaces Cliff's rule for a rejected shout
      (concede towards it): in a call every shout of the interval is rejected at once, and
      without this rule a market whose margins have grown until the best bid lies below the
      best ask never trades again, since nothing else moves a margin.
    - *no trade* without an indicative price (a side was empty, or the caller does not
      publish it): nothing is learned.
    - the agent's own fill plays no part: under a uniform price it only says on which side
      of ``q`` the agent's price lay, and the target is the same on both sides.

    Cliff's traders also learn within a trading period, shout by shout; these learn once per
    call, so they need more periods to converge. In Cliff's symmetric market
    (``agents.sim.symmetric_market``; its test holds every seed to it) over 20 seeds the
    population trades all 6 competitive units in each of the last 50 of 300 periods at 200
    ticks, the competitive price, realising 100 % of the competitive surplus; from margins
    so large that no bid meets an ask (0.6..0.9) every seed trades by its 9th period with the
    indicative price, and none ever does without it.
    """

    def __init__(
        self,
        margin: float = 0.2,
        beta: float = 0.3,
        momentum: float = 0.05,
        r: float = 0.05,
        a: float = 0.01,
    ) -> None:
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in 0..1, was {margin}")
        if not 0.0 < beta <= 1.0:
            raise ValueError(f"beta (learning rate) must be in (0, 1], was {beta}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), was {momentum}")
        self.margin = margin
        self.beta = beta
        self.momentum = momentum
        self.r = r
        self.a = a
        self._gamma = 0.0  # momentum term [tick]
        # The last quote's side, limit, far edge and price, for observe(): 0 ticks span
        # means the margin cannot move the price.
        self._last: tuple[int, int, int, float] | None = None

    def _price(self, limit: int, edge: int) -> float:
        return limit + self.margin * (edge - limit)

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return one quote at the margin's price [tick] for the whole need [Wh]."""
        bounds = admissible(need, market)
        if bounds is None:
            self._last = None
            return []
        low, high = bounds
        limit, edge = (high, low) if need.side == BUY else (low, high)
        price = self._price(limit, edge)
        self._last = (need.side, limit, edge, price)
        # The margin is in [0, 1], so the rounded price stays between limit and edge.
        return [Quote(need.side, round(price), need.energy_wh)]

    def target(self, q: int, raise_price: bool, span: int, rng: np.random.Generator) -> float:
        """Return Cliff's target price [tick] just above (or below) the observed price ``q``."""
        if raise_price:
            return q * rng.uniform(1.0, 1.0 + self.r) + rng.uniform(0.0, self.a * span)
        return q * rng.uniform(1.0 - self.r, 1.0) - rng.uniform(0.0, self.a * span)

    def observe(self, outcome: Outcome, rng: np.random.Generator) -> None:
        """Move the margin towards the target the published result sets (see the class)."""
        if self._last is None:
            return
        side, limit, edge, price = self._last
        q = outcome.price if outcome.price is not None else outcome.indicative
        if edge == limit or q is None:
            return
        # Just past the published price towards the other side: a buyer above, a seller below.
        tau = self.target(q, side == BUY, abs(edge - limit), rng)
        delta = self.beta * (tau - price)
        self._gamma = self.momentum * self._gamma + (1.0 - self.momentum) * delta
        new_price = price + self._gamma
        self.margin = min(1.0, max(0.0, (new_price - limit) / (edge - limit)))
        self._last = (side, limit, edge, self._price(limit, edge))


@dataclass(frozen=True, slots=True)
class Fill:
    """Energy traded for the agent: side 0 bought / 1 sold, quantity [Wh]."""

    side: int
    quantity: int


class BatteryArbitrage:
    """Buy energy when it is cheap and sell it when it is dear, within the battery's limits.

    The reference price ``ref`` [tick] is the integer mean of the last ``window`` observed
    clearing prices (the band's midpoint before any). The expected price [tick] is the
    indicative price, else the last clearing price, else ``ref``. With
    ``d = spread_permille * (cap - floor) // 1000`` [tick]:

    - expected ``<= ref - d``: charge, bidding at ``ref - d`` (never paying more);
    - expected ``>= ref + d``: discharge, asking at ``ref + d`` (never taking less);
    - otherwise: no quote.

    Per interval the battery moves at most ``power_w * interval_s // 3600`` [Wh]. Losses are
    booked on charging: buying ``E`` Wh stores ``E * efficiency`` Wh (rounded down); selling
    ``E`` Wh takes ``E`` Wh out. The state of charge stays in ``[min_soc_wh, capacity_wh]``.
    The ``need`` passed to :meth:`quote` is ignored: the battery's state is its need
    (:meth:`plan`).
    """

    def __init__(
        self,
        capacity_wh: int,
        power_w: int,
        efficiency: float = 0.9,
        soc_wh: int = 0,
        min_soc_wh: int = 0,
        interval_s: int = 900,
        spread_permille: int = 100,
        window: int = 96,
    ) -> None:
        if capacity_wh <= 0 or power_w <= 0 or interval_s <= 0 or window <= 0:
            raise ValueError(
                "capacity, power, interval and window must be > 0, were "
                f"{capacity_wh} Wh, {power_w} W, {interval_s} s, {window}"
            )
        if not 1 / PPM <= efficiency <= 1.0:
            raise ValueError(f"efficiency must be in [1e-6, 1], was {efficiency}")
        if not 0 <= min_soc_wh <= soc_wh <= capacity_wh:
            raise ValueError(
                f"need 0 <= min_soc <= soc <= capacity, was {min_soc_wh}, {soc_wh}, "
                f"{capacity_wh} Wh"
            )
        if spread_permille < 0:
            raise ValueError(f"spread must be >= 0 permille, was {spread_permille}")
        self.capacity_wh = capacity_wh
        self.min_soc_wh = min_soc_wh
        self.soc_wh = soc_wh
        self.step_wh = energy_wh(power_w, interval_s)  # energy per interval [Wh]
        self.efficiency_ppm = round(efficiency * PPM)
        self.spread_permille = spread_permille
        self.prices: deque[int] = deque(maxlen=window)

    def charge_room_wh(self) -> int:
        """Return the most energy [Wh] the battery may buy in one interval."""
        room = (self.capacity_wh - self.soc_wh) * PPM // self.efficiency_ppm
        return min(self.step_wh, room)

    def discharge_room_wh(self) -> int:
        """Return the most energy [Wh] the battery may sell in one interval."""
        return min(self.step_wh, self.soc_wh - self.min_soc_wh)

    def thresholds(self, market: MarketView) -> tuple[int, int]:
        """Return the charge and discharge thresholds ``(ref - d, ref + d)`` [tick]."""
        if self.prices:
            ref = sum(self.prices) // len(self.prices)
        else:
            ref = (market.floor + market.cap) // 2
        d = self.spread_permille * (market.cap - market.floor) // 1000
        return ref - d, ref + d

    def plan(self, market: MarketView) -> Need | None:
        """Return the battery's need for the interval, or None to stay idle."""
        low, high = self.thresholds(market)
        expected = market.indicative if market.indicative is not None else market.last_price
        if expected is None:
            expected = (low + high) // 2
        if expected <= low and (room := self.charge_room_wh()) > 0:
            return Need(BUY, room, low)
        if expected >= high and (room := self.discharge_room_wh()) > 0:
            return Need(SELL, room, high)
        return None

    def quote(self, need: Need, market: MarketView, rng: np.random.Generator) -> list[Quote]:
        """Return a truthful quote for :meth:`plan`'s need, or none (``need`` is ignored)."""
        own = self.plan(market)
        return [] if own is None else Truthful().quote(own, market, rng)

    def observe(self, outcome: Outcome, rng: np.random.Generator) -> None:
        """Remember the clearing price [tick] for the reference mean."""
        if outcome.price is not None:
            self.prices.append(outcome.price)

    def apply(self, fill: Fill) -> None:
        """Update the state of charge [Wh] after ``fill``; refuse fills beyond the limits."""
        if fill.side == BUY:
            if not 0 < fill.quantity <= self.charge_room_wh():
                raise ValueError(
                    f"a charge of {fill.quantity} Wh is outside 1..{self.charge_room_wh()} Wh"
                )
            self.soc_wh += fill.quantity * self.efficiency_ppm // PPM
        else:
            if not 0 < fill.quantity <= self.discharge_room_wh():
                raise ValueError(
                    f"a discharge of {fill.quantity} Wh is outside 1..{self.discharge_room_wh()} Wh"
                )
            self.soc_wh -= fill.quantity
