"""The admin's pages (/ops/admin): accounts, API tokens and the audit-log viewer (审计日志).

Thin views over `auth.services` (the same rules as the CLI's `users`/`tokens` commands and the token API)
and `auth.auditlog`. A county's admin manages its county's accounts and tokens and reads what they did;
another county's account answers 404 as a missing one.

A secret (a new token, a generated password) is shown once, in the answer to the POST that made it,
never put in a cookie or an address, and the answer is not stored by the browser (`no-store`). Each
form carries a one-time key: submitting it again (reload, back button) makes nothing new.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, session, url_for
from sqlalchemy import or_, select

from vehicle_enforce.auth import auditlog, services
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH, ApiToken, County, Department, Township, User
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.auth.schemas import TokenIn, UserIn
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.timeutil import from_local_input, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station
from vehicle_enforce.labels import AUDIT_ACTION_ZH, AUDIT_OBJECT_ZH
from vehicle_enforce.summary.units import unit_for

bp = Blueprint("admin_pages", __name__, url_prefix="/ops/admin")
D = Department.admin  # the admin department only (page_access admits admin always, no one else here)

FIELD_LABELS = {
    "username": "登录名",
    "display_name": "显示姓名",
    "department": "部门",
    "county": "县（市、区）",
    "township": "乡镇",
    "station": "站点",
    "password": "密码",
    "name": "令牌名称",
    "expires_days": "有效天数",
    "since": "起始时间",
    "until": "截止时间",
}
#: One-time form keys a session has used (the newest few): a form submitted twice makes nothing new.
USED_KEYS = "admin_used_form_keys"


def _actor() -> Actor:
    principal = current_principal()
    assert principal is not None
    return principal


def _no_store(body: str) -> Response:
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def form_key() -> str:
    return secrets.token_urlsafe(16)


def _first_use_of_form_key() -> bool:
    """Whether this form's one-time key is new to the session (and remember it)."""
    key = request.form.get("form_key", "")
    used: list[str] = list(session.get(USED_KEYS, []))
    if not key or key in used:
        return False
    session[USED_KEYS] = [*used[-19:], key]
    return True


def _choices(actor: Actor) -> dict[str, Any]:
    """The places an admin may put an account or a token in (a county's admin: its county's)."""
    counties = select(County).where(County.active.is_(True)).order_by(County.code)
    townships = select(Township).where(Township.active.is_(True)).order_by(Township.name)
    stations = select(Station).order_by(Station.name)
    if actor.county_id is not None:
        counties = counties.where(County.id == actor.county_id)
        townships = townships.where(Township.county_id == actor.county_id)
        stations = stations.where(or_(Station.county_id == actor.county_id, Station.county_id.is_(None)))
    return {
        "departments": [(d.value, DEPARTMENT_NAMES_ZH[d]) for d in Department],
        "counties": list(db.session.scalars(counties)),
        "townships": list(db.session.scalars(townships)),
        "stations": list(db.session.scalars(stations)),
    }


def _place_names() -> dict[str, dict[int, str]]:
    return {
        "county": {k: v for k, v in db.session.execute(select(County.id, County.name))},
        "township": {k: v for k, v in db.session.execute(select(Township.id, Township.name))},
        "station": {k: v for k, v in db.session.execute(select(Station.id, Station.name))},
    }


# --- accounts ---------------------------------------------------------------------------------------


@bp.get("/users")
@page_access(D)
def users(issued: dict[str, Any] | None = None) -> Any:
    actor = _actor()
    q = (request.args.get("q") or "").strip()
    stmt = select(User).order_by(User.department, User.username).limit(500)
    if actor.county_id is not None:
        stmt = stmt.where(User.county_id == actor.county_id)
    if q:
        stmt = stmt.where(or_(User.username.ilike(f"%{q}%"), User.display_name.ilike(f"%{q}%")))
    rows = list(db.session.scalars(stmt))
    body = render_template(
        "admin/users.html",
        rows=rows,
        q=q,
        locked={u.id for u in rows if services.locked(u)},
        places=_place_names(),
        issued=issued,
        form_key=form_key(),
        **_choices(actor),
    )
    return _no_store(body) if issued else body


