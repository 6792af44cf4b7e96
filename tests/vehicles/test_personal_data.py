"""Personal data masked by role (PIPL): owners' credit codes, phones and addresses; other stations' evidence."""

from __future__ import annotations

import json

import pytest

CREDIT_CODE = "91350100M000100Y43"
PHONE = "13912345678"
ADDRESS = "山西省晋城市泽州县巴公镇工业园区八号院"
OWNER = {"kind": "enterprise", "name": "泽州县鑫达物流有限公司", "credit_code": CREDIT_CODE, "phone": PHONE}
VEHICLE = {
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vehicle_type": "heavy_truck",
    "fuel": "diesel",
    "emission_standard": 3,
    "township": "巴公镇",
    "owner": {**OWNER, "address": ADDRESS},
}
NEED_IT = ("environment", "transport", "police", "admin")
MASKED = ("station", "township")


@pytest.fixture
def vehicle_id(client, auth_headers):
    r = client.post("/api/v1/vehicles", json=VEHICLE, headers=auth_headers("environment"))
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.json["id"]


def _headers(auth_headers, dept):
    return auth_headers(dept, station="JC-RS-01" if dept == "station" else None)


@pytest.mark.parametrize("dept", MASKED)
def test_stations_and_townships_see_owners_masked(client, auth_headers, vehicle_id, dept):
    headers = _headers(auth_headers, dept)
    for url in ("/api/v1/vehicles", f"/api/v1/vehicles/{vehicle_id}", "/api/v1/vehicles?plate=晋E12345"):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code)
        text = r.get_data(as_text=True)
        for secret in (CREDIT_CODE, PHONE, ADDRESS, "工业园区"):
            assert secret not in json.dumps(r.json, ensure_ascii=False) and secret not in text, (url, secret)
        owner = (r.json["results"][0] if "results" in r.json else r.json)["owner"]
        # Masked, not dropped: enough to tell owners apart, not enough to contact one.
        assert owner["credit_code"].startswith("91") and "*" in owner["credit_code"]
        assert owner["phone"].startswith("139") and owner["phone"].endswith("78") and "*" in owner["phone"]
        assert owner["address"].startswith("山西省晋城市") and "*" in owner["address"]
        assert owner["name"] == OWNER["name"]


@pytest.mark.parametrize("dept", NEED_IT)
def test_roles_that_act_on_owners_see_them_whole(client, auth_headers, vehicle_id, dept):
    owner = client.get(f"/api/v1/vehicles/{vehicle_id}", headers=auth_headers(dept)).json["owner"]
    assert (owner["credit_code"], owner["phone"], owner["address"]) == (CREDIT_CODE, PHONE, ADDRESS)


def test_the_audit_log_keeps_no_phone_or_address(app, client, auth_headers, vehicle_id):
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    env = auth_headers("environment")
    moved = {**VEHICLE, "owner": {**OWNER, "phone": "13700001111", "address": "山西省晋城市泽州县南村镇某街一号"}}
    assert client.post("/api/v1/vehicles", json=moved, headers=env).status_code == 200
    logged = json.dumps(
        [e.changes for e in db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "owner"))],
        ensure_ascii=False,
    )
    assert '"phone"' in logged and '"address"' in logged  # the changes are logged...
    for secret in (PHONE, ADDRESS, "13700001111", "某街一号"):
        assert secret not in logged  # ...but not the values


def test_a_station_does_not_read_another_stations_evidence(client, auth_headers, station_factory, vehicle_id):
    from vehicle_enforce.blacklist import services
    from vehicle_enforce.core import transaction

    station_factory("JC-RS-01", name="北石店遥感站")
    station_factory("JC-RS-02", name="高都遥感站")
    own = {"source": "remote_sensing", "station": "JC-RS-01", "station_name": "北石店遥感站", "text": "本站记录甲"}
    other = {"source": "remote_sensing", "station": "JC-RS-02", "station_name": "高都遥感站", "text": "他站记录乙"}
    for item in (own, other):
        item.update(measured_at="2026-11-01T02:00:00+00:00", exceeded=[{"item": "opacity"}], limit_set="x")
    services._create_entry(
        vehicle_id, "rule", "remote_sensing_repeat", "理由：本站记录甲；他站记录乙", [own, other], "system"
    )
    transaction.commit()

    seen = client.get(f"/api/v1/vehicles/{vehicle_id}", headers=_headers(auth_headers, "station")).json
    text = json.dumps(seen, ensure_ascii=False)
    assert "他站记录乙" not in text and "高都遥感站" not in text and "JC-RS-02" not in text
    entry = seen["history"]["blacklist"][0]
    assert entry["evidence"][0]["text"] == "本站记录甲"
    assert entry["evidence"][1]["other_station"] is True and entry["evidence"][1]["measured_at"]
    # The environment department sees every station's evidence.
    full = client.get(f"/api/v1/vehicles/{vehicle_id}", headers=auth_headers("environment")).json
    assert "他站记录乙" in json.dumps(full, ensure_ascii=False)


def test_exported_files_and_logs_carry_no_owner_contact_data(
    app, client, auth_headers, station_factory, vehicle_id, caplog, tmp_path
):
    """Everything that leaves the system as a file (the platforms' daily CSV/XLSX) and the logs."""
    import logging

    from sqlalchemy import select

    from tests.inspections.conftest import _base_pass
    from vehicle_enforce.exports import services as exports
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    caplog.set_level(logging.DEBUG)
    station_factory("JC-RS-01", "remote_sensing")
    station = auth_headers("station", station="JC-RS-01")
    for i in range(3):
        body = {"passes": [_base_pass(record_id=f"PII{i}", plate="晋E12345", opacity_pct=45.0)]}
        assert client.post("/api/v1/remote-sensing/passes", json=body, headers=station).status_code == 201
    payloads = json.dumps([r.payload for r in db.session.scalars(select(ExportRecord))], ensure_ascii=False)
    days = set(db.session.scalars(select(ExportRecord.due_day)))
    files = [f for day in sorted(days) for f in exports.daily_files(day, tmp_path)]
    csv_text = "".join(p.read_text(encoding="utf-8-sig") for p in files if p.suffix == ".csv")
    assert "晋E12345" in payloads and "晋E12345" in csv_text  # the records are there...
    for secret in PERSONAL:
        assert secret not in payloads and secret not in csv_text  # ...without the owner's contact data
        assert secret not in caplog.text


PERSONAL = (CREDIT_CODE, PHONE, ADDRESS)
