"""The price band of every interval: floor (feed-in price) and cap (retail price), in ticks.

A cluster gives a default band as two constants and may override single intervals from a
CSV file with the header ``interval_start,floor_pln_mwh,cap_pln_mwh``: one row per interval,
``interval_start`` in ISO 8601 with a UTC offset (``2025-06-01T12:00:00+02:00`` or ``...Z``),
aligned to the interval length counted from the Unix epoch, each interval at most once;
prices are plain decimals in PLN/MWh, whole numbers of the cluster's tick, within
±:data:`~matching.units.MAX_ABS_PRICE_TICKS` ticks, floor <= cap. Blank lines are skipped,
a UTF-8 byte-order mark is tolerated. Problems raise :class:`BandsCsvError` with the line.

Prices are converted exactly (``decimal.Decimal``), never through floats.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from matching.units import MAX_ABS_PRICE_TICKS, pln_mwh_to_ticks, ticks_to_pln_mwh

CSV_HEADER = ("interval_start", "floor_pln_mwh", "cap_pln_mwh")
# Plain decimals only: Decimal() alone would also take "1e3", "1_000", "Infinity" and "NaN".
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class PriceBands:
    """Floor and cap of every interval [tick]: the defaults, and per-interval overrides.

    ``overrides`` maps an interval start [s since the Unix epoch, UTC] to ``(floor, cap)``.
    """

    floor_ticks: int
    cap_ticks: int
    overrides: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.overrides, MappingProxyType):  # read-only, like the rest
            object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def __hash__(self) -> int:  # the mapping proxy is not hashable; its items are
        return hash((self.floor_ticks, self.cap_ticks, frozenset(self.overrides.items())))

    def band(self, interval_start: int) -> tuple[int, int]:
        """Return ``(floor, cap)`` [tick] of the interval starting at ``interval_start`` [s]."""
        return self.overrides.get(interval_start, (self.floor_ticks, self.cap_ticks))


class BandsCsvError(ValueError):
    """A malformed price-band CSV; ``line`` is the 1-based line, None for the whole file."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.line = line
        self.reason = reason


def parse_pln_mwh(text: str, tick: Decimal, what: str) -> int:
    """Read a price [PLN/MWh] written as decimal text as ticks of ``tick`` PLN/MWh, exactly
    (:func:`matching.units.pln_mwh_to_ticks`).

    Raise ``ValueError`` naming ``what`` unless the price is a plain decimal, a whole number
    of ticks and within ±MAX_ABS_PRICE_TICKS ticks.
    """
    if not PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f'{what} must be a decimal in PLN/MWh such as "250.00", was "{text}"')
    value = Decimal(text)
    limit = ticks_to_pln_mwh(MAX_ABS_PRICE_TICKS, tick)
    if abs(value) > limit:
        raise ValueError(f'{what} must be within -{limit}..{limit} PLN/MWh, was "{text}"')
    try:
        return pln_mwh_to_ticks(value, tick)
    except ValueError:
        raise ValueError(
            f'{what} must be a whole number of ticks of {tick} PLN/MWh, was "{text}"'
        ) from None


def read_bands_csv(path: Path, interval_seconds: int, tick: Decimal) -> dict[int, tuple[int, int]]:
    """Read per-interval bands from ``path``: interval start [s] -> (floor, cap) [tick].

    Raise :class:`BandsCsvError` for a malformed file, ``OSError`` if it cannot be read.
    """
    return parse_bands_csv(path.read_bytes(), interval_seconds, tick)


def parse_bands_csv(
    data: bytes, interval_seconds: int, tick: Decimal
) -> dict[int, tuple[int, int]]:
    """Per-interval bands from the bytes of a band CSV (a file, or the copy a journal holds);
    :class:`BandsCsvError` for a malformed one."""
    try:
        text = data.decode("utf-8-sig")  # tolerate the BOM spreadsheets write
    except UnicodeDecodeError as exc:
        raise BandsCsvError(data[: exc.start].count(b"\n") + 1, "file must be UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    bands: dict[int, tuple[int, int]] = {}
    first_line: dict[int, int] = {}
    try:
        header = next(reader, None)
        if header is None:
            raise BandsCsvError(1, f"empty file, expected the header {','.join(CSV_HEADER)}")
        if tuple(name.strip() for name in header) != CSV_HEADER:
            expected, found = ",".join(CSV_HEADER), ",".join(header)
            raise BandsCsvError(1, f"header must be {expected}, was {found}")
        for record in reader:
            line = reader.line_num
            if not record or all(not value.strip() for value in record):
                continue
            try:
                start, band = _parse_row(record, interval_seconds, tick)
            except ValueError as exc:
                raise BandsCsvError(line, str(exc)) from None
            if start in first_line:
                when = record[0].strip()
                reason = f'interval_start "{when}" is the same interval as line {first_line[start]}'
                raise BandsCsvError(line, reason)
            first_line[start] = line
            bands[start] = band
    except csv.Error as exc:
        raise BandsCsvError(reader.line_num, f"bad CSV: {exc}") from None
    return bands


def _parse_row(record: list[str], interval_seconds: int, tick: Decimal) -> tuple[int, tuple]:
    if len(record) != len(CSV_HEADER):
        raise ValueError(f"expected {len(CSV_HEADER)} columns, found {len(record)}")
    when, floor_text, cap_text = (value.strip() for value in record)
    start = _interval_start(when, interval_seconds)
    floor = parse_pln_mwh(floor_text, tick, "floor_pln_mwh")
    cap = parse_pln_mwh(cap_text, tick, "cap_pln_mwh")
    if floor > cap:
        raise ValueError(f"floor_pln_mwh must be <= cap_pln_mwh, was {floor_text} > {cap_text}")
    return start, (floor, cap)


def _interval_start(text: str, interval_seconds: int) -> int:
    """Parse an ISO 8601 instant with an offset into s since the epoch, checking alignment."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f'interval_start must be ISO 8601 such as "2025-06-01T12:00:00+02:00", was "{text}"'
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f'interval_start must have a UTC offset (+02:00 or Z), was "{text}"')
    seconds, rest = divmod(moment - _EPOCH, _SECOND)
    if rest or seconds % interval_seconds:
        minutes = interval_seconds // 60
        raise ValueError(
            f"interval_start must be the start of a {minutes}-minute interval (a multiple of "
            f'{interval_seconds} s since 1970-01-01T00:00Z), was "{text}"'
        )
    return seconds
