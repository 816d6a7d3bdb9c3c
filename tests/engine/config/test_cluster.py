"""The cluster config (engine/config/cluster.py): the demo, broken configs, CSV bands, kW -> Wh.

Every broken config asserts the whole error text: it must name the file, the member, the
connection point and the field, and say what was expected and what was found.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from engine.config.cluster import (
    Cluster,
    ClusterError,
    load_cluster,
    max_wh_per_interval,
    parse_cluster,
)
from engine.config.demo import demo_cluster

BASE = textwrap.dedent(
    """\
    [cluster]
    id = "zywiec"
    name = "Klaster testowy"
    interval_minutes = 15
    gate_closure_minutes = 5
    horizon_intervals = 96
    network_fee_pln_mwh = "45.00"

    [prices]
    floor_pln_mwh = "250.00"
    cap_pln_mwh = "900.00"

    [[members]]
    id = "oke"
    name = "Operator Klastra Energii sp. z o.o."
    role = "coordinator"
    [[members.connection_points]]
    id = "PL-1"
    terc = "2417011"
    dso = "TAURON Dystrybucja"
    max_import_kw = "15"
    max_export_kw = "0"

    [[members]]
    id = "szkola-1"
    name = "Szkoła"
    [[members.connection_points]]
    id = "PL-2"
    terc = "2417132"
    dso = "TAURON Dystrybucja"
    max_import_kw = "40"
    max_export_kw = "3.7"

    [[members]]
    id = "tauron"
    name = "TAURON Dystrybucja S.A."
    role = "dso"
    """
)
CLUSTER_KEYS = (
    "id, name, timezone, interval_minutes, gate_closure_minutes, horizon_intervals, "
    "continuous_minutes, mechanism, k, rationing, tick_pln_mwh, network_fee_pln_mwh"
)
POINT = 'member "szkola-1", connection point "PL-2"'


def edited(*replacements: tuple[str, str], append: str = "") -> str:
    """BASE with each ``old`` (which must occur exactly once) replaced by ``new``."""
    text = BASE
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + textwrap.dedent(append)


def member_with_point(member_id: str, point_id: str, terc: str) -> str:
    return f"""
    [[members]]
    id = "{member_id}"
    name = "{member_id}"
    [[members.connection_points]]
    id = "{point_id}"
    terc = "{terc}"
    dso = "TAURON Dystrybucja"
    max_import_kw = "10"
    max_export_kw = "5"
    """


def error_of(text: str, source: str = "zywiec.toml") -> str:
    with pytest.raises(ClusterError) as caught:
        parse_cluster(text, source=source)
    return str(caught.value)


# --- the demo ---------------------------------------------------------------------------


def test_the_demo_cluster_loads_with_the_documented_parameters():
    demo = demo_cluster()

    assert (demo.id, demo.timezone.key, demo.interval_minutes) == ("zywiec", "Europe/Warsaw", 15)
    assert (demo.gate_closure_minutes, demo.horizon_intervals, demo.continuous_minutes) == (
        5,
        96,
        0,
    )
    assert (demo.mechanism, demo.k, demo.rationing) == ("uniform", 0.5, "pro-rata")
    assert demo.tick_pln_mwh == Decimal("0.01")
    assert demo.network_fee_ticks == 4500  # 45.00 PLN/MWh
    assert demo.band(1_750_000_500 // 900 * 900) == (25000, 90000)  # 250.00 .. 900.00


def test_the_demo_cluster_has_a_coordinator_a_dso_and_households_in_one_powiat():
    demo = demo_cluster()

    assert demo.coordinator.id == "oke"
    assert demo.coordinator.name == "Operator Klastra Energii sp. z o.o."
    assert demo.dso is not None and demo.dso.connection_points == ()
    assert sum(m.id.startswith("dom-") for m in demo.members) == 10
    assert {p.terc.powiat for p in demo.points} == {"2417"}
    assert len({p.terc.gmina for p in demo.points}) > 5  # allowed: one powiat
    assert {p.dso for p in demo.points} == {"TAURON Dystrybucja"}


def test_the_demo_cluster_numbers_members_and_points_densely_in_file_order():
    demo = demo_cluster()

    assert [m.code for m in demo.members] == list(range(len(demo.members)))
    assert [p.code for p in demo.points] == list(range(len(demo.points)))
    for member in demo.members:
        assert all(p.member_code == member.code for p in member.connection_points)


def test_the_demo_cluster_finds_members_and_points_by_id_and_none_for_unknown_ids():
    demo = demo_cluster()

    assert demo.member_by_id("gmina-zywiec").name == "Gmina Miejska Żywiec"
    assert demo.point_by_id("PL-TAURON-0001").member_code == demo.coordinator.code
    assert demo.member_by_id("nobody") is None
    assert demo.point_by_id("PL-NONE") is None


def test_the_demo_is_packaged_and_loads_from_its_file_the_same():
    resource = files("engine.config").joinpath("clusters/demo.toml")
    loaded = load_cluster(Path(str(resource)))

    assert loaded.members == demo_cluster().members
    assert demo_cluster() is demo_cluster()  # immutable, loaded once


# --- defaults and accepted spellings ------------------------------------------------------


def test_a_minimal_config_gets_the_documented_defaults():
    text = edited(
        ("interval_minutes = 15\n", ""),
        ("gate_closure_minutes = 5\n", ""),
        ("horizon_intervals = 96\n", ""),
        ('network_fee_pln_mwh = "45.00"\n', ""),
    )
    cluster = parse_cluster(text)

    assert (cluster.timezone.key, cluster.interval_minutes, cluster.gate_closure_minutes) == (
        "Europe/Warsaw",
        15,
        5,
    )
    assert (cluster.horizon_intervals, cluster.continuous_minutes) == (96, 0)
    assert (cluster.mechanism, cluster.k, cluster.rationing) == ("uniform", 0.5, "pro-rata")
    assert (cluster.tick_pln_mwh, cluster.network_fee_ticks) == (Decimal("0.01"), 0)
    assert cluster.member_by_id("szkola-1").role == "member"
    assert cluster.source == "<string>"


def test_whole_numbers_may_be_written_as_toml_integers():
    text = edited(
        ('floor_pln_mwh = "250.00"', "floor_pln_mwh = 250"),
        ('max_import_kw = "40"', "max_import_kw = 40"),
    )
    cluster = parse_cluster(text)

    assert cluster.bands.floor_ticks == 25000
    assert cluster.point_by_id("PL-2").max_import_wh == 10000


def test_a_coarser_tick_scales_every_price():
    cluster = parse_cluster(edited(("[prices]", 'tick_pln_mwh = "0.5"\n\n[prices]')))

    assert cluster.tick_pln_mwh == Decimal("0.5")
    assert (cluster.bands.floor_ticks, cluster.bands.cap_ticks) == (500, 1800)
    assert cluster.network_fee_ticks == 90


# --- kW -> Wh per interval: floor(kw * 1000 * minutes / 60), never rounded up -------------


@pytest.mark.parametrize(
    ("kw", "minutes", "wh"),
    [
        ("40", 15, 10000),
        ("3.7", 15, 925),
        ("0.001", 15, 0),  # 0.25 Wh floors to 0
        ("0.003", 15, 0),  # 0.75 Wh floors to 0
        ("0.004", 15, 1),
        ("0.999", 1, 16),  # 16.65 Wh
        ("1", 60, 1000),
        ("1.5", 5, 125),
        ("14", 1440, 336000),
        ("1000000", 1440, 24_000_000_000),
    ],
)
def test_a_power_limit_becomes_the_floored_energy_of_one_interval(kw, minutes, wh):
    assert max_wh_per_interval(Decimal(kw), minutes) == wh


def test_a_connection_point_carries_its_limits_in_kw_and_in_wh_per_interval():
    point = parse_cluster(BASE).point_by_id("PL-2")

    assert (point.max_import_kw, point.max_export_kw) == (Decimal("40"), Decimal("3.7"))
    assert (point.max_import_wh, point.max_export_wh) == (10000, 925)


def test_the_interval_length_scales_the_wh_limits():
    point = parse_cluster(edited(("interval_minutes = 15", "interval_minutes = 60"))).points[1]

    assert (point.max_import_wh, point.max_export_wh) == (40000, 3700)


# --- broken configs -----------------------------------------------------------------------

BROKEN = [
    pytest.param(
        edited(('max_import_kw = "40"', 'max_import_kw = "-3"')),
        f'{POINT}: max_import_kw must be a decimal >= 0 [kW] with at most 3 decimals, was "-3"',
        id="negative kW",
    ),
    pytest.param(
        edited(('max_export_kw = "3.7"', 'max_export_kw = "0.0005"')),
        f'{POINT}: max_export_kw must be a decimal >= 0 [kW] with at most 3 decimals, was "0.0005"',
        id="kW below 1 W",
    ),
    pytest.param(
        edited(('max_export_kw = "3.7"', 'max_export_kw = "3,7"')),
        f'{POINT}: max_export_kw must be a decimal >= 0 [kW] with at most 3 decimals, was "3,7"',
        id="kW with a decimal comma",
    ),
    pytest.param(
        edited(('max_export_kw = "3.7"', "max_export_kw = 3.7")),
        f'{POINT}: max_export_kw must be a decimal written as a string such as "3.7" '
        "(exact, not a float), was 3.7",
        id="kW as a TOML float",
    ),
    pytest.param(
        edited(('max_import_kw = "40"', 'max_import_kw = "2000000"')),
        f'{POINT}: max_import_kw must be <= 1000000 [kW], was "2000000"',
        id="kW above 1 GW",
    ),
    pytest.param(
        edited(('max_export_kw = "3.7"\n', "")),
        f"{POINT}: max_export_kw is required",
        id="kW missing",
    ),
    pytest.param(
        edited(('max_import_kw = "40"', 'max_import_kws = "40"')),
        f'{POINT}: unknown key "max_import_kws" (did you mean "max_import_kw"?); '
        "expected one of id, terc, dso, max_import_kw, max_export_kw, installed_kw, source, "
        "storage_kw, storage_kwh, voltage_kv, annual_demand_kwh, tariff, supplier_pln_mwh, "
        "supplier_csv, regime, net_billing_price, net_metering_ratio, cluster_discount",
        id="typo in a connection point",
    ),
    pytest.param(
        edited(('name = "Szkoła"', 'name = "Szkoła"\nrloe = "member"')),
        'member "szkola-1": unknown key "rloe" (did you mean "role"?); '
        "expected one of id, name, role, legal_kind, connection_points",
        id="typo in a member",
    ),
    pytest.param(
        edited(("interval_minutes = 15", "interval_minute = 15")),
        'unknown key "cluster.interval_minute" (did you mean "cluster.interval_minutes"?); '
        f"expected one of {CLUSTER_KEYS}",
        id="typo in [cluster]",
    ),
    pytest.param(
        edited(append="[market]\nopen = true\n"),
        'unknown key "market"; expected one of cluster, prices, members, register, '
        "tariffs, settlement, sharing",
        id="unknown table",
    ),
    pytest.param(
        edited(('terc = "2417132"', 'terc = "2517132"')),
        f'{POINT}: terc must have an even voivodeship code WW 02..32, was "2517132"',
        id="odd voivodeship",
    ),
    pytest.param(
        edited(('terc = "2417132"', "terc = 2417132")),
        f"{POINT}: terc must be a TERC code WWPPGGR of 7 digits, was 2417132",
        id="TERC as a number",
    ),
    pytest.param(
        edited(('id = "PL-2"', 'id = "PL 2"')),
        "member \"szkola-1\", connection point #1: id must be 1..64 of A-Z, a-z, 0-9, '.', "
        "'_' and '-', starting with a letter or digit, was \"PL 2\"",
        id="connection point id with a space",
    ),
    pytest.param(
        edited(('id = "PL-2"', 'id = "PL-1"')),
        'member "szkola-1", connection point #1: id "PL-1" is already used by member "oke"',
        id="duplicate connection point id",
    ),
    pytest.param(
        edited(('id = "szkola-1"', 'id = "Szkoła 1"')),
        'member #2: id must be 1..40 of a-z, 0-9 and -, was "Szkoła 1"',
        id="member id with capitals",
    ),
    pytest.param(
        edited(('id = "szkola-1"', 'id = "oke"')),
        'member #2: id "oke" is already used by member #1',
        id="duplicate member id",
    ),
    pytest.param(
        edited(('name = "Szkoła"', 'name = ""')),
        'member "szkola-1": name must be a non-empty string, was ""',
        id="empty member name",
    ),
    pytest.param(
        edited(('name = "Szkoła"', 'name = "Szkoła"\nrole = "prosumer"')),
        'member "szkola-1": role must be one of member, coordinator, dso, was "prosumer"',
        id="unknown role",
    ),
    pytest.param(
        edited(('name = "Szkoła"', 'name = "Szkoła"\nrole = "coordinator"')),
        'members: exactly one member must have role "coordinator", found "oke", "szkola-1"',
        id="two coordinators",
    ),
    pytest.param(
        edited(('role = "coordinator"', 'role = "member"')),
        'members: exactly one member must have role "coordinator", found none',
        id="no coordinator",
    ),
    pytest.param(
        edited(append='[[members]]\nid = "enea"\nname = "Enea Operator"\nrole = "dso"\n'),
        'members: at most one member must have role "dso", found "tauron", "enea"',
        id="two dso members",
    ),
    pytest.param(
        edited(('name = "Szkoła"', 'name = "Szkoła"\nrole = "dso"')),
        'member "szkola-1": a member with role "dso" must have no connection_points, found 1',
        id="dso with a connection point",
    ),
    pytest.param(
        edited(append='[[members]]\nid = "dom-1"\nname = "Dom"\n'),
        'member "dom-1": connection_points must list at least one connection point '
        '([[members.connection_points]]) for role "member", found none',
        id="member without a connection point",
    ),
    pytest.param(
        edited(append='[[members]]\nid = "dom-1"\nname = "Dom"\nconnection_points = {}\n'),
        'member "dom-1": connection_points must be an array of tables '
        "([[members.connection_points]]), was a table",
        id="connection points as a table",
    ),
    pytest.param(
        edited(
            (
                'dso = "TAURON Dystrybucja"\nmax_import_kw = "40"',
                'dso = "Enea"\nmax_import_kw = "40"',
            )
        ),
        f'{POINT}: dso must be the same for all connection points ("TAURON Dystrybucja" on '
        '"PL-1"), was "Enea"',
        id="two DSOs",
    ),
    pytest.param(
        edited(
            append="".join(
                member_with_point(f"dom-{n}", f"PL-{n}", terc)
                for n, terc in enumerate(("2402011", "2402022", "2402032", "2404011"), start=3)
            )
        ),
        "area: connection points must lie in one powiat or in at most 5 gminy; found "
        "3 powiaty (2402, 2404, 2417) and 6 gminy (240201, 240202, 240203, 240401, 241701, "
        "241713)",
        id="area: six gminy in three powiaty",
    ),
    pytest.param(
        edited(('id = "zywiec"', 'id = "Żywiec"')),
        'cluster.id must be 1..40 of a-z, 0-9 and -, was "Żywiec"',
        id="cluster id with a diacritic",
    ),
    pytest.param(
        edited(('name = "Klaster testowy"\n', "")),
        "cluster.name is required",
        id="cluster name missing",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = 15\ntimezone = "Europe/Warsow"')),
        'cluster.timezone must be an IANA time zone such as "Europe/Warsaw", was "Europe/Warsow"',
        id="unknown time zone",
    ),
    pytest.param(
        edited(("interval_minutes = 15", "interval_minutes = 7")),
        "cluster.interval_minutes must divide 60 or be a multiple of 60 up to 1440, was 7",
        id="interval of 7 minutes",
    ),
    pytest.param(
        edited(("interval_minutes = 15", "interval_minutes = 1500")),
        "cluster.interval_minutes must divide 60 or be a multiple of 60 up to 1440, was 1500",
        id="interval longer than a day",
    ),
    pytest.param(
        edited(("interval_minutes = 15", "interval_minutes = 0")),
        "cluster.interval_minutes must be an integer >= 1 [min], was 0",
        id="interval of 0 minutes",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = "15"')),
        'cluster.interval_minutes must be an integer >= 1 [min], was "15"',
        id="interval as a string",
    ),
    pytest.param(
        edited(("gate_closure_minutes = 5", "gate_closure_minutes = -5")),
        "cluster.gate_closure_minutes must be an integer >= 0 [min], was -5",
        id="negative gate closure",
    ),
    pytest.param(
        edited(("horizon_intervals = 96", "horizon_intervals = 0")),
        "cluster.horizon_intervals must be an integer >= 1, was 0",
        id="no horizon",
    ),
    pytest.param(
        edited(("horizon_intervals = 96", "horizon_intervals = 3000")),
        "cluster.horizon_intervals * cluster.interval_minutes must be <= 44640 min (31 days), "
        "was 3000 * 15 = 45000",
        id="horizon beyond 31 days",
    ),
    pytest.param(
        edited(("horizon_intervals = 96", "horizon_intervals = 1\ncontinuous_minutes = 10")),
        "cluster.gate_closure_minutes + cluster.continuous_minutes must be less than the "
        "horizon (horizon_intervals * interval_minutes), or no interval is ever open; "
        "was 5 + 10 >= 1 * 15",
        id="gates before the interval opens",
    ),
    pytest.param(
        edited(("interval_minutes = 15", "interval_minutes = 15\nk = 1.5")),
        "cluster.k must be a number in [0, 1], was 1.5",
        id="k above 1",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = 15\nk = "0.5"')),
        'cluster.k must be a number, was "0.5"',
        id="k as a string",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = 15\nmechanism = "vickrey"')),
        "cluster.mechanism must be one of uniform, pay-as-bid, pair-midpoint, trade-reduction, "
        'was "vickrey"',
        id="unknown mechanism",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = 15\nrationing = "random"')),
        'cluster.rationing must be one of pro-rata, time-priority, was "random"',
        id="unknown rationing",
    ),
    pytest.param(
        edited(("interval_minutes = 15", 'interval_minutes = 15\ntick_pln_mwh = "0"')),
        'cluster.tick_pln_mwh must be a decimal > 0 [PLN/MWh] such as "0.01", was "0"',
        id="zero tick",
    ),
    pytest.param(
        edited(('network_fee_pln_mwh = "45.00"', 'network_fee_pln_mwh = "-45.00"')),
        'cluster.network_fee_pln_mwh must be >= 0, was "-45.00"',
        id="negative network fee",
    ),
    pytest.param(
        edited(('network_fee_pln_mwh = "45.00"', 'network_fee_pln_mwh = "45.001"')),
        'cluster.network_fee_pln_mwh must be a whole number of ticks of 0.01 PLN/MWh, was "45.001"',
        id="network fee off the tick",
    ),
    pytest.param(
        edited(('floor_pln_mwh = "250.00"', 'floor_pln_mwh = "950.00"')),
        'prices.floor_pln_mwh must be <= prices.cap_pln_mwh, was "950.00" > "900.00"',
        id="floor above cap",
    ),
    pytest.param(
        edited(('floor_pln_mwh = "250.00"', 'floor_pln_mwh = "250.005"')),
        'prices.floor_pln_mwh must be a whole number of ticks of 0.01 PLN/MWh, was "250.005"',
        id="floor off the tick",
    ),
    pytest.param(
        edited(('cap_pln_mwh = "900.00"', 'cap_pln_mwh = "2000000.00"')),
        'prices.cap_pln_mwh must be within -1000000.00..1000000.00 PLN/MWh, was "2000000.00"',
        id="cap beyond the price limit",
    ),
    pytest.param(
        edited(('cap_pln_mwh = "900.00"', 'cap_pln_mwh = "9e2"')),
        'prices.cap_pln_mwh must be a decimal in PLN/MWh such as "250.00", was "9e2"',
        id="cap in exponent notation",
    ),
    pytest.param(
        edited(('cap_pln_mwh = "900.00"\n', "")),
        "prices.cap_pln_mwh is required",
        id="cap missing",
    ),
    pytest.param(
        edited(('[prices]\nfloor_pln_mwh = "250.00"\ncap_pln_mwh = "900.00"\n', "")),
        "a [prices] table is required",
        id="prices missing",
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_broken_config_is_rejected_naming_the_file_the_place_and_the_field(text, message):
    assert error_of(text) == f"zywiec.toml: {message}"


def test_a_config_that_is_not_toml_is_rejected_with_the_parser_position():
    message = error_of(BASE.replace('id = "zywiec"', "id = zywiec"))

    assert message.startswith("zywiec.toml: not valid TOML: ")
    assert "line 2" in message


def test_a_missing_file_is_a_cluster_error_naming_the_file(tmp_path):
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ClusterError) as caught:
        load_cluster(path)

    assert str(caught.value) == f"{path}: cannot read the file: No such file or directory"


def test_a_loaded_file_names_itself_in_errors(tmp_path):
    path = tmp_path / "zywiec.toml"
    path.write_text(edited(('max_import_kw = "40"', 'max_import_kw = "-3"')), encoding="utf-8")

    with pytest.raises(ClusterError) as caught:
        load_cluster(path)

    assert str(caught.value).startswith(f"{path}: {POINT}: max_import_kw must be")
    assert (caught.value.source, caught.value.where) == (str(path), POINT)


# --- price bands from a CSV ---------------------------------------------------------------

CSV_HEADER = "interval_start,floor_pln_mwh,cap_pln_mwh\n"
NOON_UTC = 1_748_779_200  # 2025-06-01T12:00:00Z


def cluster_with_csv(tmp_path: Path, rows: str, header: str = CSV_HEADER) -> Cluster:
    (tmp_path / "bands.csv").write_text(header + textwrap.dedent(rows), encoding="utf-8")
    path = tmp_path / "zywiec.toml"
    path.write_text(edited(('cap_pln_mwh = "900.00"', 'cap_pln_mwh = "900.00"\ncsv = "bands.csv"')))
    return load_cluster(path)


def test_csv_bands_override_their_intervals_and_the_constants_cover_the_rest(tmp_path):
    cluster = cluster_with_csv(
        tmp_path,
        """\
        2025-06-01T14:00:00+02:00,120.50,850.00

        2025-06-01T12:15:00Z,-10.00,700.25
        """,
    )

    assert cluster.band(NOON_UTC) == (12050, 85000)
    assert cluster.band(NOON_UTC + 900) == (-1000, 70025)
    assert cluster.band(NOON_UTC + 1800) == (25000, 90000)
    assert dict(cluster.bands.overrides) == {
        NOON_UTC: (12050, 85000),
        NOON_UTC + 900: (-1000, 70025),
    }


@pytest.mark.parametrize(
    ("rows", "where", "message"),
    [
        (
            "2025-06-01T12:05:00+02:00,250.00,900.00\n",
            "line 2",
            "interval_start must be the start of a 15-minute interval (a multiple of 900 s "
            'since 1970-01-01T00:00Z), was "2025-06-01T12:05:00+02:00"',
        ),
        (
            "2025-06-01T12:00:30Z,250.00,900.00\n",
            "line 2",
            "interval_start must be the start of a 15-minute interval (a multiple of 900 s "
            'since 1970-01-01T00:00Z), was "2025-06-01T12:00:30Z"',
        ),
        (
            "2025-06-01T12:00:00,250.00,900.00\n",
            "line 2",
            'interval_start must have a UTC offset (+02:00 or Z), was "2025-06-01T12:00:00"',
        ),
        (
            "1.6.2025 12:00,250.00,900.00\n",
            "line 2",
            'interval_start must be ISO 8601 such as "2025-06-01T12:00:00+02:00", '
            'was "1.6.2025 12:00"',
        ),
        (
            "2025-06-01T14:00:00+02:00,250.00,900.00\n2025-06-01T12:00:00Z,260.00,900.00\n",
            "line 3",
            'interval_start "2025-06-01T12:00:00Z" is the same interval as line 2',
        ),
        (
            "2025-06-01T12:00:00Z,950.00,900.00\n",
            "line 2",
            "floor_pln_mwh must be <= cap_pln_mwh, was 950.00 > 900.00",
        ),
        (
            "2025-06-01T12:00:00Z,250.00,900.001\n",
            "line 2",
            'cap_pln_mwh must be a whole number of ticks of 0.01 PLN/MWh, was "900.001"',
        ),
        (
            "2025-06-01T12:00:00Z,250.00\n",
            "line 2",
            "expected 3 columns, found 2",
        ),
    ],
)
def test_a_broken_csv_row_is_rejected_naming_the_file_and_line(tmp_path, rows, where, message):
    with pytest.raises(ClusterError) as caught:
        cluster_with_csv(tmp_path, rows)

    toml = tmp_path / "zywiec.toml"
    assert str(caught.value) == f'{toml}: prices.csv "bands.csv", {where}: {message}'


def test_a_csv_with_the_wrong_header_is_rejected(tmp_path):
    with pytest.raises(ClusterError) as caught:
        cluster_with_csv(tmp_path, "", header="start,floor,cap\n")

    toml = tmp_path / "zywiec.toml"
    assert str(caught.value) == (
        f'{toml}: prices.csv "bands.csv", line 1: header must be '
        "interval_start,floor_pln_mwh,cap_pln_mwh, was start,floor,cap"
    )


def test_a_missing_csv_is_rejected_naming_the_path_it_looked_at(tmp_path):
    path = tmp_path / "zywiec.toml"
    path.write_text(edited(('cap_pln_mwh = "900.00"', 'cap_pln_mwh = "900.00"\ncsv = "rce.csv"')))

    with pytest.raises(ClusterError) as caught:
        load_cluster(path)

    assert str(caught.value) == (
        f'{path}: prices.csv "rce.csv": cannot read {tmp_path / "rce.csv"}: '
        "No such file or directory"
    )
