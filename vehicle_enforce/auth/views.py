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
    return render_template(
        "home.html",
        principal=principal,
        department_name=DEPARTMENT_NAMES_ZH.get(department, "") if department else "",
    )
