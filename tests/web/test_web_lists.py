"""The lists' machinery (core/listing.py) on each list page: search and filters that stay in their boxes,
sorting with a stable order, keyset paging that walks every row once, and the XLSX export of the rows
matching the filters (scoped like the list, personal data masked by role, times as Beijing date cells,
audited, refused over the cap).
"""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.passes import pass_body
from tests.web.test_web_every_page_chinese import main_text

SHANGHAI_OFFSET = timedelta(hours=8)


def _login(app, make_user, username, department, **kwargs):
    _, password = make_user(username, department, **kwargs)
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302
    return client


def _owner_vehicle(plate: str, owner: str, phone: str, *, township: str | None = None) -> int:
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner, Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    person = Owner(kind="person", name=owner, phone=phone)
    db.session.add(person)
    db.session.flush()
    township_id = db.session.scalar(select(Township.id).where(Township.name == township)) if township else None
    vehicle = Vehicle(
        plate=plate,
        plate_color="yellow",
        plate_key=plate_key(plate),
        vehicle_type="heavy_truck",
        fuel="diesel",
        emission_standard=3,
        status="active",
        owner_id=person.id,
        township_id=township_id,
    )
    db.session.add(vehicle)
    db.session.flush()
    transaction.commit()
    return vehicle.id


def _exports(object_type: str) -> list[dict]:
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "list.export", AuditEntry.object_type == object_type)
    ).all()
    return [{"who": r.actor_name, "department": r.department, **(r.changes or {})} for r in rows]


def _sheet(response) -> tuple[list[str], list[list]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()))
    ws = book.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert "说明" in book.sheetnames
    return [str(h) for h in rows[0]], rows[1:]


def _walk(client, address: str, pattern: str) -> list[str]:
    """Every row of a list, following its 下一页 links; `pattern` picks each row's key from the page."""
    seen: list[str] = []
    for _ in range(50):
        r = client.get(address)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        html = r.get_data(as_text=True)
        seen += re.findall(pattern, html)
        nxt = re.search(r'<a href="(\?[^"]*cursor=[^"]*)" rel="next">', html)
        if nxt is None:
            return seen
        address = address.split("?")[0] + nxt.group(1).replace("&amp;", "&")
    raise AssertionError("the pager never ended")


# -- remote-sensing passes --------------------------------------------------------------------------------

PLATES = ["晋E10001", "晋E10002", "晋E20003", "晋K30004", "晋E10005", "晋E20006", "晋E10007"]


@pytest.fixture
def passes(client, auth_headers):
    """Seven passes an hour apart (the newest first in PLATES order reversed), every other one exceeding."""
    now = datetime.now(UTC).replace(microsecond=0)
    headers = auth_headers("station", station="JC-RS-01")
    measured = {}
    for i, plate in enumerate(PLATES):
        at = now - timedelta(hours=len(PLATES) - i)
        body = pass_body(f"list-{i}", at.isoformat(), plate=plate, opacity_pct=60.0 if i % 2 == 0 else 10.0)
        r = client.post("/api/v1/remote-sensing/passes", json=body, headers=headers)
        assert r.status_code in (200, 201), r.get_json()
        measured[plate] = at
    return measured


PASS_PLATE = r'data-label="号牌"><span class="plate plate-yellow">([^<]+)</span>'


