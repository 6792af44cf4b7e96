"""Schemas of cases: case actions, the list and feed queries, the holiday calendar, the answers.

The API validates with the request schemas and the services take them (one input type per service); the
answers are declared once here, with the examples the API document shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.blacklist.schemas import ENTRY_EXAMPLE
from vehicle_enforce.cases.models import Case, CaseAction
from vehicle_enforce.cases.workdays import CalendarOverride, CalendarYear
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.documents.schemas import NOTICE_EXAMPLE, NoticeOut


class CaseQuery(PageQuery):
    state: str | None = Field(default=None, max_length=24)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overdue: bool | None = None


class OfficerIn(Schema):
    name: str = Field(min_length=1, max_length=32)
    certificate_no: str = Field(min_length=1, max_length=32)  # 执法证号


class ActionIn(Schema):
    stored_as = (
        Case,
        CaseAction,
    )
    action: str = Field(max_length=24)
    decision_number: str | None = Field(default=None, max_length=64)
    amount_yuan: Decimal | None = Field(default=None, ge=0, le=100000)
    legal_basis: str | None = Field(default=None, max_length=256)  # ignored: the basis gives the citation
    basis: str | None = Field(default=None, max_length=64)
    warning: bool | None = None
    due_date: date | None = None
    repair_station: str | None = Field(default=None, max_length=64)
    repair_number: str | None = Field(default=None, max_length=64)
    report_number: str | None = Field(default=None, max_length=64)
    station: str | None = Field(default=None, max_length=32)
    repaired_on: date | None = None
    passed: bool | None = None
    reason: str | None = Field(default=None, max_length=500)
    procedure: Literal["summary", "general"] | None = None
    officers: list[OfficerIn] | None = Field(default=None, max_length=10)
    facts: str | None = Field(default=None, max_length=2000)
    document: Literal["prior_notice", "decision"] | None = None
    method: str | None = Field(default=None, max_length=16)
    served_at: AwareDatetime | None = None
    served_to: str | None = Field(default=None, max_length=128)
    answer_kind: Literal["statement", "waived"] | None = None
    answer: str | None = Field(default=None, max_length=4000)


class FeedQuery(QuerySchema):
    after: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=500, ge=1, le=1000)


class OverdueQuery(QuerySchema):
    department: D | None = None


class DeadlineQuery(QuerySchema):
    start: date
    working_days: int = Field(ge=0, le=60)


class CalendarDayIn(Schema):
    stored_as = (CalendarOverride,)
    kind: Literal["holiday", "workday", "normal"]
    name: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)


class CalendarYearIn(Schema):
    stored_as = (CalendarYear,)
    source: str = Field(min_length=1, max_length=256)


class BasisQuery(QuerySchema):
    subject: Literal["vehicle", "machinery"] = "vehicle"


# -- Answers --------------------------------------------------------------------------------------


class Penalty(Out):
    decision_number: str | None
    amount_yuan: float | None
    legal_basis: str | None


class CaseOut(Out):
    """A joint-enforcement case: its state, whose step it waits for, its penalty and repair."""

    id: int
    vehicle_id: int | None
    plate: str | None
    plate_color: str | None
    entry_id: int | None
    county_id: int | None = Field(description="the county that handles the case; null: the city level")
    state: str
    evidence_match: str | None
    waiting_for: str | None
    opened_at: IsoTime
    due_at: IsoTime | None
    overdue: bool
    closed_at: IsoTime | None
    penalty: Penalty
    repair: dict[str, Any]
    retest_report: str | None


class CasePage(Out):
    results: list[CaseOut]
    next_cursor: str | None


class CaseList(Out):
    results: list[CaseOut]


class Change(Out):
    id: int
    kind: str
    object_id: str
    at: str
    payload: dict[str, Any]


class FeedOut(Out):
    changes: list[Change]
    next_cursor: str | None


class ActionOut(Out):
    """One step of a case's timeline (`services.action_json`), also sent on the change feed."""

    id: int
    case_id: int
    vehicle_id: int | None
    action: str
    from_state: str | None
    to_state: str
    department: str | None
    actor: str
    at: IsoTime
    fields: dict[str, Any]


class DocumentOut(Out):
    """A document of the penalty procedure (prior notice, decision) with its service and the answer."""

    id: int
    kind: str
    number: str
    department: str | None
    issued_by: str
    issued_at: str
    content: dict[str, Any]
    service: dict[str, Any] | None
    answer_due: str | None
    answer: dict[str, Any] | None


class CaseDetail(CaseOut):
    """One case with its listing, its documents (prior notice, decision) and its timeline."""

    entry: dict[str, Any] | None
    documents: list[DocumentOut]
    timeline: list[ActionOut]
    notices: list[NoticeOut]  # numbered PDF notices printed for the case (repair order, penalty sheet, release)


