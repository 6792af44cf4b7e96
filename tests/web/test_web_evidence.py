"""Evidence in view (issue #31): photos beside the decision on the black-smoke review, the case detail
and the match review, served only to whoever may see the record; decisions that change a record are
confirmed (the server holds to it without script); the case detail shows the vehicle, the owner, the
evidence with its readings, the stages with deadlines and only the actions the viewer may take now."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import select

from tests.blacklist.conftest import NOV
from tests.passes import pass_body
from tests.web.test_web_every_page_chinese import main_text

JPEG = b"\xff\xd8\xff\xe0" + b"evidence-photo-1" * 8
OTHER_JPEG = b"\xff\xd8\xff\xe0" + b"another-photo-22" * 8
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"clip" * 8


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def _login(app: Any, make_user: Any, username: str, department: str, **kwargs: Any) -> Any:
    _, password = make_user(username, department, **kwargs)
    person = app.test_client()
    assert person.post("/login", data={"username": username, "password": password}).status_code == 302
    return person


def _sha(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def owned(vehicle_id: int) -> None:
    """Give the vehicle an owner (an enterprise with a phone and an address)."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    owner = Owner(kind="enterprise", name="泽州县顺达运输有限公司", phone="13912345678")
    owner.address = "泽州县巴公镇工业路8号"
    db.session.add(owner)
    db.session.flush()
    db.session.get(Vehicle, vehicle_id).owner_id = owner.id
    transaction.commit()


def _listed_case(client: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any) -> int:
    """A case of 晋E12345 resting on two exceeding passes, the first with a photo and the vendor's clip."""
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db

    station_factory("JC-RS-01", "remote_sensing", name="泽州县遥感监测点", township="巴公镇")
    vehicle_id = vehicle_factory("晋E12345")
    owned(vehicle_id)
    headers = auth_headers("station", station="JC-RS-01")
    for i, day in enumerate(("01", "02")):
        body = pass_body(f"EV-{i}", f"{NOV}-{day}T10:00:00+08:00", opacity_pct=55.0)
        if i == 0:
            body["photos"] = [
                {"name": "plate.jpg", "content_base64": _b64(JPEG)},
                {"name": "clip.mp4", "content_base64": _b64(MP4)},
            ]
        r = client.post("/api/v1/remote-sensing/passes", json=body, headers=headers)
        assert r.status_code in (200, 201), r.get_data(as_text=True)
    case_id = db.session.scalar(select(Case.id).where(Case.vehicle_id == vehicle_id))
    assert case_id is not None
    return case_id


def _capture(client: Any, auth_headers: Any, station_factory: Any, capture_id: str, photo: bytes) -> int:
    station_factory("JC-BS-01", "black_smoke")
    body = {
        "capture_id": capture_id,
        "captured_at": f"{NOV}-06T07:30:00+08:00",
        "site": "G207 巴公段",
        "plate": "晋E12345",
        "plate_color": "yellow",
        "ringelmann": 3,
        "photos": [{"name": f"{capture_id}.jpg", "content_base64": _b64(photo)}],
    }
    r = client.post("/api/v1/black-smoke/captures", json=body, headers=auth_headers("station", station="JC-BS-01"))
    assert r.status_code == 201, r.get_data(as_text=True)
    return int(r.get_json()["id"])


def test_photos_are_served_only_through_a_record_the_viewer_may_see(
    app: Any, client: Any, make_user: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any
) -> None:
    case_id = _listed_case(client, auth_headers, station_factory, vehicle_factory)
    first = _capture(client, auth_headers, station_factory, "BS-1", OTHER_JPEG)
    env = _login(app, make_user, "hb-ev", "environment")
    police = _login(app, make_user, "jj-ev", "police")
    transport = _login(app, make_user, "jt-ev", "transport")

    photo = f"/ops/evidence/case/{case_id}/{_sha(JPEG)}"
    page = env.get(f"/ops/cases/{case_id}").get_data(as_text=True)
    assert f'href="{photo}"' in page and "data-lightbox" in page
    assert f'href="/ops/evidence/case/{case_id}/{_sha(MP4)}"' in page and "查看视频" in page  # the vendor's clip
    got = env.get(photo)
    assert got.status_code == 200 and got.data == JPEG and got.mimetype == "image/jpeg"
    assert police.get(photo).status_code == 200
    # Transport sees the case but not the photos (as the API's evidence readers): not served, not linked.
    assert transport.get(photo).status_code == 404
    assert photo not in transport.get(f"/ops/cases/{case_id}").get_data(as_text=True)
    # A file of another record through this case, a missing case, an unknown kind: as a missing file.
    assert env.get(f"/ops/evidence/case/{case_id}/{_sha(OTHER_JPEG)}").status_code == 404
    assert env.get(f"/ops/evidence/case/99999/{_sha(JPEG)}").status_code == 404
    assert env.get(f"/ops/evidence/anything/{case_id}/{_sha(JPEG)}").status_code == 404

    capture_photo = f"/ops/evidence/black-smoke/{first}/{_sha(OTHER_JPEG)}"
    assert capture_photo in env.get("/ops/inspections/black-smoke").get_data(as_text=True)
    assert env.get(capture_photo).data == OTHER_JPEG
    assert police.get(capture_photo).status_code == 404  # another department's review: as a missing one
    assert env.get(f"/ops/evidence/black-smoke/{first}/{_sha(JPEG)}").status_code == 404


