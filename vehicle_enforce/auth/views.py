"""Login, logout and the department home page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH, Department, User
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import services as case_services
from vehicle_enforce.core import audit, security, transaction
from vehicle_enforce.extensions import db, limiter
from vehicle_enforce.inspections.models import Station

bp = Blueprint("auth", __name__)

LOGIN_MESSAGES = {
    "bad_credentials": "用户名或密码错误",
    "locked": "登录失败次数过多，账户已临时锁定，请15分钟后再试",
}


def _too_many_failures(_limit: Any) -> Response:
    flash("此地址登录失败次数过多，请稍后再试", "error")
    response = current_app.make_response((render_template("login.html", username=""), 429))
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: str(current_app.config["LOGIN_FAILURE_LIMIT"]),
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,  # failures only: a shared gateway is fine
    on_breach=_too_many_failures,
)
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            attempt = services.begin_login(username)
            transaction.checkpoint()  # the reserved try counts before the (slow) password check
            user = services.finish_login(attempt, username, password)
        except services.LoginRefused as refused:
            transaction.checkpoint()  # keep the failure count and its audit entry (the 401 rolls back)
            flash(LOGIN_MESSAGES[refused.reason], "error")
            return render_template("login.html", username=username), 401
        security.start_page_session(user.id, user.session_version)
        return redirect(safe_next(request.args.get("next", "")) or url_for("auth.home"))
    return render_template("login.html", username="")


def safe_next(target: str) -> str | None:
    """A same-site path to go to after login, or None.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so a slash, a tab, a
    slash (`/%09/evil.example`) or a slash and a backslash would leave the site: any control character
    or backslash refuses the target.
    """
    if not target.startswith("/") or any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


@bp.post("/logout")
def logout() -> Any:
    principal = current_principal()
    if principal is not None and principal.kind == "user" and principal.id is not None:
        user = db.session.get(User, principal.id)
        if user is not None:
            services.end_sessions(user)  # the cookie, even if kept, no longer opens a session
            audit.record("user.logout", "user", user.id, actor=principal)
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("auth.login", next=request.path))
    department = Department(principal.department) if principal.department else None
    links = HOME_LINKS.get(principal.department or "", [])
    if principal.department == Department.station:
        links = [*STATION_LINKS.get(_station_kind(principal.station_id), []), *links]
    waiting = overdue = None
    if principal.department in ("environment", "police", "transport"):
        box = case_services.inbox(principal.department, actor=principal)
        waiting, overdue = len(box["waiting"]), len(box["overdue"])
    return render_template(
        "home.html",
        principal=principal,
        department_name=DEPARTMENT_NAMES_ZH.get(department, "") if department else "",
        links=links,
        waiting=waiting,
        overdue=overdue,
    )


def _station_kind(station_id: int | None) -> str:
    station = db.session.get(Station, station_id) if station_id else None
    return station.kind if station else ""


# A station account's own work, by the kind of its station (I站 and M站 systems post through the API).
STATION_LINKS = {
    "roadside": [("/ops/inspections/roadside-test", "路检 / 入户抽测录入")],
    "spot_check": [("/ops/inspections/roadside-test", "路检 / 入户抽测录入")],
    "remote_sensing": [("/ops/inspections/passes", "本站遥感检测记录")],
}

# Each department's main pages, shown on its home page.
HOME_LINKS = {
    "station": [("/ops/rules/", "现行规则与限值")],
    "police": [
        ("/ops/police/hotlist", "黑名单查询"),
        ("/ops/police/hits", "今日卡口命中"),
        ("/ops/cases/?state=confirmed", "待处罚案件"),
        ("/ops/inspections/roadside-test", "路检录入"),
        ("/ops/alerts/", "重污染天气预警"),
    ],
    "transport": [
        ("/ops/phaseout/", "国三淘汰进度"),
        ("/ops/cases/?mine=1", "维修督办"),
        ("/ops/cases/?state=repair_ordered", "维修中车辆"),
        ("/ops/vehicles/import", "导入车辆数据"),
        ("/ops/alerts/", "重污染天气预警"),
    ],
    "environment": [
        ("/ops/inspections/passes", "遥感检测记录"),
        ("/ops/inspections/black-smoke", "黑烟抓拍审核"),
        ("/ops/match-reviews/", "号牌人工核对"),
        ("/ops/blacklist/", "黑名单"),
        ("/ops/cases/", "案件看板"),
        ("/ops/phaseout/", "国三淘汰进度"),
        ("/ops/nrmm/", "非道路机械登记与抽测计划"),
        ("/ops/exports/", "数据上报传输率"),
        ("/ops/rules/", "规则与限值设置"),
        ("/ops/alerts/", "重污染天气预警"),
        ("/ops/vehicles/import", "导入车辆数据"),
        ("/ops/inspections/roadside-test", "路检录入"),
        ("/api/docs", "接口文档"),
    ],
    "township": [
        ("/ops/nrmm/", "本乡镇非道路机械登记与抽测"),
        ("/ops/phaseout/", "本乡镇国三淘汰进度"),
        ("/ops/alerts/", "重污染天气预警"),
    ],
    "housing": [
        ("/ops/nrmm/", "非道路机械登记与抽测计划"),
        ("/ops/alerts/", "重污染天气预警"),
        ("/api/docs", "接口文档"),
    ],
    "admin": [
        ("/ops/cases/", "案件看板"),
        ("/ops/blacklist/", "黑名单"),
        ("/ops/phaseout/", "国三淘汰进度"),
        ("/ops/inspections/passes", "遥感检测记录"),
        ("/ops/rules/", "规则与限值设置"),
        ("/api/docs", "接口文档"),
    ],
}
