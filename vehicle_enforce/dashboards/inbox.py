"""The notices inbox: the department notices (cases.notify) a person may see, read or unread.

A notice is sent to a department (`recipient_kind == "department"`, `recipient` its code) about a case.
A person sees their department's notices (admin: every department's) about the cases they may see
(`auth.scope`: a county's staff never see another county's cases, so never their notices); a notice
about no case is the city level's. Read state is per person (`NoticeRead`), written when the notice is
opened or by 全部标为已读; both are idempotent (a retried request stores nothing twice).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department
from vehicle_enforce.cases.models import Case, Notice
from vehicle_enforce.core import bulk
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.dashboards.models import NoticeRead
from vehicle_enforce.extensions import db

#: What each kind of department notice is about, as the inbox names it.
NOTICE_KIND_ZH = {
    "case_to_confirm": "新案件待确认",
    "case_confirmed": "待处罚",
    "case_penalized": "待下达维修通知",
    "case_repair_ordered": "督促维修",
    "case_repaired": "待复检",
    "evidence_withdrawn": "证据撤回",
    "decision_unserved": "处罚决定未送达",
}

PAGE_SIZE = 50


def _read_by(actor: Actor) -> ColumnElement[bool]:
    return exists(select(NoticeRead.notice_id).where(NoticeRead.user_id == actor.id, NoticeRead.notice_id == Notice.id))


def notices_query(actor: Actor, *, unread: bool = False) -> Select[Notice]:
    """The department notices `actor` may see (unordered), only the unread ones with `unread`."""
    stmt = select(Notice).where(Notice.recipient_kind == "department")
    if actor.department != Department.admin:
        stmt = stmt.where(Notice.recipient == (actor.department or ""))
    if scope.allowed_townships(actor) is not None:  # a township account: cases are not on its axis
        return stmt.where(false())
    if scope.condition(Case, actor) is not None:  # a county caller: its county's cases' notices only
        stmt = stmt.where(Notice.case_id.in_(scope.scoped(select(Case.id), Case, actor)))
    if unread:
        stmt = stmt.where(~_read_by(actor))
    return stmt


def unread_count(actor: Actor) -> int:
    return int(db.session.scalar(select(func.count()).select_from(notices_query(actor, unread=True).subquery())) or 0)


def page(actor: Actor, *, unread: bool = False, before: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the inbox, newest first (keyset: notices older than `before`), and the next page's key."""
    stmt = notices_query(actor, unread=unread)
    if before is not None:
        stmt = stmt.where(Notice.id < before)
    rows = db.session.execute(
        stmt.add_columns(_read_by(actor).label("read")).order_by(Notice.id.desc()).limit(PAGE_SIZE + 1)
    ).all()
    shown = [notice_json(n, read=bool(r)) for n, r in rows[:PAGE_SIZE]]
    return shown, (rows[PAGE_SIZE - 1][0].id if len(rows) > PAGE_SIZE else None)


def notice_json(notice: Notice, *, read: bool) -> dict[str, Any]:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "kind_zh": NOTICE_KIND_ZH.get(notice.kind, "通知"),
        "message": notice.message,
        "case_id": notice.case_id,
        "created_at": notice.created_at,
        "read": read,
    }


def open_notice(notice_id: int, actor: Actor) -> Notice:
    """The notice, marked read by `actor`; 404 for one outside the inbox exactly as for a missing one."""
    notice = db.session.scalar(notices_query(actor).where(Notice.id == notice_id))
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    _mark(actor, [notice.id])
    return notice


def mark_all_read(actor: Actor) -> int:
    """Mark every notice of the inbox read; the number newly marked."""
    ids = list(db.session.scalars(notices_query(actor, unread=True).with_only_columns(Notice.id)))
    _mark(actor, ids)
    return len(ids)


def _mark(actor: Actor, notice_ids: list[int]) -> None:
    assert actor.id is not None  # pages admit people only
    at = now_utc()
    rows = [{"user_id": actor.id, "notice_id": i, "read_at": at} for i in notice_ids]
    bulk.insert_ignore_conflicts(NoticeRead.__table__, rows, key=("user_id", "notice_id"))
