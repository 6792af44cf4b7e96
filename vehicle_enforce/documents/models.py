"""Issued notices (number, state, the PDF as printed) and the number sequences they draw from."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core.timeutil import format_local, now_utc
from vehicle_enforce.extensions import Model


class NoticeKind(enum.StrEnum):
    turn_back = "turn_back"  # 劝返通知书 (a roadside test)
    repair_order = "repair_order"  # 责令限期维修通知书 (a case's order_repair step)
    penalty_sheet = "penalty_sheet"  # 处罚参考单 for the police (a case)
    release = "release"  # 解除通知书 after a passed retest (a case)
    spot_check_record = "spot_check_record"  # 非道路移动机械抽测记录单 (an NRMM spot check)


#: Titles printed on each kind.
KIND_TITLES: dict[str, str] = {
    "turn_back": "劝返通知书",
    "repair_order": "责令限期维修通知书",
    "penalty_sheet": "机动车排放违法处罚参考单",
    "release": "解除管控通知书",
    "spot_check_record": "非道路移动机械排放抽测记录单",
}

#: The word of each kind in its document number (泽环劝〔2019〕1号).
KIND_WORDS: dict[str, str] = {
    "turn_back": "劝",
    "repair_order": "修",
    "penalty_sheet": "罚",
    "release": "解",
    "spot_check_record": "测",
}

#: Which kinds a case lists on its timeline (the case's own kinds).
CASE_KINDS = ("repair_order", "penalty_sheet", "release")


class NoticeState(enum.StrEnum):
    issued = "issued"  # in force
    void = "void"  # 作废 by the issuing unit, with a reason: the number stays used
    superseded = "superseded"  # replaced by a later notice on the same subject whose facts changed


NOTICE_STATE_ZH: dict[str, str] = {"issued": "有效", "void": "已作废", "superseded": "已被新通知替代"}


class NoticeSequence(Model):
    """The last number given per issuing unit, kind and year: incremented under its row lock, in the
    transaction that stores the notice, so numbers never repeat and (rolled back together) never skip."""

    __tablename__ = "notice_sequences"

    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class IssuedNotice(Model):
    """One printed notice: its number, what it is about, its state and the PDF bytes exactly as issued."""

    __tablename__ = "issued_notices"
    __table_args__ = (
        UniqueConstraint("unit", "kind", "year", "sequence"),
        Index("ix_issued_notices_subject", "subject_type", "subject_id", "kind"),
        # At most one notice in force per subject and kind (a reprint finds it; a new one supersedes it).
        Index(
            "uq_issued_notices_current",
            "subject_type",
            "subject_id",
            "kind",
            unique=True,
            postgresql_where=text("state = 'issued'"),
            sqlite_where=text("state = 'issued'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # NoticeKind
    unit: Mapped[str] = mapped_column(String(64))  # the issuing unit: `<county code>:<department>`, or a department
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), index=True)  # None: the city level
    unit_name: Mapped[str] = mapped_column(String(128))  # as printed
    year: Mapped[int] = mapped_column(Integer)  # Beijing year of issue
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64), unique=True)  # as printed: 泽环劝〔2019〕1号
    subject_type: Mapped[str] = mapped_column(String(32))  # roadside_test | case | spot_check
    subject_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    plate: Mapped[str | None] = mapped_column(String(32))  # the one personal detail the check page shows
    code: Mapped[str] = mapped_column(String(16), unique=True)  # verification code (secrets, 12 chars)
    facts_sha256: Mapped[str] = mapped_column(String(64))  # what was printed, to tell a changed subject
    state: Mapped[str] = mapped_column(String(16), default=NoticeState.issued.value)
    issued_at: Mapped[datetime] = mapped_column(default=now_utc)
    issued_by: Mapped[str] = mapped_column(String(128))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only to serve it
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by: Mapped[str | None] = mapped_column(String(128))
    voided_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("issued_notices.id"))

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.kind, self.kind)

    @property
    def state_zh(self) -> str:
        return NOTICE_STATE_ZH.get(self.state, self.state)

    @property
    def print_url(self) -> str:
        """The subject's print route: this notice while it is in force, else the one now in force."""
        if self.subject_type == "roadside_test":
            return f"/api/v1/roadside-tests/{self.subject_id}/notice.pdf"
        if self.subject_type == "spot_check":
            return f"/api/v1/nrmm/spot-checks/{self.subject_id}/record.pdf"
        return f"/api/v1/cases/{self.subject_id}/notices/{self.kind}.pdf"

    def summary(self) -> dict[str, Any]:
        """The notice as the API lists it (a case's timeline, the void answer): no PDF, no code."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "number": self.number,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "state": self.state,
            "state_name": self.state_zh,
            "issued_at": self.issued_at.isoformat(),
            "issued_at_local": format_local(self.issued_at, "%Y-%m-%d %H:%M"),
            "issued_by": self.issued_by,
            "void_reason": self.void_reason,
            "voided_at": self.voided_at.isoformat() if self.voided_at else None,
            "voided_by": self.voided_by,
            "superseded_by_id": self.superseded_by_id,
            "pdf_url": f"/api/v1/notices/{self.id}.pdf",  # exactly these bytes, whatever the state
            "print_url": self.print_url,
            "pdf_sha256": self.pdf_sha256,
        }