def _optional(name: str) -> str | None:
    return (request.form.get(name) or "").strip() or None


def _placed() -> dict[str, str | None]:
    """The department and place fields an account's and a token's forms share."""
    return {
        "department": request.form.get("department", ""),
        "county": _optional("county"),
        "township": _optional("township"),
        "station": _optional("station"),
    }


def _already_done(message: str, endpoint: str) -> Any:
    """A form submitted a second time (its one-time key used): say so and make nothing new."""
    flash(message, "info")
    return redirect(url_for(endpoint))


@bp.post("/users")
@page_access(D)
@refused_redraws(users, "未创建用户", FIELD_LABELS)
def create_user() -> Any:
    actor = _actor()
    generated = not request.form.get("password")
    password = services.generate_password() if generated else request.form.get("password", "")
    data = parse_form(
        UserIn,
        {
            "username": (request.form.get("username") or "").strip(),
            "display_name": _optional("display_name"),
            **_placed(),
            "password": password,
        },
        FIELD_LABELS,
    )
    if not _first_use_of_form_key():
        return _already_done("该表单已提交过，未重复创建；如需再建请重新填写", "admin_pages.users")
    user = services.create_user(data, actor=actor)
    shown = {"what": "user", "user": user, "password": password if generated else None}
    return users(issued=shown)


@bp.post("/users/<int:user_id>/active")
@page_access(D)
@refused_redraws(users, "未修改账号状态", FIELD_LABELS)
def set_active(user_id: int) -> Any:
    user = services.managed_user(user_id, actor=_actor())
    active = request.form.get("active") == "1"
    services.set_active(user, active, actor=_actor())
    flash(f"已{'启用' if active else '停用'}账号 {user.display_name}", "info")
    return redirect(url_for("admin_pages.users"))


@bp.post("/users/<int:user_id>/unlock")
@page_access(D)
@refused_redraws(users, "未解除锁定", FIELD_LABELS)
def unlock(user_id: int) -> Any:
    user = services.managed_user(user_id, actor=_actor())
    done = services.unlock(user, actor=_actor())
    flash(f"已解除 {user.display_name} 的登录锁定" if done else f"{user.display_name} 未被锁定", "info")
    return redirect(url_for("admin_pages.users"))


@bp.post("/users/<int:user_id>/password")
@page_access(D)
@refused_redraws(users, "未重置密码", FIELD_LABELS)
def reset_password(user_id: int) -> Any:
    """A password the admin sets (the account's rules apply), or, left empty, a generated one shown once."""
    actor = _actor()
    user = services.managed_user(user_id, actor=actor)
    chosen = request.form.get("password", "")
    if not _first_use_of_form_key():
        return _already_done("该表单已提交过，密码未再次重置", "admin_pages.users")
    if chosen:
        services.set_password(user, chosen, actor=actor)
        services.unlock(user, actor=actor)
        flash(f"已为 {user.display_name} 设置新密码，其已登录的会话均已退出", "info")
        return redirect(url_for("admin_pages.users"))
    password = services.reset_password(user, actor=actor)
    return users(issued={"what": "password", "user": user, "password": password})


# --- API tokens ---------------------------------------------------------------------------------------


@bp.get("/tokens")
@page_access(D)
def tokens(issued: dict[str, Any] | None = None) -> Any:
    actor = _actor()
    stmt = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()).limit(500)
    if actor.county_id is not None:
        stmt = stmt.where(ApiToken.county_id == actor.county_id)
    body = render_template(
        "admin/tokens.html",
        rows=list(db.session.scalars(stmt)),
        places=_place_names(),
        issued=issued,
        now=now_utc(),
        form_key=form_key(),
        **_choices(actor),
    )
    return _no_store(body) if issued else body


