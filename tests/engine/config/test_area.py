"""TERC codes and the area rule of a cluster (engine/config/area.py)."""

from __future__ import annotations

import pytest

from engine.config.area import MAX_GMINY, Terc, check_area, parse_terc


def tercs(*codes: str) -> list[Terc]:
    return [parse_terc(code) for code in codes]


def test_a_terc_code_splits_into_powiat_gmina_and_type():
    terc = parse_terc("2417011")  # Żywiec, urban gmina, powiat żywiecki, Śląskie

    assert (terc.voivodeship, terc.powiat, terc.gmina, terc.kind) == ("24", "2417", "241701", 1)
    assert str(terc) == "2417011"


def test_the_town_and_rural_parts_of_an_urban_rural_gmina_fold_into_that_gmina():
    whole, town, rural = tercs("2403043", "2403044", "2403045")

    assert whole.gmina == town.gmina == rural.gmina == "240304"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("241701", 'must be a TERC code WWPPGGR of 7 digits, was "241701"'),
        ("24170111", 'must be a TERC code WWPPGGR of 7 digits, was "24170111"'),
        ("2417O11", 'must be a TERC code WWPPGGR of 7 digits, was "2417O11"'),
        (" 2417011", 'must be a TERC code WWPPGGR of 7 digits, was " 2417011"'),
        (2417011, "must be a TERC code WWPPGGR of 7 digits, was 2417011"),
        ("2517011", 'must have an even voivodeship code WW 02..32, was "2517011"'),
        ("3417011", 'must have an even voivodeship code WW 02..32, was "3417011"'),
        ("0017011", 'must have an even voivodeship code WW 02..32, was "0017011"'),
        ("2400011", 'must have a powiat code PP 01..99, was "2400011"'),
        ("2417001", 'must have a gmina code GG 01..99, was "2417001"'),
        ("2417010", 'must have a gmina type R 1..5, was "2417010"'),
        ("2417016", 'must have a gmina type R 1..5, was "2417016"'),
        ("1465018", 'must have a gmina type R 1..5, was "1465018"'),  # a Warsaw district
    ],
)
def test_a_malformed_terc_code_is_rejected_saying_what_is_wrong(text, message):
    with pytest.raises(ValueError) as caught:
        parse_terc(text)

    assert str(caught.value) == message


def test_points_in_one_powiat_pass_however_many_gminy_they_span():
    points = tercs("2417011", "2417022", "2417032", "2417062", "2417082", "2417102", "2417132")

    assert check_area(points) is None


def test_points_in_at_most_five_gminy_pass_across_powiaty():
    points = tercs("2417011", "2417132", "2402011", "2402022", "2404011", "2417011")

    assert check_area(points) is None


def test_the_parts_of_an_urban_rural_gmina_count_as_one_gmina():
    points = tercs("2403044", "2403045", "2403043", "2417011", "2417022", "2402011", "2402022")

    assert check_area(points) is None  # five gminy: 240304, 241701, 241702, 240201, 240202


def test_points_in_six_gminy_of_two_powiaty_fail_naming_the_codes_found():
    points = tercs("2417011", "2417022", "2417032", "2402011", "2402022", "2402032")

    assert check_area(points) == (
        f"connection points must lie in one powiat or in at most {MAX_GMINY} gminy; "
        "found 2 powiaty (2402, 2417) and 6 gminy "
        "(240201, 240202, 240203, 241701, 241702, 241703)"
    )


def test_no_points_pass():
    assert check_area([]) is None
