"""Registry rules through HTTP: a plate with I or O in its serial is refused (never rewritten into another
vehicle's plate), and rows without a credit code but with the same owner name and phone are one owner."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.vehicles.test_vehicles_import import HEADER
from tests.web.test_web_vehicle_import import _client, _upload, csv_bytes

PHONE_HEADER = [*HEADER, "联系电话"]


def _row(plate, owner, phone, colour="黄色"):
    return [plate, colour, "", "重型货车", "柴油", "国三", "2012-05-04", "营运", owner, "", "巴公镇", phone]


def _vehicle(plate):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle

    db.session.expire_all()
    return db.session.scalar(select(Vehicle).where(Vehicle.plate == plate))


def test_import_refuses_i_and_o_in_the_serial_and_keeps_one_owner_per_name_and_phone(
    app, make_user, client, auth_headers, run_jobs
):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner

    transport = auth_headers("transport")
    r = client.post(
        "/api/v1/vehicles",
        json={
            "plate": "晋E12340",
            "plate_color": "yellow",
            "vehicle_type": "heavy_truck",
            "fuel": "diesel",
            "emission_standard": 5,
            "owner": {"kind": "person", "name": "赵六", "phone": "13900000002"},
        },
        headers=transport,
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    existing_owner = r.get_json()["owner"]["id"] if r.get_json().get("owner") else None
    web = _client(app, make_user, "transport")
    rows = [
        _row("晋E1234O", "钱七", "13900000003"),  # O in the serial: refused, not turned into 晋E12340
        _row("晋E1I111", "钱七", "13900000003"),
        _row("晋E55501", "王五", "13800000001"),
        _row("晋E55502", "王五", "13800000001"),  # same name and phone: the same owner
        _row("晋E55503", "王五", "13800000009"),  # another phone: another person
        _row("晋E55504", "赵六", "13900000002"),  # the owner the API registered
    ]
    response = _upload(web, csv_bytes(rows, PHONE_HEADER))
    assert response.status_code == 302
    assert run_jobs() == 1
    status_url = response.headers["Location"]
    page = web.get(status_url).get_data(as_text=True)
    assert "新增 4 辆" in page and "有问题未导入 2 行" in page, page
    errors = web.get(status_url + "/errors.csv")
    text = errors.get_data(as_text=True)
    errors.close()
    assert "2,号牌号码,晋E1234O" in text and "3,号牌号码,晋E1I111" in text
    assert "字母I和O" in text
    assert _vehicle("晋E12340").emission_standard == 5  # the other vehicle was not overwritten
    assert _vehicle("晋E1I111") is None and _vehicle("晋E11111") is None

    first, second, other, registered = (_vehicle(p) for p in ("晋E55501", "晋E55502", "晋E55503", "晋E55504"))
    assert first.owner_id == second.owner_id != other.owner_id
    assert registered.owner_id == _vehicle("晋E12340").owner_id
    if existing_owner is not None:
        assert registered.owner_id == existing_owner
    assert db.session.scalar(select(func.count()).select_from(Owner).where(Owner.name == "王五")) == 2


def test_the_api_refuses_i_and_o_in_the_serial_and_finds_the_owner_by_name_and_phone(client, auth_headers):
    env = auth_headers("environment")
    body = {"vehicle_type": "heavy_truck", "fuel": "diesel", "plate_color": "yellow"}
    r = client.post("/api/v1/vehicles", json={**body, "plate": "晋EO1234"}, headers=env)
    assert r.status_code == 422 and "plate" in r.get_json()["error"]["fields"]
    assert "I" in r.get_json()["error"]["fields"]["plate"]
    owner = {"kind": "person", "name": "孙八", "phone": "13700000007"}
    a = client.post("/api/v1/vehicles", json={**body, "plate": "晋E66601", "owner": owner}, headers=env).get_json()
    b = client.post("/api/v1/vehicles", json={**body, "plate": "晋E66602", "owner": owner}, headers=env).get_json()
    c = client.post(
        "/api/v1/vehicles", json={**body, "plate": "晋E66603", "owner": {**owner, "phone": "13700000008"}}, headers=env
    ).get_json()
    assert a["owner"]["id"] == b["owner"]["id"] != c["owner"]["id"]
