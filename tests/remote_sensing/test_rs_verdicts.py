"""Hand-computed verdicts at every limit and validity boundary (equal to a limit passes)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from remote_sensing import (
    NoLimitSetError,
    PassRecord,
    RuleSet,
    judge_free_acceleration,
    judge_lug_down,
    judge_nrmm,
    judge_obd,
    judge_pass,
    judge_ringelmann,
    load_rules,
)

JINCHENG = "140500"


def with_(record: PassRecord, **changes: object) -> PassRecord:
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def test_clean_pass_passes(valid_pass: PassRecord, rules: RuleSet) -> None:
    verdict = judge_pass(valid_pass, rules)
    assert verdict.verdict == "pass"
    assert verdict.exceeded == [] and verdict.invalid_reasons == []
    assert verdict.limit_set == "HJ845-2017 remote sensing"


@pytest.mark.parametrize(
    ("field", "value", "verdict", "reasons"),
    [
        # HJ 845 limits: opacity 30 %, Ringelmann 1, NO 1500 ppm; equal passes, above exceeds.
        ("opacity_pct", 30.0, "pass", []),
        ("opacity_pct", 30.01, "exceed", ["opacity"]),
        ("ringelmann", 1, "pass", []),
        ("ringelmann", 2, "exceed", ["ringelmann"]),
        ("no_ppm", 1500.0, "pass", []),
        ("no_ppm", 1500.1, "exceed", ["no"]),
        # Validity ranges are inclusive at both bounds.
        ("speed_kmh", 5.0, "pass", []),
        ("speed_kmh", 4.99, "invalid", ["speed"]),
        ("speed_kmh", 100.0, "pass", []),
        ("speed_kmh", 100.01, "invalid", ["speed"]),
        ("accel_ms2", -1.5, "pass", []),
        ("accel_ms2", -1.51, "invalid", ["acceleration"]),
        ("accel_ms2", 2.0, "pass", []),
        ("accel_ms2", 2.01, "invalid", ["acceleration"]),
        ("vsp_kw_t", 0.0, "pass", []),
        ("vsp_kw_t", -0.01, "invalid", ["vsp"]),
        ("vsp_kw_t", 20.0, "pass", []),
        ("vsp_kw_t", 20.01, "invalid", ["vsp"]),
        ("wind_ms", 5.0, "pass", []),
        ("wind_ms", 5.01, "invalid", ["wind"]),
        ("co2_pct", 1.0, "pass", []),
        ("co2_pct", 0.99, "invalid", ["co2"]),
    ],
)
def test_remote_sensing_boundaries(
    valid_pass: PassRecord, rules: RuleSet, field: str, value: float, verdict: str, reasons: list[str]
) -> None:
    result = judge_pass(with_(valid_pass, **{field: value}), rules)
    assert (result.verdict, result.reasons) == (verdict, reasons)


def test_every_exceedance_is_listed_with_value_and_limit(valid_pass: PassRecord, rules: RuleSet) -> None:
    result = judge_pass(with_(valid_pass, opacity_pct=55.8, ringelmann=3, no_ppm=2065.0), rules)
    assert result.verdict == "exceed"
    assert [(e.item, e.value, e.limit) for e in result.exceeded] == [
        ("opacity", 55.8, 30.0),
        ("ringelmann", 3.0, 1.0),
        ("no", 2065.0, 1500.0),
    ]
    assert "opacity 55.8 > 30 %" in result.explain()


def test_every_invalid_reason_is_listed_in_order(valid_pass: PassRecord, rules: RuleSet) -> None:
    record = with_(valid_pass, speed_kmh=4.0, accel_ms2=2.5, vsp_kw_t=25.0, wind_ms=6.0, co2_pct=0.5, no_ppm=3000.0)
    result = judge_pass(record, rules, calibrated=False)
    assert result.verdict == "invalid"
    assert result.invalid_reasons == ["calibration", "speed", "acceleration", "vsp", "wind", "co2"]
    assert result.exceeded == []  # an invalid pass never counts as exceeding
    assert "speed: 5 <= 4 <= 100 FAILED" in result.explain()


def test_device_flag_makes_the_pass_invalid(valid_pass: PassRecord, rules: RuleSet) -> None:
    result = judge_pass(with_(valid_pass, device_valid=False, no_ppm=2549.0), rules)
    assert (result.verdict, result.invalid_reasons) == ("invalid", ["device"])


@pytest.mark.parametrize(
    ("policy", "reasons"),
    [("when_unexplained", ["acceleration"]), ("always", ["device", "acceleration"]), ("never", ["acceleration"])],
)
def test_device_reason_policy(valid_pass: PassRecord, policy: str, reasons: list[str]) -> None:
    rules = load_rules({"validity": {"remote_sensing": {"device_reason": policy}}})
    result = judge_pass(with_(valid_pass, device_valid=False, accel_ms2=2.33), rules)
    assert (result.verdict, result.invalid_reasons) == ("invalid", reasons)


def test_device_policy_never_ignores_the_device(valid_pass: PassRecord) -> None:
    rules = load_rules({"validity": {"remote_sensing": {"device_reason": "never"}}})
    assert judge_pass(with_(valid_pass, device_valid=False), rules).verdict == "pass"


def test_calibration_invalidates(valid_pass: PassRecord, rules: RuleSet) -> None:
    assert judge_pass(valid_pass, rules, calibrated=False).invalid_reasons == ["calibration"]


def test_missing_validity_measurement_is_invalid(valid_pass: PassRecord, rules: RuleSet) -> None:
    assert judge_pass(with_(valid_pass, vsp_kw_t=None), rules).invalid_reasons == ["vsp"]
    lenient = load_rules({"validity": {"remote_sensing": {"missing_is_invalid": False}}})
    assert judge_pass(with_(valid_pass, vsp_kw_t=None), lenient).verdict == "pass"


def test_no_pollutant_measured_is_invalid(valid_pass: PassRecord, rules: RuleSet) -> None:
    record = with_(valid_pass, no_ppm=None, opacity_pct=None, ringelmann=None)
    assert judge_pass(record, rules).invalid_reasons == ["no_measurement"]


def test_unread_plate_keeps_its_verdict(valid_pass: PassRecord, rules: RuleSet) -> None:
    result = judge_pass(with_(valid_pass, plate="", opacity_pct=40.0), rules)
    assert result.verdict == "exceed" and result.plate_pending


# --- GB 3847-2018 roadside tests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "on", "region", "verdict", "limit_set"),
    [
        ([0.7, 0.7, 0.7], date(2019, 11, 1), JINCHENG, "pass", "GB3847-2018 limit b"),
        ([0.7, 0.7, 0.73], date(2019, 11, 1), JINCHENG, "exceed", "GB3847-2018 limit b"),  # mean 0.71
        ([3.0, 0.6, 0.7, 0.8], date(2019, 11, 1), JINCHENG, "pass", "GB3847-2018 limit b"),  # last three only
        ([0.8, 0.7, 0.6, 3.0], date(2019, 11, 1), JINCHENG, "exceed", "GB3847-2018 limit b"),
        ([1.2, 1.2, 1.2], date(2019, 10, 31), JINCHENG, "pass", "GB3847-2018 limit a"),  # b not yet in force
        ([1.2, 1.2, 1.23], date(2019, 10, 31), JINCHENG, "exceed", "GB3847-2018 limit a"),
        ([1.2, 1.2, 1.2], date(2019, 11, 1), "440100", "pass", "GB3847-2018 limit a"),  # not a key region
        ([0.9, 0.9, 0.9], date(2019, 11, 1), "140525", "exceed", "GB3847-2018 limit b"),  # Zezhou county
    ],
)
def test_free_acceleration(
    rules: RuleSet, readings: list[float], on: date, region: str, verdict: str, limit_set: str
) -> None:
    result = judge_free_acceleration(readings, rules, on=on, region=region)
    assert (result.verdict, result.limit_set) == (verdict, limit_set)
    assert result.values["k"] == pytest.approx(sum(readings[-3:]) / 3)


def test_free_acceleration_needs_three_readings(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="three"):
        judge_free_acceleration([0.5, 0.5], rules, on=date(2019, 12, 1), region=JINCHENG)


def test_before_gb3847_no_limits(rules: RuleSet) -> None:
    with pytest.raises(NoLimitSetError):
        judge_free_acceleration([0.5, 0.5, 0.5], rules, on=date(2019, 4, 30), region=JINCHENG)


@pytest.mark.parametrize(
    ("k", "nox", "on", "exceeded"),
    [
        (0.7, 900.0, date(2019, 12, 1), []),
        (0.71, 900.0, date(2019, 12, 1), ["k"]),
        (0.7, 901.0, date(2019, 12, 1), ["nox_ppm"]),
        ([0.5, 0.71, 0.6], [800.0, 950.0, 700.0], date(2019, 12, 1), ["k", "nox_ppm"]),
        (1.2, 1500.0, date(2019, 6, 1), []),
        (1.21, 1501.0, date(2019, 6, 1), ["k", "nox_ppm"]),
    ],
)
def test_lug_down(
    rules: RuleSet, k: float | list[float], nox: float | list[float], on: date, exceeded: list[str]
) -> None:
    result = judge_lug_down(k, nox, rules, on=on, region=JINCHENG)
    assert [e.item for e in result.exceeded] == exceeded
    assert result.verdict == ("exceed" if exceeded else "pass")


@pytest.mark.parametrize(("grade", "verdict"), [(0, "pass"), (1, "pass"), (2, "exceed"), (5, "exceed")])
def test_ringelmann(rules: RuleSet, grade: int, verdict: str) -> None:
    result = judge_ringelmann(grade, rules, on=date(2019, 12, 1), region=JINCHENG)
    assert result.verdict == verdict
    assert result.checks[0].max == 1.0


def test_ringelmann_rejects_non_grades(rules: RuleSet) -> None:
    with pytest.raises(ValueError):
        judge_ringelmann(6, rules, on=date(2019, 12, 1))


@pytest.mark.parametrize(
    ("mil", "codes", "ready", "tamper", "verdict", "reasons"),
    [
        (False, [], True, False, "pass", []),
        (True, ["P0401"], True, False, "fail", ["mil"]),
        (True, [], True, False, "pass", []),
        (False, [], False, False, "invalid", ["readiness"]),
        (False, [], True, True, "fail", ["tampering"]),
        (True, ["P0401"], False, True, "fail", ["mil", "tampering"]),
    ],
)
def test_obd(
    rules: RuleSet, mil: bool, codes: list[str], ready: bool, tamper: bool, verdict: str, reasons: list[str]
) -> None:
    result = judge_obd(mil, codes, ready, tamper, rules)
    assert (result.verdict, result.reasons) == (verdict, reasons)
    assert result.failed is (verdict == "fail")


# --- GB 36886-2018 non-road machinery ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "power", "limit", "band"),
    [
        ("I", 18.9, 3.00, "P<19"),
        ("I", 19.0, 2.00, "19<=P<37"),
        ("I", 37.0, 1.61, "P>=37"),
        ("II", 10.0, 2.00, "P<19"),
        ("II", 36.9, 1.00, "19<=P<37"),
        ("II", 120.0, 0.80, "P>=37"),
        ("III", 18.0, 0.80, "P<19"),
        ("III", 20.0, 0.80, "19<=P<37"),
        ("III", 37.0, 0.50, "P>=37"),
    ],
)
def test_nrmm_table_boundaries(rules: RuleSet, cls: str, power: float, limit: float, band: str) -> None:
    at_limit = judge_nrmm([limit, limit, limit], 1, cls, power, rules, on=date(2019, 12, 1))
    assert at_limit.verdict == "pass"
    assert band in (at_limit.limit_set or "")
    above = judge_nrmm([limit, limit, limit + 0.03], 0, cls, power, rules, on=date(2019, 12, 1))
    assert above.verdict == "exceed"
    assert [(e.item, e.limit) for e in above.exceeded] == [("k", limit)]


def test_nrmm_ringelmann(rules: RuleSet) -> None:
    result = judge_nrmm([0.1, 0.1, 0.1], 2, "II", 50.0, rules, on=date(2019, 12, 1))
    assert [(e.item, e.value, e.limit) for e in result.exceeded] == [("ringelmann", 2.0, 1.0)]


def test_nrmm_unknown_class(rules: RuleSet) -> None:
    with pytest.raises(NoLimitSetError):
        judge_nrmm([0.1, 0.1, 0.1], 0, "IV", 50.0, rules, on=date(2019, 12, 1))


@pytest.mark.parametrize("alias", ["III", "iii", "3", "Ⅲ"])
def test_nrmm_class_aliases(rules: RuleSet, alias: str) -> None:
    result = judge_nrmm([0.51, 0.51, 0.51], 0, alias, 37.0, rules, on=date(2019, 12, 1))
    assert (result.verdict, result.limit_set) == ("exceed", "GB36886-2018 class III P>=37")
