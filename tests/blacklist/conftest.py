"""Fixtures for the blacklist, cases and hotlist: a station, vehicles and a pass poster."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from tests import passes

_ids = count(1)


def _month(back: int) -> str:
    """The month (YYYY-MM) `back` months before the month 40 days ago: days 1-20 of it lie in the past,
    and days 1-31 of three months back still lie inside the 180-day listing window."""
    from datetime import timedelta

    from vehicle_enforce.core.timeutil import local_day, now_utc

    day = local_day(now_utc()) - timedelta(days=40)
    year, month = day.year, day.month - back
    while month <= 0:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


# Recent months for test data: passes older than the listing window before today open no case.
NOV, OCT, AUG = _month(0), _month(1), _month(3)


def pass_body(plate: str, when: str, *, exceed: bool = True, valid: bool = True, **over: Any) -> dict[str, Any]:
    body = passes.pass_body(
        f"BL{next(_ids):06d}", when, plate=plate, wind_ms=2.0 if valid else 9.0, opacity_pct=55.0 if exceed else 10.0
    )
    body.update(over)
    return body


@pytest.fixture
def vehicle(app: Any) -> Callable[..., int]:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner, Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    def make(plate: str = "晋E12345", plate_color: str = "yellow") -> int:
        owner = Owner(kind="enterprise", name=f"车主{plate}")
        db.session.add(owner)
        db.session.flush()
        v = Vehicle(
            plate=plate,
            plate_color=plate_color,
            plate_key=plate_key(plate),
            vehicle_type="heavy_truck",
            fuel="diesel",
            emission_standard=3,
            status="active",
            owner_id=owner.id,
        )
        db.session.add(v)
        db.session.flush()
        transaction.commit()
        return v.id

    return make


@pytest.fixture
def post_pass(client: Any, auth_headers: Any, station_factory: Any) -> Callable[..., dict[str, Any]]:
    station_factory("JC-RS-01", "remote_sensing")

    def post(plate: str, when: str, **kwargs: Any) -> dict[str, Any]:
        r = client.post(
            "/api/v1/remote-sensing/passes",
            json=pass_body(plate, when, **kwargs),
            headers=auth_headers("station", station="JC-RS-01"),
        )
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return r.get_json()["results"][0]

    return post


@pytest.fixture
def post_test(client: Any, auth_headers: Any, station_factory: Any) -> Callable[..., dict[str, Any]]:
    station_factory("JC-RD-01", "roadside")
    station_factory("JC-I-01", "inspection")

    def post(plate: str, when: str, *, passed: bool, kind: str = "roadside") -> dict[str, Any]:
        body = {
            "report_number": f"T{next(_ids):06d}",
            "method": "ringelmann",
            "tested_at": when,
            "plate": plate,
            "plate_color": "yellow",
            "readings": {"ringelmann": 0 if passed else 3},
        }
        if kind == "inspection":
            r = client.post("/api/v1/inspection-results", json=body, headers=auth_headers("station", station="JC-I-01"))
        else:
            body["kind"] = kind
            r = client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("station", station="JC-RD-01"))
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return r.get_json()

    return post


def active_entries(vehicle_id: int) -> list[Any]:
    from sqlalchemy import select

    from vehicle_enforce.blacklist.models import BlacklistEntry
    from vehicle_enforce.extensions import db

    return list(
        db.session.scalars(
            select(BlacklistEntry).where(BlacklistEntry.vehicle_id == vehicle_id, BlacklistEntry.status == "active")
        )
    )


@pytest.fixture
def post_repair(client: Any, auth_headers: Any, station_factory: Any) -> Callable[..., dict[str, Any]]:
    """post(plate, when) stores an M站 repair through POST /api/v1/repairs; returns the stored record."""
    station_factory("JC-M-01", "repair")

    def post(plate: str, when: str, *, number: str | None = None, station: str = "JC-M-01") -> dict[str, Any]:
        station_factory(station, "repair")
        body = {
            "repair_number": number or f"M{next(_ids):06d}",
            "repaired_at": when,
            "plate": plate,
            "plate_color": "yellow",
            "items": ["更换DPF"],
        }
        r = client.post("/api/v1/repairs", json=body, headers=auth_headers("station", station=station))
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return r.get_json()

    return post


def beijing_today() -> Any:
    from vehicle_enforce.core.timeutil import local_day, now_utc

    return local_day(now_utc())


# The summary procedure (当场处罚, 道路交通安全法 第一百零七条): one officer, the decision handed over.
SUMMARY = {
    "procedure": "summary",
    "officers": [{"name": "张警官", "certificate_no": "14050001"}],
    "served_to": "驾驶人 王某",
}
OFFICERS = [{"name": "李执法", "certificate_no": "14050101"}, {"name": "王执法", "certificate_no": "14050102"}]


def penalize_general(client: Any, headers: dict[str, str], case_id: int, **fields: Any) -> Any:
    """The general procedure through HTTP: prior notice, its service, the owner waives, the decision."""
    told = {k: fields[k] for k in ("basis", "amount_yuan", "warning") if k in fields}

    def act(action: str, **body: Any) -> Any:
        r = client.post(
            f"/api/v1/cases/{case_id}/actions", json={"action": action, "officers": OFFICERS, **body}, headers=headers
        )
        return r

    for action, body in (
        ("prior_notice", {**told, "facts": "遥感监测排放超标"}),
        ("serve", {"document": "prior_notice", "method": "direct", "served_to": "车主"}),
        ("record_answer", {"answer_kind": "waived"}),
    ):
        r = act(action, **body)
        assert r.status_code == 200, (action, r.get_json())
    return act("penalize", procedure="general", **fields)


def act(client: Any, headers: dict[str, str], case_id: int, action: str, **fields: Any) -> Any:
    """One case action through HTTP; `confirm` carries the two officers it needs (行政处罚法 第四十二条)
    unless the test gives its own `officers` (the refusals are tested in test_case_procedure.py)."""
    if action == "confirm":
        fields.setdefault("officers", OFFICERS)
    return client.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **fields}, headers=headers)


@pytest.fixture
def confirmed(vehicle: Any, post_pass: Any, client: Any, auth_headers: Any) -> int:
    """A vehicle listed by two recent exceeding passes, its case confirmed by environment."""
    from datetime import timedelta

    vid = vehicle()
    day = beijing_today() - timedelta(days=10)
    post_pass("晋E12345", f"{day.isoformat()}T10:00:00+08:00")
    post_pass("晋E12345", f"{(day + timedelta(days=1)).isoformat()}T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()["results"]
    assert act(client, auth_headers("environment"), case["id"], "confirm").status_code == 200
    return int(case["id"])
