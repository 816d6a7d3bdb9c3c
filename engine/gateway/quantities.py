"""Units at the API edge: instants, prices and energies in, exact integers out, and back.

- ``interval_start`` and other instants: an ISO 8601 string with an offset
  (``"2026-01-01T01:00:00Z"``) or int seconds since the Unix epoch; whole seconds only,
  from 2000-01-01T00:00:00Z to before 2100-01-01T00:00:00Z (:func:`engine.model.calendar.in_range`:
  checked here, before the market sees the value, so nothing outside it is ever journaled).
  Out: ISO 8601 UTC with ``Z``.
- ``price``: PLN/MWh as a number or a decimal string (:class:`engine.api.PriceInput`), a
  whole number of the cluster's ticks (at the default tick 0.01: at most 2 decimals), within
  ±``MAX_ABS_PRICE_TICKS`` ticks. Out: an exact ``Decimal`` with the tick's decimals
  (``"512.30"`` on the wire).
- Energies (``quantity_wh``, ``import_wh``, ...): int Wh (not bool, not 5.0).

Floats are converted once, exactly or not at all: a single price goes through ``Decimal``
(:class:`~engine.api.PriceInput`: JSON numbers arrive as ``Decimal``; a msgpack float is
read as its shortest decimal repr); a price column through numpy:
``ticks = rint(price / tick)`` and the row is off-tick unless ``ticks * tick`` rounds back
to the very same float (the float nearest a decimal with the tick's decimals is exactly what
an encoder writes for that decimal).
Refusals raise :class:`~engine.gateway.problems.Problem` (422, with the field) or, for
columns, return per-row errors ``{row, field, code, detail}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from engine.api import Int64Column, PriceInput, RowError
from engine.api.values import INT64_MAX, MAX_INSTANT_TEXT
from engine.book.new_orders import MAX_REPORTED_ROWS
from engine.gateway.problems import Problem, unprocessable
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S, INSTANT_RANGE, in_range
from matching.units import MAX_ABS_PRICE_TICKS, OffTick, pln_mwh_to_ticks, ticks_to_pln_mwh

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
_NUMBER_TYPES = frozenset({int, float})
_LE_INT64 = np.dtype("<i8")


def moment(s: int) -> datetime:
    """Seconds since the epoch -> an aware UTC datetime (``...Z`` on the wire)."""
    return datetime.fromtimestamp(s, UTC)


def instant(value: int | str, field: str) -> int:
    """A decoded instant (int seconds or ISO text) -> [s] (see :func:`parse_instant`)."""
    if type(value) is int and FIRST_INSTANT_S <= value < END_INSTANT_S:
        return value  # the hot path: one comparison
    return parse_instant(value, field)


def parse_instant(value: Any, field: str) -> int:
    """An ISO 8601 instant with an offset, or int seconds since the epoch -> int seconds,
    within :data:`~engine.model.calendar.INSTANT_RANGE` (else a 422 naming ``field``)."""
    if type(value) is int:
        t = value
    elif isinstance(value, str) and len(value) <= MAX_INSTANT_TEXT:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() is None:
            raise _not_an_instant(value, field)
        if moment.microsecond:
            raise unprocessable(field, f"{field} must be whole seconds, was {value!r}")
        t = (moment - EPOCH) // SECOND  # exact, whatever the year (no float, no OverflowError)
    else:
        raise _not_an_instant(value, field)
    if not in_range(t):
        raise unprocessable(field, f"{field} must be {INSTANT_RANGE}, was {_show(value)}")
    return t


def _not_an_instant(value: Any, field: str) -> Problem:
    return unprocessable(
        field,
        f'{field} must be ISO 8601 with an offset such as "2026-01-01T01:00:00Z" or int '
        f"seconds since the epoch, was {_show(value)}",
    )


def pln_mwh(ticks: int, tick: Decimal) -> Decimal:
    """Ticks -> PLN/MWh, exact, with the tick's decimals (``Decimal(ticks) * tick`` has
    them: a product's exponent is the sum of its factors')."""
    return ticks_to_pln_mwh(ticks, tick)


def format_price(ticks: int, tick: Decimal) -> str:
    """Ticks -> PLN/MWh as a decimal string with the tick's decimals."""
    return str(pln_mwh(ticks, tick))