@pytest.mark.sqlite  # the keyset over times compares the stored text on SQLite (core/bulk.py writes it)
def test_passes_sort_and_page_with_a_keyset_cursor(app, make_user, passes, monkeypatch):
    from vehicle_enforce.inspections import views

    monkeypatch.setattr(views, "PASSES", dataclasses.replace(views.PASSES, page_size=3))
    viewer = _login(app, make_user, "hb", "environment")

    newest_first = sorted(PLATES, key=lambda p: passes[p], reverse=True)
    assert _walk(viewer, "/ops/inspections/passes", PASS_PLATE) == newest_first
    assert _walk(viewer, "/ops/inspections/passes?sort=plate", PASS_PLATE) == sorted(PLATES)
    assert _walk(viewer, "/ops/inspections/passes?sort=-plate", PASS_PLATE) == sorted(PLATES, reverse=True)
    exceeding = [p for p in newest_first if PLATES.index(p) % 2 == 0]
    assert _walk(viewer, "/ops/inspections/passes?verdict=exceed", PASS_PLATE) == exceeding
    # Search by the start of a plate, with a filter: both stay in their boxes and are marked.
    html = viewer.get("/ops/inspections/passes?plate=晋E1&verdict=exceed&sort=plate").get_data(as_text=True)
    assert re.findall(PASS_PLATE, html) == ["晋E10001", "晋E10005", "晋E10007"]
    assert 'name="plate" value="晋E1"' in html and re.search(r'<option value="exceed" selected>', html)
    assert html.count('class="filter active"') == 2 and "清除筛选" in html
    assert "已筛选：号牌号码 <strong>晋E1</strong>" in html
    # Today's passes (the dashboards' link): the date box shows today's date.
    today = viewer.get("/ops/inspections/passes?date=today&verdict=exceed").get_data(as_text=True)
    local_today = (datetime.now(UTC) + SHANGHAI_OFFSET).date()
    expected_today = [p for p in exceeding if (passes[p] + SHANGHAI_OFFSET).date() == local_today]
    assert _walk(viewer, "/ops/inspections/passes?date=today&verdict=exceed", PASS_PLATE) == expected_today
    assert f'name="date" value="{local_today.isoformat()}"' in today
    # An unknown sort key is refused beside the form, in Chinese, and nothing is listed.
    refused = viewer.get("/ops/inspections/passes?sort=password")
    assert refused.status_code == 422 and 'data-field="sort"' in refused.get_data(as_text=True)


def test_passes_export_is_the_filtered_list_with_date_cells_and_audited(app, make_user, passes):
    viewer = _login(app, make_user, "hb", "environment")
    r = viewer.get("/ops/inspections/passes?verdict=exceed&plate=晋E1&export=xlsx")
    header, rows = _sheet(r)
    assert header[:6] == ["检测时间", "点位", "点位编号", "号牌", "号牌颜色", "判定结果"]
    assert [row[3] for row in rows] == ["晋E10007", "晋E10005", "晋E10001"]  # the list's order, newest first
    assert {row[5] for row in rows} == {"超标"} and {row[4] for row in rows} == {"黄牌"}
    first = rows[0][0]
    assert isinstance(first, datetime)  # a real date cell, Beijing wall clock
    assert first == (passes["晋E10007"] + SHANGHAI_OFFSET).replace(tzinfo=None)
    (audited,) = _exports("remote_sensing_passes")
    assert audited["rows"] == 3 and audited["filters"] == {"plate": "晋E1", "verdict": "exceed"}
    assert audited["department"] == "environment"


def test_passes_export_masks_owners_for_a_station_and_not_for_environment(
    app, client, make_user, auth_headers, vehicle_factory
):
    _owner_vehicle("晋E66666", "张三丰", "13912345678")
    now = datetime.now(UTC).replace(microsecond=0)
    body = pass_body("owner-1", (now - timedelta(minutes=3)).isoformat(), plate="晋E66666")
    assert client.post(
        "/api/v1/remote-sensing/passes", json=body, headers=auth_headers("station", station="JC-RS-01")
    ).status_code in (200, 201)
    env = _login(app, make_user, "hb", "environment")
    station = _login(app, make_user, "zd", "station", station="JC-RS-01")

    header, rows = _sheet(env.get("/ops/inspections/passes?export=xlsx"))
    owner, phone = header.index("车辆所有人"), header.index("联系电话")
    assert (rows[0][owner], rows[0][phone]) == ("张三丰", "13912345678")
    header, rows = _sheet(station.get("/ops/inspections/passes?export=xlsx"))
    assert rows[0][owner] != "张三丰" and rows[0][owner].startswith("张") and "*" in rows[0][owner]
    assert rows[0][phone] == "139******78"
    assert [e["masked"] for e in _exports("remote_sensing_passes")] == [False, True]