def test_another_countys_case_and_its_photos_answer_not_found(
    app: Any, client: Any, make_user: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.schemas import CountyIn
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import system
    from vehicle_enforce.extensions import db

    case_id = _listed_case(client, auth_headers, station_factory, vehicle_factory)
    assert db.session.get(Case, case_id).county_id is not None  # 泽州县's case (its station is in 巴公镇)
    services.create_county(CountyIn(code="140581", name="高平市"), actor=system("test"))
    transaction.commit()
    gaoping = _login(app, make_user, "gp-hb", "environment", county="140581")
    assert gaoping.get(f"/ops/cases/{case_id}").status_code == 404
    assert gaoping.get(f"/ops/evidence/case/{case_id}/{_sha(JPEG)}").status_code == 404


def test_a_black_smoke_decision_is_stored_only_once_confirmed(
    app: Any, client: Any, make_user: Any, auth_headers: Any, station_factory: Any
) -> None:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import BlackSmokeCapture

    capture_id = _capture(client, auth_headers, station_factory, "BS-2", OTHER_JPEG)
    env = _login(app, make_user, "hb-bs", "environment")
    page = env.get("/ops/inspections/black-smoke").get_data(as_text=True)
    assert re.search(r'class="decision danger"[^>]*value="confirm"[^>]*data-decision="确认超标：晋E12345', page)
    assert re.search(r'class="decision warn"[^>]*value="reject"', page)
    assert 'id="decision-dialog"' in page and "evidence.js" in page

    form = {"capture_id": str(capture_id), "decision": "confirm", "note": "黑烟明显"}
    asked = env.post("/ops/inspections/black-smoke", data=form)
    text = main_text(asked.get_data(as_text=True))
    assert asked.status_code == 200 and "请确认" in text and "确认超标：晋E12345" in text
    assert 'name="confirmed" value="1" required' in asked.get_data(as_text=True)  # the explicit checkbox
    db.session.expire_all()
    assert db.session.get(BlackSmokeCapture, capture_id).review_status == "pending"  # nothing stored yet

    done = env.post("/ops/inspections/black-smoke", data={**form, "confirmed": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    capture = db.session.get(BlackSmokeCapture, capture_id)
    assert (capture.review_status, capture.review_note) == ("confirmed", "黑烟明显")


def test_the_case_detail_shows_vehicle_owner_evidence_stages_and_only_the_actions_of_now(
    app: Any, client: Any, make_user: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db

    case_id = _listed_case(client, auth_headers, station_factory, vehicle_factory)
    env = _login(app, make_user, "hb-case", "environment", display_name="环境局执法员 张三")
    police = _login(app, make_user, "jj-case", "police")
    page = env.get(f"/ops/cases/{case_id}").get_data(as_text=True)
    text = main_text(page)
    shown_facts = ("重型货车", "国三", "柴油", "泽州县顺达运输有限公司", "13912345678", "不透光度 55%", "遥感检测")
    for shown in (*shown_facts, "泽州县遥感监测点"):
        assert shown in text, shown
    # The stages, the current one with its deadline in Beijing time.
    stages = re.findall(r'<li class="(\w+)" data-stage="(\w+)"', page)
    assert [s for _, s in stages] == [
        "detected",
        "confirmed",
        "penalized",
        "repair_ordered",
        "repaired",
        "closed_released",
    ]
    assert [c for c, _ in stages][:3] in (["done", "current", "pending"], ["done", "overdue", "pending"])
    case = db.session.get(Case, case_id)
    from vehicle_enforce.core.timeutil import format_local

    assert f"期限 {format_local(case.due_at)}" in text
    # Environment may confirm the evidence now (a primary decision); nothing else is offered.
    assert re.findall(r'name="action" value="(\w+)"', page) == ["confirm"]
    assert re.search(r'class="decision primary"[^>]*data-decision="确认证据：案件', page)
    # The police wait for the confirmation: no form at all on their page.
    assert 'name="action"' not in police.get(f"/ops/cases/{case_id}").get_data(as_text=True)

    officers = {"officer1_name": "李执法", "officer1_cert": "14050101"}
    officers |= {"officer2_name": "王执法", "officer2_cert": "14050102"}
    asked = env.post(f"/ops/cases/{case_id}", data={"action": "confirm", **officers})
    assert asked.status_code == 200 and "确认证据：案件" in main_text(asked.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "detected"
    done = env.post(f"/ops/cases/{case_id}", data={"action": "confirm", "confirmed": "1", **officers})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "confirmed"
    page = env.get(f"/ops/cases/{case_id}").get_data(as_text=True)
    assert re.findall(r'<li class="(\w+)" data-stage="confirmed"', page) == ["done"]
    history = re.sub(r"<[^>]+>", " ", page.split('id="history"')[1].split("</section>")[0])
    assert "环境局执法员 张三" in history and "hb-case" not in history  # people by display name
    # Now it is the police's turn: their page offers the penalty steps, environment's none of its own.
    police_page = police.get(f"/ops/cases/{case_id}").get_data(as_text=True)
    assert "penalize" in re.findall(r'name="action" value="(\w+)"', police_page)
    assert "serve" not in re.findall(r'name="action" value="(\w+)"', police_page)  # nothing to serve yet