class InboxOut(Out):
    """What waits for a department; other domains add their sections (station health, match reviews...)."""

    department: str
    waiting: list[CaseOut]
    overdue: list[CaseOut]


class BasisOut(Out):
    name: str
    citation: str
    offence: str
    departments: list[str]
    applies_to: list[str]
    warning: bool
    fixed_yuan: float | None
    min_yuan: float | None
    max_yuan: float | None
    allowed: str
    summary_procedure: str | None
    designated: str | None
    local: bool


class BasisList(Out):
    results: list[BasisOut]


class CalendarDay(Out):
    date: str
    kind: str
    name: str | None
    source: str


class CalendarYearOut(Out):
    year: int
    complete: bool
    source: str | None
    days: list[CalendarDay]


class DeadlineOut(Out):
    start: str
    working_days: int
    due: str
    unsure_years: list[int]
    warning: str | None = None


# -- Examples (泽州县) -----------------------------------------------------------------------------

CASE_EXAMPLE: dict[str, Any] = {
    "id": 208,
    "vehicle_id": 1024,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "entry_id": 311,
    "county_id": 1,
    "state": "penalized",
    "evidence_match": "exact",
    "waiting_for": "transport",
    "opened_at": "2026-12-03T02:14:09+00:00",
    "due_at": "2026-12-10T15:59:59.999999+00:00",
    "overdue": False,
    "closed_at": None,
    "penalty": {
        "decision_number": "泽公交罚决字〔2026〕第0412号",
        "amount_yuan": 200.0,
        "legal_basis": "《中华人民共和国大气污染防治法》第一百一十三条、《中华人民共和国道路交通安全法》第九十条",
        "basis": "rtsl_90",
        "department": "police",
        "warning": False,
    },
    "repair": {"due_date": None, "repair_station": None, "report_number": None, "repaired_on": None, "repair_id": None},
    "retest_report": None,
    "retest": None,
}
CASE_DETAIL_EXAMPLE: dict[str, Any] = {
    **CASE_EXAMPLE,
    "entry": {
        **{key: value for key, value in ENTRY_EXAMPLE.items() if key != "retest"},
        "evidence": [],
        "released_at": None,
        "release_kind": None,
        "release_reason": None,
    },
    "documents": [],
    "notices": [NOTICE_EXAMPLE],
    "timeline": [
        {
            "id": 901,
            "case_id": 208,
            "vehicle_id": 1024,
            "action": "penalize",
            "from_state": "confirmed",
            "to_state": "penalized",
            "department": "police",
            "actor": "交警 王强",
            "at": "2026-12-05T07:30:00+00:00",
            "fields": {"decision_number": "泽公交罚决字〔2026〕第0412号", "amount_yuan": 200.0, "procedure": "summary"},
        }
    ],
}
ACTION_REQUEST_EXAMPLE: dict[str, Any] = {
    "action": "penalize",
    "procedure": "summary",
    "decision_number": "泽公交罚决字〔2026〕第0412号",
    "amount_yuan": 200,
    "basis": "rtsl_90",
    "officers": [{"name": "王强", "certificate_no": "14050001"}],
    "served_to": "驾驶人 张某",
}
BASIS_EXAMPLE: dict[str, Any] = {
    "name": "rtsl_90",
    "citation": "《中华人民共和国大气污染防治法》第一百一十三条、《中华人民共和国道路交通安全法》第九十条",
    "offence": "驾驶排放检验不合格的机动车上道路行驶",
    "departments": ["police"],
    "applies_to": ["vehicle"],
    "warning": True,
    "fixed_yuan": None,
    "min_yuan": 20,
    "max_yuan": 200,
    "allowed": "警告或罚款 20–200 元",
    "summary_procedure": "《中华人民共和国道路交通安全法》第一百零七条：警告或二百元以下罚款可当场作出处罚决定",
    "designated": None,
    "local": False,
}
CALENDAR_EXAMPLE: dict[str, Any] = {
    "year": 2026,
    "complete": True,
    "source": "国办发明电〔2025〕7号",
    "days": [
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节", "source": "shipped"},
        {"date": "2026-10-10", "kind": "workday", "name": "国庆节", "source": "shipped"},
        {"date": "2026-12-31", "kind": "holiday", "name": "泽州县地方假日", "source": "admin"},
    ],
}
FEED_EXAMPLE: dict[str, Any] = {
    "changes": [
        {
            "id": 5521,
            "kind": "case_action",
            "object_id": "901",
            "at": "2026-12-05T07:30:00.120000+00:00",
            "payload": {"case_id": 208, "action": "penalize", "from_state": "confirmed", "to_state": "penalized"},
        }
    ],
    "next_cursor": "ZmVlZDo1NTIx",
}