def test_an_export_over_the_cap_is_refused_in_chinese(app, make_user, passes, monkeypatch):
    from vehicle_enforce.core import listing

    monkeypatch.setattr(listing, "EXPORT_CAP", 5)
    viewer = _login(app, make_user, "hb", "environment")
    refused = viewer.get("/ops/inspections/passes?export=xlsx")
    assert refused.status_code == 422 and refused.mimetype == "text/html"
    text = main_text(refused.get_data(as_text=True))
    assert "共 7 条，超过单次导出上限 5 条，请缩小筛选范围" in text
    assert _exports("remote_sensing_passes") == []
    # Narrowed below the cap, it is sent.
    _header, rows = _sheet(viewer.get("/ops/inspections/passes?export=xlsx&verdict=exceed"))
    assert len(rows) == 4


# -- cases ------------------------------------------------------------------------------------------------


@pytest.fixture
def cases(app):
    """Five listed trucks of 泽州县 with their cases (deadlines a day apart, one past due), and one of 高平市."""
    from vehicle_enforce.auth import services as auth_services
    from vehicle_enforce.auth.models import County
    from vehicle_enforce.auth.schemas import CountyIn
    from vehicle_enforce.blacklist import services
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor, system
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    auth_services.create_county(CountyIn(code="140581", name="高平市"), actor=system("test"))
    zezhou = db.session.scalar(select(County.id).where(County.code == "140525"))
    gaoping = db.session.scalar(select(County.id).where(County.code == "140581"))
    officer = Actor("user", 1, "环境局执法员", "environment")
    made = {}
    for i, plate in enumerate(["晋E50001", "晋E50002", "晋E60003", "晋E50004", "晋E50005", "晋E59999"]):
        vehicle = _owner_vehicle(plate, f"车主{i}号", f"1380000000{i}")
        entry = services.list_manually(ManualListing(vehicle_id=vehicle, reason="群众举报冒黑烟"), actor=officer)
        case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
        case.county_id = gaoping if plate == "晋E59999" else zezhou
        case.due_at = now_utc() + timedelta(days=i - 1, hours=1)  # 晋E50001 is a day overdue
        made[plate] = case.id
    transaction.commit()
    return made


CASE_PLATE = r'data-label="号牌"><span class="plate plate-yellow">([^<]+)</span>'


def test_cases_filter_sort_page_and_stay_in_the_county(app, make_user, cases, monkeypatch):
    from vehicle_enforce.cases import views

    monkeypatch.setattr(views, "CASES", dataclasses.replace(views.CASES, page_size=2))
    county = _login(app, make_user, "zz", "environment", county="140525")
    ours = ["晋E50001", "晋E50002", "晋E60003", "晋E50004", "晋E50005"]
    assert _walk(county, "/ops/cases/", CASE_PLATE) == ours  # by deadline, soonest first
    assert _walk(county, "/ops/cases/?sort=-due_at", CASE_PLATE) == ours[::-1]
    assert _walk(county, "/ops/cases/?overdue=1", CASE_PLATE) == ["晋E50001"]
    assert _walk(county, "/ops/cases/?plate=晋E5&state=detected&mine=1", CASE_PLATE) == [
        "晋E50001",
        "晋E50002",
        "晋E50004",
        "晋E50005",
    ]
    assert _walk(county, "/ops/cases/?state=closed_released", CASE_PLATE) == []
    # The county's export: its own cases only, never 高平市's.
    header, rows = _sheet(county.get("/ops/cases/?export=xlsx"))
    assert [r[header.index("号牌")] for r in rows] == ours
    assert rows[0][header.index("状态")] == "待确认" and rows[0][header.index("已逾期")] == "是"
    assert isinstance(rows[0][header.index("办理期限")], datetime)
    assert rows[0][header.index("车辆所有人")] == "车主0号"  # environment sees the owner
    city = _login(app, make_user, "city", "environment")
    _header, rows = _sheet(city.get("/ops/cases/?export=xlsx&plate=晋E59"))
    assert [r[1] for r in rows] == ["晋E59999"]
    assert [e["rows"] for e in _exports("cases")] == [5, 1]


