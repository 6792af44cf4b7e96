"""Request schemas of cases: case actions, the list and feed queries, the holiday calendar.

The API validates with them and the services take them (one input type per service).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.cases.models import Case, CaseAction
from vehicle_enforce.cases.workdays import CalendarOverride, CalendarYear
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema


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
