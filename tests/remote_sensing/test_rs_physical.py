"""Impossible measurements and readings never give a valid verdict (the hardening issue, #26)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from remote_sensing import (
    PassRecord,
    judge_free_acceleration,
    judge_lug_down,
    judge_nrmm,
    judge_pass,
    parse_canonical,
)
from remote_sensing.types import MEASUREMENT_FLOATS, PHYSICAL_RANGES
from tests.remote_sensing.test_rs_canonical import payload


def test_every_measurement_has_a_physical_range() -> None:
    assert set(PHYSICAL_RANGES) == set(MEASUREMENT_FLOATS)


@pytest.mark.parametrize("name", sorted(PHYSICAL_RANGES))
@pytest.mark.parametrize("side", ["below", "above"])
def test_a_value_outside_its_physical_range_makes_the_pass_invalid(name: str, side: str) -> None:
    record = parse_canonical(payload())
    assert isinstance(record, PassRecord)
    lo, hi = PHYSICAL_RANGES[name]
    bad = lo - 1 if side == "below" else hi + 1
    verdict = judge_pass(replace(record, **{name: bad}))
    assert verdict.verdict == "invalid"
    assert "implausible" in verdict.invalid_reasons
    assert any(c.item == f"implausible:{name}" and not c.ok for c in verdict.checks)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"opacity_pct": 150.0}, "opacity above 100 %"), ({"no_ppm": 25_000.0}, "NO above 10,000 ppm")],
)
def test_an_impossible_reading_that_would_pass_or_exceed_is_never_judged(changes: dict[str, Any], reason: str) -> None:
    record = parse_canonical(payload(**changes))
    assert isinstance(record, PassRecord), reason
    assert judge_pass(record).verdict == "invalid", reason


@pytest.mark.parametrize("value", [-0.5, math.nan, math.inf, 25.0])
def test_free_acceleration_refuses_impossible_k(value: float) -> None:
    with pytest.raises(ValueError, match="k must"):
        judge_free_acceleration([0.3, 0.3, value])


@pytest.mark.parametrize(("k", "nox"), [(-1.0, 300.0), (0.3, -5.0), (math.nan, 300.0), (0.3, 1e100)])
def test_lug_down_refuses_impossible_readings(k: float, nox: float) -> None:
    with pytest.raises(ValueError, match="must"):
        judge_lug_down(k, nox)


@pytest.mark.parametrize(("k", "power"), [(math.nan, 50.0), (-1.0, 50.0), (0.3, math.nan), (0.3, -10.0)])
def test_nrmm_refuses_impossible_readings(k: float, power: float) -> None:
    with pytest.raises(ValueError, match="must"):
        judge_nrmm([k, k, k], 0, "II", power)


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1970-01-01T00:00:00+00:00"]
)
def test_measurement_times_outside_2000_2199_are_refused(when: str) -> None:
    result = parse_canonical(payload(measured_at=when))
    assert isinstance(result, list) and result[0].field == "measured_at"


def test_ids_and_lanes_sent_as_numbers_are_text() -> None:
    record = parse_canonical(payload(record_id=20191101000000, lane=1, device_verdict=0))
    assert isinstance(record, PassRecord)
    assert (record.record_id, record.lane, record.device_verdict) == ("20191101000000", "1", "0")
    assert parse_canonical(payload(lane=True)) != record  # a boolean is not a code
