"""How the market says values to people: the words of its refusals.

A refusal's message reaches whoever sent the command (the ``detail`` of a gateway problem,
a simulation's log), who spoke in the API's units: prices in PLN/MWh with the cluster's
tick decimals (``"250.00 PLN/MWh"``, exact, never a float), instants in RFC 3339 UTC
(``2026-12-01T18:45:00Z``), energies in Wh. So every message says them in those units,
never in ticks or seconds since the epoch; the machine-readable parts of a refusal (code,
field, row) stay as they are.

Every message that names a price or an instant is built here, by one function per kind of
refusal, and only when refusing (the hot path never formats text). A new refusal that
names a price, an energy limit or an instant adds its function here and calls it where it
refuses (``lambda r: wording.x(...)`` in a columnar check). The conversion of ticks to
PLN/MWh is :func:`matching.units.ticks_to_pln_mwh`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from engine.model.calendar import Calendar, in_range
from matching.units import ticks_to_pln_mwh


def price(ticks: int, tick: Decimal) -> str:
    """``ticks`` [tick] as ``"250.00 PLN/MWh"`` (the tick's decimals, exact)."""
    return f"{ticks_to_pln_mwh(int(ticks), tick)} PLN/MWh"


def band(floor: int, cap: int, tick: Decimal) -> str:
    """A price band [tick] as ``"250.00..900.00 PLN/MWh"``."""
    return f"{ticks_to_pln_mwh(int(floor), tick)}..{price(cap, tick)}"


def instant(t_s: int) -> str:
    """An instant [s since the epoch] as RFC 3339 UTC, ``2026-12-01T18:45:00Z``; one
    outside the market's range (never formatted for a client: the gateway refuses it
    first) as the number it is."""
    t_s = int(t_s)
    if not in_range(t_s):
        return f"{t_s} s since the epoch"
    return datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_near(t_s: int, day_of_s: int) -> str:
    """``t_s`` as ``18:40:00Z`` when it falls on the same UTC day as ``day_of_s``, else as a
    whole instant (a gate the day before its interval)."""
    whole = instant(t_s)
    return whole[11:] if whole[:10] == instant(day_of_s)[:10] else whole


def interval_length(calendar: Calendar) -> str:
    """``15-minute`` (the calendar's interval length)."""
    return f"{calendar.length_s // 60}-minute"


def not_an_interval_start(t_s: int, calendar: Calendar) -> str:
    """A BAD_INTERVAL: ``t_s`` is not the start of an interval; names the one it is in."""
    start = calendar.start_of(int(t_s))
    return (
        f"{instant(t_s)} is not the start of a {interval_length(calendar)} interval "
        f"(the interval it falls in starts at {time_near(start, t_s)})"
    )


def interval_not_open(start: int, calendar: Calendar, now_s: int) -> str:
    """An INTERVAL_NOT_OPEN of an order: when the interval opens, or when its (final) gate
    closed."""
    start = int(start)
    if now_s < calendar.opens_at(start):
        opens = time_near(calendar.opens_at(start), start)
        return f"interval {instant(start)} is not open yet (opens at {opens})"
    closed = time_near(calendar.final_gate(start), start)
    return f"interval {instant(start)} is not open (closed at {closed})"


def gate_closed_early(start: int) -> str:
    """An INTERVAL_NOT_OPEN of an order for an interval whose gate the coordinator closed
    before its time."""
    return f"interval {instant(start)} is not open (the coordinator closed its gate early)"


def already_cleared(start: int) -> str:
    """An INTERVAL_NOT_OPEN of a gate closure: the interval's auction is over."""
    return f"interval {instant(start)} is already cleared"


def band_fixed(start: int, calendar: Calendar) -> str:
    """An INTERVAL_NOT_OPEN of a band: the interval's auction gate has closed."""
    closed = time_near(calendar.auction_gate(int(start)), start)
    return f"the gate of interval {instant(start)} closed at {closed}: its band is fixed"


def price_out_of_band(ticks: int, floor: int, cap: int, tick: Decimal) -> str:
    """A PRICE_OUT_OF_BAND: ``price 1000.00 PLN/MWh is outside the band 250.00..900.00
    PLN/MWh``."""
    return f"price {price(ticks, tick)} is outside the band {band(floor, cap, tick)}"


def price_beyond_limit(name: str, ticks: int, limit: int, tick: Decimal) -> str:
    """A band's floor or cap beyond the largest price [tick] the market takes."""
    most = ticks_to_pln_mwh(limit, tick)
    return f"{name} must be within -{most}..{most} PLN/MWh, was {price(ticks, tick)}"


def floor_above_cap(floor: int, cap: int, tick: Decimal) -> str:
    """A band whose floor is above its cap."""
    return f"floor must be <= cap, was {price(floor, tick)} > {price(cap, tick)}"


def not_delivered(start: int, calendar: Calendar) -> str:
    """A READING_NOT_DELIVERED: when the interval will have been delivered."""
    delivered = time_near(calendar.delivered_at(int(start)), start)
    return f"interval {instant(start)} is not delivered yet (delivered at {delivered})"


def quantity_above_limit(quantity: int, limit: int, point_id: str, side: int) -> str:
    """A QUANTITY_ABOVE_LIMIT: the most the connection point moves in one interval [Wh]."""
    verb = "import" if side == 0 else "export"
    return (
        f"quantity {quantity} Wh is above the {limit} Wh that connection point {point_id} "
        f"can {verb} in one interval"
    )


def above_interval_limit(
    start: int, point_id: str, side: int, limit: int, quantity: int, already: str
) -> str:
    """An ABOVE_INTERVAL_LIMIT: the point's limit in the interval [Wh], what its orders already
    hold of it (``already``, worded by :mod:`engine.book.point_limits`) and this order's
    quantity [Wh]."""
    verb, what = ("import", "bids") if side == 0 else ("export", "asks")
    return (
        f"connection point {point_id} may {verb} {limit} Wh in interval {instant(start)}; "
        f"{already}, this order {what} {quantity} Wh"
    )


def not_in_cluster(member_id: str) -> str:
    """A member's order for an interval in which the member is not in the cluster."""
    return (
        f"member {member_id} is not in the cluster in the interval of this order "
        "(it left before it, or joins after it; GET /v1/cluster shows the configuration)"
    )


def point_not_in_cluster(point_id: str) -> str:
    """An order naming a connection point not in the cluster in its interval."""
    return (
        f"connection point {point_id} is not in the cluster in the interval of this order "
        "(GET /v1/me lists yours)"
    )


def change_too_early(effective: int, first: int) -> str:
    """A configuration change from an interval that is cleared or whose gate has closed."""
    return (
        f"a change may take effect from {instant(first)} on (the first interval whose "
        f"auction gate is open and which is not cleared), not from {instant(effective)}"
    )


def point_not_metered(point_id: str, start: int) -> str:
    """A reading of a connection point that is not in the cluster in its interval."""
    return f"connection point {point_id} is not in the cluster in interval {instant(start)}"