@bp.post("/tokens")
@page_access(D)
@refused_redraws(tokens, "未创建令牌", FIELD_LABELS)
def create_token() -> Any:
    actor = _actor()
    days_text = (request.form.get("expires_days") or "").strip()
    expires_at = None
    if days_text:
        if not days_text.isdigit() or not 1 <= int(days_text) <= 3650:
            raise field_refused("expires_days", "须为 1 至 3650 之间的整数", FIELD_LABELS["expires_days"])
        expires_at = now_utc() + timedelta(days=int(days_text))
    data = parse_form(
        TokenIn,
        {
            "name": (request.form.get("name") or "").strip(),
            **_placed(),
            "expires_at": expires_at,
        },
        FIELD_LABELS,
    )
    if not _first_use_of_form_key():
        return _already_done("该表单已提交过，未重复创建令牌", "admin_pages.tokens")
    issued = services.create_token(data, actor=actor)
    return tokens(issued={"token": issued.token, "secret": issued.secret})


@bp.post("/tokens/<int:token_id>/revoke")
@page_access(D)
@refused_redraws(tokens, "未吊销令牌", FIELD_LABELS)
def revoke_token(token_id: int) -> Any:
    token = services.revoke_token(token_id, actor=_actor())
    flash(f"已吊销令牌 {token.name}", "info")
    return redirect(url_for("admin_pages.tokens"))


# --- the audit log ------------------------------------------------------------------------------------


def _filters() -> auditlog.AuditFilters:
    args = request.args

    def when(name: str) -> datetime | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        try:
            return from_local_input(text)
        except ValueError:
            raise field_refused(name, "时间格式有误", FIELD_LABELS[name]) from None

    department = args.get("department") or None
    object_type = args.get("object_type") or None
    action = args.get("action") or None
    return auditlog.AuditFilters(
        person=(args.get("person") or "").strip()[:64] or None,
        department=department if department in {d.value for d in Department} else None,
        object_type=object_type if object_type in AUDIT_OBJECT_ZH else None,
        object_id=(args.get("object_id") or "").strip()[:64] or None,
        action=action if action in AUDIT_ACTION_ZH else None,
        since=when("since"),
        until=when("until"),
    )


AUDIT_FILTERS = ("person", "department", "object_type", "object_id", "action", "since", "until")


def _audit_page(rows: list[Any] | None = None, before: int | None = None) -> Any:
    args = {k: request.args[k] for k in AUDIT_FILTERS if request.args.get(k)}
    display = {k: v for k, v in db.session.execute(select(User.username, User.display_name))}
    return render_template(
        "admin/audit.html",
        rows=rows or [],
        args=args,
        next_args={**args, "before": before} if before else None,
        display=display,
        actions=sorted(AUDIT_ACTION_ZH.items(), key=lambda kv: kv[0]),
        objects=sorted(AUDIT_OBJECT_ZH.items(), key=lambda kv: kv[0]),
        departments=[(d.value, DEPARTMENT_NAMES_ZH[d]) for d in Department],
    )


@bp.get("/audit")
@page_access(D)
@refused_redraws(_audit_page, "筛选条件有误", FIELD_LABELS)
def audit_log() -> Any:
    before_text = request.args.get("before") or ""
    before = int(before_text) if before_text.isdigit() else None
    rows, next_before = auditlog.page(_filters(), actor=_actor(), before=before)
    return _audit_page(rows, next_before)


@bp.get("/audit/<int:entry_id>")
@page_access(D)
def audit_entry(entry_id: int) -> Any:
    found = auditlog.entry(entry_id, actor=_actor())
    if found is None:
        abort(404)
    display = {k: v for k, v in db.session.execute(select(User.username, User.display_name))}
    changes = json.dumps(found.changes, ensure_ascii=False, indent=2, default=str) if found.changes else "—"
    return render_template("admin/audit_entry.html", e=found, display=display, changes=changes)


@bp.get("/audit.xlsx")
@page_access(D)
@refused_redraws(_audit_page, "筛选条件有误", FIELD_LABELS)
def audit_export() -> Any:
    actor = _actor()
    body = auditlog.export_xlsx(_filters(), actor=actor, unit=unit_for(actor))
    stamp = now_utc().strftime("%Y%m%d%H%M")
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.xlsx"'},
    )
