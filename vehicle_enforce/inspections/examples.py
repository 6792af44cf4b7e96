"""Examples shown in the API document for the inspections operations (泽州县, Jincheng, Shanxi).

Each is checked against the schemas its operation declares (tests/api/test_openapi_examples.py).
"""

from __future__ import annotations

from typing import Any

PHOTO: dict[str, Any] = {
    "name": "photo_1.jpg",
    "sha256": "9f2c4e1b7a3d5f60c8e2b1a4d7f9036e5c2b8a1d4e7f0a3c6b9d2e5f8a1b4c7d",
    "media_type": "image/jpeg",
    "size": 184_332,
    "url": "/api/v1/evidence/9f2c4e1b7a3d5f60c8e2b1a4d7f9036e5c2b8a1d4e7f0a3c6b9d2e5f8a1b4c7d",
}

EXCEEDED_OPACITY: dict[str, Any] = {"item": "opacity_pct", "value": 38.5, "limit": 30.0}

PASS_IN: dict[str, Any] = {
    "station": "JC-RS-01",
    "record_id": "JC-RS-01-20261120-000187",
    "measured_at": "2026-11-20T09:41:07+08:00",
    "lane": "1",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "plate_confidence": 0.96,
    "fuel": "diesel",
    "speed_kmh": 42.5,
    "accel_ms2": 0.4,
    "vsp_kw_t": 6.8,
    "wind_ms": 1.2,
    "temperature_c": 3.5,
    "humidity_pct": 46.0,
    "pressure_kpa": 90.1,
    "co2_pct": 6.2,
    "co_pct": 0.08,
    "hc_ppm": 64.0,
    "no_ppm": 1320.0,
    "opacity_pct": 38.5,
    "ringelmann": 2,
    "device_valid": True,
    "photos": ["JC-RS-01-20261120-000187_1.jpg"],
}

PASS_RESULT: dict[str, Any] = {
    "index": 0,
    "status": "created",
    "id": 48_213,
    "station": "JC-RS-01",
    "record_id": "JC-RS-01-20261120-000187",
    "measured_at": "2026-11-20T09:41:07+08:00",
    "verdict": "exceed",
    "exceeded": [EXCEEDED_OPACITY],
    "invalid_reasons": [],
    "limit_set": "HJ845-2017 remote sensing",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "plate_status": "matched",
    "vehicle_id": 1_024,
    "match_decision": "exact",
    "duplicate": False,
}

PASS_OUT: dict[str, Any] = {
    **{k: v for k, v in PASS_RESULT.items() if k not in ("index", "status", "duplicate")},
    **{k: PASS_IN[k] for k in ("lane", "plate_confidence", "fuel", "device_valid")},
    **{k: PASS_IN[k] for k in PASS_IN if k.endswith(("_kmh", "_ms2", "_kw_t", "_ms", "_c", "_pct", "_kpa", "_ppm"))},
    "ringelmann": 2,
    "device_verdict": None,
    "photo_names": ["JC-RS-01-20261120-000187_1.jpg"],
    "created_at": "2026-11-20T09:41:09+08:00",
}

ROADSIDE_TEST_IN: dict[str, Any] = {
    "station": "JC-RD-01",
    "report_number": "ZZLJ20261120-0031",
    "kind": "roadside",
    "method": "free_acceleration",
    "tested_at": "2026-11-20T10:15:00+08:00",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "readings": {"k_readings": [1.42, 1.38, 1.45, 1.40]},
    "location": "G207 巴公镇柴油货车联合执法站",
    "operator": "泽州县生态环境局 李明",
    "note": "车辆冒黑烟，现场拦检",
}

TEST_OUT: dict[str, Any] = {
    "id": 3_107,
    **ROADSIDE_TEST_IN,
    "vehicle_id": 1_024,
    "match_decision": "exact",
    "owner_id": None,
    "verdict": "fail",
    "limit_set": "GB3847-2018 limit b",
    "exceeded": [{"item": "k", "value": 1.41, "limit": 0.7}],
    "invalid_reasons": [],
    "values": {"k": 1.41},
    "turn_back": True,
    "message": "不合格，须劝返：光吸收系数 1.41 > 0.7（GB 3847-2018 限值b）",
    "duplicate": False,
}

