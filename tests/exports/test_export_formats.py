"""Export format versions: version 2 (the platform's Chinese fields and codes, integer ids, +08:00, JSON
nested values, a pass's photos, device, plate confidence and match decision) beside version 1, which
keeps its keys; and the one field table, in the code and in docs/export-protocol.md."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pandas as pd
import pytest
import requests
from sqlalchemy import select

from tests.conftest import REPO_ROOT
from tests.exports.test_exports_delivery import configure, drain, receiver, statuses  # noqa: F401 (fixture)
from tests.passes import pass_body
from tools import export_fields
from vehicle_enforce.exports import formats

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Version 1's golden keys: what its readers know; version 2 changes none of them.
V1_BATCH_KEYS = {"protocol", "batch_id", "source", "target", "records"}
V1_RECORD_KEYS = {"idempotency_key", "kind", "object_id", "station", "occurred_at", "payload"}
V1_PASS_PAYLOAD_KEYS = {
    "record_id",
    "plate",
    "plate_color",
    "verdict",
    "exceeded",
    "invalid_reasons",
    "station",
    "measured_at",
    "vehicle_id",
    "values",
}
V1_FILE_COLUMNS = [
    "idempotency_key",
    "station",
    "occurred_at",
    "record_id",
    "plate",
    "plate_color",
    "verdict",
    "exceeded",
    "invalid_reasons",
    "measured_at",
    "vehicle_id",
    "values",
]
V2_NAMES = {f.name for f in formats.FIELDS}
TIME_NAMES = {f.name for f in formats.FIELDS if f.type == "time"}
ID_NAMES = {f.name for f in formats.FIELDS if f.type == "id"}


def test_the_document_holds_the_codes_field_table():
    doc = (REPO_ROOT / "docs" / "export-protocol.md").read_text(encoding="utf-8")
    assert export_fields.with_field_table(doc) == doc, "run `python -m tools.export_fields --write`"
    for field in formats.FIELDS:
        assert f"| `{field.key}` | {field.name} |" in doc


def test_version_is_chosen_per_target():
    assert formats.version_of({}) == 1 and formats.version_of({"format": 2}) == 2
    assert formats.version_of({"format": "2"}) == 2
    with pytest.raises(ValueError, match="format"):
        formats.version_of({"format": 3})


def _walk(value: Any, key: str | None = None) -> Any:
    """(key, value) of every entry of nested mappings."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)


def _check_v2(record: dict[str, Any]) -> None:
    for key, value in _walk(record):
        assert key in V2_NAMES, f"{key} is not a platform field name"
        if key in TIME_NAMES and value is not None:
            assert value.endswith("+08:00"), (key, value)
        if key in ID_NAMES and value is not None:
            assert isinstance(value, int) and not isinstance(value, bool), (key, value)
    assert isinstance(record["记录编号"], int) and record["发生时间"].endswith("+08:00")


