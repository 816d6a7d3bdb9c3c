"""How each connection point is billed: its supplier's price, distribution tariff group and
prosumer regime; and the cluster's settlement rules (discount, excise, VAT, RCE, netting).

Config keys, all optional so that every config written before them loads (the defaults are
the law's where the law has one; ``engine/DESIGN.md``, "Statements", cites each):

- per connection point: ``tariff`` (a group of :mod:`engine.config.tariffs`, default
  ``"G11"``); ``supplier_pln_mwh`` (the supplier's energy price: a decimal, or a table zone
  name -> decimal; default: the cap of the interval's price band, the cluster's retail
  price) and ``supplier_csv`` (``interval_start,price_pln_mwh`` per interval, overriding the
  other two for the intervals it lists); ``regime`` (``none``, ``net-metering``,
  ``net-billing``; default ``net-billing``, the law for every prosumer since 1 April 2022);
  ``net_billing_price`` (``rce``, the price of each settlement period, or ``rcem``, the
  monthly one; default ``rcem``); ``net_metering_ratio`` (default 0.8 up to 10 kW of
  ``installed_kw``, 0.7 above); ``cluster_discount`` (default true: the cluster's discount
  on distribution applies to the point);
- ``[settlement]``: ``discount_share`` (the share of the variable distribution charge on
  locally bought energy the cluster's members do not pay, default ``"0"``), ``excise_pln_mwh``
  (``"5.00"``), ``vat_rate`` (``"0.23"``), ``net_member_points`` (false: each point is billed
  on its own), ``rce_pln_mwh`` and ``rce_csv`` (the RCE per interval; default the floor of the
  interval's band), ``rcem_pln_mwh`` and ``rcem`` (a table ``"YYYY-MM"`` -> decimal, the month
  in local time; default the RCE default).

None of this changes what any event means: the fields are ``repr=False`` and so out of the
cluster's fingerprint, like the register facts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from zoneinfo import ZoneInfo

from engine.config.files import ConfigFiles
from engine.config.price_bands import PLAIN_DECIMAL, BandsCsvError, parse_pln_mwh
from engine.config.price_bands import _interval_start as interval_start_of
from engine.config.register import PointRegister
from engine.config.tariffs import TariffGroup, parse_tariffs
from engine.config.toml_table import FieldError, Table, show

REGIMES = ("none", "net-metering", "net-billing")
NET_BILLING_PRICES = ("rce", "rcem")
POINT_BILLING_KEYS = (
    "tariff", "supplier_pln_mwh", "supplier_csv", "regime", "net_billing_price",
    "net_metering_ratio", "cluster_discount",
)  # fmt: skip
SETTLEMENT_KEYS = (
    "discount_share", "excise_pln_mwh", "vat_rate", "net_member_points", "rce_pln_mwh",
    "rce_csv", "rcem_pln_mwh", "rcem",
)  # fmt: skip
PRICE_CSV_HEADER = ("interval_start", "price_pln_mwh")
#: Excise on electricity [PLN/MWh] (ustawa o podatku akcyzowym, art. 89 ust. 3).
EXCISE_PLN_MWH = "5.00"
#: VAT on energy and distribution (ustawa o VAT, art. 41 ust. 1 with art. 146ef).
VAT_RATE = "0.23"
#: Net-metering credit ratios (ustawa o OZE, art. 4 ust. 1 as in force until 31 March 2022):
#: up to 10 kW installed, and above.
SMALL_INSTALLATION_KW = Decimal(10)
RATIO_SMALL, RATIO_LARGE = Fraction(8, 10), Fraction(7, 10)
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class SupplierPrice:
    """The supplier's energy price of one point [tick/MWh]: a per-interval series first,
    then a price per zone, then a constant; None of all three: the band's cap."""

    series: Mapping[int, int] = field(default_factory=dict)
    per_zone: tuple[int, ...] | None = None
    constant: int | None = None

    def __hash__(self) -> int:
        return hash((self.per_zone, self.constant, frozenset(self.series.items())))

    def price(self, interval_start: int, zone: int, cap: int) -> int:
        """The price [tick] of the interval, in ``zone`` of the point's group, ``cap`` the
        band's cap of the interval (the fallback)."""
        if interval_start in self.series:
            return self.series[interval_start]
        if self.per_zone is not None:
            return self.per_zone[zone]
        return cap if self.constant is None else self.constant