INSPECTION_IN: dict[str, Any] = {
    "station": "JC-I-01",
    "report_number": "140525-I-20261121-0008",
    "method": "lug_down",
    "tested_at": "2026-11-21T14:05:00+08:00",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "readings": {"k": [0.52, 0.48, 0.50], "nox_ppm": [820.0, 790.0, 805.0]},
    "operator": "泽州县机动车检测站 赵强",
}

INSPECTION_OUT: dict[str, Any] = {
    **TEST_OUT,
    "id": 3_121,
    "station": "JC-I-01",
    "report_number": "140525-I-20261121-0008",
    "kind": "inspection",
    "method": "lug_down",
    "tested_at": "2026-11-21T14:05:00+08:00",
    "location": None,
    "operator": "泽州县机动车检测站 赵强",
    "readings": {"k": [0.52, 0.48, 0.50], "nox_ppm": [820.0, 790.0, 805.0]},
    "verdict": "pass",
    "exceeded": [],
    "values": {"k": 0.52, "nox_ppm": 820.0},
    "turn_back": False,
    "message": "合格（GB 3847-2018 限值b）",
    "note": None,
}

CAPTURE_IN: dict[str, Any] = {
    "station": "JC-RD-01",
    "capture_id": "ZZHY20261120-000412",
    "captured_at": "2026-11-20T07:52:31+08:00",
    "site": "G207 柴油货车联合执法站卡口",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "ringelmann": 3,
    "photos": [{"name": "photo_1.jpg", "content_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQN"}],
}

CAPTURE_OUT: dict[str, Any] = {
    "id": 612,
    "station": "JC-RD-01",
    "capture_id": "ZZHY20261120-000412",
    "captured_at": "2026-11-20T07:52:31+08:00",
    "site": "G207 柴油货车联合执法站卡口",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vehicle_id": 1_024,
    "match_decision": "exact",
    "ringelmann": 3,
    "verdict": "exceed",
    "limit_set": "GB3847-2018 limit b",
    "review_status": "pending",
    "reviewed_by": None,
    "reviewed_at": None,
    "review_note": None,
    "duplicate": False,
}

REVIEW_IN: dict[str, Any] = {"decision": "confirm", "note": "照片清晰，林格曼黑度 3 级，号牌可辨"}

CAPTURE_REVIEWED: dict[str, Any] = {
    **CAPTURE_OUT,
    "review_status": "confirmed",
    "reviewed_by": "泽州县生态环境局 王磊",
    "reviewed_at": "2026-11-20T15:03:12+08:00",
    "review_note": "照片清晰，林格曼黑度 3 级，号牌可辨",
}

REPAIR_IN: dict[str, Any] = {
    "station": "JC-M-01",
    "repair_number": "ZZWX20261125-0003",
    "repaired_at": "2026-11-25T16:30:00+08:00",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "items": ["更换DPF", "清洗喷油器", "更换空气滤清器"],
    "technician": "王师傅",
    "note": "复检前维修",
}

REPAIR_OUT: dict[str, Any] = {
    "id": 87,
    **REPAIR_IN,
    "vehicle_id": 1_024,
    "match_decision": "exact",
    "duplicate": False,
}

RULES_OUT: dict[str, Any] = {
    "on": "2026-11-20",
    "rules": {
        "schema": "vehicle-enforce/remote-sensing-rules",
        "version": 1,
        "blacklist": {"min_exceeding_passes": 2, "window_days": 180, "distinct_days": True},
        "validity": {"remote_sensing": {"ranges": {"speed": {"field": "speed_kmh", "min": 5, "max": 100}}}},
    },
}

RULE_CHANGE_IN: dict[str, Any] = {
    "effective_from": "2026-12-01",
    "document": {"blacklist": {"min_exceeding_passes": 3}},
    "note": "依据泽州县秋冬季攻坚方案，列入门槛调整为三次超标",
}

RULE_CHANGE_OUT: dict[str, Any] = {
    "id": 4,
    **RULE_CHANGE_IN,
    "created_by": "泽州县生态环境局 王磊",
    "created_at": "2026-11-20T02:15:40+00:00",
    "withdrawn_at": None,
    "withdrawn_by": None,
}

RULE_CHANGE_WITHDRAWN: dict[str, Any] = {
    **RULE_CHANGE_OUT,
    "withdrawn_at": "2026-11-22T01:02:03+00:00",
    "withdrawn_by": "泽州县生态环境局 王磊",
}
