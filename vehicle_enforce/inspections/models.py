"""Stations and devices, remote-sensing passes, roadside/spot/I站 tests, black-smoke captures, repairs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model

# Passes are the high-volume table: 64-bit ids on PostgreSQL, SQLite needs INTEGER for its rowid alias.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Withdrawable:
    """A device record that environment may withdraw as evidence (a device later found faulty): it stays
    stored and shown, with the flag, the reason and the time, and counts toward nothing."""

    withdrawal: EvidenceWithdrawal | None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawal is not None

    @property
    def withdrawn_reason(self) -> str | None:
        return self.withdrawal.reason if self.withdrawal is not None else None

    @property
    def withdrawn_at(self) -> datetime | None:
        return self.withdrawal.created_at if self.withdrawal is not None else None


class StationKind(enum.StrEnum):
    remote_sensing = "remote_sensing"
    roadside = "roadside"
    spot_check = "spot_check"
    inspection = "inspection"  # periodic inspection station (I站)
    repair = "repair"  # accredited repair station (M站)
    black_smoke = "black_smoke"  # black-smoke camera site (黑烟抓拍)


class PlateStatus(enum.StrEnum):
    matched = "matched"  # linked to a registered vehicle (exact or probable read)
    ambiguous = "ambiguous"  # several vehicles fit the read: left unlinked, flagged for review
    unregistered = "unregistered"  # a readable plate that names no registered vehicle
    pending = "pending"  # plate unread (or read below the confidence threshold): counts toward nothing yet


class TestKind(enum.StrEnum):
    roadside = "roadside"  # 路检
    spot_check = "spot_check"  # 入户抽测 at a fleet depot
    inspection = "inspection"  # periodic inspection / retest at an I站


class TestMethod(enum.StrEnum):
    free_acceleration = "free_acceleration"
    lug_down = "lug_down"
    ringelmann = "ringelmann"
    obd = "obd"


class ReviewStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"


#: Chinese labels of the inspection vocabularies (pages, listing reasons, the rules page).
VERDICT_ZH: dict[str, str] = {
    "pass": "合格",
    "exceed": "超标",
    "invalid": "无效",
}

#: Measured items by name.
ITEM_ZH: dict[str, str] = {
    "opacity": "不透光度",
    "ringelmann": "林格曼黑度",
    "no": "NO",
    "k": "光吸收系数",
    "k_mean": "光吸收系数",
    "nox": "NOx",
    "nox_ppm": "NOx",
    "obd": "OBD",
    "mil": "故障指示灯",
    "tampering": "篡改",
    "readiness": "就绪状态",
}

#: Units of the measured items (listing reasons, the rules page).
ITEM_UNITS: dict[str, str] = {
    "opacity": "%",
    "ringelmann": "级",
    "no": "ppm",
    "k": "m⁻¹",
    "k_mean": "m⁻¹",
    "nox": "ppm",
    "nox_ppm": "ppm",
}
#: A limit on the rules page: the item with its unit (光吸收系数 k（m⁻¹）).
LIMIT_ITEM_ZH: dict[str, str] = {
    code: f"{'光吸收系数 k' if code == 'k' else ITEM_ZH[code]}（{ITEM_UNITS[code]}）"
    for code in ("k", "nox_ppm", "ringelmann", "opacity", "no")
}

#: Why a pass is invalid.
INVALID_REASON_ZH: dict[str, str] = {
    "implausible": "测量值超出物理范围（仪器故障或单位错误）",
    "speed": "车速超出范围",
    "acceleration": "加速度超出范围",
    "vsp": "比功率超出范围",
    "wind": "风速过大",
    "co2": "CO2浓度过低",
    "device": "设备判定无效",
    "calibration": "设备校准过期",
    "readiness": "就绪状态未完成",
}

STATION_KIND_ZH: dict[str, str] = {
    "remote_sensing": "遥感监测",
    "roadside": "路检",
    "spot_check": "入户抽测",
    "inspection": "检测站（I站）",
    "repair": "维修站（M站）",
}

TEST_METHOD_ZH: dict[str, str] = {
    "free_acceleration": "自由加速法",
    "lug_down": "加载减速法",
    "ringelmann": "林格曼黑度法",
    "remote_sensing": "遥感检测",
}

#: The validity ranges of a remote-sensing pass, with units.
VALIDITY_RANGE_ZH: dict[str, str] = {
    "speed": "车速（km/h）",
    "acceleration": "加速度（m/s²）",
    "vsp": "比功率（kW/t）",
    "wind": "风速（m/s）",
    "co2": "CO2浓度（%）",
}


def limit_set_zh(name: str | None) -> str:
    """`GB3847-2018 limit b` -> `GB 3847-2018 限值b`; HJ 845 remote-sensing sets likewise."""
    if not name:
        return ""
    text = name.replace("GB3847", "GB 3847").replace("GB36886", "GB 36886").replace("HJ845", "HJ 845")
    return text.replace(" limit a", " 限值a").replace(" limit b", " 限值b").replace(" remote sensing", " 遥感限值")


class Station(Model):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    # The county the station stands in (its township's; None: not placed in a county yet). Its records
    # are city-wide; the county of a case its record opens follows from it (`cases.services`).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    location: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    calibration_valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    township: Mapped[Township | None] = relationship()
    devices: Mapped[list[Device]] = relationship(back_populates="station")


class Device(Model):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("station_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    code: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    calibration_valid_until: Mapped[date | None] = mapped_column(Date)

    station: Mapped[Station] = relationship(back_populates="devices")


class EvidenceFile(Model):
    """A photo or video stored once on disk under EVIDENCE_PATH, addressed by its SHA-256."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class EvidenceLink(Model):
    """Which record an evidence file belongs to, under the name the sender gave it."""

    __tablename__ = "evidence_links"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id", "name"),
        Index("ix_evidence_links_file", "evidence_file_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32))  # remote_sensing_pass | black_smoke_capture | ...
    object_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    evidence_file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))

    file: Mapped[EvidenceFile] = relationship()


