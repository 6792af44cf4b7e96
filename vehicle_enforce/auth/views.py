"""Login, logout and the department home page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for

from vehicle_enforce.auth import menu, services
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH, Department, User
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import audit, security, transaction
from vehicle_enforce.dashboards import services as dashboards
from vehicle_enforce.extensions import db, limiter

bp = Blueprint("auth", __name__)
bp.app_context_processor(menu.menu_context)  # every page's menu (base.html), from the one menu module

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
    links = menu.department_items(principal)
    return render_template(
        "home.html",
        principal=principal,
        department_name=DEPARTMENT_NAMES_ZH.get(department, "") if department else "",
        links=links,
        cards=dashboards.cards(principal),  # today's work: counts linking to the lists they count
    )