def price_ticks(number: Decimal, tick: Decimal, field: str = "price", sent: Any = None) -> int:
    """A finite price [PLN/MWh] -> ticks, exactly: within the limit, whole ticks only.
    ``sent``: the value as the client sent it, for the message (default: ``number``)."""
    try:  # the usual price: one exact division (a whole number of ticks is within the
        # limit exactly when the price is: ticks * tick == number)
        ticks = pln_mwh_to_ticks(number, tick)
        if -MAX_ABS_PRICE_TICKS <= ticks <= MAX_ABS_PRICE_TICKS:
            return ticks
    except ValueError:  # off tick, or too many digits: refused below, in the order of checks
        pass
    limit = MAX_ABS_PRICE_TICKS * tick
    shown = str(number) if sent is None else _show(sent)
    if abs(number) > limit:
        raise unprocessable(field, f"{field} must be within -{limit}..{limit} PLN/MWh, was {shown}")
    try:
        return pln_mwh_to_ticks(number, tick)
    except OffTick:
        raise unprocessable(
            field,
            f"{field} must be a multiple of {tick} PLN/MWh (the cluster's tick), was {shown}",
            "price-off-tick",
        ) from None
    except ValueError:  # more digits than a price can have: refuse rather than guess
        raise unprocessable(field, f"{field} is not a price, was {shown}") from None


def parse_price(value: Any, tick: Decimal, field: str = "price") -> int:
    """PLN/MWh as sent (int, float, ``Decimal`` or decimal string) -> ticks, exactly."""
    try:
        number = PriceInput.read(value)
    except ValueError as exc:
        raise unprocessable(field, f"{field} {exc}") from None
    return price_ticks(number, tick, field, value)


def parse_energy(value: Any, field: str) -> int:
    """Int Wh (any sign: the engine says what is allowed) -> int, within int64."""
    if type(value) is not int or not -INT64_MAX <= value <= INT64_MAX:
        raise unprocessable(field, f"{field} must be an integer number of Wh, was {_show(value)}")
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- columns ----------------------------------------------------------------------------


class RowErrors:
    """Per-row conversion errors of a columnar request (the first few kept)."""

    def __init__(self) -> None:
        self.rows: list[RowError] = []
        self.count = 0

    def add(self, row: int, field: str, code: str, detail: str) -> None:
        self.count += 1
        if len(self.rows) < MAX_REPORTED_ROWS:
            self.rows.append(RowError(row, field, code, detail))

    def add_problem(self, row: int, problem: Problem) -> None:
        self.add(row, problem.field or "", problem.slug, problem.detail)

    def sorted(self) -> list[RowError]:
        return sorted(self.rows, key=lambda e: e.row or 0)


def column(values: Any, field: str, n: int | None, *, int64: bool = False) -> Any:
    """A column's list, of length ``n`` if given. With ``int64``, a msgpack ``bin`` of raw
    little-endian int64 values (8 bytes a row) is read too, as an int64 array."""
    if isinstance(values, Int64Column):
        values = values.values
    if int64 and type(values) is bytes:
        values = int64_bin(values, field)
    elif not isinstance(values, list):
        raise unprocessable(field, f"{field} must be an array, was {_show(values)}")
    if n is not None and len(values) != n:
        raise unprocessable(
            field, f"{field} must have {n} entries like the others, had {len(values)}"
        )
    return values


def int64_bin(raw: bytes, field: str) -> np.ndarray:
    """Raw little-endian int64 bytes -> a read-only int64 array viewing them (no copy on a
    little-endian host); a length that is not a multiple of 8 is refused (422)."""
    if len(raw) % 8:
        raise unprocessable(
            field,
            f"{field} as bin must hold little-endian int64 values, 8 bytes each, "
            f"had {len(raw)} bytes",
        )
    return np.frombuffer(raw, _LE_INT64).astype(np.int64, copy=False)