def test_a_dashboard_count_equals_the_rows_of_the_list_it_links_to(app, make_user, cases):
    from vehicle_enforce.auth import scope
    from vehicle_enforce.cases import views
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import listing
    from vehicle_enforce.core.actors import Actor

    county = _login(app, make_user, "zz", "environment", county="140525")
    principal = Actor("user", 1, "zz", "environment", county_id=_county_id("140525"))
    stmt = scope.scoped(select(Case), Case, principal)
    for args in ({"overdue": "1"}, {"mine": "1"}, {"plate": "晋E5", "state": "detected"}, {"open": "1"}, {}):
        address = "/ops/cases/?" + "&".join(f"{k}={v}" for k, v in args.items())
        with app.test_request_context(address):
            counted = listing.count_matching(views.CASES, stmt, args, principal)
        assert counted == len(_walk(county, address, CASE_PLATE)), args
    with pytest.raises(ValueError):
        listing.count_matching(views.CASES, stmt, {"state": "nonsense"}, principal)


def _county_id(code: str) -> int:
    from vehicle_enforce.auth.models import County
    from vehicle_enforce.extensions import db

    return db.session.scalar(select(County.id).where(County.code == code))


# -- blacklist: the list, and listing / releasing by hand ------------------------------------------------


ROW_PLATE = r'data-label="号牌"><span class="plate plate-yellow">([^<]+)</span>'


def _entries() -> dict[str, tuple[str, str | None]]:
    from vehicle_enforce.blacklist.models import BlacklistEntry
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    return {e.vehicle.plate: (e.status, e.release_reason) for e in db.session.scalars(select(BlacklistEntry))}


def test_environment_lists_and_releases_by_hand_with_a_reason(app, make_user):
    _owner_vehicle("晋E70001", "李四", "13700000001")
    env = _login(app, make_user, "hb", "environment")
    page = env.get("/ops/blacklist/").get_data(as_text=True)
    assert "人工列入黑名单" in page

    # A reason is required, beside its box; what was typed stays; nothing is listed.
    refused = env.post("/ops/blacklist/", data={"plate": "晋E70001", "plate_color": "yellow", "reason": " "})
    assert refused.status_code == 422 and 'data-field="reason"' in refused.get_data(as_text=True)
    assert 'value="晋E70001"' in refused.get_data(as_text=True) and _entries() == {}
    unknown = env.post("/ops/blacklist/", data={"plate": "晋E79999", "plate_color": "yellow", "reason": "举报"})
    assert "未找到该号牌和颜色的登记车辆" in main_text(unknown.get_data(as_text=True)) and _entries() == {}

    listed = env.post(
        "/ops/blacklist/", data={"plate": "晋e70001", "plate_color": "yellow", "reason": "群众举报冒黑烟"}
    )
    assert listed.status_code == 303 and _entries() == {"晋E70001": ("active", None)}
    again = env.post("/ops/blacklist/", data={"plate": "晋E70001", "plate_color": "yellow", "reason": "再次举报"})
    assert "该车辆已在黑名单中" in main_text(again.get_data(as_text=True))

    html = env.get("/ops/blacklist/").get_data(as_text=True)
    entry_id = int(re.search(r'id="entry-(\d+)"', html).group(1))
    assert "人工列入：群众举报冒黑烟" in main_text(html)
    no_reason = env.post(f"/ops/blacklist/{entry_id}/release", data={"reason": ""})
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.get_data(as_text=True)
    assert _entries()["晋E70001"][0] == "active"
    released = env.post(f"/ops/blacklist/{entry_id}/release", data={"reason": "经复核，系设备校准失效所致"})
    assert released.status_code == 303
    assert _entries() == {"晋E70001": ("released", "经复核，系设备校准失效所致")}
    assert re.findall(ROW_PLATE, env.get("/ops/blacklist/").get_data(as_text=True)) == []  # 在册 by default
    shown = env.get("/ops/blacklist/?status=released").get_data(as_text=True)
    assert re.findall(ROW_PLATE, shown) == ["晋E70001"] and "经复核，系设备校准失效所致" in main_text(shown)


