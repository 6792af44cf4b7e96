"""The phase-out pages: each township's remaining vehicles (scoped), the chart kept per inputs, the wording."""

from __future__ import annotations

from datetime import date

from tests.phaseout.conftest import VEHICLES, county  # noqa: F401  (the hand-checked county fixture)


def _login(app, make_user, username, department, **kwargs):
    make_user(username, department, **kwargs)
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": "browser-pass-1"})
    assert r.status_code == 302
    return client


def _scrap(vehicle_id: int, on: date) -> None:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.phaseout import actions
    from vehicle_enforce.phaseout.models import ActionKind
    from vehicle_enforce.phaseout.schemas import ActionIn

    actions.record_action(
        ActionIn(kind=ActionKind.scrapped, action_date=on, vehicle_id=vehicle_id, certificate_no=f"BF-{vehicle_id}"),
        actor=Actor("user", 9, "jiaotong", "transport"),
    )
    transaction.commit()


#: Bagong's vehicles to phase out in the fixture: 国三 (known or inferred) diesel trucks and the lean-burn truck.
BAGONG_REMAINING = {"china3", "inferred", "lean_burn", *(f"b{i}" for i in range(1, 7))}


def test_a_township_row_drills_down_to_its_remaining_vehicles(app, make_user, county):  # noqa: F811
    _scrap(county.vehicles["b1"], date(2019, 6, 1))
    transport = _login(app, make_user, "jt", "transport")
    page = transport.get("/ops/phaseout/?as_of=2019-12-31").get_data(as_text=True)
    link = f"/ops/phaseout/townships/{county.bagong}?as_of=2019-12-31"
    assert link in page
    assert (
        "统计截止日期（北京时间）" in page
        and "已淘汰（辆）" in page
        and "2019-12-31</strong> 前累计完成淘汰任务数的" in page
    )

    shown = transport.get(link).get_data(as_text=True)
    plates = {label for label in VEHICLES if VEHICLES[label][0] in shown}
    assert plates == BAGONG_REMAINING - {"b1"}  # scrapped on 2019-06-01: done, not remaining
    assert "国三及以下柴油货车" in shown and "稀薄燃烧燃气车" in shown and "按注册日期推定" in shown
    # As of a date before the scrapping, the truck was still to be phased out.
    before = transport.get(f"/ops/phaseout/townships/{county.bagong}?as_of=2019-05-31").get_data(as_text=True)
    assert {label for label in VEHICLES if VEHICLES[label][0] in before} == BAGONG_REMAINING
    # The count on the dashboard row is the number of rows of the list it links to.
    report = transport.get("/api/v1/phaseout/progress?as_of=2019-12-31").get_json()
    row = next(t for t in report["townships"] if t["township_id"] == county.bagong)
    assert row["eligible_remaining"] == len(BAGONG_REMAINING) - 1


def test_the_drill_down_pages_by_fifty(app, make_user, county, monkeypatch):  # noqa: F811
    from vehicle_enforce.phaseout import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    transport = _login(app, make_user, "jt", "transport")
    first = transport.get(f"/ops/phaseout/townships/{county.bagong}?as_of=2019-12-31").get_data(as_text=True)
    assert "下一页" in first
    cursor = first.split("cursor=")[1].split('"')[0].split("&")[0]
    second = transport.get(f"/ops/phaseout/townships/{county.bagong}?as_of=2019-12-31&cursor={cursor}")
    seen_first = {label for label in VEHICLES if VEHICLES[label][0] in first}
    seen_second = {label for label in VEHICLES if VEHICLES[label][0] in second.get_data(as_text=True)}
    assert len(seen_first) == 4 and len(seen_second) == 4 and not seen_first & seen_second
    bad = transport.get(f"/ops/phaseout/townships/{county.bagong}?cursor=not-ours")
    assert bad.status_code == 200  # a hand-edited cursor: the first page


def test_a_township_sees_its_own_drill_down_only(app, make_user, county):  # noqa: F811
    gaodu = _login(app, make_user, "gd", "township", township="gaodu")
    own = gaodu.get(f"/ops/phaseout/townships/{county.gaodu}?as_of=2019-12-31")
    assert own.status_code == 200 and VEHICLES["tractor"][0] in own.get_data(as_text=True)
    other = gaodu.get(f"/ops/phaseout/townships/{county.bagong}?as_of=2019-12-31")
    missing = gaodu.get("/ops/phaseout/townships/999999")
    assert other.status_code == missing.status_code == 404
    assert VEHICLES["china3"][0] not in other.get_data(as_text=True)
    police = _login(app, make_user, "jj", "police")
    assert police.get(f"/ops/phaseout/townships/{county.gaodu}").status_code == 403


def test_the_chart_is_drawn_once_per_inputs_and_redrawn_when_they_change(app, make_user, county, monkeypatch):  # noqa: F811
    from vehicle_enforce.phaseout import charts, reports

    charts.clear()
    drawn = []
    real = reports.progress_chart

    def counting(*args, **kwargs):
        drawn.append(kwargs.get("columns"))
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "progress_chart", counting)
    transport = _login(app, make_user, "jt", "transport")
    first = transport.get("/ops/phaseout/chart.png?as_of=2019-12-31")
    again = transport.get("/ops/phaseout/chart.png?as_of=2019-12-31")
    assert first.status_code == again.status_code == 200 and first.mimetype == "image/png"
    assert first.data == again.data and len(drawn) == 1
    assert (
        transport.get(
            "/ops/phaseout/chart.png?as_of=2019-12-31", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    phone = transport.get("/ops/phaseout/chart.png?as_of=2019-12-31&layout=phone")
    assert phone.status_code == 200 and drawn == [None, 1] and phone.data != first.data
    # The API's chart of the same inputs is the same kept drawing.
    assert transport.get("/api/v1/phaseout/progress/chart.png?as_of=2019-12-31").data == first.data
    assert len(drawn) == 2
    # A new action changes the inputs: the chart is drawn again, with a new ETag.
    _scrap(county.vehicles["b2"], date(2019, 7, 1))
    changed = transport.get("/ops/phaseout/chart.png?as_of=2019-12-31")
    assert len(drawn) == 3 and changed.headers["ETag"] != first.headers["ETag"]


def test_phone_gets_a_one_column_chart_source(app, make_user, county):  # noqa: F811
    transport = _login(app, make_user, "jt", "transport")
    page = transport.get("/ops/phaseout/").get_data(as_text=True)
    assert 'media="(max-width: 600px)"' in page and "layout=phone" in page
