"""Every remote-sensing limit and validity rule, at each boundary, judged through the HTTP API.

Hand-computed: exceeding is strictly greater than the limit (opacity 30 %, Ringelmann 1, NO 1500 ppm);
validity ranges include their bounds (speed 5-100 km/h, acceleration -1.5..2.0 m/s², VSP 0-20 kW/t,
wind <= 5 m/s, CO2 >= 1.0 %).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

CASES = [
    # (field, value, verdict, exceeded items, invalid reasons)
    ("opacity_pct", 30.0, "pass", [], []),
    ("opacity_pct", 30.01, "exceed", ["opacity"], []),
    ("ringelmann", 1, "pass", [], []),
    ("ringelmann", 2, "exceed", ["ringelmann"], []),
    ("no_ppm", 1500.0, "pass", [], []),
    ("no_ppm", 1500.1, "exceed", ["no"], []),
    ("speed_kmh", 5.0, "pass", [], []),
    ("speed_kmh", 4.99, "invalid", [], ["speed"]),
    ("speed_kmh", 100.0, "pass", [], []),
    ("speed_kmh", 100.01, "invalid", [], ["speed"]),
    ("accel_ms2", -1.5, "pass", [], []),
    ("accel_ms2", -1.51, "invalid", [], ["acceleration"]),
    ("accel_ms2", 2.0, "pass", [], []),
    ("accel_ms2", 2.01, "invalid", [], ["acceleration"]),
    ("vsp_kw_t", 0.0, "pass", [], []),
    ("vsp_kw_t", -0.1, "invalid", [], ["vsp"]),
    ("vsp_kw_t", 20.0, "pass", [], []),
    ("vsp_kw_t", 20.1, "invalid", [], ["vsp"]),
    ("wind_ms", 5.0, "pass", [], []),
    ("wind_ms", 5.1, "invalid", [], ["wind"]),
    ("co2_pct", 1.0, "pass", [], []),
    ("co2_pct", 0.99, "invalid", [], ["co2"]),
    ("speed_kmh", None, "invalid", [], ["speed"]),  # a missing validity value is invalid
    ("device_valid", False, "invalid", [], ["device"]),
]


@pytest.mark.parametrize(("field", "value", "verdict", "exceeded", "reasons"), CASES)
def test_boundary_through_the_api(
    base_pass: Any, post_passes: Any, field: str, value: Any, verdict: str, exceeded: list[str], reasons: list[str]
) -> None:
    res = post_passes(base_pass(**{field: value}))
    assert res.status_code == 201, res.get_json()
    (item,) = res.get_json()["results"]
    assert item["verdict"] == verdict
    assert [e["item"] for e in item["exceeded"]] == exceeded
    assert item["invalid_reasons"] == reasons


def test_invalid_beats_exceed_and_lists_every_reason(base_pass: Any, post_passes: Any) -> None:
    res = post_passes(base_pass(opacity_pct=80.0, speed_kmh=120.0, wind_ms=6.0))
    (item,) = res.get_json()["results"]
    assert item["verdict"] == "invalid"
    assert item["invalid_reasons"] == ["speed", "wind"]
    assert item["exceeded"] == []


def test_exceedance_reports_value_and_limit(base_pass: Any, post_passes: Any) -> None:
    (item,) = post_passes(base_pass(opacity_pct=55.8, no_ppm=2065.0)).get_json()["results"]
    assert item["exceeded"] == [
        {"item": "opacity", "value": 55.8, "limit": 30.0},
        {"item": "no", "value": 2065.0, "limit": 1500.0},
    ]
    assert item["limit_set"] == "HJ845-2017 remote sensing"


@pytest.mark.parametrize(("valid_until", "verdict"), [(date(2019, 11, 5), "pass"), (date(2019, 11, 4), "invalid")])
def test_station_calibration_lapse_makes_the_pass_invalid(
    base_pass: Any, app: Any, post_passes: Any, rs_station: Any, valid_until: date, verdict: str
) -> None:
    from vehicle_enforce.core import transaction

    rs_station.calibration_valid_until = valid_until  # valid through its last day (Asia/Shanghai)
    transaction.commit()
    (item,) = post_passes(base_pass()).get_json()["results"]
    assert item["verdict"] == verdict
    assert item["invalid_reasons"] == ([] if verdict == "pass" else ["calibration"])


def test_device_calibration_lapse_and_unknown_device(
    base_pass: Any, app: Any, post_passes: Any, rs_station: Any
) -> None:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import Device

    db.session.add(Device(station_id=rs_station.id, code="RSD-1", calibration_valid_until=date(2019, 10, 31)))
    transaction.commit()
    body = {
        "passes": [
            base_pass(record_id="A", device="RSD-1"),
            base_pass(record_id="B"),  # no device: the station alone decides (no record: calibrated)
            base_pass(record_id="C", device="NOPE"),
        ]
    }
    a, b, c = post_passes(body).get_json()["results"]
    assert (a["verdict"], a["invalid_reasons"]) == ("invalid", ["calibration"])
    assert b["verdict"] == "pass"
    assert c["error"]["field"] == "device"
