"""parse_canonical: the HTTP API's validation of posted passes, with precise field errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remote_sensing import PLATE_COLORS, FieldError, PassRecord, RowError, judge_pass, open_reader, parse_canonical


def payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "station": "JC-RS-01",
        "record_id": "20191101000000",
        "measured_at": "2019-11-01T06:01:13+08:00",
        "lane": "1",
        "plate": "晋E12345",
        "plate_color": "yellow",
        "plate_confidence": 0.93,
        "fuel": "diesel",
        "speed_kmh": 73.1,
        "accel_ms2": 1.13,
        "vsp_kw_t": 4.2,
        "wind_ms": 3.2,
        "co2_pct": 7.18,
        "no_ppm": 338,
        "opacity_pct": 55.8,
        "ringelmann": 0,
        "device_valid": True,
        "device_verdict": "0",
        "photos": ["a.jpg", "b.jpg"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def errors_of(data: dict[str, Any]) -> list[dict[str, str]]:
    result = parse_canonical(data)
    assert isinstance(result, list), result
    return [e.as_dict() for e in result]


def test_valid_payload() -> None:
    record = parse_canonical(payload())
    assert isinstance(record, PassRecord)
    assert record.measured_at.isoformat() == "2019-11-01T06:01:13+08:00"
    assert record.no_ppm == 338.0 and record.photos == ("a.jpg", "b.jpg")
    assert judge_pass(record).reasons == ["opacity"]


def test_minimal_payload() -> None:
    optional = ("lane", "plate", "plate_color", "plate_confidence", "fuel", "device_valid", "device_verdict", "photos")
    record = parse_canonical(payload(**dict.fromkeys(optional, ...)))
    assert isinstance(record, PassRecord)
    assert record.plate_pending and record.plate_color == "unknown" and record.device_valid is None


COLOURS = "black, blue, green, unknown, white, yellow, yellow_green"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("speed_kmh", "73.1", "must be a number"),
        ("speed_kmh", True, "must be a number"),
        ("measured_at", "2019-11-01T06:01:13", "must include a UTC offset, e.g. +08:00"),
        ("measured_at", "yesterday", "must be an ISO 8601 date-time"),
        ("measured_at", ..., "is required"),
        ("station", "", "must not be empty"),
        ("record_id", 1.5, "must be a string"),
        ("ringelmann", 1.5, "must be an integer"),
        ("ringelmann", 6, "must be between 0 and 5"),
        ("plate_confidence", 1.2, "must be between 0 and 1"),
        ("plate_color", "purple", f"must be one of {COLOURS}"),
        ("device_valid", "yes", "must be true, false or null"),
        ("photos", "a.jpg", "must be a list of file names"),
        ("colour", "blue", "unknown field"),
    ],
)
def test_field_errors(field: str, value: Any, problem: str) -> None:
    assert errors_of(payload(**{field: value})) == [{"field": field, "problem": problem}]


def test_all_errors_reported_at_once() -> None:
    fields = [e["field"] for e in errors_of(payload(speed_kmh="x", no_ppm=None, opacity_pct="y", station=None))]
    assert fields == ["station", "speed_kmh", "opacity_pct"]


def test_nulls_are_allowed_for_optional_numbers() -> None:
    record = parse_canonical(payload(speed_kmh=None, co_pct=None))
    assert isinstance(record, PassRecord) and record.speed_kmh is None
    assert judge_pass(record).invalid_reasons == ["speed"]


def test_utc_and_z_times_are_accepted() -> None:
    record = parse_canonical(payload(measured_at="2019-10-31T22:01:13Z"))
    assert isinstance(record, PassRecord)
    assert record.measured_at.utcoffset() is not None and record.measured_at.hour == 22


def test_field_error_shape() -> None:
    assert FieldError("speed_kmh", "must be a number").as_dict() == {
        "field": "speed_kmh",
        "problem": "must be a number",
    }


def test_canonical_jsonl_reader(tmp_path: Path) -> None:
    path = tmp_path / "passes.jsonl"
    path.write_text(
        "\n".join([json.dumps(payload()), "{not json", json.dumps(payload(speed_kmh="fast"))]) + "\n",
        encoding="utf-8",
    )
    items = list(open_reader(path, "canonical-jsonl"))
    assert [row for row, _ in items] == [1, 2, 3]
    assert isinstance(items[0][1], PassRecord)
    assert isinstance(items[1][1], RowError) and "JSON" in items[1][1].problem
    error = items[2][1]
    assert isinstance(error, RowError) and (error.column, error.problem, error.raw) == (
        "speed_kmh",
        "must be a number",
        "fast",
    )


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    speed=st.none() | finite,
    no=st.none() | finite,
    opacity=st.none() | finite,
    grade=st.none() | st.integers(0, 5),
    confidence=st.none() | st.floats(0, 1),
    colour=st.sampled_from(sorted(PLATE_COLORS)),
    plate=st.sampled_from(["", "晋E12345", "冀B32HUT"]),
    device=st.none() | st.booleans(),
    offset=st.integers(-12, 14),
)
def test_canonical_round_trip(
    speed: float | None,
    no: float | None,
    opacity: float | None,
    grade: int | None,
    confidence: float | None,
    colour: str,
    plate: str,
    device: bool | None,
    offset: int,
) -> None:
    when = datetime(2019, 11, 1, 6, 1, 13, tzinfo=timezone(timedelta(hours=offset)))
    record = PassRecord(
        station="S",
        record_id="R1",
        measured_at=when,
        plate=plate,
        plate_color=colour,
        plate_confidence=confidence,
        speed_kmh=speed,
        no_ppm=no,
        opacity_pct=opacity,
        ringelmann=grade,
        device_valid=device,
        photos=("a.jpg",),
    )
    data = json.loads(json.dumps(record.to_canonical(), ensure_ascii=False))
    assert parse_canonical(data) == record
