"""Roadside, spot and I站 tests: judge with the limit set of the day, match and store (flush, never
commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from plates import normalize_plate
from remote_sensing import (
    NoLimitSetError,
    Verdict,
    judge_free_acceleration,
    judge_lug_down,
    judge_obd,
    judge_ringelmann,
)
from vehicle_enforce import signals
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.core.schemas import validate
from vehicle_enforce.core.timeutil import local_day
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import (
    INVALID_REASON_ZH,
    ITEM_ZH,
    RoadsideTest,
    StationKind,
    TestKind,
    TestMethod,
    limit_set_zh,
)
from vehicle_enforce.inspections.posting import (
    add_once,
    check_not_future,
    match_posted,
    station_for_post,
    stored_by_key,
    verdict_json,
)
from vehicle_enforce.inspections.rules import RulesBook, region
from vehicle_enforce.inspections.schemas import READINGS, InspectionIn, RoadsideTestIn, TestOut
from vehicle_enforce.reviews import queue as review_queue
from vehicle_enforce.signals import SourceKind, VerdictEvent
from vehicle_enforce.vehicles.models import Owner

# --------------------------------------------------------------------------------------------------
# Roadside, spot and I站 tests


TEST_STATION_KINDS = {
    TestKind.roadside.value: {StationKind.roadside.value, StationKind.remote_sensing.value},
    TestKind.spot_check.value: {StationKind.spot_check.value, StationKind.roadside.value},
    TestKind.inspection.value: {StationKind.inspection.value},
}
TEST_SOURCES: dict[str, SourceKind] = {
    TestKind.roadside.value: "roadside",
    TestKind.spot_check.value: "spot_check",
    TestKind.inspection.value: "inspection",
}


def judge_test(method: str, readings: dict[str, Any], on: datetime) -> Verdict:
    """Judge a test with the limit set in force on its day (GB 3847 methods, OBD check)."""
    rules = RulesBook().on(local_day(on))
    area = region() or None
    try:
        if method == TestMethod.free_acceleration:
            return judge_free_acceleration(readings["k_readings"], rules, on=on, region=area)
        if method == TestMethod.lug_down:
            return judge_lug_down(readings["k"], readings["nox_ppm"], rules, on=on, region=area)
        if method == TestMethod.ringelmann:
            return judge_ringelmann(readings["ringelmann"], rules, on=on, region=area)
        return judge_obd(
            readings["mil_on"], readings.get("fault_codes", []), readings["readiness_ok"], readings["tampering"], rules
        )
    except NoLimitSetError:
        raise Invalid("no limit set is in force on that day", {"tested_at": "no limit set in force"}) from None
    except ValueError as exc:
        raise Invalid(str(exc), {"readings": str(exc)}) from None


def test_json(t: RoadsideTest, *, duplicate: bool = False) -> dict[str, Any]:
    """A test as the API writes it (`TestOut`)."""
    out = TestOut.model_validate(t).model_copy(
        update={"values": t.judged_values, "message": _operator_message(t), "duplicate": duplicate}
    )
    return out.model_dump(mode="json")


def _operator_message(t: RoadsideTest) -> str:

    if t.turn_back:
        items = "、".join(f"{ITEM_ZH.get(e['item'], e['item'])} {e['value']:g} > {e['limit']:g}" for e in t.exceeded)
        return f"不合格，须劝返：{items}（{limit_set_zh(t.limit_set)}）"
    if t.verdict == "invalid":
        return f"检测无效，须重新检测：{'、'.join(INVALID_REASON_ZH.get(r, r) for r in t.invalid_reasons)}"
    return f"合格（{limit_set_zh(t.limit_set)}）"


def record_test(
    data: InspectionIn,
    *,
    actor: Actor,
    photos: Sequence[evidence.Upload] = (),
    plate_read: dict[str, Any] | None = None,
) -> tuple[RoadsideTest, bool]:
    """Judge and store a roadside/spot test (`RoadsideTestIn`) or an I站 result (`InspectionIn`); a
    repeated report number returns the stored test.

    `photos` are kept as the test's evidence; `plate_read` is what the plate reader said when the
    plate came from a photo (the page's read-then-confirm flow).
    """
    kind = data.kind if isinstance(data, RoadsideTestIn) else TestKind.inspection.value
    owner_id = data.owner_id if isinstance(data, RoadsideTestIn) else None
    location = data.location if isinstance(data, RoadsideTestIn) else None
    readings = validate(READINGS[data.method], data.readings, prefix="readings.").model_dump()
    station = station_for_post(data.station, actor, TEST_STATION_KINDS[kind])
    existing = stored_by_key(RoadsideTest, RoadsideTest.report_number, station.id, data.report_number)
    if existing is not None:
        if existing.kind != kind or existing.method != data.method or existing.readings != readings:
            raise Conflict(
                f"report {data.report_number} at {station.code} is already stored with other content",
                {"report_number": "already used for a different test"},
            )
        return existing, True
    check_not_future(data.tested_at, "tested_at")
    if owner_id is not None and db.session.get(Owner, owner_id) is None:
        raise Invalid("unknown owner", {"owner_id": "no such owner"})
    verdict = judge_test(data.method, readings, data.tested_at)
    plate, match, fields = match_posted(data.plate, data.plate_color)
    test = RoadsideTest(
        station_id=station.id,
        report_number=data.report_number,
        kind=kind,
        method=data.method,
        tested_at=data.tested_at,
        plate=plate,
        plate_color=data.plate_color,
        vehicle_id=fields["vehicle_id"],
        match_decision=fields["match_decision"],
        owner_id=owner_id,
        location=location,
        operator=data.operator,
        readings=readings,
        verdict=verdict.verdict,
        limit_set=verdict.limit_set,
        exceeded=verdict_json(verdict),
        invalid_reasons=list(verdict.invalid_reasons),
        judged_values=dict(verdict.values),
        turn_back=verdict.failed,
        note=data.note,
    )
    again = add_once(test, RoadsideTest.report_number)
    if again is not None:  # a concurrent retry stored the same report first: answer with that one
        return again, True
    evidence.store([("roadside_test", test.id, up) for up in photos])
    if review_queue.counts("roadside_test", test.verdict, test.kind):
        confidence = plate_read.get("confidence") if plate_read else None
        confidence = confidence if isinstance(confidence, int | float) else None
        review_queue.queue(review_queue.review_of("roadside_test", test, test.tested_at, match, confidence=confidence))
    details: dict[str, Any] = {
        "station": station.code,
        "report_number": data.report_number,
        "plate": plate,
        "verdict": verdict.verdict,
    }
    if plate_read is not None:  # the operator confirmed or corrected a plate read from the photo
        details["plate_read"] = plate_read
        details["plate_corrected"] = normalize_plate(str(plate_read.get("plate") or "")) != plate
    audit.record(f"{kind}.test", "roadside_test", test.id, details, actor=actor)
    signals.send_record("roadside_test", test.id, test_json(test), station=station.code)
    # A passing test releases a repaired vehicle; one that names it only through a near plate match waits
    # for the person who reviews the match (never a release on a possible misread).
    held = test.verdict == "pass" and test.match_decision == "probable"
    if test.vehicle_id is not None and not held:
        signals.send_verdicts(
            "inspections",
            [
                VerdictEvent(
                    TEST_SOURCES[kind],
                    test.id,
                    test.vehicle_id,
                    test.tested_at,
                    test.verdict,
                    test.verdict != "invalid",
                )
            ],
        )
    return test, False
