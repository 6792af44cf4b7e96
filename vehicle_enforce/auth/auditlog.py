"""Reading the audit log for the admin's viewer (审计日志): filters, keyset pages newest first, XLSX export.

A county's admin reads what its county's people and systems did (the entries of its county's accounts
and tokens); the city level reads every entry. Exporting is itself audited (`audit.export`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from vehicle_enforce.auth.models import ApiToken, User, department_name
from vehicle_enforce.core import audit, spreadsheets
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.audit import AuditEntry
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.labels import AUDIT_OBJECT_ZH, audit_action_label

PAGE_SIZE = 50
#: Rows an export writes at most (the filters narrow a larger log).
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class AuditFilters:
    person: str | None = None  # display name or login name (part of it)
    department: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None  # aware
    until: datetime | None = None  # aware, exclusive

    def described(self) -> list[tuple[str, str]]:
        """The filters as the export's 说明 sheet names them."""
        items = [
            ("操作人", self.person),
            ("部门", department_name(self.department) if self.department else None),
            ("对象", AUDIT_OBJECT_ZH.get(self.object_type or "", self.object_type)),
            ("对象编号", self.object_id),
            ("操作", audit_action_label(self.action) if self.action else None),
            ("起始时间", spreadsheets.as_of_text(self.since) if self.since else None),
            ("截止时间", spreadsheets.as_of_text(self.until) if self.until else None),
        ]
        return [(k, str(v)) for k, v in items if v]


def _names_of_person(text: str) -> list[str]:
    """Login names and token names whose login name or display name contains `text`."""
    like = f"%{text}%"
    users = db.session.scalars(
        select(User.username).where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    )
    tokens = db.session.scalars(select(ApiToken.name).where(ApiToken.name.ilike(like)))
    return [*users, *tokens]


def query(filters: AuditFilters, *, actor: Actor) -> Select[Any]:
    """The entries matching `filters` that `actor` may read (not ordered)."""
    stmt = select(AuditEntry)
    if actor.county_id is not None:
        county = actor.county_id
        stmt = stmt.where(
            or_(
                and_(
                    AuditEntry.actor_kind == "user",
                    AuditEntry.actor_id.in_(select(User.id).where(User.county_id == county)),
                ),
                and_(
                    AuditEntry.actor_kind == "token",
                    AuditEntry.actor_id.in_(select(ApiToken.id).where(ApiToken.county_id == county)),
                ),
            )
        )
    if filters.person:
        names = _names_of_person(filters.person)
        stmt = stmt.where(or_(AuditEntry.actor_name.in_(names), AuditEntry.actor_name == filters.person))
    if filters.department:
        stmt = stmt.where(AuditEntry.department == filters.department)
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < filters.until)
    return stmt


def page(filters: AuditFilters, *, actor: Actor, before: int | None = None) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first (keyset on id: entries older than `before`); and the id to continue before."""
    stmt = query(filters, actor=actor)
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    rows: list[AuditEntry] = list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more and rows else None)


def entry(entry_id: int, *, actor: Actor) -> AuditEntry | None:
    """One entry the actor may read, or None (missing, or another county's)."""
    found: AuditEntry | None = db.session.scalar(query(AuditFilters(), actor=actor).where(AuditEntry.id == entry_id))
    return found


COLUMNS = [
    spreadsheets.Column("id", "编号", "int", "审计日志条目编号"),
    spreadsheets.Column("at", "时间", "datetime", "操作发生的时间（北京时间）"),
    spreadsheets.Column("person", "操作人", meaning="人员显示姓名；系统任务为“系统自动”；接口令牌为其名称"),
    spreadsheets.Column("department", "部门", meaning="操作人所属部门"),
    spreadsheets.Column("action", "操作", meaning="做了什么"),
    spreadsheets.Column("object_type", "对象", meaning="被操作的记录种类"),
    spreadsheets.Column("object_id", "对象编号", meaning="被操作记录的编号"),
    spreadsheets.Column("changes", "变更内容", meaning="记录的变更（按系统原样记录的字段与取值）", width=60),
    spreadsheets.Column("request_id", "请求编号", meaning="同一次请求产生的条目编号相同，便于对照运行日志"),
]


def rows_for_export(filters: AuditFilters, *, actor: Actor, display: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The matching entries, newest first, at most EXPORT_LIMIT, as the export's rows."""
    stmt = query(filters, actor=actor).order_by(AuditEntry.id.desc()).limit(EXPORT_LIMIT)
    e: AuditEntry
    for e in db.session.scalars(stmt.execution_options(yield_per=2000)):
        yield {
            "id": e.id,
            "at": e.at,
            "person": display.get(e.actor_name, e.actor_name) if e.actor_kind != "system" else "系统自动",
            "department": department_name(e.department) if e.department else "",
            "action": audit_action_label(e.action),
            "object_type": AUDIT_OBJECT_ZH.get(e.object_type, e.object_type),
            "object_id": e.object_id,
            "changes": e.changes,
            "request_id": e.request_id,
        }


def export_xlsx(filters: AuditFilters, *, actor: Actor, unit: str) -> bytes:
    """The matching entries as a workbook; the export itself is audited with its filters."""
    display = {k: v for k, v in db.session.execute(select(User.username, User.display_name))}
    rows = list(rows_for_export(filters, actor=actor, display=display))
    audit.record(
        "audit.export",
        "audit_log",
        None,
        {"rows": len(rows), "filters": dict(filters.described())},
        actor=actor,
    )
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title="审计日志",
            unit=unit,
            as_of=now_utc(),
            sheets=[spreadsheets.Sheet("审计日志", COLUMNS, rows)],
            source="本系统审计日志（只增不改）",
            filters=filters.described(),
            notes=[("条数上限", f"每次最多导出 {EXPORT_LIMIT} 条，请用筛选条件缩小范围")],
        )
    )
