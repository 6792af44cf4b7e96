"""The roadside-test form checks as the operator types with the server's own words, and after saving shows
the registered vehicle (owner masked by role), a doubtful photo read as 需人工核对, and a way to the next one."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.inspections.test_roadside_photo_page import PAGE

CHECK = PAGE + "/check"

BASE = {
    "station": "JC-RD-01",
    "kind": "roadside",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "method": "free_acceleration",
    "k1": "0.50",
    "k2": "0.60",
    "k3": "0.70",
    "k4": "",
    "ringelmann": "",
}

#: (what the operator typed, the input the message belongs to)
WRONG = [
    ({"plate": "晋E1234"}, "plate"),  # 6 characters: not a GA 36 plate
    ({"plate": "晋EI2345"}, "plate"),  # I is never a serial character... normalised to 1: then valid
    ({"plate": "X E12345"}, "plate"),
    ({"k2": "25"}, "k2"),  # beyond what an opacimeter gives
    ({"k1": "-1"}, "k1"),
    ({"k3": "abc"}, "k3"),
    ({"k3": "", "k4": ""}, "k_readings"),  # two readings: free acceleration needs three or more
    ({"method": "ringelmann", "ringelmann": "7"}, "ringelmann"),
    ({"method": "ringelmann", "ringelmann": "1.5"}, "ringelmann"),
]


def _save_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="field-error" role="alert" data-field="([^"]+)">([^<]*)</span>', html))


@pytest.mark.parametrize(("typed", "field"), WRONG)
def test_the_check_as_typed_says_what_saving_says_beside_the_same_box(app, operator, typed, field):
    client = operator()
    values = {**BASE, **typed}
    checked = client.get(CHECK, query_string=values)
    assert checked.status_code == 200 and checked.is_json
    live = checked.get_json()["fields"]
    saved = client.post(PAGE, data={**values, "action": "save"}, content_type="multipart/form-data")
    shown = _save_errors(saved.get_data(as_text=True))
    if typed == {"plate": "晋EI2345"}:  # the certain fix (I → 1 in the serial) makes it a plate
        assert live == {} and saved.status_code == 200
        return
    assert saved.status_code == 422
    assert field in live, live
    assert live == shown, (live, shown)  # every message, word for word, beside the same box
    assert re.search(r"[\u4e00-\u9fff]", live[field]), live[field]


def test_the_check_knows_a_good_form_and_the_messages_come_from_the_catalogue(app, operator):
    from vehicle_enforce.core.messages import PYDANTIC_MESSAGES
    from vehicle_enforce.inspections.schemas import FreeAcceleration

    client = operator()
    assert client.get(CHECK, query_string=BASE).get_json() == {"fields": {}, "plate": "晋E12345"}
    # The bounds and the count are the schema's, the words the catalogue's: nothing is restated for the page.
    constraints = FreeAcceleration.model_json_schema()["properties"]["k_readings"]
    live = client.get(CHECK, query_string={**BASE, "k2": "99"}).get_json()["fields"]
    assert live["k2"] == PYDANTIC_MESSAGES["less_than_equal"].format(le=constraints["items"]["maximum"])
    assert live["k2"] == "不能大于 20"
    live = client.get(CHECK, query_string={**BASE, "k3": ""}).get_json()["fields"]
    assert live["k_readings"] == PYDANTIC_MESSAGES["too_short"].format(min_length=constraints["minItems"])
    assert client.get(CHECK, query_string={**BASE, "plate": "晋e 12345"}).get_json()["plate"] == "晋E12345"


def test_other_departments_cannot_use_the_check(app, client):
    assert client.get(CHECK).status_code in (302, 401, 403)


@pytest.fixture
def owned_truck(vehicle_factory):
    """make(plate, owner kind, owner name) registers a China III heavy truck (vehicle_factory) with its owner."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    def make(plate: str, kind: str, name: str) -> int:
        vehicle_id = vehicle_factory(plate, "yellow")
        owner = Owner(kind=kind, name=name, phone="13912345678")
        db.session.add(owner)
        db.session.flush()
        db.session.get(Vehicle, vehicle_id).owner_id = owner.id
        transaction.commit()
        return vehicle_id

    return make


def test_after_saving_the_station_sees_the_registered_truck_with_its_owner_masked_and_can_go_on(
    app, operator, owned_truck
):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RoadsideTest

    owned_truck("晋E12345", "person", "张三丰")
    client = operator()
    form = client.get(PAGE).get_data(as_text=True)
    number = re.search(r'name="report_number" value="([^"]+)"', form).group(1)
    data = {**BASE, "k1": "1.5", "k2": "1.6", "k3": "1.7", "report_number": number, "action": "save"}
    html = client.post(PAGE, data=data, content_type="multipart/form-data").get_data(as_text=True)
    vehicle = re.search(r'<div id="registered-vehicle">(.*?)</div>', html, re.S).group(1)
    assert "重型货车" in vehicle and "国三" in vehicle, vehicle
    assert "张**" in vehicle and "张三丰" not in html, vehicle  # a station sees a private owner masked
    assert "139******78" in vehicle and "13912345678" not in html, vehicle
    assert 'id="verdict"' in html and "劝返" in html
    # Sent again (a double click, a retried request): one test is stored.
    again = client.post(PAGE, data=data, content_type="multipart/form-data")
    assert again.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(RoadsideTest)) == 1
    # 下一辆: an empty form for the same station, kind and method, with a new report number.
    link = re.search(r'<a href="([^"]+)" class="next-vehicle">下一辆</a>', html).group(1).replace("&amp;", "&")
    fresh = client.get(link).get_data(as_text=True)
    assert 'name="plate" value=""' in fresh and 'name="k1" value=""' in fresh
    assert '<option value="free_acceleration" selected>' in fresh
    assert number not in fresh


def test_environment_sees_the_owner_whole(app, operator, owned_truck):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    owned_truck("晋E12345", "person", "张三丰")
    operator()  # the roadside station
    services.create_user(
        UserIn(username="huanbao", password="page-pass-1", department=Department("environment")), actor=SYSTEM
    )
    transaction.commit()
    page = app.test_client()
    assert page.post("/login", data={"username": "huanbao", "password": "page-pass-1"}).status_code == 302
    data = {**BASE, "action": "save"}
    html = page.post(PAGE, data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "张三丰" in html and "13912345678" in html


def test_a_photo_read_below_the_threshold_is_marked_for_a_look_never_as_confirmed(
    app,
    operator,
    photo,
    vehicle_factory,
    monkeypatch,
):
    content, plate, colour = photo
    vehicle_factory(plate, colour)
    monkeypatch.setitem(app.config, "PLATE_READER_CONFIDENCE_THRESHOLD", 1.01)  # every read is doubtful
    client = operator()
    read = client.post(
        PAGE,
        data={"action": "read", "station": "JC-RD-01", "photo": (io.BytesIO(content), "photo.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "需人工核对" in read
    token = re.search(r'name="photo_token" value="([^"]+)"', read).group(1)
    data = {**BASE, "plate": plate, "plate_color": colour, "photo_token": token, "action": "save"}
    html = client.post(PAGE, data=data, content_type="multipart/form-data").get_data(as_text=True)
    note = re.search(r'<p id="plate-read-note">(.*?)</p>', html, re.S).group(1)
    assert "需人工核对" in note and "已确认" not in note, note
