"""The admin's pages: accounts (create, disable/enable, reset, unlock), API tokens, the audit-log viewer."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

ADMIN_PAGES = ("/ops/admin/users", "/ops/admin/tokens", "/ops/admin/audit", "/ops/admin/audit.xlsx")


def _login(app, username, password="browser-pass-1"):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": password})
    return client, r.status_code


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _form_key(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(app, make_user):
    make_user("guanli", "admin", display_name="系统管理员 王五")
    client, status = _login(app, "guanli")
    assert status == 302
    return client


def _post(client, path, page, **data):
    html = client.get(page).get_data(as_text=True)
    return client.post(path, data={"csrf_token": _csrf(html), "form_key": _form_key(html), **data})


def _user(username):
    from sqlalchemy import select

    from vehicle_enforce.auth.models import User
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _audit(action):
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.mark.parametrize("department", ["environment", "police", "transport", "housing", "township", "station"])
def test_only_the_admin_department_opens_the_admin_pages(app, make_user, station_factory, department):
    station_factory("JC-RD-01", "roadside")
    extra = {"township": "bagong"} if department == "township" else {}
    extra |= {"station": "JC-RD-01"} if department == "station" else {}
    make_user(f"u-{department}", department, **extra)
    client, _ = _login(app, f"u-{department}")
    for path in ADMIN_PAGES:
        r = client.get(path)
        assert r.status_code == 403 and "无权访问" in r.get_data(as_text=True), (department, path)
    assert client.post("/ops/admin/users", data={"username": "x"}).status_code in (400, 403)


def test_admin_creates_a_user_with_a_one_time_password_shown_once(app, admin):
    r = _post(
        admin,
        "/ops/admin/users",
        "/ops/admin/users",
        username="zhangsan",
        display_name="环境局执法员 张三",
        department="environment",
        county="140525",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', html).group(1)
    user = _user("zhangsan")
    assert user.display_name == "环境局执法员 张三" and user.department == "environment" and user.county_id is not None
    assert password not in user.password_hash
    assert _login(app, "zhangsan", password)[1] == 302
    # The list shows it by name; the page drawn again never shows the password.
    again = admin.get("/ops/admin/users").get_data(as_text=True)
    assert "环境局执法员 张三" in again and password not in again
    assert _audit("user.create")[-1].changes["username"] == "zhangsan"


def test_a_resubmitted_form_creates_nothing_new(app, admin):
    html = admin.get("/ops/admin/users").get_data(as_text=True)
    data = {"csrf_token": _csrf(html), "form_key": _form_key(html), "username": "lisi", "department": "police"}
    assert admin.post("/ops/admin/users", data=data).status_code == 200
    second = admin.post("/ops/admin/users", data=data)
    assert second.status_code == 302
    assert "未重复创建" in admin.get("/ops/admin/users").get_data(as_text=True)
    assert len([e for e in _audit("user.create") if e.changes["username"] == "lisi"]) == 1


def test_a_refused_user_form_says_why_beside_the_field_and_keeps_the_values(app, admin):
    r = _post(
        admin,
        "/ops/admin/users",
        "/ops/admin/users",
        username="wangwu",
        display_name="乡镇干部 王五",
        department="township",
        password="123",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'data-field="password">[^<]*10', html)
    assert 'value="wangwu"' in html and 'value="乡镇干部 王五"' in html
    assert _user("wangwu") is None
    # A township account needs its township: the message is beside the township field, in Chinese.
    r = _post(admin, "/ops/admin/users", "/ops/admin/users", username="wangwu", department="township")
    assert 'data-field="township">乡镇账号须选择所属乡镇' in r.get_data(as_text=True)
    taken = _post(admin, "/ops/admin/users", "/ops/admin/users", username="guanli", department="police")
    assert 'data-field="username">该登录名已被使用' in taken.get_data(as_text=True)


def test_disable_enable_reset_and_unlock(app, admin, make_user):
    from vehicle_enforce.auth.services import MAX_FAILED_LOGINS

    make_user("zhaoliu", "police", display_name="交警 赵六")
    uid = _user("zhaoliu").id
    html = admin.get("/ops/admin/users").get_data(as_text=True)
    admin.post(f"/ops/admin/users/{uid}/active", data={"csrf_token": _csrf(html), "active": "0"})
    assert not _user("zhaoliu").active and _login(app, "zhaoliu")[1] == 401
    admin.post(f"/ops/admin/users/{uid}/active", data={"csrf_token": _csrf(html), "active": "1"})
    assert _user("zhaoliu").active and _login(app, "zhaoliu")[1] == 302
    # Locked after failed logins: the list says so; unlocking lets the right password in again.
    for _ in range(MAX_FAILED_LOGINS):
        _login(app, "zhaoliu", "wrong-password-x")
    assert _login(app, "zhaoliu")[1] == 401
    assert "已锁定至" in admin.get("/ops/admin/users").get_data(as_text=True)
    admin.post(f"/ops/admin/users/{uid}/unlock", data={"csrf_token": _csrf(html)})
    assert _user("zhaoliu").locked_until is None and _login(app, "zhaoliu")[1] == 302
    assert _audit("user.unlock")[-1].changes["was_locked"] is True
    # Reset: a generated password shown once; the old one no longer works.
    r = _post(admin, f"/ops/admin/users/{uid}/password", "/ops/admin/users")
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', r.get_data(as_text=True)).group(1)
    assert _login(app, "zhaoliu")[1] == 401 and _login(app, "zhaoliu", password)[1] == 302


def test_admin_creates_and_revokes_a_token(app, admin):
    r = _post(admin, "/ops/admin/tokens", "/ops/admin/tokens", name="泽州县公安卡口系统", department="police")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="token-secret"[^>]*>([^<]+)<', html).group(1)
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["name"] == "泽州县公安卡口系统"
    listing = admin.get("/ops/admin/tokens").get_data(as_text=True)
    assert secret not in listing and "泽州县公安卡口系统" in listing
    token_id = int(re.search(r"/ops/admin/tokens/(\d+)/revoke", listing).group(1))
    admin.post(f"/ops/admin/tokens/{token_id}/revoke", data={"csrf_token": _csrf(listing)})
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "已吊销" in admin.get("/ops/admin/tokens").get_data(as_text=True)
    bad = _post(admin, "/ops/admin/tokens", "/ops/admin/tokens", name="x", department="police", expires_days="0")
    assert bad.status_code == 422 and 'data-field="expires_days"' in bad.get_data(as_text=True)


def test_the_audit_log_filters_pages_and_exports(app, admin, make_user, monkeypatch):
    from vehicle_enforce.auth import auditlog

    make_user("zhaoliu", "police", display_name="交警 赵六")
    for name in ("a1", "a2", "a3"):
        _post(admin, "/ops/admin/users", "/ops/admin/users", username=name, department="housing")
    _login(app, "zhaoliu")  # a login by 交警 赵六
    by_action = admin.get("/ops/admin/audit?action=user.create").get_data(as_text=True)
    assert by_action.count("新建用户") >= 4 and "登录</td>" not in by_action
    assert "系统管理员 王五" in by_action  # by display name, never the login name
    by_person = admin.get("/ops/admin/audit?person=赵六").get_data(as_text=True).split('id="audit"')[1]
    assert "交警 赵六" in by_person and "系统管理员 王五" not in by_person
    police = admin.get("/ops/admin/audit?department=police&action=user.login").get_data(as_text=True)
    assert "交警 赵六" in police
    future = admin.get("/ops/admin/audit?since=2099-01-01T00:00").get_data(as_text=True)
    assert "没有符合筛选条件的记录" in future
    bad = admin.get("/ops/admin/audit?since=昨天")
    assert bad.status_code == 422 and 'data-field="since"' in bad.get_data(as_text=True)
    # Keyset pages, newest first.
    monkeypatch.setattr(auditlog, "PAGE_SIZE", 2)
    first = admin.get("/ops/admin/audit?action=user.create").get_data(as_text=True)
    ids_first = [int(i) for i in re.findall(r'id="entry-(\d+)"', first)]
    older = re.search(r'href="([^"]+)" id="older"', first).group(1).replace("&amp;", "&")
    ids_second = [int(i) for i in re.findall(r'id="entry-(\d+)"', admin.get(older).get_data(as_text=True))]
    assert len(ids_first) == 2 and ids_first == sorted(ids_first, reverse=True)
    assert ids_second and max(ids_second) < min(ids_first)
    # Export: the filtered rows with Chinese labels and Beijing times; the export itself is audited.
    r = admin.get("/ops/admin/audit.xlsx?action=user.create")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data))["审计日志"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[:3] == ["编号", "时间", "操作人"])
    data = [row for row in values[header + 1 :] if row[0] is not None]
    assert len(data) >= 4 and {row[4] for row in data} == {"新建用户"}
    assert "系统管理员 王五" in {row[2] for row in data}
    exported = _audit("audit.export")[-1]
    assert exported.changes["rows"] == len(data) and exported.changes["filters"] == {"操作": "新建用户"}


def test_an_entry_shows_what_changed(app, admin):
    _post(admin, "/ops/admin/users", "/ops/admin/users", username="qianqi", department="housing")
    entry = _audit("user.create")[-1]
    html = admin.get(f"/ops/admin/audit/{entry.id}").get_data(as_text=True)
    assert "新建用户" in html and "qianqi" in html
    assert admin.get("/ops/admin/audit/99999999").status_code == 404


def test_a_county_admin_manages_its_county_only(app, make_user):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.schemas import CountyIn
    from vehicle_enforce.core import actors, transaction

    services.create_county(CountyIn(code="140581", name="高平市"), actor=actors.system("test"))
    transaction.commit()
    make_user("gp-admin", "admin", county="140581")
    make_user("zz-police", "police", county="140525", display_name="泽州交警")
    client, _ = _login(app, "gp-admin")
    listing = client.get("/ops/admin/users").get_data(as_text=True)
    assert "泽州交警" not in listing
    uid = _user("zz-police").id
    r = client.post(f"/ops/admin/users/{uid}/active", data={"csrf_token": _csrf(listing), "active": "0"})
    assert r.status_code == 404 and _user("zz-police").active
    _login(app, "zz-police")
    assert "泽州交警" not in client.get("/ops/admin/audit").get_data(as_text=True)


def test_the_cli_resets_and_unlocks_through_the_same_services(app, runner, make_user):
    from vehicle_enforce.auth.services import MAX_FAILED_LOGINS

    make_user("sunba", "housing")
    for _ in range(MAX_FAILED_LOGINS):
        _login(app, "sunba", "wrong-password-x")
    assert _login(app, "sunba")[1] == 401
    result = runner.invoke(["users", "unlock", "sunba"])
    assert result.exit_code == 0 and "unlocked" in result.output
    assert _login(app, "sunba")[1] == 302
    result = runner.invoke(["users", "reset-password", "sunba"])
    password = result.output.strip().rsplit(" ", 1)[-1]
    assert result.exit_code == 0 and _login(app, "sunba")[1] == 401 and _login(app, "sunba", password)[1] == 302
    assert [e.actor_name for e in _audit("user.unlock")] == ["cli:users unlock"]  # the reset found it unlocked
    assert _audit("user.password_change")[-1].actor_name == "cli:users reset-password"


def test_the_admin_sets_a_chosen_password_under_the_same_rules(app, admin, make_user):
    make_user("zhouqi", "transport", display_name="交通局 周七")
    uid = _user("zhouqi").id
    weak = _post(admin, f"/ops/admin/users/{uid}/password", "/ops/admin/users", password="12345")
    html = weak.get_data(as_text=True)
    assert weak.status_code == 422 and html.count('data-field="password"') == 1  # beside that row's field only
    assert _login(app, "zhouqi")[1] == 302  # unchanged
    r = _post(admin, f"/ops/admin/users/{uid}/password", "/ops/admin/users", password="Taihang-2019-river")
    assert r.status_code == 302
    assert _login(app, "zhouqi")[1] == 401 and _login(app, "zhouqi", "Taihang-2019-river")[1] == 302