@pytest.mark.parametrize("department", ["police", "transport"])
def test_other_departments_see_the_blacklist_without_buttons_and_cannot_post(app, make_user, department):
    from vehicle_enforce.blacklist import services
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor

    vehicle = _owner_vehicle("晋E70002", "王五", "13700000002")
    entry = services.list_manually(
        ManualListing(vehicle_id=vehicle, reason="举报"), actor=Actor("user", 1, "环境局执法员", "environment")
    )
    transaction.commit()
    other = _login(app, make_user, f"u-{department}", department)
    page = other.get("/ops/blacklist/")
    assert page.status_code == 200 and "晋E70002" in main_text(page.get_data(as_text=True))
    assert "人工列入黑名单" not in page.get_data(as_text=True) and "/release" not in page.get_data(as_text=True)
    listed = other.post("/ops/blacklist/", data={"plate": "晋E70002", "plate_color": "yellow", "reason": "x"})
    released = other.post(f"/ops/blacklist/{entry.id}/release", data={"reason": "x"})
    assert (listed.status_code, released.status_code) == (403, 403)
    assert "无权访问" in released.get_data(as_text=True)
    assert _entries() == {"晋E70002": ("active", None)}


def test_blacklist_export_filtered_sorted_and_audited(app, make_user):
    from vehicle_enforce.blacklist import services
    from vehicle_enforce.blacklist.models import BlacklistEntry
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    officer = Actor("user", 1, "环境局执法员", "environment")
    for i, plate in enumerate(["晋E71001", "晋E71002", "晋E72003"]):
        entry = services.list_manually(
            ManualListing(vehicle_id=_owner_vehicle(plate, f"车主{i}", f"1390000000{i}"), reason=f"举报{i}"),
            actor=officer,
        )
        db.session.get(BlacklistEntry, entry.id).listed_at = now_utc() - timedelta(days=3 - i)
    transaction.commit()
    police = _login(app, make_user, "jj", "police")
    assert _walk(police, "/ops/blacklist/?sort=listed_at", ROW_PLATE) == [
        "晋E71001",
        "晋E71002",
        "晋E72003",
    ]
    header, rows = _sheet(police.get("/ops/blacklist/?plate=晋E71&export=xlsx"))
    assert [r[0] for r in rows] == ["晋E71002", "晋E71001"]  # newest listing first
    assert rows[0][header.index("状态")] == "在册" and rows[0][header.index("列入方式")] == "人工列入"
    assert isinstance(rows[0][header.index("列入时间")], datetime)
    assert rows[0][header.index("车辆所有人")] == "车主1"  # police act on owners
    (audited,) = _exports("blacklist_entries")
    assert audited["rows"] == 2 and audited["filters"] == {"plate": "晋E71", "status": "active"}


# -- today's hotlist hits ------------------------------------------------------------------------------


def test_hits_are_todays_by_default_searchable_and_exported(app, make_user):
    from vehicle_enforce.blacklist import services
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.enforcement import hotlist
    from vehicle_enforce.enforcement.schemas import BatchCheck, ReadIn

    officer = Actor("user", 1, "环境局执法员", "environment")
    for plate in ("晋E80001", "晋E80002", "晋K80003"):
        services.list_manually(
            ManualListing(vehicle_id=_owner_vehicle(plate, "车主", "13800000000"), reason="举报"), actor=officer
        )
    now = datetime.now(UTC).replace(microsecond=0)
    reads = [
        ReadIn(plate="晋E80001", plate_color="yellow", seen_at=now - timedelta(minutes=30), location="巴公收费站"),
        ReadIn(plate="晋E80002", plate_color="yellow", seen_at=now - timedelta(minutes=20), location="高平卡口"),
        ReadIn(plate="晋K80003", plate_color="yellow", seen_at=now - timedelta(days=2), location="巴公收费站"),
        ReadIn(plate="晋E80009", plate_color="yellow", seen_at=now - timedelta(minutes=10), location="巴公收费站"),
    ]
    police_actor = Actor("user", 2, "jj", "police")
    hotlist.check(BatchCheck(reads=reads, reason="卡口抓拍比对"), actor=police_actor, mode="batch")
    transaction.commit()

    police = _login(app, make_user, "jj", "police")
    html = police.get("/ops/police/hits").get_data(as_text=True)
    assert re.findall(ROW_PLATE, html) == ["晋E80002", "晋E80001"]  # today's hits, newest first; a miss is not one
    assert "今日卡口命中" in html and "清除筛选" not in html  # today is the default, not a filter set by hand
    assert re.findall(ROW_PLATE, police.get("/ops/police/hits?plate=晋E80001").get_data(as_text=True)) == ["晋E80001"]
    two_days_ago = (now - timedelta(days=2) + SHANGHAI_OFFSET).date().isoformat()
    older = police.get(f"/ops/police/hits?date={two_days_ago}").get_data(as_text=True)
    assert re.findall(ROW_PLATE, older) == ["晋K80003"] and "清除筛选" in older
    header, rows = _sheet(police.get("/ops/police/hits?export=xlsx&sort=plate"))
    assert [r[1] for r in rows] == ["晋E80001", "晋E80002"]
    assert rows[0][header.index("地点")] == "巴公收费站" and rows[0][header.index("查询事由")] == "卡口抓拍比对"
    assert isinstance(rows[0][0], datetime) and rows[0][header.index("命中情况")] == "命中"
    (audited,) = _exports("hotlist_hits")
    assert audited["rows"] == 2 and audited["filters"] == {"date": "today", "sort": "plate"}