class RemoteSensingPass(Withdrawable, Model):
    """One vehicle pass through a remote-sensing site with its verdict (HJ 845-2017 record)."""

    __tablename__ = "remote_sensing_passes"
    # On PostgreSQL partitioned by month on measured_at (core/partitions.py), its primary key there is
    # (id, measured_at). The device's own record id is unique per station through `pass_keys` (a
    # partitioned table cannot hold a unique key without its time column); the id comes from there.
    __table_args__ = (
        Index("ix_remote_sensing_passes_vehicle_measured", "vehicle_id", "measured_at"),
        # The listing rule reads a vehicle's exceedances of the last 180 days: from this index alone, not
        # from every pass of the vehicle in the window (bench_history: its time grew with the history).
        Index(
            "ix_remote_sensing_passes_exceeding",
            "vehicle_id",
            "measured_at",
            postgresql_where=text("verdict = 'exceed'"),
            sqlite_where=text("verdict = 'exceed'"),
        ),
        Index("ix_remote_sensing_passes_measured_at", "measured_at"),
        Index("ix_remote_sensing_passes_plate", "plate", "plate_color"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)  # pass_keys.id
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    record_id: Mapped[str] = mapped_column(String(64))
    measured_at: Mapped[datetime]
    lane: Mapped[str | None] = mapped_column(String(16))
    plate: Mapped[str] = mapped_column(String(16), default="")
    plate_color: Mapped[str] = mapped_column(String(16), default="unknown")
    plate_confidence: Mapped[float | None] = mapped_column(Float)
    plate_status: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    match_decision: Mapped[str] = mapped_column(String(16))
    fuel: Mapped[str | None] = mapped_column(String(16))
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    accel_ms2: Mapped[float | None] = mapped_column(Float)
    vsp_kw_t: Mapped[float | None] = mapped_column(Float)
    wind_ms: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    humidity_pct: Mapped[float | None] = mapped_column(Float)
    pressure_kpa: Mapped[float | None] = mapped_column(Float)
    co2_pct: Mapped[float | None] = mapped_column(Float)
    co_pct: Mapped[float | None] = mapped_column(Float)
    hc_ppm: Mapped[float | None] = mapped_column(Float)
    no_ppm: Mapped[float | None] = mapped_column(Float)
    opacity_pct: Mapped[float | None] = mapped_column(Float)
    ringelmann: Mapped[int | None] = mapped_column(SmallInteger)
    device_valid: Mapped[bool | None] = mapped_column(Boolean)
    device_verdict: Mapped[str | None] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))  # pass | exceed | invalid
    limit_set: Mapped[str | None] = mapped_column(String(64))
    exceeded: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"item", "value", "limit"}]
    invalid_reasons: Mapped[list[str]] = mapped_column(JSON)
    # File names the vendor gave (plate photo, plume photo, video); bytes, when sent, are evidence_links.
    photo_names: Mapped[list[str]] = mapped_column(JSON)
    # SHA-256 of the request item as posted (core/batch.payload_hash): a re-send with other content
    # under the same record id is a conflict, not a duplicate. Null for passes stored before it existed.
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    station: Mapped[Station] = relationship()
    # Passes are withdrawn through their own table (ingest writes passes by COPY, never updates them).
    withdrawal: Mapped[EvidenceWithdrawal | None] = relationship(
        secondary="withdrawn_passes",
        primaryjoin="RemoteSensingPass.id == foreign(WithdrawnPass.pass_id)",
        secondaryjoin="EvidenceWithdrawal.id == foreign(WithdrawnPass.withdrawal_id)",
        viewonly=True,
        lazy="selectin",
    )


