"""Roadside and spot tests, I站 results and repairs through the API, with hand-computed GB 3847 verdicts.

Limit b (Jincheng from 2019-11-01): free acceleration k 0.7 m⁻¹ on the mean of the LAST three readings,
lug-down k 0.7 and NOx 900 ppm, Ringelmann grade 1; limit a (k 1.2, NOx 1500) before that day.
"""

from __future__ import annotations

from typing import Any

import pytest

WHEN = "2019-11-05T10:00:00+08:00"


@pytest.fixture
def roadside(client: Any, auth_headers: Any, station_factory: Any) -> Any:
    station_factory("JC-RD-01", "roadside")
    numbers = iter(range(1, 10_000))

    def post(method: str, readings: dict[str, Any], **over: Any) -> Any:
        body = {
            "report_number": over.pop("report_number", f"RD-{next(numbers)}"),
            "kind": "roadside",
            "method": method,
            "tested_at": WHEN,
            "plate": "晋E12345",
            "plate_color": "yellow",
            "readings": readings,
            **over,
        }
        return client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("station", station="JC-RD-01"))

    return post


@pytest.mark.parametrize(
    ("k_readings", "verdict", "mean"),
    [
        ([2.0, 0.7, 0.7, 0.7], "pass", 0.7),  # the first reading is not judged; 0.7 equals the limit
        ([0.1, 0.69, 0.71, 0.71], "exceed", 0.7033333333),
        ([0.5, 0.6, 0.7], "pass", 0.6),
    ],
)
def test_free_acceleration_mean_of_last_three(
    roadside: Any, k_readings: list[float], verdict: str, mean: float
) -> None:
    res = roadside("free_acceleration", {"k_readings": k_readings})
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["verdict"] == verdict
    assert body["values"]["k"] == pytest.approx(mean)
    assert body["limit_set"] == "GB3847-2018 limit b"
    assert body["turn_back"] is (verdict == "exceed")


def test_free_acceleration_needs_three_readings(roadside: Any) -> None:
    res = roadside("free_acceleration", {"k_readings": [0.5, 0.6]})
    assert res.status_code == 422
    assert "readings.k_readings" in res.get_json()["error"]["fields"]


def test_limit_a_before_key_region_date(roadside: Any) -> None:
    body = roadside(
        "free_acceleration", {"k_readings": [1.0, 1.0, 1.0]}, tested_at="2019-10-31T23:59:00+08:00"
    ).get_json()
    assert (body["verdict"], body["limit_set"]) == ("pass", "GB3847-2018 limit a")
    body = roadside(
        "free_acceleration", {"k_readings": [1.0, 1.0, 1.0]}, tested_at="2019-11-01T00:00:00+08:00"
    ).get_json()
    assert (body["verdict"], body["limit_set"]) == ("exceed", "GB3847-2018 limit b")


@pytest.mark.parametrize(
    ("k", "nox", "verdict", "items"),
    [
        (0.7, 900, "pass", []),
        (0.71, 900, "exceed", ["k"]),
        (0.7, 901, "exceed", ["nox_ppm"]),
        ([0.5, 0.72, 0.6], [800, 850, 910], "exceed", ["k", "nox_ppm"]),
    ],
)
def test_lug_down(roadside: Any, k: Any, nox: Any, verdict: str, items: list[str]) -> None:
    body = roadside("lug_down", {"k": k, "nox_ppm": nox}).get_json()
    assert body["verdict"] == verdict
    assert [e["item"] for e in body["exceeded"]] == items


@pytest.mark.parametrize(("grade", "verdict"), [(0, "pass"), (1, "pass"), (2, "exceed"), (5, "exceed")])
def test_ringelmann(roadside: Any, grade: int, verdict: str) -> None:
    body = roadside("ringelmann", {"ringelmann": grade}).get_json()
    assert body["verdict"] == verdict
    assert body["message"].startswith("不合格，须劝返" if verdict == "exceed" else "合格")