# -- machines (the registry's table) ------------------------------------------------------------------------


@pytest.fixture
def machinery(app):
    """Four machines at a 泽州县 site (owned by 赵六), one at a 高平市 site; one of 泽州县's pending this month."""
    from datetime import date

    from vehicle_enforce.auth import services as auth_services
    from vehicle_enforce.auth.models import County
    from vehicle_enforce.auth.schemas import CountyIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM, system
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.models import PlanItem, SamplingPlan, Site
    from vehicle_enforce.nrmm.schemas import MachineIn
    from vehicle_enforce.vehicles.models import Owner

    auth_services.create_county(CountyIn(code="140581", name="高平市"), actor=system("test"))
    counties = {c.code: c.id for c in db.session.scalars(select(County))}
    sites = {}
    for name, code in (("工地-泽州", "140525"), ("工地-高平", "140581")):
        site = Site(name=name, kind="construction", county_id=counties[code])
        db.session.add(site)
        db.session.flush()
        sites[code] = site.id
    owner = Owner(kind="person", name="赵六", phone="13600000006")
    db.session.add(owner)
    db.session.flush()
    ids = {}
    for pin, stage, site in (
        ("PIN-L-001", 2, "140525"),
        ("PIN-L-002", 3, "140525"),
        ("PIN-L-003", 2, "140525"),
        ("ENV-X-004", 4, "140525"),
        ("PIN-L-005", 2, "140581"),
    ):
        m = services.register_machine(
            MachineIn(
                pin=pin,
                machine_type="excavator" if stage != 4 else "loader",
                emission_stage=stage,
                fuel="diesel",
                rated_power_kw=75.0,
                site_id=sites[site],
                registered_on=date(2019, 10, 1),
            ),
            actor=SYSTEM,
        )
        m.owner_id = owner.id
        ids[pin] = m.id
    plan = SamplingPlan(
        month=local_day(now_utc()).strftime("%Y-%m"),
        county_id=counties["140525"],
        seed=1,
        share=0.1,
        population=4,
        created_by="test",
    )
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanItem(plan_id=plan.id, machine_id=ids["PIN-L-002"], status="pending"))
    transaction.commit()
    return ids


MACHINE_PIN = r'data-label="PIN">([^<]+)</td>'


