"""Request and response models of the notices API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.documents.models import IssuedNotice


class VoidIn(Schema):
    """作废一份通知书：须写明原因 / Void a notice; the reason is required."""

    stored_as = (IssuedNotice,)  # the reason is kept as void_reason (Text)
    reason: str = Field(min_length=2, max_length=1000, description="作废原因 / why the notice is void")


class NoticeOut(BaseModel):
    """A notice's record (no PDF bytes, no verification code)."""

    id: int
    kind: str
    title: str
    number: str
    unit: str
    unit_name: str
    state: str
    state_name: str
    issued_at: str
    issued_at_local: str
    issued_by: str
    void_reason: str | None
    voided_at: str | None
    voided_by: str | None
    superseded_by_id: int | None
    pdf_url: str
    print_url: str
    pdf_sha256: str


NOTICE_EXAMPLE = {
    "id": 12,
    "kind": "repair_order",
    "title": "责令限期维修通知书",
    "number": "泽交修〔2026〕3号",
    "unit": "transport",
    "unit_name": "泽州县交通运输局",
    "state": "void",
    "state_name": "已作废",
    "issued_at": "2026-12-07T06:03:00+00:00",
    "issued_at_local": "2026-12-07 14:03",
    "issued_by": "交通运输局 李强",
    "void_reason": "维修期限填错，重新出具",
    "voided_at": "2026-12-07T06:20:00+00:00",
    "voided_by": "交通运输局 李强",
    "superseded_by_id": None,
    "pdf_url": "/api/v1/notices/12.pdf",
    "print_url": "/api/v1/cases/208/notices/repair_order.pdf",
    "pdf_sha256": "9f2c4b0e6a1d3f5e7c9b1a3d5f7e9c1b3a5d7f9e1c3b5a7d9f1e3c5b7a9d1f3e",
}