@pytest.mark.parametrize(
    ("readings", "verdict"),
    [
        ({"mil_on": False, "fault_codes": [], "readiness_ok": True, "tampering": False}, "pass"),
        ({"mil_on": True, "fault_codes": ["P2002"], "readiness_ok": True, "tampering": False}, "fail"),
        ({"mil_on": True, "fault_codes": [], "readiness_ok": True, "tampering": False}, "pass"),
        ({"mil_on": False, "fault_codes": [], "readiness_ok": True, "tampering": True}, "fail"),
        ({"mil_on": False, "fault_codes": [], "readiness_ok": False, "tampering": False}, "invalid"),
    ],
)
def test_obd(roadside: Any, readings: dict[str, Any], verdict: str) -> None:
    body = roadside("obd", readings).get_json()
    assert body["verdict"] == verdict
    assert body["turn_back"] is (verdict == "fail")


def test_same_report_is_idempotent_and_different_content_conflicts(app: Any, roadside: Any) -> None:
    from sqlalchemy import func, select

    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RoadsideTest

    first = roadside("ringelmann", {"ringelmann": 2}, report_number="R-1")
    again = roadside("ringelmann", {"ringelmann": 2}, report_number="R-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["duplicate"] is True
    assert roadside("ringelmann", {"ringelmann": 0}, report_number="R-1").status_code == 409
    assert db.session.scalar(select(func.count()).select_from(RoadsideTest)) == 1


def test_failed_test_is_audited_emitted_and_reaches_listeners(app: Any, roadside: Any, vehicle_factory: Any) -> None:
    from sqlalchemy import select

    from vehicle_enforce import signals
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    vid = vehicle_factory()
    got: list[Any] = []
    emitted: list[Any] = []
    with (
        signals.verdicts_stored.connected_to(lambda _sender, verdicts: got.extend(verdicts)),
        signals.records_stored.connected_to(lambda _kind, records: emitted.extend(records)),
    ):
        body = roadside("ringelmann", {"ringelmann": 3}).get_json()
    assert [(e.source, e.record_id, e.vehicle_id, e.verdict) for e in got] == [("roadside", body["id"], vid, "exceed")]
    own = [(e.kind, e.object_id, e.station) for e in emitted if e.kind == "roadside_test"]
    assert own == [("roadside_test", body["id"], "JC-RD-01")]
    # The blacklist's listener saw the failed test in the same transaction and listed the vehicle.
    assert [e.kind for e in emitted if e.kind.startswith("blacklist")] == ["blacklist_listing"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roadside.test"))
    assert entry is not None and entry.object_id == str(body["id"])


def test_spot_check_links_the_fleet(client: Any, auth_headers: Any, station_factory: Any, app: Any) -> None:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner

    station_factory("JC-SC-01", "spot_check")
    owner = Owner(kind="enterprise", name="泽州县顺通物流有限公司")
    db.session.add(owner)
    transaction.commit()
    body = {
        "station": "JC-SC-01",
        "report_number": "SC-1",
        "kind": "spot_check",
        "method": "free_acceleration",
        "tested_at": WHEN,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "owner_id": owner.id,
        "readings": {"k_readings": [0.3, 0.3, 0.3]},
    }
    res = client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("environment"))
    assert res.status_code == 201 and res.get_json()["owner_id"] == owner.id
    body["report_number"], body["owner_id"] = "SC-2", 99999
    assert client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("environment")).status_code == 422


def test_station_token_scope_and_kind(roadside: Any, client: Any, auth_headers: Any, station_factory: Any) -> None:
    station_factory("JC-RD-02", "roadside")
    res = roadside("ringelmann", {"ringelmann": 0}, station="JC-RD-02")
    assert res.status_code == 403
    station_factory("JC-M-01", "repair")
    body = {
        "report_number": "X",
        "method": "ringelmann",
        "tested_at": WHEN,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "readings": {"ringelmann": 0},
    }
    res = client.post("/api/v1/inspection-results", json=body, headers=auth_headers("station", station="JC-M-01"))
    assert res.status_code == 422 and "station" in res.get_json()["error"]["fields"]