def test_machines_search_filter_page_scope_and_masked_export(app, make_user, machinery, monkeypatch):
    from vehicle_enforce.nrmm import views

    monkeypatch.setattr(views, "MACHINES", dataclasses.replace(views.MACHINES, page_size=2))
    housing = _login(app, make_user, "zj", "housing", county="140525")
    ours = ["PIN-L-001", "PIN-L-002", "PIN-L-003", "ENV-X-004"]
    assert _walk(housing, "/ops/nrmm/", MACHINE_PIN) == ours  # never 高平市's machine
    assert _walk(housing, "/ops/nrmm/?sort=-id", MACHINE_PIN) == ours[::-1]
    assert _walk(housing, "/ops/nrmm/?q=pin-l", MACHINE_PIN) == ours[:3]
    assert _walk(housing, "/ops/nrmm/?stage=2&machine_type=excavator", MACHINE_PIN) == ["PIN-L-001", "PIN-L-003"]
    assert _walk(housing, "/ops/nrmm/?due=1", MACHINE_PIN) == ["PIN-L-002"]
    header, rows = _sheet(housing.get("/ops/nrmm/?q=PIN&export=xlsx"))
    assert [r[header.index("PIN")] for r in rows] == ours[:3]
    assert rows[0][header.index("机械类型")] == "挖掘机" and rows[0][header.index("排放阶段")] == "国二"
    owner = rows[0][header.index("车辆所有人")]
    assert owner != "赵六" and owner.startswith("赵") and rows[0][header.index("联系电话")] == "136******06"
    env = _login(app, make_user, "hb", "environment")  # city level: every county, owners whole
    header, rows = _sheet(env.get("/ops/nrmm/?export=xlsx"))
    assert len(rows) == 5 and rows[0][header.index("车辆所有人")] == "赵六"
    assert isinstance(rows[0][header.index("登记日期")], datetime)
    assert [(e["rows"], e["masked"]) for e in _exports("nrmm_machines")] == [(3, True), (5, False)]


# -- match reviews and export records ------------------------------------------------------------------------


def test_match_review_queue_filters_pages_and_exports(app, make_user, monkeypatch):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.reviews import views
    from vehicle_enforce.reviews.models import MatchReview

    now = datetime.now(UTC).replace(microsecond=0)
    for i, (plate, kind, state) in enumerate(
        [
            ("晋E9000A", "remote_sensing_pass", "open"),
            ("晋E9000B", "roadside_test", "open"),
            ("", "remote_sensing_pass", "open"),
            ("晋E9000D", "remote_sensing_pass", "decided"),
            ("晋K9000E", "remote_sensing_pass", "open"),
        ]
    ):
        db.session.add(
            MatchReview(
                record_kind=kind,
                record_id=1000 + i,
                occurred_at=now - timedelta(minutes=50 - i),
                plate=plate,
                plate_color="yellow",
                confidence=0.6,
                match_decision="pending",
                candidates=[],
                state=state,
            )
        )
    transaction.commit()
    monkeypatch.setattr(views, "REVIEWS", dataclasses.replace(views.REVIEWS, page_size=2))
    env = _login(app, make_user, "hb", "environment")
    card = r"（记录 (\d+)）"
    assert _walk(env, "/ops/match-reviews/", card) == ["1000", "1001", "1002", "1004"]  # the open queue, oldest first
    assert _walk(env, "/ops/match-reviews/?sort=-occurred_at", card) == ["1004", "1002", "1001", "1000"]
    assert _walk(env, "/ops/match-reviews/?kind=remote_sensing_pass&plate=晋E", card) == ["1000"]
    header, rows = _sheet(env.get("/ops/match-reviews/?kind=remote_sensing_pass&export=xlsx"))
    assert [r[header.index("记录编号")] for r in rows] == [1000, 1002, 1004]
    assert rows[1][header.index("识别号牌")] == "未识别" and rows[0][header.index("记录类型")] == "遥感检测"
    assert isinstance(rows[0][header.index("发生时间")], datetime) and rows[0][header.index("识别置信度")] == 0.6
    (audited,) = _exports("match_reviews")
    assert audited["rows"] == 3


