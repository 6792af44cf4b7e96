"""The export outbox: one row per record and target, written in the transaction that stores the record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model

BigId = BigInteger().with_variant(Integer, "sqlite")


#: Chinese labels of the export targets, record kinds and states.
EXPORT_TARGET_ZH: dict[str, str] = {
    "provincial": "省级平台",
    "national": "国家超标排放平台",
}

EXPORT_KIND_ZH: dict[str, str] = {
    "remote_sensing_pass": "遥感检测",
    "roadside_test": "路检/抽测",
    "black_smoke_capture": "黑烟抓拍",
    "blacklist_listing": "列入黑名单",
    "blacklist_release": "移出黑名单",
    "case_action": "案件办理",
    "nrmm_registration": "非道路机械登记",
    "nrmm_spot_check": "非道路机械抽测",
    "phaseout_action": "国三淘汰",
}

EXPORT_STATUS_ZH: dict[str, str] = {
    "pending": "待上报",
    "sent": "已发送",
    "acknowledged": "已确认",
    "failed": "上报失败",
    "rejected": "平台拒收",
}


#: The states a sender may claim (without `--retry-failed`); the queue index holds these only.
PROBLEMS = "status IN ('failed', 'rejected')"
QUEUED = "status IN ('pending', 'sent')"


class ExportRecord(Model):
    __tablename__ = "export_records"
    # On PostgreSQL partitioned by month on created_at (core/partitions.py); a unique key there must hold
    # created_at. A record is queued once because it is stored once (its own unique key).
    __table_args__ = (
        UniqueConstraint("target", "idempotency_key", "created_at"),
        Index("ix_export_records_sendable", "target", "status", "next_attempt_at"),
        # The sender's claim (`ORDER BY id LIMIT n`) reads the queue from here, not past every
        # acknowledged record (bench_exports: claims grew with the back-log).
        Index(
            "ix_export_records_queue",
            "target",
            "id",
            postgresql_where=text(QUEUED),
            sqlite_where=text(QUEUED),
        ),
        Index("ix_export_records_due", "due_day", "target"),
        # The export page's records list (failed or rejected by default), in id order: the few records
        # that need a person, not a walk past every acknowledged one.
        Index(
            "ix_export_records_problems",
            "id",
            postgresql_where=text(PROBLEMS),
            sqlite_where=text(PROBLEMS),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(32))
    # Stable per (target, kind, object): the platform counts a re-sent record once.
    idempotency_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime]
    due_day: Mapped[date] = mapped_column(Date)  # Asia/Shanghai day the record became due
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|acknowledged|failed|rejected
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now_utc)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