@pytest.fixture
def stored_pass(app, client, auth_headers, station_factory):
    """An exceeding pass at JC-RS-01 through its registered device, with a stored photo."""
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import stations

    station_factory("JC-RS-01", "remote_sensing")
    stations.add_device(station="JC-RS-01", code="RSD-01", model="EDAR-3000", actor=actors.system("test"))
    transaction.commit()
    photo = {"name": "plate.jpg", "content_base64": base64.b64encode(b"\xff\xd8\xff\xe0plate").decode()}
    body = pass_body("V2-1", "2019-11-05T10:00:00+08:00", device="RSD-01", opacity_pct=45.0, photos=[photo])
    r = client.post(
        "/api/v1/remote-sensing/passes", json={"passes": [body]}, headers=auth_headers("station", station="JC-RS-01")
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    return r.get_json()["results"][0]["id"]


def _records(kind: str = "remote_sensing_pass") -> list[Any]:
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    return list(
        db.session.scalars(
            select(ExportRecord)
            .where(ExportRecord.target == "provincial", ExportRecord.kind == kind)
            .order_by(ExportRecord.id)
        )
    )


def test_a_pass_in_version_2_and_version_1_unchanged(app, stored_pass):
    from vehicle_enforce.exports import sender

    [record] = _records()
    v1 = sender.batch_body("provincial", [record], 1)
    assert set(v1) == V1_BATCH_KEYS and set(v1["records"][0]) == V1_RECORD_KEYS
    assert set(v1["records"][0]["payload"]) == V1_PASS_PAYLOAD_KEYS  # version 2's additions stay out of v1
    assert v1["records"][0]["object_id"] == str(stored_pass) and v1["records"][0]["payload"]["plate_color"] == "yellow"

    v2 = sender.batch_body("provincial", [record], 2)
    assert v2["协议版本"] == "2" and v2["目标平台"] == "省级平台"
    assert v2["数据来源"] == {"行政区划代码": app.config["REGION_CODE"], "系统名称": "vehicle-enforce"}
    [item] = v2["记录"]
    _check_v2(item)
    data = item["数据"]
    assert item["记录类型"] == "遥感检测" and item["记录编号"] == stored_pass
    assert data["号牌颜色"] == "黄牌" and data["检测结论"] == "超标"
    assert {"项目": "不透光度", "测量值": 45.0, "限值": 30.0} in data["超标项目"]
    assert data["检测时间"] == "2019-11-05T10:00:00+08:00" and data["测量值"]["不透光度（%）"] == 45.0
    assert data["设备编号"] == "RSD-01" and data["设备型号"] == "EDAR-3000"
    assert data["车牌识别置信度"] == 0.95 and data["号牌匹配结果"] in formats.LINK_STATUS_ZH.values()
    [photo] = data["照片"]
    assert (
        photo["文件名"] == "plate.jpg" and len(photo["SHA256"]) == 64 and photo["地址"].startswith("/api/v1/evidence/")
    )


def test_a_version_2_target_is_sent_and_acknowledged(app, stored_pass, receiver):  # noqa: F811
    url, _ = receiver()
    configure(app, url)
    app.config["EXPORT_TARGETS"]["provincial"]["format"] = 2
    drain()
    assert statuses() == {"acknowledged": 1}  # the receiver checked version 2's fields
    assert requests.get(url + "/stats", timeout=5).json()["accepted"] == 1


@pytest.mark.slow
def test_demo_records_in_version_2_files_and_payloads(app, runner, tmp_path):
    """The demo county's records: every field is in the table; files and payloads in version 2."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.demo import load_demo
    from vehicle_enforce.exports import sender

    load_demo(vehicles=300)
    transaction.commit()
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    records = list(db.session.scalars(select(ExportRecord).where(ExportRecord.target == "provincial")))
    kinds = {r.kind for r in records}
    assert {"remote_sensing_pass", "roadside_test", "blacklist_listing", "case_action", "phaseout_action"} <= kinds
    for r in records:
        assert formats.unmapped_keys(r.payload, r.kind) == set(), r.kind
    one_of_each = list({r.kind: r for r in records}.values())
    for item in sender.batch_body("provincial", one_of_each, 2)["记录"]:
        _check_v2(item)

    rs = [r for r in records if r.kind == "remote_sensing_pass" and r.payload["vehicle_id"] is None]
    day = rs[0].due_day.isoformat()
    out2, out1 = tmp_path / "v2", tmp_path / "v1"
    assert runner.invoke(["export", "files", "--date", day, "--out", str(out2), "--format", "2"]).exit_code == 0
    assert runner.invoke(["export", "files", "--date", day, "--out", str(out1)]).exit_code == 0  # the default

    frame = pd.read_csv(out2 / f"{day}_remote_sensing_pass.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(frame.columns) <= V2_NAMES and all(CJK.search(c) for c in frame.columns), list(frame.columns)
    assert frame["记录编号"].str.fullmatch(r"\d+").all()
    assert frame["车辆编号"].str.fullmatch(r"(\d+)?").all()  # ids with gaps stay integers (no "8.0")
    assert frame["发生时间"].str.endswith("+08:00").all() and frame["检测时间"].str.endswith("+08:00").all()
    assert set(frame["号牌颜色"]) <= set(formats.PLATE_COLOR_ZH.values())
    exceeded = [json.loads(cell) for cell in frame["超标项目"]]  # JSON, not Python's repr
    assert any(e and e[0]["项目"] in formats.ITEM_ZH.values() for e in exceeded)
    photos = json.loads(frame["照片"].iloc[0])
    assert photos and photos[0]["文件名"].endswith(".jpg")
    book = pd.read_excel(out2 / f"{day}_remote_sensing_pass.xlsx", dtype=object)
    assert isinstance(book["记录编号"].iloc[0], int)

    v1 = pd.read_csv(out1 / f"{day}_remote_sensing_pass.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(v1.columns) == V1_FILE_COLUMNS  # version 1's columns, as before
    assert v1["exceeded"].str.startswith("[").all() and "'item'" in "".join(v1["exceeded"])  # kept as it was
    assert v1["vehicle_id"].str.fullmatch(r"(\d+)?").all()  # the float-id defect is fixed in v1 too
