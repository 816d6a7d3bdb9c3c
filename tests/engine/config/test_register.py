"""The register facts of a cluster config (engine/config/register.py): optional keys with
defaults that keep old configs loading, errors naming the file, member, point and field, the
legal conditions checked at load, and the register figures computed from them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from engine.config.cluster import parse_cluster
from engine.config.demo import demo_cluster
from engine.config.register import FULL_LOAD_HOURS, RegisterRules
from engine.market.recovery import cluster_fingerprint
from engine.settlement.register import register_figures
from tests.engine.config.test_cluster import BASE, POINT, edited, error_of

# BASE's members: oke (coordinator, PL-1), szkola-1 (PL-2), tauron (dso).
STATED = (
    ('role = "coordinator"\n', 'role = "coordinator"\nlegal_kind = "municipal-company"\n'),
    ('name = "Szkoła"\n', 'name = "Szkoła"\nlegal_kind = "municipal-unit"\n'),
    (
        'max_export_kw = "0"\n',
        'max_export_kw = "0"\nvoltage_kv = "0.4"\nsource = "none"\nannual_demand_kwh = "5000"\n',
    ),
    (
        'max_export_kw = "3.7"\n',
        'max_export_kw = "3.7"\nvoltage_kv = "15"\ninstalled_kw = "40"\nsource = "pv"\n'
        'storage_kw = "2"\nstorage_kwh = "4.5"\nannual_demand_kwh = "95000"\n',
    ),
)


def test_a_config_without_register_facts_loads_with_everything_unspecified() -> None:
    cluster = parse_cluster(BASE)
    assert cluster.register == RegisterRules()
    point = cluster.point_by_id("PL-2").register
    assert (point.installed_kw, point.source, point.voltage_kv) == (0, "unspecified", None)
    assert {m.legal_kind for m in cluster.members} == {"unspecified"}
    figures = register_figures(cluster)
    assert (figures.network, figures.voltage_unspecified) == ("unverified", ("PL-1", "PL-2"))
    assert (figures.municipality, figures.legal_kind_unspecified) == (
        "unverified",
        ("oke", "szkola-1"),  # the dso is no party to the condition
    )
    assert figures.demand_cover.met is None and figures.storage_share.met is None


def test_register_facts_are_read_and_left_out_of_the_fingerprint() -> None:
    cluster = parse_cluster(edited(*STATED))
    point = cluster.point_by_id("PL-2").register
    assert point.installed_kw == Decimal("40") and point.source == "pv" and point.renewable
    assert (point.storage_kw, point.storage_kwh, point.voltage_kv) == (2, Decimal("4.5"), 15)
    assert cluster.member_by_id("oke").legal_kind == "municipal-company"
    # A journal written before these keys existed still opens with this config.
    assert cluster_fingerprint(cluster) == cluster_fingerprint(parse_cluster(BASE))


def test_the_register_figures_of_a_small_cluster() -> None:
    rules = """
        [register]
        min_storage_share = "0.05"
        full_load_hours = { pv = 950 }
        """
    f = register_figures(parse_cluster(edited(*STATED, append=rules)))
    assert (f.installed_kw, f.renewable_kw, f.unspecified_kw) == (40, 40, 0)
    assert f.installed.value == Decimal("0.040") and f.installed.met
    assert f.expected_generation_kwh == 40 * 950  # the configured hours
    assert f.demand_cover.value == Fraction(38_000, 100_000) and f.demand_cover.met is False
    assert f.renewable_share.value == 1 and f.renewable_share.met
    assert f.storage_share.value == Fraction(2, 40) and f.storage_share.met  # 5% >= 5%
    assert (f.network, f.municipality, f.municipal_members) == ("met", "met", ("oke",))


def test_capacity_of_an_unspecified_source_is_reported_apart_not_guessed() -> None:
    unspecified = ('source = "pv"\n', "")
    f = register_figures(parse_cluster(edited(*STATED[:3], _replace(STATED[3], *unspecified))))
    assert (f.installed_kw, f.renewable_kw, f.unspecified_kw) == (40, 0, 40)
    assert f.expected_generation_kwh == 0 and f.renewable_share.value is None


def _replace(pair: tuple[str, str], old: str, new: str) -> tuple[str, str]:
    return pair[0], pair[1].replace(old, new)


def test_the_demo_states_every_fact_and_meets_the_legal_conditions() -> None:
    f = register_figures(demo_cluster())
    assert (f.network, f.municipality) == ("met", "met")
    assert f.legal_kind_unspecified == () and f.unspecified_kw == 0
    assert f.installed.met and f.renewable_share.met and f.demand_cover.met
    assert f.storage_share.met is False  # 5 kW of storage is far below 2% of 3.4 MW


@pytest.mark.parametrize(
    ("replacements", "message"),
    [
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\nvoltage_kv = "110"\n')],
            f'{POINT}: voltage_kv must be below register.max_voltage_kv = 110 [kV] (a '
            "cluster's network is below 110 kV), was \"110\"",
        ),
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\nvoltage_kv = "0"\n')],
            f'{POINT}: voltage_kv must be a decimal > 0 [kV] with at most 3 decimals, was "0"',
        ),
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\ninstalled_kw = "-1"\n')],
            f'{POINT}: installed_kw must be a decimal >= 0 [kW] with at most 3 decimals, '
            'was "-1"',
        ),
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\nstorage_kwh = 4.5\n')],
            f'{POINT}: storage_kwh must be a decimal written as a string such as "4.5" '
            "(exact, not a float), was 4.5",
        ),
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\nsource = "solar"\n')],
            f"{POINT}: source must be one of pv, wind, hydro, biogas, biomass, geothermal, gas, "
            'coal, oil, other, none, unspecified, was "solar"',
        ),
        (
            [('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\ninstalled_kw = "3"\n'
              'source = "none"\n')],
            f'{POINT}: source "none" means no generation, but installed_kw was "3"',
        ),
        (
            [('name = "Szkoła"\n', 'name = "Szkoła"\nlegal_kind = "gmina"\n')],
            'member "szkola-1": legal_kind must be one of municipality, municipal-unit, '
            "municipal-company, company, person, research, public-transport, cooperative, "
            'association, other, unspecified, was "gmina"',
        ),
        (
            [
                ('role = "coordinator"\n', 'role = "coordinator"\nlegal_kind = "company"\n'),
                ('name = "Szkoła"\n', 'name = "Szkoła"\nlegal_kind = "municipal-unit"\n'),
            ],
            'members: at least one member must have legal_kind "municipality" or '
            '"municipal-company" (a cluster needs a municipality or its company), found '
            '"oke" company, "szkola-1" municipal-unit',
        ),
    ],
    ids=[
        "110 kV", "no voltage", "negative capacity", "float", "unknown source",
        "capacity of no source", "unknown legal kind", "no municipality",
    ],
)  # fmt: skip
def test_a_bad_register_fact_or_a_stated_breach_is_refused_naming_it(
    replacements: list[tuple[str, str]], message: str
) -> None:
    assert error_of(edited(*replacements)) == f"zywiec.toml: {message}"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('max_voltage_kv = "60"', None),
        ('min_renewable_share = "1.5"', 'register.min_renewable_share must be <= 1 [1], was "1.5"'),
        ("full_load_hours = { sun = 900 }", 'unknown key "register.full_load_hours.sun"'),
        ("full_load_hours = { pv = 9000 }", "register.full_load_hours.pv must be <= 8784 [h/a]"),
        ("quorum = 3", 'unknown key "register.quorum"'),
    ],
)
def test_register_thresholds_are_configuration(table: str, message: str | None) -> None:
    text = BASE + f"\n[register]\n{table}\n"
    if message is None:
        assert parse_cluster(text).register.max_voltage_kv == 60
        assert parse_cluster(text).register.full_load_hours == FULL_LOAD_HOURS
        voltage = ('max_export_kw = "3.7"\n', 'max_export_kw = "3.7"\nvoltage_kv = "60"\n')
        assert "below register.max_voltage_kv = 60" in error_of(edited(voltage) + table_of(table))
    else:
        assert message in error_of(text)


def table_of(line: str) -> str:
    return f"\n[register]\n{line}\n"
