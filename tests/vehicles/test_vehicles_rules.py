"""Pure registry rules: VIN check digit, credit code, emission-standard inference, export labels."""

from __future__ import annotations

from datetime import date

import pytest

from vehicle_enforce.vehicles import labels
from vehicle_enforce.vehicles.registry import (
    EMISSION_STANDARD_SCHEDULES,
    FieldProblem,
    clean_credit_code,
    clean_plate,
    clean_vin,
    infer_emission_standard,
    resolve_emission_standard,
    vin_check_digit,
)


@pytest.mark.parametrize(
    ("vin", "digit"),
    [("1M8GDM9AXKP042788", "X"), ("11111111111111111", "1"), ("LSVAU2180N2183294", "X")],
)
def test_vin_check_digit(vin, digit):
    assert vin_check_digit(vin) == digit


def test_vin_wrong_check_digit_warns_and_bad_vins_are_refused():
    assert clean_vin(" 1m8gdm9axkp042788 ") == ("1M8GDM9AXKP042788", None)
    vin, warning = clean_vin("LSVAU2180N2183294")
    assert vin == "LSVAU2180N2183294" and "expected X" in warning
    assert clean_vin("") == (None, None)
    for bad in ("1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "1M8GDM9AXKPO42788", "IM8GDM9AXKP042788"):
        with pytest.raises(FieldProblem) as problem:
            clean_vin(bad)
        assert problem.value.field == "vin"


def test_credit_code_check_character_is_enforced():
    assert clean_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert clean_credit_code("") is None
    for bad in ("91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", "91ABCDEFM000100Y43"):
        with pytest.raises(FieldProblem):
            clean_credit_code(bad)


@pytest.mark.parametrize(
    ("vehicle_type", "fuel", "registered", "expected"),
    [
        ("heavy_truck", "diesel", date(2013, 6, 30), 3),
        ("heavy_truck", "diesel", date(2013, 7, 1), 4),
        ("tractor", "natural_gas", date(2017, 6, 30), 4),
        ("bus", "diesel", date(2017, 7, 1), 5),
        ("heavy_truck", "diesel", date(2021, 7, 1), 6),
        ("heavy_truck", "diesel", date(1999, 1, 1), 0),
        ("car", "gasoline", date(2013, 6, 30), 4),
        ("light_truck", "diesel", date(2020, 7, 1), 6),
        ("car", "electric", date(2020, 7, 1), None),
        ("trailer", "other", date(2020, 7, 1), None),
        ("heavy_truck", "diesel", None, None),
    ],
)
def test_emission_standard_inference(vehicle_type, fuel, registered, expected):
    assert infer_emission_standard(vehicle_type, fuel, registered) == expected


def test_given_standard_wins_and_inferred_is_flagged():
    assert resolve_emission_standard(5, "heavy_truck", "diesel", date(2010, 1, 1)) == (5, False)
    assert resolve_emission_standard(None, "heavy_truck", "diesel", date(2010, 1, 1)) == (3, True)
    assert resolve_emission_standard(None, "car", "electric", date(2010, 1, 1)) == (None, False)
    assert all(dates == sorted(dates) for dates in ([d for d, _ in s] for s in EMISSION_STANDARD_SCHEDULES.values()))


def test_clean_plate_names_the_field_at_fault():
    assert clean_plate("晋e·1234s", "黄牌") == ("晋E1234S", "yellow")
    with pytest.raises(FieldProblem) as colour:
        clean_plate("晋ED12345", "yellow")
    assert colour.value.field == "plate_color"
    with pytest.raises(FieldProblem) as plate:
        clean_plate("晋E123", "yellow")
    assert plate.value.field == "plate"


@pytest.mark.parametrize(
    ("func", "text", "expected"),
    [
        (labels.parse_vehicle_type, "重型半挂牵引车", "tractor"),
        (labels.parse_vehicle_type, "H11", "heavy_truck"),
        (labels.parse_vehicle_type, "K33", "car"),
        (labels.parse_vehicle_type, "Heavy_Truck", "heavy_truck"),
        (labels.parse_fuel, "柴油", "diesel"),
        (labels.parse_fuel, "B", "diesel"),
        (labels.parse_fuel, "LNG", "natural_gas"),
        (labels.parse_use, "非营运", "non_operating"),
        (labels.parse_use, "F", "operating"),
        (labels.parse_status, "正常", "active"),
        (labels.parse_status, "GQ", "active"),
        (labels.parse_status, "BE", "deregistered"),
        (labels.parse_status, "P", "scrapped"),
        (labels.parse_emission_standard, "国Ⅲ", 3),
        (labels.parse_emission_standard, "国III", 3),
        (labels.parse_emission_standard, "国六b", 6),
        (labels.parse_emission_standard, "China V", 5),
        (labels.parse_emission_standard, "4", 4),
        (labels.parse_date, "2015年3月4日", date(2015, 3, 4)),
        (labels.parse_date, "20150304", date(2015, 3, 4)),
        (labels.parse_date, "2015-03-04 00:00:00", date(2015, 3, 4)),
    ],
)
def test_export_labels(func, text, expected):
    assert func(text) == expected


@pytest.mark.parametrize(
    ("func", "text"),
    [
        (labels.parse_vehicle_type, "飞船"),
        (labels.parse_fuel, "煤"),
        (labels.parse_emission_standard, "国九"),
        (labels.parse_emission_standard, "7"),
        (labels.parse_date, "2015-13-01"),
        (labels.parse_status, "丢了"),
    ],
)
def test_unknown_labels_are_refused(func, text):
    with pytest.raises(ValueError):
        func(text)