def test_inspection_result_from_i_station(
    app: Any, client: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce import signals

    vid = vehicle_factory()
    station_factory("JC-I-01", "inspection")
    got: list[Any] = []
    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: got.extend(verdicts)):
        res = client.post(
            "/api/v1/inspection-results",
            json={
                "report_number": "I-2019-0001",
                "method": "lug_down",
                "tested_at": WHEN,
                "plate": "晋E12345",
                "plate_color": "yellow",
                "readings": {"k": [0.4, 0.5, 0.45], "nox_ppm": [600, 650, 700]},
            },
            headers=auth_headers("station", station="JC-I-01"),
        )
    body = res.get_json()
    assert res.status_code == 201 and body["kind"] == "inspection" and body["verdict"] == "pass"
    assert [(e.source, e.vehicle_id, e.verdict, e.valid) for e in got] == [("inspection", vid, "pass", True)]
    listed = client.get("/api/v1/inspection-results?plate=晋E12345", headers=auth_headers("transport")).get_json()
    assert [r["report_number"] for r in listed["results"]] == ["I-2019-0001"]


def test_repairs(app: Any, client: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any) -> None:
    vid = vehicle_factory()
    station_factory("JC-M-01", "repair")
    body = {
        "repair_number": "M-0001",
        "repaired_at": WHEN,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "items": ["更换DPF", "清洗喷油器"],
        "technician": "王师傅",
    }
    h = auth_headers("station", station="JC-M-01")
    first = client.post("/api/v1/repairs", json=body, headers=h)
    again = client.post("/api/v1/repairs", json=body, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["vehicle_id"] == vid and again.get_json()["duplicate"] is True
    assert client.post("/api/v1/repairs", json={**body, "items": []}, headers=h).status_code == 422
    listed = client.get(f"/api/v1/repairs?vehicle_id={vid}", headers=auth_headers("police")).get_json()
    assert [r["repair_number"] for r in listed["results"]] == ["M-0001"]


def test_list_filters_plate_station_and_local_days(client: Any, auth_headers: Any, station_factory: Any) -> None:
    """The list filters the roadside, capture and repair endpoints share: the plate as typed
    (normalised), the sending station's code, ``since`` / ``until`` as instants or as whole
    Asia/Shanghai days, and the other fields by equality."""
    station_factory("JC-RD-01", "roadside")
    station_factory("JC-RD-02", "roadside")
    posted = [  # report, station, plate, tested at, Ringelmann grade (1 passes, 2 exceeds)
        ("RD-A", "JC-RD-01", "晋E12345", "2019-11-05T23:30:00+08:00", 0),
        ("RD-B", "JC-RD-02", "晋E12345", "2019-11-06T00:30:00+08:00", 1),
        ("RD-C", "JC-RD-01", "晋E54321", "2019-11-06T09:00:00+08:00", 2),
    ]
    for number, station, plate, at, grade in posted:
        body = {"report_number": number, "kind": "roadside", "method": "ringelmann", "tested_at": at, "plate": plate}
        res = client.post(
            "/api/v1/roadside-tests",
            json={**body, "plate_color": "yellow", "readings": {"ringelmann": grade}},
            headers=auth_headers("station", station=station),
        )
        assert res.status_code == 201, res.get_json()

    def numbers(query: str) -> list[str]:
        res = client.get(f"/api/v1/roadside-tests?{query}", headers=auth_headers("police"))
        assert res.status_code == 200, res.get_json()
        return sorted(r["report_number"] for r in res.get_json()["results"])

    assert numbers("plate=晋e 12345") == ["RD-A", "RD-B"]
    assert numbers("station=JC-RD-01") == ["RD-A", "RD-C"]
    assert numbers("since=2019-11-06") == ["RD-B", "RD-C"]  # from 00:00 that day, Beijing time
    assert numbers("until=2019-11-05") == ["RD-A"]  # the whole day included
    assert numbers("until=2019-11-06T00:30:00%2B08:00") == ["RD-A"]  # an instant: before it
    assert numbers("verdict=exceed") == ["RD-C"]
    assert numbers("station=JC-RD-01&since=2019-11-06&verdict=exceed") == ["RD-C"]
    assert numbers("station=JC-RD-01&since=2019-11-06&verdict=pass") == []
    assert numbers("station=JC-RD-09") == []
