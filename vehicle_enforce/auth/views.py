"""Login, logout and the department home page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH, Department
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import transaction

bp = Blueprint("auth", __name__)

LOGIN_MESSAGES = {
    "bad_credentials": "用户名或密码错误",
    "locked": "登录失败次数过多，账户已临时锁定，请15分钟后再试",
}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = services.check_login(username, password)
        except services.LoginRefused as refused:
            transaction.commit()  # keep the failure count
            flash(LOGIN_MESSAGES[refused.reason], "error")
            return render_template("login.html", username=username), 401
        transaction.commit()
        session.clear()
        session["user_id"] = user.id
        session.permanent = False
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("auth.home")
        return redirect(target)
    return render_template("login.html", username="")


@bp.post("/logout")
def logout() -> Any:
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
    waiting = overdue = None
    if principal.department in ("environment", "police", "transport"):
        from vehicle_enforce.cases import services as case_services

        box = case_services.inbox(principal.department)
        waiting, overdue = len(box["waiting"]), len(box["overdue"])
    return render_template(
        "home.html",
        principal=principal,
        department_name=DEPARTMENT_NAMES_ZH.get(department, "") if department else "",
        links=links,
        waiting=waiting,
        overdue=overdue,
    )


# Each department's main pages, shown on its home page.
HOME_LINKS = {
    "station": [("/ops/inspections/roadside-test", "路检 / 入户抽测录入"), ("/ops/rules/", "现行规则与限值")],
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
    "township": [("/ops/phaseout/", "本乡镇国三淘汰进度"), ("/ops/alerts/", "重污染天气预警")],
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
