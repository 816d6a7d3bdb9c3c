"""Tariff groups and billing keys in the cluster config: zones in local time, defaults from
the law, and errors naming the file, member, point and field."""

from __future__ import annotations

from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from engine.config.cluster import ClusterError, parse_cluster
from engine.config.demo import demo_cluster
from engine.market.recovery import cluster_fingerprint
from tests.clusters import small_cluster_toml

WARSAW = ZoneInfo("Europe/Warsaw")
BASE = small_cluster_toml()
POINT = 'member "dom-1", connection point "P-1"'


def with_point_keys(lines: str) -> str:
    return BASE.replace('id = "P-1"\n', f'id = "P-1"\n{lines}\n', 1)


def error_of(text: str) -> str:
    with pytest.raises(ClusterError) as caught:
        parse_cluster(text, source="zywiec.toml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("group", "instant", "zone"),
    [
        ("G12", "2026-01-07T23:30:00+01:00", "offpeak"),  # a Wednesday night
        ("G12", "2026-01-07T13:15:00+01:00", "offpeak"),  # the afternoon valley
        ("G12", "2026-01-07T18:00:00+01:00", "peak"),
        ("G12w", "2026-01-10T18:00:00+01:00", "offpeak"),  # a Saturday
        ("C12a", "2026-01-07T17:00:00+01:00", "peak"),  # winter: 16-21
        ("C12a", "2026-07-08T17:00:00+02:00", "offpeak"),  # summer: 19-22
        ("C12a", "2026-07-08T20:00:00+02:00", "peak"),
        ("G11", "2026-07-08T20:00:00+02:00", "all"),
    ],
)
def test_an_interval_falls_in_the_zone_of_its_local_start_hour(group, instant, zone) -> None:
    from datetime import datetime

    tariffs = demo_cluster().settlement.tariffs
    start = int(datetime.fromisoformat(instant).timestamp())
    assert tariffs[group].zones[tariffs[group].zone_of(start, WARSAW)] == zone


def test_a_config_without_billing_keys_gets_the_defaults_of_the_law() -> None:
    cluster = parse_cluster(BASE)
    rules, billing = cluster.settlement, cluster.points[1].billing
    assert (rules.excise_ticks, rules.vat_rate, rules.discount_share) == (500, Fraction(23, 100), 0)
    assert rules.net_member_points is False
    assert (billing.tariff, billing.regime, billing.net_billing_price) == (
        "G11",
        "net-billing",
        "rcem",
    )
    assert billing.net_metering_ratio == Fraction(8, 10)  # installed_kw 0 <= 10 kW


def test_billing_keys_stay_out_of_the_fingerprint() -> None:
    plain = parse_cluster(BASE)
    billed = parse_cluster(with_point_keys('tariff = "G12"\nsupplier_pln_mwh = "640.00"'))
    assert billed.points[1].billing.supplier.constant == 64000
    assert cluster_fingerprint(plain) == cluster_fingerprint(billed)


def test_a_named_tariff_table_replaces_the_built_in_one_and_points_may_price_per_zone() -> None:
    text = with_point_keys(
        'tariff = "G12"\nsupplier_pln_mwh = { day = "700.00", night = "400.00" }'
    )
    text += """
[tariffs.G12]
fixed_pln_month = "20.50"
zones = [
  { name = "day", hours = "6-22", distribution_pln_mwh = "300.00" },
  { name = "night", hours = "22-6", distribution_pln_mwh = "100.00" },
]
"""
    cluster = parse_cluster(text)
    group = cluster.settlement.tariffs["G12"]
    assert (group.zones, group.distribution_ticks, group.fixed_grosz_month) == (
        ("day", "night"), (30000, 10000), 2050,
    )  # fmt: skip
    assert cluster.points[1].billing.supplier.per_zone == (70000, 40000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            with_point_keys('tariff = "G13"'),
            f'{POINT}: tariff must be one of G11, G12, G12w, C11, C12a, C21, B21, was "G13"',
        ),
        (
            with_point_keys('regime = "net-meter"'),
            f'{POINT}: regime must be one of none, net-metering, net-billing, was "net-meter"',
        ),
        (
            with_point_keys('tariff = "G12"\nsupplier_pln_mwh = { peak = "700.00" }'),
            f"{POINT}: supplier_pln_mwh must give a price for every zone of G12, "
            '"offpeak" has none',
        ),
        (
            with_point_keys('supplier_pln_mwh = "6.001"'),
            f"{POINT}: supplier_pln_mwh must be a whole number of ticks of 0.01 PLN/MWh, "
            'was "6.001"',
        ),
        (
            with_point_keys('supplier_csv = "nowhere.csv"'),
            f'{POINT}, supplier_csv "nowhere.csv": cannot read nowhere.csv: '
            "No such file or directory",
        ),
        (
            BASE
            + '[tariffs.X]\nzones = [{ name = "a", hours = "0-23", distribution_pln_mwh = "1" }]\n',
            'tariff "X": zones must cover every hour of the day in hours, hour 23 is in none',
        ),
        (
            BASE
            + '[tariffs.X]\nzones = [{ name = "a", hours = "0-25", distribution_pln_mwh = "1" }]\n',
            'tariff "X", zone #1: hours must be comma-separated local hour ranges such as '
            '"22-6,13-15" (end exclusive, 0..24), was "0-25"',
        ),
        (
            BASE + '[settlement]\nvat_rate = "23"\n',
            'settlement.vat_rate must be a decimal in 0..1 such as "0.23", was "23"',
        ),
        (
            BASE + "[settlement]\nvat = 0.23\n",
            'unknown key "settlement.vat"; expected one of discount_share, excise_pln_mwh',
        ),
    ],
)
def test_a_bad_billing_key_is_named_with_its_file_member_point_and_field(text, message) -> None:
    assert error_of(text).startswith(f"zywiec.toml: {message}")


def test_every_point_of_the_demo_states_its_tariff_group_and_supplier_price() -> None:
    points = demo_cluster().points
    assert {p.billing.tariff for p in points} == {"G11", "C11", "C21", "B21"}
    assert all(p.billing.supplier.constant is not None for p in points)
    households = [p for p in points if p.billing.tariff == "G11"]
    assert {p.billing.supplier.constant for p in households} == {500_00}
