"""The notices inbox: each person's read/unread state, 全部标为已读, and no notice outside the caller's
department and county (opening one answers 404 as for a missing one)."""

from __future__ import annotations

import re

import pytest

from tests.web.test_web_dashboards import cards_of, rows_of
from tests.web.test_web_every_page_chinese import demo_county  # noqa: F401  (fixture)


def _login(app, username: str):
    from vehicle_enforce.demo import DEMO_PASSWORD

    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302
    return client


def _unread_card(client) -> int:
    return cards_of(client.get("/").get_data(as_text=True))["unread_notices"][1]


def _csrf(client) -> str:
    html = client.get("/ops/inbox/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _notices(app, **where) -> list[int]:
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Case, Notice
    from vehicle_enforce.extensions import db

    with app.app_context():
        stmt = select(Notice.id).join(Case, Case.id == Notice.case_id).where(Notice.recipient_kind == "department")
        for key, value in where.items():
            stmt = stmt.where(Notice.recipient == value if key == "recipient" else Case.county_id == value)
        return list(db.session.scalars(stmt.order_by(Notice.id)))


def _county(app, code_name: str) -> int:
    from sqlalchemy import select

    from vehicle_enforce.auth.models import County
    from vehicle_enforce.extensions import db

    with app.app_context():
        return db.session.scalar(select(County.id).where(County.name == code_name))


def test_reading_is_per_person_and_read_all_is_idempotent(app, demo_county):  # noqa: F811
    zezhou = _county(app, "泽州县")
    mine = _notices(app, recipient="environment", county=zezhou)
    assert len(mine) >= 2, "the demo sends the environment bureau notices of its new cases"
    huanbao, city = _login(app, "huanbao"), _login(app, "shihuanbao")
    assert _unread_card(huanbao) == len(mine)
    city_before = _unread_card(city)

    # Opening one marks it read for this person only.
    r = huanbao.get(f"/ops/inbox/{mine[0]}")
    assert r.status_code == 200 and "查看案件" in r.get_data(as_text=True)
    huanbao.get(f"/ops/inbox/{mine[0]}")  # opened again: nothing more stored
    assert _unread_card(huanbao) == len(mine) - 1
    assert _unread_card(city) == city_before
    rows, _ = rows_of(huanbao.get("/ops/inbox/?unread=1").get_data(as_text=True), "inbox")
    assert rows == min(len(mine) - 1, 50)

    # 全部标为已读, twice (a retried request): everything read, no error, nothing duplicated.
    token = _csrf(huanbao)
    for _ in range(2):
        r = huanbao.post("/ops/inbox/read-all", data={"csrf_token": token})
        assert r.status_code == 302
    assert _unread_card(huanbao) == 0
    assert "没有未读通知" in huanbao.get("/ops/inbox/?unread=1").get_data(as_text=True)
    assert _unread_card(city) == city_before

    from sqlalchemy import func, select

    from vehicle_enforce.dashboards.models import NoticeRead
    from vehicle_enforce.extensions import db

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == len(mine)


@pytest.mark.parametrize("username", ["gaoping", "jiaojing", "bagong"])
def test_another_countys_or_departments_notice_is_not_found(app, demo_county, username):  # noqa: F811
    zezhou_env = _notices(app, recipient="environment", county=_county(app, "泽州县"))
    client = _login(app, username)
    html = client.get("/ops/inbox/").get_data(as_text=True)
    for notice_id in zezhou_env[:3]:
        assert f'/ops/inbox/{notice_id}"' not in html
        assert client.get(f"/ops/inbox/{notice_id}").status_code == 404
    assert client.get("/ops/inbox/999999").status_code == 404
