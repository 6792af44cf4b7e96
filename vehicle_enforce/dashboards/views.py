"""The notices inbox pages: the list (all or unread), one notice (opening it marks it read), 全部标为已读."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.inputs import db_int
from vehicle_enforce.dashboards import inbox

bp = Blueprint("inbox_pages", __name__, url_prefix="/ops/inbox")


@bp.get("/")
@page_access()
def inbox_page() -> Any:
    principal = current_principal()
    assert principal is not None  # page_access admitted a person
    unread = bool(request.args.get("unread"))
    notices, next_before = inbox.page(principal, unread=unread, before=db_int(request.args.get("before")))
    return render_template(
        "inbox/list.html",
        notices=notices,
        next_before=next_before,
        unread=unread,
        paged=bool(request.args.get("before")),
        unread_count=inbox.unread_count(principal),
    )


@bp.get("/<int:notice_id>")
@page_access()
def open_notice(notice_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    try:
        notice = inbox.open_notice(notice_id, principal)
    except NotFound:
        abort(404)
    return render_template("inbox/notice.html", notice=inbox.notice_json(notice, read=True))


@bp.post("/read-all")
@page_access()
def read_all() -> Any:
    principal = current_principal()
    assert principal is not None
    n = inbox.mark_all_read(principal)
    flash(f"已将 {n} 条通知标为已读" if n else "没有未读通知", "info")
    return redirect(url_for("inbox_pages.inbox_page"))
