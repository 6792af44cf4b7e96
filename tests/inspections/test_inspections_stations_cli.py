"""`vehicle-enforce stations ...`: create, devices, calibration; a lapsed calibration invalidates passes."""

from __future__ import annotations

from typing import Any


def test_station_device_and_calibration_commands(
    app: Any, runner: Any, client: Any, auth_headers: Any, base_pass: Any
) -> None:
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    ok = runner.invoke(["stations", "create", "--code", "JC-RS-09", "--kind", "remote_sensing", "--name", "测试点"])
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(["stations", "add-device", "--station", "JC-RS-09", "--code", "D1"]).exit_code == 0
    assert runner.invoke(["stations", "add-device", "--station", "JC-RS-09", "--code", "D1"]).exit_code != 0
    assert runner.invoke(["stations", "add-device", "--station", "NOPE", "--code", "D1"]).exit_code != 0
    res = runner.invoke(
        ["stations", "calibrate", "--station", "JC-RS-09", "--device", "D1", "--valid-until", "2019-11-04"]
    )
    assert res.exit_code == 0, res.output
    env = auth_headers("environment")
    body = {
        "passes": [
            base_pass(record_id="d", station="JC-RS-09", device="D1"),
            base_pass(record_id="s", station="JC-RS-09"),
        ]
    }
    with_device, station_only = client.post("/api/v1/remote-sensing/passes", json=body, headers=env).get_json()[
        "results"
    ]
    assert with_device["invalid_reasons"] == ["calibration"] and station_only["verdict"] == "pass"
    runner.invoke(["stations", "calibrate", "--station", "JC-RS-09", "--valid-until", "2019-11-01"])
    (late,) = client.post(
        "/api/v1/remote-sensing/passes", json=base_pass(record_id="s2", station="JC-RS-09"), headers=env
    ).get_json()["results"]
    assert late["invalid_reasons"] == ["calibration"]
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("calibration.%"))).all()
    assert actions == ["calibration.set", "calibration.set"]
