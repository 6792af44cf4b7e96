"""What blocked a department's daily work on its pages (issue #31, "fix first"): each account can do its
own job, and only its own.

- A station account's roadside-test form offers its own station only; a remote-sensing station's
  operator is told where its work is (its station's passes) instead of a form it cannot save.
- Township and housing staff register machines from the machinery page, townships at their own sites;
  the month's plan names each sampled machine so an inspector can find it.
- The passes list keeps its filters (the plate box once showed `<Macro 'plate'>`), searches by the
  start of a plate and says in Chinese what is wrong with a hand-edited address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.passes import pass_body
from tests.web.test_web_departments import ENGLISH
from tests.web.test_web_every_page_chinese import main_text


def _login(app, make_user, username, department, **kwargs):
    _, password = make_user(username, department, **kwargs)
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302
    return client


def _roadside_tests() -> int:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RoadsideTest

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(RoadsideTest)) or 0


def _station_options(html: str) -> list[str]:
    select_html = re.search(r'<select name="station">(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]+)"', select_html.group(1)) if select_html else []


FORM = {"plate": "晋E12345", "plate_color": "yellow", "method": "ringelmann", "ringelmann": "3", "kind": "roadside"}


def test_a_roadside_station_account_records_at_its_own_station_only(app, make_user, station_factory):
    for code, kind in (("JC-RD-01", "roadside"), ("JC-RD-02", "roadside"), ("JC-SC-01", "spot_check")):
        station_factory(code, kind)
    client = _login(app, make_user, "luce", "station", station="JC-RD-01")

    page = client.get("/ops/inspections/roadside-test").get_data(as_text=True)
    assert _station_options(page) == ["JC-RD-01"]

    saved = client.post("/ops/inspections/roadside-test", data={**FORM, "station": "JC-RD-01"})
    assert saved.status_code == 200 and "劝返" in main_text(saved.get_data(as_text=True))
    assert _roadside_tests() == 1
    # Another station's code typed into the form is refused, in Chinese, and stores nothing.
    refused = client.post("/ops/inspections/roadside-test", data={**FORM, "station": "JC-RD-02"})
    assert refused.status_code in (403, 422) and "检测记录未保存" in refused.get_data(as_text=True)
    assert _roadside_tests() == 1


def test_a_remote_sensing_operator_is_sent_to_its_passes_not_to_a_form_it_cannot_save(
    app, client, make_user, station_factory, auth_headers
):
    station_factory("JC-RD-01", "roadside")
    now = datetime.now(UTC).replace(microsecond=0)
    for station, record in (("JC-RS-01", "own-1"), ("JC-RS-02", "other-1")):
        body = pass_body(record, (now - timedelta(hours=1)).isoformat(), station=station, plate="晋E2" + record[-1] * 4)
        posted = client.post(
            "/api/v1/remote-sensing/passes", json=body, headers=auth_headers("station", station=station)
        )
        assert posted.status_code in (200, 201), posted.get_json()
    operator = _login(app, make_user, "zhandian", "station", station="JC-RS-01")

    home = main_text(operator.get("/").get_data(as_text=True))
    assert "本站遥感检测记录" in home and "路检 / 入户抽测录入" not in home
    form = operator.get("/ops/inspections/roadside-test").get_data(as_text=True)
    assert _station_options(form) == [] and "遥感数据由设备自动上报" in main_text(form)
    assert 'href="/ops/inspections/passes"' in form

    passes = operator.get("/ops/inspections/passes")
    assert passes.status_code == 200
    shown = main_text(passes.get_data(as_text=True))
    assert "JC-RS-01" in shown and "JC-RS-02" not in shown  # its own station's passes only


def test_passes_filters_stay_search_by_plate_start_and_refuse_in_chinese(app, client, make_user, auth_headers):
    now = datetime.now(UTC).replace(microsecond=0)
    headers = auth_headers("station", station="JC-RS-01")
    plates = {"晋E11111": 10.0, "晋E12222": 60.0, "晋K33333": 60.0}  # opacity 60 % exceeds
    for i, (plate, opacity) in enumerate(plates.items()):
        body = pass_body(f"f-{i}", (now - timedelta(minutes=5 + i)).isoformat(), plate=plate, opacity_pct=opacity)
        assert client.post("/api/v1/remote-sensing/passes", json=body, headers=headers).status_code in (200, 201)
    viewer = _login(app, make_user, "hb", "environment")

    page = viewer.get("/ops/inspections/passes?plate=晋E1&verdict=exceed").get_data(as_text=True)
    shown = main_text(page)
    assert "晋E12222" in shown and "晋E11111" not in shown and "晋K33333" not in shown
    assert 'name="plate" value="晋E1"' in page and "Macro" not in page
    assert re.search(r'<option value="exceed"\s+selected>', page)

    for address, field in (
        ("?since=yesterday", "since"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?verdict=bad", "verdict"),
    ):
        refused = viewer.get("/ops/inspections/passes" + address)
        assert refused.mimetype == "text/html", address  # a page, never the API's JSON
        text = main_text(refused.get_data(as_text=True))
        assert f'data-field="{field}"' in refused.get_data(as_text=True), (address, text[:300])
        assert not ENGLISH.findall(text), (address, ENGLISH.findall(text))


def _site(name: str, township: str) -> int:
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.schemas import SiteIn

    township_id = db.session.scalar(select(Township.id).where(Township.name == township))
    site = services.add_site(SiteIn(name=name, kind="construction", township_id=township_id), actor=SYSTEM)
    transaction.commit()
    return site.id


MACHINE = {"machine_type": "loader", "fuel": "diesel", "emission_stage": "3", "rated_power_kw": "80"}


def test_township_and_housing_register_machines_from_the_page(app, make_user):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.models import Machine
    from vehicle_enforce.nrmm.schemas import PlanIn

    own, other = _site("巴公镇测试工地", "巴公镇"), _site("金村镇测试工地", "金村镇")
    township = _login(app, make_user, "bg", "township", township="巴公镇")
    page = township.get("/ops/nrmm/")
    assert page.status_code == 200
    assert "巴公镇测试工地" in page.get_data(as_text=True) and "金村镇测试工地" not in page.get_data(as_text=True)

    saved = township.post("/ops/nrmm/machines", data={**MACHINE, "pin": "TOWNSHIP-PIN-01", "site_id": str(own)})
    assert saved.status_code == 302
    # Another township's site, or none: refused in Chinese beside the field, nothing stored.
    for site in (str(other), ""):
        refused = township.post("/ops/nrmm/machines", data={**MACHINE, "pin": "TOWNSHIP-PIN-02", "site_id": site})
        assert refused.status_code == 422 and "机械未登记" in refused.get_data(as_text=True)
        assert 'data-field="site_id"' in refused.get_data(as_text=True)
    housing = _login(app, make_user, "zj", "housing")
    assert (
        housing.post("/ops/nrmm/machines", data={**MACHINE, "pin": "HOUSING-PIN-01", "site_id": str(other)}).status_code
        == 302
    )
    db.session.expire_all()
    assert set(db.session.scalars(select(Machine.pin))) == {"TOWNSHIP-PIN-01", "HOUSING-PIN-01"}

    # The month's plan names each sampled machine; a township sees only its own township's rows.
    services.create_plan(PlanIn(month=local_day(now_utc()).strftime("%Y-%m")), actor=SYSTEM)
    transaction.commit()
    plan = main_text(township.get("/ops/nrmm/").get_data(as_text=True))
    assert "TOWNSHIP-PIN-01" in plan and "装载机" in plan and "巴公镇测试工地" in plan
    assert "HOUSING-PIN-01" not in plan.split("录入抽测结果")[0]  # the plan table lists its township only
