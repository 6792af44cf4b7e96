"""Who has read which department notice: one row per person and notice, written when it is opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model


class NoticeRead(Model):
    """A notice (cases.models.Notice) read by a person: absent = unread. The primary key makes marking
    read twice (a retried request, 全部标为已读 after opening one) a no-op."""

    __tablename__ = "notice_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    notice_id: Mapped[int] = mapped_column(Integer, ForeignKey("notices.id"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(default=now_utc)