def int_column(values: list[Any] | np.ndarray, field: str, errors: RowErrors) -> np.ndarray:
    """Ints -> int64; other types and values beyond int64 are row errors. An int64 array
    (a bin column) is taken as it is."""
    if isinstance(values, np.ndarray):
        return values
    if set(map(type, values)) <= {int}:
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            pass  # some value is beyond int64: find which below
    out = np.zeros(len(values), np.int64)
    for row, value in enumerate(values):
        try:
            out[row] = parse_energy(value, field)
        except Problem as problem:
            errors.add_problem(row, problem)
    return out


def instant_column(values: list[Any] | np.ndarray, field: str, errors: RowErrors) -> np.ndarray:
    """Instants (ints, or ISO strings: parsed once per distinct value; or an int64 array
    from a bin column) -> int64 [s]."""
    if isinstance(values, np.ndarray):
        outside = np.flatnonzero((values < FIRST_INSTANT_S) | (values >= END_INSTANT_S))
        for row in outside[:MAX_REPORTED_ROWS].tolist():
            try:
                parse_instant(int(values[row]), field)
            except Problem as problem:
                errors.add_problem(row, problem)
        errors.count += max(0, outside.shape[0] - MAX_REPORTED_ROWS)
        return values
    if set(map(type, values)) <= {int}:
        try:
            out = np.array(values, dtype=np.int64)
        except OverflowError:
            out = None
        if out is not None and (
            out.size == 0 or (out.min() >= FIRST_INSTANT_S and out.max() < END_INSTANT_S)
        ):
            return out
    parsed: dict[Any, int | Problem] = {}
    out = np.zeros(len(values), np.int64)
    for row, value in enumerate(values):
        key = (type(value), value) if isinstance(value, (int, str)) else None
        got = parsed.get(key) if key is not None else None
        if got is None:
            try:
                got = parse_instant(value, field)
            except Problem as problem:
                got = problem
            if key is not None:
                parsed[key] = got
        if isinstance(got, Problem):
            errors.add_problem(row, got)
        else:
            out[row] = got
    return out


def price_column(values: list[Any], tick: Decimal, field: str, errors: RowErrors) -> np.ndarray:
    """Prices [PLN/MWh] -> int64 ticks: numpy for numbers (exactness-checked), ``Decimal``
    row by row for anything else (decimal strings)."""
    n = len(values)
    if set(map(type, values)) <= _NUMBER_TYPES:
        try:
            prices = np.array(values, dtype=np.float64)
        except OverflowError:
            prices = None
        if prices is not None:
            return _price_floats(prices, tick, field, errors)
    out = np.zeros(n, np.int64)
    for row, value in enumerate(values):
        try:
            out[row] = parse_price(value, tick, field)
        except Problem as problem:
            errors.add_problem(row, problem)
    return out


def _price_floats(prices: np.ndarray, tick: Decimal, field: str, errors: RowErrors) -> np.ndarray:
    step = Fraction(tick)  # tick = a / b exactly, e.g. 1 / 100
    a, b = step.numerator, step.denominator
    limit = float(MAX_ABS_PRICE_TICKS * step)
    with np.errstate(invalid="ignore", over="ignore"):
        usable = np.isfinite(prices) & (np.abs(prices) <= limit)
        ticks = np.rint(np.where(usable, prices, 0.0) * b / a)
        # ticks * a < 2**53 within the limit: exact, and one correctly rounded division.
        exact = (ticks * a) / b == prices
    bad = ~(usable & exact)
    if bad.any():
        rows = np.flatnonzero(bad)
        for row in rows[:MAX_REPORTED_ROWS].tolist():
            try:
                parse_price(float(prices[row]), tick, field)
                detail = f"{field} must be a multiple of {tick} PLN/MWh (the cluster's tick)"
                errors.add(row, field, "price-off-tick", detail)  # never, if the checks agree
            except Problem as problem:
                errors.add_problem(row, problem)
        errors.count += max(0, rows.shape[0] - MAX_REPORTED_ROWS)
    return ticks.astype(np.int64)