@dataclass(frozen=True, slots=True)
class PointBilling:
    """How one connection point is billed (see the module docstring)."""

    tariff: str = "G11"
    supplier: SupplierPrice = SupplierPrice()
    regime: str = "net-billing"
    net_billing_price: str = "rcem"
    net_metering_ratio: Fraction = RATIO_SMALL
    cluster_discount: bool = True


@dataclass(frozen=True, slots=True)
class SettlementRules:
    """The ``[settlement]`` table and the tariff groups by name."""

    tariffs: Mapping[str, TariffGroup] = field(default_factory=dict)
    discount_share: Fraction = Fraction(0)
    excise_ticks: int = 500  # [tick/MWh] at the default tick
    vat_rate: Fraction = Fraction(23, 100)
    net_member_points: bool = False
    rce_series: Mapping[int, int] = field(default_factory=dict)
    rce_constant: int | None = None
    rcem_months: Mapping[str, int] = field(default_factory=dict)
    rcem_constant: int | None = None

    def __hash__(self) -> int:
        return hash((self.discount_share, self.excise_ticks, self.vat_rate))

    def group(self, name: str) -> TariffGroup:
        """The tariff group called ``name`` (checked at load)."""
        return self.tariffs[name]

    def rce(self, interval_start: int, floor: int) -> int:
        """The RCE of the interval [tick/MWh], ``floor`` the band's floor (the fallback)."""
        if interval_start in self.rce_series:
            return self.rce_series[interval_start]
        return floor if self.rce_constant is None else self.rce_constant

    def rcem(self, interval_start: int, timezone: ZoneInfo, floor: int) -> int:
        """The RCEm of the interval's month in local time [tick/MWh]."""
        month = datetime.fromtimestamp(interval_start, timezone).strftime("%Y-%m")
        if month in self.rcem_months:
            return self.rcem_months[month]
        if self.rcem_constant is not None:
            return self.rcem_constant
        return self.rce(interval_start, floor)


def parse_settlement(
    value: object, tariffs: object, tick: Decimal, interval_seconds: int, files: ConfigFiles
) -> SettlementRules:
    """Parse ``[settlement]`` and ``[tariffs]`` (either absent: the defaults)."""
    groups = parse_tariffs(tariffs, tick)
    s = Table({} if value is None else value, "", "settlement.", SETTLEMENT_KEYS, "[settlement]")
    share = _fraction(s, "discount_share", "0")
    vat = _fraction(s, "vat_rate", VAT_RATE)
    excise = _optional_price(s, "excise_pln_mwh", tick, EXCISE_PLN_MWH)
    if excise < 0:
        s.fail(f'settlement.excise_pln_mwh must be >= 0, was "{s.raw("excise_pln_mwh")}"')
    netting = s.raw("net_member_points", False)
    if not isinstance(netting, bool):
        s.fail(f"settlement.net_member_points must be true or false, was {show(netting)}")
    rce_constant = _optional_price(s, "rce_pln_mwh", tick, None)
    rce_series = _series(s, "rce_csv", tick, interval_seconds, files)
    rcem_constant = _optional_price(s, "rcem_pln_mwh", tick, None)
    months = s.raw("rcem", {})
    if not isinstance(months, dict):
        s.fail(f'settlement.rcem must be a table "YYYY-MM" = "price", was {show(months)}')
    rcem: dict[str, int] = {}
    for month in months:
        if not _MONTH.fullmatch(month):
            s.fail(f'settlement.rcem keys must be months such as "2026-06", was {show(month)}')
        rcem[month] = _price(Table(months, "", "settlement.rcem.", tuple(months), ""), month, tick)
    return SettlementRules(
        tariffs=MappingProxyType(groups),
        discount_share=share,
        excise_ticks=excise,
        vat_rate=vat,
        net_member_points=netting,
        rce_series=MappingProxyType(rce_series),
        rce_constant=rce_constant,
        rcem_months=MappingProxyType(rcem),
        rcem_constant=rcem_constant,
    )