class RoadsideTest(Withdrawable, Model):
    """A roadside (路检), depot spot (入户抽测) or I站 inspection test of one vehicle."""

    __tablename__ = "roadside_tests"
    __table_args__ = (
        UniqueConstraint("station_id", "report_number"),
        Index("ix_roadside_tests_vehicle_tested", "vehicle_id", "tested_at"),
        Index("ix_roadside_tests_tested_at", "tested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    report_number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # TestKind
    method: Mapped[str] = mapped_column(String(32))  # TestMethod
    tested_at: Mapped[datetime]
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    match_decision: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"))  # the fleet visited in a spot test
    location: Mapped[str | None] = mapped_column(String(256))
    operator: Mapped[str | None] = mapped_column(String(128))
    readings: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(16))  # pass | exceed | fail | invalid
    limit_set: Mapped[str | None] = mapped_column(String(64))
    exceeded: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    invalid_reasons: Mapped[list[str]] = mapped_column(JSON)
    judged_values: Mapped[dict[str, float]] = mapped_column(JSON)  # e.g. mean k of the last three cycles
    turn_back: Mapped[bool] = mapped_column(Boolean)  # 劝返: the operator must turn the vehicle back
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_withdrawals.id"))  # withdrawn as evidence

    station: Mapped[Station] = relationship()
    withdrawal: Mapped[EvidenceWithdrawal | None] = relationship(lazy="selectin")


class BlackSmokeCapture(Withdrawable, Model):
    """A black-smoke camera hit; it counts as an exceedance only after an officer confirms it."""

    __tablename__ = "black_smoke_captures"
    __table_args__ = (
        UniqueConstraint("station_id", "capture_id"),
        Index("ix_black_smoke_captures_review", "review_status", "id"),
        Index("ix_black_smoke_captures_vehicle_captured", "vehicle_id", "captured_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    capture_id: Mapped[str] = mapped_column(String(64))  # the camera's own id for the hit
    captured_at: Mapped[datetime]
    site: Mapped[str | None] = mapped_column(String(256))
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    match_decision: Mapped[str] = mapped_column(String(16))
    ringelmann: Mapped[int] = mapped_column(SmallInteger)
    verdict: Mapped[str] = mapped_column(String(16))  # the camera grade judged against the Ringelmann limit
    limit_set: Mapped[str | None] = mapped_column(String(64))
    review_status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.pending.value)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))  # as on remote_sensing_passes
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_withdrawals.id"))  # withdrawn as evidence

    station: Mapped[Station] = relationship()
    withdrawal: Mapped[EvidenceWithdrawal | None] = relationship(lazy="selectin")


class Repair(Withdrawable, Model):
    """A repair done at an accredited repair station (M站), posted by that station."""

    __tablename__ = "repairs"
    __table_args__ = (
        UniqueConstraint("station_id", "repair_number"),
        Index("ix_repairs_vehicle_repaired", "vehicle_id", "repaired_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    repair_number: Mapped[str] = mapped_column(String(64))
    repaired_at: Mapped[datetime]
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    match_decision: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[str]] = mapped_column(JSON)  # work done, e.g. ["DPF replaced", "injector cleaned"]
    technician: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))  # as on remote_sensing_passes
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_withdrawals.id"))  # withdrawn as evidence

    station: Mapped[Station] = relationship()
    withdrawal: Mapped[EvidenceWithdrawal | None] = relationship(lazy="selectin")


class RuleChange(Model):
    """An environment-department change to limits, validity ranges or the listing rule, dated.

    `document` is a `remote_sensing.load_rules` override; the rules in force on a day are the defaults
    with every change effective by that day (and not withdrawn) merged over them in (effective_from,
    id) order.
    """

    __tablename__ = "rule_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # A change withdrawn before it took effect stays listed (who, when) but never applies.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))


class EvidenceWithdrawal(Model):
    """Environment withdrew a station's (or one device's) records over a period (e.g. a failed calibration):
    passes through `withdrawn_passes`, roadside/I站 tests, black-smoke captures and M站 repairs by their
    `withdrawal_id`."""

    __tablename__ = "evidence_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    since: Mapped[datetime]
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)  # passes, released entries, tasks opened


class PassKey(Model):
    """The identity of a stored pass, unpartitioned: (station, device record id) is unique whatever month
    the pass is in, so a re-sent record is a duplicate (same payload hash) or a conflict (another one)
    in any month. Written first when a pass is stored (its id becomes the pass's id); what refers to a
    pass by key (withdrawn passes) refers here."""

    __tablename__ = "pass_keys"
    __table_args__ = (UniqueConstraint("station_id", "record_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    record_id: Mapped[str] = mapped_column(String(64))
    measured_at: Mapped[datetime]  # where the pass is: its partition
    payload_sha256: Mapped[str | None] = mapped_column(String(64))


class WithdrawnPass(Model):
    """A pass withdrawn as evidence: it stays stored and judged, and counts toward no listing."""

    __tablename__ = "withdrawn_passes"

    pass_id: Mapped[int] = mapped_column(BigId, ForeignKey("pass_keys.id"), primary_key=True)
    withdrawal_id: Mapped[int] = mapped_column(ForeignKey("evidence_withdrawals.id"), index=True)
