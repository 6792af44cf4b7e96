"""The pages' labels: each vocabulary's Chinese labels, by the name templates use (`x | label('fuel')`).

Every vocabulary and its labels are declared once, beside the domain's enum or model; this table only
names them for the `label` template filter, which `create_app` installs.
"""

from __future__ import annotations

from vehicle_enforce.alerts.models import ALERT_ACTION_ZH, ALERT_LEVEL_ZH
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH
from vehicle_enforce.cases.models import CASE_STATE_ZH
from vehicle_enforce.exports.models import EXPORT_KIND_ZH, EXPORT_STATUS_ZH, EXPORT_TARGET_ZH
from vehicle_enforce.inspections.models import (
    INVALID_REASON_ZH,
    ITEM_ZH,
    LIMIT_ITEM_ZH,
    STATION_KIND_ZH,
    TEST_METHOD_ZH,
    VALIDITY_RANGE_ZH,
    VERDICT_ZH,
)
from vehicle_enforce.nrmm.models import MACHINE_TYPE_ZH, NRMM_VIOLATION_ZH, PLAN_ITEM_STATUS_ZH
from vehicle_enforce.phaseout.models import EMISSION_STANDARD_ZH, PHASEOUT_REASON_ZH
from vehicle_enforce.vehicles.matching import LINK_STATUS_ZH
from vehicle_enforce.vehicles.models import FUEL_ZH, PLATE_COLOR_ZH, VEHICLE_STATUS_ZH, VEHICLE_TYPE_ZH

LABELS: dict[str, dict[str, str]] = {
    "verdict": VERDICT_ZH,
    "plate_color": PLATE_COLOR_ZH,
    "department": {str(k): v for k, v in DEPARTMENT_NAMES_ZH.items()},
    "vehicle_type": VEHICLE_TYPE_ZH,
    "fuel": FUEL_ZH,
    "vehicle_status": VEHICLE_STATUS_ZH,
    "match_decision": LINK_STATUS_ZH,
    "case_state": CASE_STATE_ZH,
    "item": ITEM_ZH,
    "invalid_reason": INVALID_REASON_ZH,
    "station_kind": STATION_KIND_ZH,
    "test_method": TEST_METHOD_ZH,
    "limit_item": LIMIT_ITEM_ZH,
    "validity_range": VALIDITY_RANGE_ZH,
    "alert_level": ALERT_LEVEL_ZH,
    "alert_action": ALERT_ACTION_ZH,
    "nrmm_violation": NRMM_VIOLATION_ZH,
    "plan_item_status": PLAN_ITEM_STATUS_ZH,
    "machine_type": MACHINE_TYPE_ZH,
    "export_target": EXPORT_TARGET_ZH,
    "export_kind": EXPORT_KIND_ZH,
    "export_status": EXPORT_STATUS_ZH,
    "phaseout_reason": PHASEOUT_REASON_ZH,
    "emission_standard": EMISSION_STANDARD_ZH,
}


def label(value: object, kind: str) -> str:
    """The Chinese label of a code, or the code itself when it has none (plates, VINs, numbers)."""
    if value is None:
        return ""
    return LABELS.get(kind, {}).get(str(value), str(value))
