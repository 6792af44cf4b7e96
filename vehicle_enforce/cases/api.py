"""JSON API: cases, their actions, department inboxes and the change feed."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.cases import feed, penalties, services, workdays
from vehicle_enforce.cases.models import WAITING_FOR, Case
from vehicle_enforce.cases.schemas import (
    ACTION_REQUEST_EXAMPLE,
    BASIS_EXAMPLE,
    CALENDAR_EXAMPLE,
    CASE_DETAIL_EXAMPLE,
    CASE_EXAMPLE,
    FEED_EXAMPLE,
    ActionIn,
    BasisList,
    BasisQuery,
    CalendarDayIn,
    CalendarYearIn,
    CalendarYearOut,
    CaseDetail,
    CaseList,
    CasePage,
    CaseQuery,
    DeadlineOut,
    DeadlineQuery,
    FeedOut,
    FeedQuery,
    InboxOut,
    OverdueQuery,
)
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import page, page_json
from vehicle_enforce.core.timeutil import now_utc

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")

READERS = (D.environment, D.police, D.transport)


@bp.get("/cases")
@api_access(*READERS)
@operation(
    "案件列表（按状态、车辆、逾期筛选） / Cases with filters (state, vehicle, overdue)",
    query=CaseQuery,
    resp={200: CasePage},
    examples={"response": {"results": [CASE_EXAMPLE], "next_cursor": "MjA4"}},
)
def list_cases() -> Any:
    q = query_args(CaseQuery)
    stmt = scope.scoped(select(Case), Case, principal_or_401())
    if q.state:
        stmt = stmt.where(Case.state == q.state)
    if q.vehicle_id:
        stmt = stmt.where(Case.vehicle_id == q.vehicle_id)
    if q.overdue:
        stmt = stmt.where(Case.due_at < now_utc(), Case.state.in_(list(WAITING_FOR)))
    rows, cursor = page(stmt, Case.id, q)
    return jsonify(page_json(rows, cursor, services.case_json))


@bp.get("/cases/<int:case_id>")
@api_access(*READERS)
@operation(
    "单个案件及其时间线与证据 / One case with its timeline and evidence",
    resp={200: CaseDetail},
    examples={"response": CASE_DETAIL_EXAMPLE},
)
def get_case(case_id: int) -> Any:
    case = scope.get_or_404(Case, case_id, principal_or_401(), what="case")
    return jsonify(services.case_json(case, timeline=True))


@bp.post("/cases/<int:case_id>/actions")
@api_access(D.environment, D.police, D.transport, D.station)
@operation(
    "推进案件（确认、事先告知、送达、陈述申辩、处罚、责令维修、维修、复检） / "
    "Move a case: confirm, prior_notice, serve, record_answer, penalize, order_repair, record_repair, "
    "record_retest, close_scrapped",
    json=ActionIn,
    resp={200: CaseDetail},
    examples={"request": ACTION_REQUEST_EXAMPLE, "response": CASE_DETAIL_EXAMPLE},
)
def case_action(case_id: int) -> Any:
    case = services.act(case_id, json_body(ActionIn), actor=principal_or_401())
    return jsonify(services.case_json(case, timeline=True))


@bp.get("/cases/overdue")
@api_access(*READERS)
@operation(
    "逾期案件（本部门环节或全部） / Overdue cases, for one department's steps or all",
    query=OverdueQuery,
    resp={200: CaseList},
    examples={"response": {"results": [{**CASE_EXAMPLE, "overdue": True}]}},
)
def overdue_cases() -> Any:
    principal = principal_or_401()
    q = query_args(OverdueQuery)
    department = q.department.value if q.department else principal.department
    cases = services.overdue(department, actor=principal)
    return jsonify({"results": [services.case_json(c) for c in cases]})


@bp.get("/inbox")
@api_access(*READERS)
@operation(
    "本部门待办：待处理案件与逾期环节 / What waits for the caller's department: cases to act on and overdue steps",
    resp={200: InboxOut},
    examples={
        "response": {
            "department": "transport",
            "waiting": [CASE_EXAMPLE],
            "overdue": [],
            "evidence_tasks": [],
        }
    },
)
def inbox() -> Any:
    principal = principal_or_401()
    return jsonify(services.inbox(principal.department or "admin", actor=principal))


@bp.get("/changes")
@api_access(*READERS)
@operation(
    "列入、解除与案件变化的变更流（按 next_cursor 续取） / "
    "Change feed of listings, releases and case actions; follow next_cursor",
    query=FeedQuery,
    resp={200: FeedOut},
    examples={"response": FEED_EXAMPLE},
)
def changes() -> Any:
    q = query_args(FeedQuery)
    return jsonify(feed.read(q.after, q.limit))


@bp.get("/penalty-bases")
@api_access(*READERS)
@operation(
    "现行处罚依据（法律、条款、部门、金额或幅度、警告） / "
    "Penalty bases in force (law, article, department, amount or range, warning)",
    query=BasisQuery,
    resp={200: BasisList},
    examples={"response": {"results": [BASIS_EXAMPLE]}},
)
def penalty_bases() -> Any:
    q = query_args(BasisQuery)
    return jsonify({"results": [penalties.basis_json(b) for b in penalties.bases_in_force(q.subject)]})


@bp.get("/calendar/<int:year>")
@api_access(*READERS)
@operation(
    "某年节假日日历（法定节假日与调休上班日） / "
    "The holiday calendar of a year: public holidays and 调休 working days (shipped and admin's)",
    resp={200: CalendarYearOut},
    examples={"response": CALENDAR_EXAMPLE},
)
def calendar_year(year: int) -> Any:
    if not 1990 <= year <= 2100:
        raise NotFound(f"no calendar for year {year}")
    return jsonify(workdays.year_json(year))


@bp.put("/calendar/days/<day>")
@api_access(D.admin)
@operation(
    "更正节假日日历中的某一天（管理员，留痕） / Correct one day of the holiday calendar (admin; audited)",
    json=CalendarDayIn,
    resp={200: CalendarYearOut},
    examples={
        "request": {"kind": "holiday", "name": "泽州县地方假日", "note": "县政府通知：12月31日全县放假一天"},
        "response": CALENDAR_EXAMPLE,
    },
)
def calendar_set_day(day: str) -> Any:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Invalid("日期格式不正确", {"day": "须为 YYYY-MM-DD"}) from None
    workdays.set_day(parsed, json_body(CalendarDayIn), actor=principal_or_401())
    return jsonify(workdays.year_json(parsed.year))


@bp.post("/calendar/<int:year>/complete")
@api_access(D.admin)
@operation(
    "标记某年国务院放假通知已录入（管理员，留痕） / "
    "Mark a year's State Council holiday notice as entered (admin; audited)",
    json=CalendarYearIn,
    resp={200: CalendarYearOut},
    examples={"request": {"source": "国办发明电〔2025〕7号"}, "response": CALENDAR_EXAMPLE},
)
def calendar_complete_year(year: int) -> Any:
    if not 1990 <= year <= 2100:
        raise NotFound(f"no calendar for year {year}")
    workdays.mark_year_complete(year, json_body(CalendarYearIn), actor=principal_or_401())
    return jsonify(workdays.year_json(year))


@bp.get("/calendar/deadline")
@api_access(*READERS)
@operation(
    "起算日后第 N 个工作日（行政处罚法第八十五条） / The day N working days after a start day (行政处罚法 第八十五条)",
    query=DeadlineQuery,
    resp={200: DeadlineOut},
    examples={"response": {"start": "2026-12-07", "working_days": 3, "due": "2026-12-10", "unsure_years": []}},
)
def calendar_deadline() -> Any:
    q = query_args(DeadlineQuery)
    due, unsure = workdays.add_working_days(q.start, q.working_days)
    answer: dict[str, Any] = {
        "start": q.start.isoformat(),
        "working_days": q.working_days,
        "due": due.isoformat(),
        "unsure_years": unsure,
    }
    if unsure:
        years = "、".join(str(y) for y in unsure)
        answer["warning"] = f"{years} 年的放假调休安排尚未录入，期限可能有误：请管理员录入国务院放假通知后再核对"
    return jsonify(answer)