def point_billing_parser(
    rules: SettlementRules, tick: Decimal, interval_seconds: int, files: ConfigFiles
) -> Callable[[Table, PointRegister], PointBilling]:
    """A function that reads one connection point's billing keys from its table."""

    def parse(p: Table, register: PointRegister) -> PointBilling:
        tariff = p.choice("tariff", tuple(rules.tariffs), "G11")
        group = rules.tariffs[tariff]
        raw = p.raw("supplier_pln_mwh", None)
        constant, per_zone = None, None
        if isinstance(raw, dict):
            z = Table(
                raw, p.where, "supplier_pln_mwh.", group.zones, f"a table of {tariff}'s zones"
            )
            missing = [name for name in group.zones if name not in raw]
            if missing:
                p.fail(f"supplier_pln_mwh must give a price for every zone of {tariff}, "
                       f"{show(missing[0])} has none")  # fmt: skip
            per_zone = tuple(_price(z, name, tick) for name in group.zones)
        elif raw is not None:
            constant = _price(p, "supplier_pln_mwh", tick)
        series = _series(p, "supplier_csv", tick, interval_seconds, files)
        small = register.installed_kw <= SMALL_INSTALLATION_KW
        ratio = _fraction(p, "net_metering_ratio", "0.8" if small else "0.7")
        if not 0 <= ratio <= 1:
            p.fail(f'net_metering_ratio must be in 0..1, was "{p.raw("net_metering_ratio")}"')
        discount = p.raw("cluster_discount", True)
        if not isinstance(discount, bool):
            p.fail(f"cluster_discount must be true or false, was {show(discount)}")
        return PointBilling(
            tariff=tariff,
            supplier=SupplierPrice(MappingProxyType(series), per_zone, constant),
            regime=p.choice("regime", REGIMES, "net-billing"),
            net_billing_price=p.choice("net_billing_price", NET_BILLING_PRICES, "rcem"),
            net_metering_ratio=ratio,
            cluster_discount=discount,
        )

    return parse


def _fraction(t: Table, key: str, default: str) -> Fraction:
    text = t.decimal_text(key, default)
    if not PLAIN_DECIMAL.fullmatch(text) or not 0 <= Decimal(text) <= 1:
        t.fail(f'{t.label(key)} must be a decimal in 0..1 such as "0.23", was "{text}"')
    return Fraction(Decimal(text))


def _price(t: Table, key: str, tick: Decimal) -> int:
    return _optional_price(t, key, tick, "")  # type: ignore[return-value]


def _optional_price(t: Table, key: str, tick: Decimal, default: str | None) -> int | None:
    """The price [tick] at ``key``; absent: ``default`` ("" means required, None none)."""
    if t.raw(key, None) is None and default != "":
        if default is None:
            return None
        text = default
    else:
        text = t.decimal_text(key)
    try:
        return parse_pln_mwh(text, tick, t.label(key))
    except ValueError as exc:
        t.fail(str(exc))


def _series(
    t: Table, key: str, tick: Decimal, interval_seconds: int, files: ConfigFiles
) -> dict[int, int]:
    if t.raw(key, None) is None:
        return {}
    name = t.string(key)
    path = files.path(name)
    try:
        return read_price_csv(files.read_bytes(name), interval_seconds, tick)
    except OSError as exc:
        where = f"{t.where + ', ' if t.where else ''}{t.label(key)} {show(name)}"
        raise FieldError(where, f"cannot read {path}: {exc.strerror or exc}") from None
    except BandsCsvError as exc:
        where = f"{t.where + ', ' if t.where else ''}{t.label(key)} {show(name)}"
        raise FieldError(where + (f", line {exc.line}" if exc.line else ""), exc.reason) from None


def read_price_csv(data: bytes, interval_seconds: int, tick: Decimal) -> dict[int, int]:
    """Read ``interval_start,price_pln_mwh`` rows of a CSV file's bytes: interval start [s]
    -> price [tick].

    Raise :class:`~engine.config.price_bands.BandsCsvError` naming the line. Negative prices
    are kept (the RCE can be negative; the regime decides what a negative price is worth)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BandsCsvError(data[: exc.start].count(b"\n") + 1, "file must be UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    prices: dict[int, int] = {}
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != PRICE_CSV_HEADER:
            found = "nothing" if header is None else ",".join(header)
            raise BandsCsvError(1, f"header must be {','.join(PRICE_CSV_HEADER)}, was {found}")
        for record in reader:
            if not record or all(not v.strip() for v in record):
                continue
            try:
                if len(record) != 2:
                    raise ValueError(f"expected 2 columns, found {len(record)}")
                start = interval_start_of(record[0].strip(), interval_seconds)
                if start in prices:
                    raise ValueError(f"interval_start {show(record[0].strip())} is repeated")
                prices[start] = parse_pln_mwh(record[1].strip(), tick, "price_pln_mwh")
            except ValueError as exc:
                raise BandsCsvError(reader.line_num, str(exc)) from None
    except csv.Error as exc:
        raise BandsCsvError(reader.line_num, f"bad CSV: {exc}") from None
    return prices
