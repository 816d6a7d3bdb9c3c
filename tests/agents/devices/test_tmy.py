"""PV from a typical meteorological year (agents/devices/tmy.py, pv_tmy.py): the PVGIS file
read and checked, seasons, a plausible yearly yield, and clear errors for bad files.

The fixture is synthetic, laid out like PVGIS output (fixtures/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.devices.pv import PvSystem, Site
from agents.devices.pv_tmy import pv_energy_tmy_wh
from agents.devices.tmy import HOURS, Tmy, TmyError, hour_of_year, read_tmy

FIXTURE = Path(__file__).parent / "fixtures" / "tmy_synthetic_zywiec.csv"
ZYWIEC = Site(49.686, 19.192, 345.0, "Europe/Warsaw")
SOUTH = PvSystem(1.0)  # 1 kWp, 35 deg, due south, 14 % losses


@pytest.fixture(scope="module")
def tmy() -> Tmy:
    return read_tmy(FIXTURE)


def days(first: str, count: int, length_s: int = 900) -> np.ndarray:
    """Interval starts [s, UTC] of ``count`` local days from ``first``."""
    start = int(pd.Timestamp(first, tz="Europe/Warsaw").timestamp())
    return np.arange(start, start + count * 86_400, length_s, dtype=np.int64)


def test_the_fixture_reads_as_a_pvgis_tmy(tmy: Tmy) -> None:
    assert (tmy.latitude, tmy.longitude, tmy.elevation) == (49.686, 19.192, 345.0)
    for column in (tmy.ghi, tmy.dni, tmy.dhi, tmy.temp_air, tmy.wind_speed):
        assert column.shape == (HOURS,) and np.isfinite(column).all()
    assert 1000 < tmy.ghi.sum() / 1000 < 1150  # [kWh/m2]: southern Poland's order
    assert tmy.ghi[:6].sum() == 0  # 1 January, 00:00-06:00 UTC: night
    assert "SYNTHETIC" in FIXTURE.read_text(encoding="utf-8")


def test_a_june_day_yields_much_more_than_a_december_day(tmy: Tmy) -> None:
    june = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-06-15", 7), 900, tmy).sum()
    december = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-12-15", 7), 900, tmy).sum()
    assert june > 4 * december > 0


def test_a_year_yields_about_1000_kwh_per_kwp(tmy: Tmy) -> None:
    systems = [SOUTH, PvSystem(1.0, azimuth=0.0, tilt=30.0), PvSystem(4.0)]
    energy = pv_energy_tmy_wh(ZYWIEC, systems, days("2026-01-01", 365), 900, tmy)
    south, north, four = energy.sum(axis=1) / 1000  # [kWh]
    assert 850 < south < 1150  # Poland: about 1,000 kWh/kWp a year
    assert north < 0.8 * south
    # The inverter scales with the array (up to rounding each interval to the Wh).
    assert four == pytest.approx(4 * south, rel=1e-3)
    assert energy.dtype == np.int64 and (energy >= 0).all()
    noon = energy[0].reshape(365, 96)[:, 44:56]  # 11:00-14:00 local
    night = energy[0].reshape(365, 96)[:, :12]  # 00:00-03:00 local
    assert night.sum() == 0 and noon.sum() > 0


def test_the_year_of_the_simulated_dates_does_not_matter(tmy: Tmy) -> None:
    a = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-05-04", 1), 900, tmy)
    b = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2031-05-04", 1), 900, tmy)
    # Same TMY hours; the sun differs by a fraction of a degree between the years.
    assert a.sum() == pytest.approx(b.sum(), rel=0.01)


def test_hours_of_the_year_and_the_leap_day() -> None:
    instants = pd.DatetimeIndex(
        ["2026-01-01 00:59", "2026-12-31 23:00", "2028-02-29 10:00", "2028-02-28 10:00"],
        tz="UTC",
    ).as_unit("s")
    hours = hour_of_year(instants.asi8)
    assert hours.tolist() == [0, HOURS - 1, 58 * 24 + 10, 58 * 24 + 10]


def test_hourly_intervals_and_long_intervals(tmy: Tmy) -> None:
    quarter = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-06-15", 1), 900, tmy).sum()
    hourly = pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-06-15", 1, 3600), 3600, tmy).sum()
    assert hourly == pytest.approx(quarter, rel=0.05)
    with pytest.raises(ValueError, match="length_s"):
        pv_energy_tmy_wh(ZYWIEC, [SOUTH], days("2026-06-15", 1, 7200), 7200, tmy)


def as_pvgis_json(tmy_csv: Path, out: Path) -> Path:
    """The CSV's hours as the PVGIS TMY tool's JSON lays them out."""
    lines = tmy_csv.read_text(encoding="utf-8").splitlines()
    header = lines.index("time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP")
    names = lines[header].split(",")
    hourly = []
    for line in lines[header + 1 : header + 1 + HOURS]:
        fields = line.split(",")
        values = {n: float(v) for n, v in zip(names[1:], fields[1:], strict=True)}
        hourly.append({names[0]: fields[0]} | values)
    document = {
        "inputs": {
            "location": {"latitude": 49.686, "longitude": 19.192, "elevation": 345.0},
            "meteo_data": {"radiation_db": "synthetic"},
        },
        "outputs": {"months_selected": [], "tmy_hourly": hourly},
        "meta": {"inputs": {}, "outputs": {"note": "SYNTHETIC, not from PVGIS"}},
    }
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def test_the_json_layout_reads_as_the_csv(tmy: Tmy, tmp_path: Path) -> None:
    other = read_tmy(as_pvgis_json(FIXTURE, tmp_path / "tmy.json"))
    assert (other.latitude, other.longitude) == (tmy.latitude, tmy.longitude)
    for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        assert np.array_equal(getattr(other, name), getattr(tmy, name)), name


def write_edited(tmp_path: Path, edit) -> Path:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return path


def replace_line(index: int, text: str):
    return lambda lines: lines[:index] + [text] + lines[index + 1 :]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda lines: lines[:200], "8577 of the 8760 hours have no time stamp"),  # cut short
        (lambda lines: ["hello"] + lines, "not a PVGIS TMY CSV file"),  # not PVGIS' header
        # 1 January 12:00 UTC (line 17 + 12) with a negative GHI, then with text in it
        (replace_line(29, "20120101:1200,1.0,80.0,-5.0,0.0,0.0,300.0,2.0,180,97000"), "ghi"),
        (replace_line(29, "20120101:1200,1.0,80.0,abc,0.0,0.0,300.0,2.0,180,97000"), "abc"),
        # the hour stamped twice: 01:00 instead of 12:00
        (replace_line(29, "20120101:0100,1.0,80.0,5.0,0.0,5.0,300.0,2.0,180,97000"), "hour 1 "),
    ],
)
def test_malformed_files_are_refused_naming_the_file(tmp_path: Path, edit, message) -> None:
    path = write_edited(tmp_path, edit)
    with pytest.raises(TmyError, match=message) as info:
        read_tmy(path)
    assert str(info.value).startswith(str(path))


def test_missing_files_and_other_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TmyError, match="no such file"):
        read_tmy(tmp_path / "nope.csv")
    (tmp_path / "tmy.epw").write_text("x")
    with pytest.raises(TmyError, match=r"\.csv or \.json"):
        read_tmy(tmp_path / "tmy.epw")
    (tmp_path / "tmy.json").write_text("{not json")
    with pytest.raises(TmyError, match="not a PVGIS TMY JSON file"):
        read_tmy(tmp_path / "tmy.json")
    (tmp_path / "short.json").write_text('{"inputs": {}, "outputs": {}, "meta": {}}')
    with pytest.raises(TmyError, match="not a PVGIS TMY JSON file"):
        read_tmy(tmp_path / "short.json")