def test_export_records_default_to_problems_filter_and_export(app, make_user, station_factory):
    from datetime import date

    from vehicle_enforce.core import transaction
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    station = station_factory("JC-RS-01")
    now = datetime.now(UTC).replace(microsecond=0)
    for i, (status, kind) in enumerate(
        [
            ("failed", "remote_sensing_pass"),
            ("acknowledged", "remote_sensing_pass"),
            ("rejected", "blacklist_listing"),
            ("pending", "remote_sensing_pass"),
            ("failed", "blacklist_listing"),
        ]
    ):
        db.session.add(
            ExportRecord(
                target="provincial",
                kind=kind,
                object_id=str(500 + i),
                station="JC-RS-01",
                idempotency_key=f"list-test-{i}",
                payload={},
                occurred_at=now - timedelta(hours=5 - i),
                due_day=date.today(),
                status=status,
                attempts=3 if status == "failed" else 1,
                last_error="平台超时" if status == "failed" else None,
            )
        )
    transaction.commit()
    env = _login(app, make_user, "hb", "environment")
    page = env.get("/ops/exports/").get_data(as_text=True)
    ids = [int(x) for x in re.findall(r'id="record-(\d+)"', page)]
    assert len(ids) == 3 and "传输率" in main_text(page)  # failed and rejected: what needs a person
    kinds = re.findall(r'data-label="数据类型">([^<]+)<', page)
    assert kinds == ["遥感检测", "列入黑名单", "列入黑名单"]
    failed = env.get("/ops/exports/?status=failed&kind=blacklist_listing").get_data(as_text=True)
    assert len(re.findall(r'id="record-(\d+)"', failed)) == 1 and "清除筛选" in failed
    everything = env.get("/ops/exports/?status=all&sort=-occurred_at").get_data(as_text=True)
    assert [int(x) for x in re.findall(r'id="record-(\d+)"', everything)] == sorted(
        [int(x) for x in re.findall(r'id="record-(\d+)"', everything)], reverse=True
    )
    assert len(re.findall(r'id="record-(\d+)"', everything)) == 5
    header, rows = _sheet(env.get("/ops/exports/?export=xlsx"))
    assert [r[header.index("状态")] for r in rows] == ["上报失败", "平台拒收", "上报失败"]
    assert {(r[header.index("站点")], r[header.index("站点编号")]) for r in rows} == {(station.name, "JC-RS-01")}
    assert rows[0][header.index("平台返回的原因")] == "平台超时" and isinstance(
        rows[0][header.index("发生时间")], datetime
    )
    (audited,) = _exports("export_records")
    assert audited["rows"] == 3 and audited["filters"] == {"status": "problems"}


# -- in the browser: a list on a desktop and on a phone ------------------------------------------------------


@pytest.mark.browser
def test_cases_list_on_a_desktop_and_as_cards_on_a_phone(live_server, page, phone_page, make_user, cases, backend):
    from tests.web.conftest import login, screenshot

    make_user("hbl", "environment", county="140525")
    login(page, live_server, "hbl", "browser-pass-1")
    page.goto(f"{live_server}/ops/cases/")
    page.fill(".list-filters input[name=plate]", "晋E5")
    page.check(".list-filters input[name=overdue]")
    page.click(".list-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.input_value(".list-filters input[name=plate]") == "晋E5"  # the value stays in its box
    assert page.locator(".list-filters label.active").count() == 2 and page.is_visible("text=清除筛选")
    assert page.locator("table.rows tbody .plate").all_inner_texts() == ["晋E50001"]
    page.click("text=清除筛选")
    page.click("th a.sort:has-text('办理期限')")  # already sorted by it: the order flips
    page.wait_for_load_state("networkidle")
    shown = page.locator("table.rows tbody .plate").all_inner_texts()
    assert shown == ["晋E50005", "晋E50004", "晋E60003", "晋E50002", "晋E50001"]
    assert page.is_visible("table.rows thead")
    screenshot(page, f"lists-cases-desktop-{backend.name}")

    login(phone_page, live_server, "hbl", "browser-pass-1")
    phone_page.goto(f"{live_server}/ops/cases/")
    assert not phone_page.is_visible("table.rows thead")  # rows become cards
    first = phone_page.locator("table.rows tbody tr").first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
    label = first.locator("td").nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert "号牌" in label  # each value carries its column's name
    for badge in phone_page.locator("table.rows .plate").all():
        style = badge.evaluate(
            "b => { const s = getComputedStyle(b); return [s.whiteSpace, b.getBoundingClientRect().height,"
            " parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.3]; }"
        )
        assert style[0] == "nowrap" and style[1] < 2 * style[2], style  # one line: the plate never wraps
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    screenshot(phone_page, f"lists-cases-phone-{backend.name}")
