"""Per-item answers of batch requests (passes, hotlist reads, imports), one shape for all.

`{"results": [...]}`, one item per request item in order: `index` (0-based position in the request),
`status` and, when the item was not stored, `error: {"field", "code", "message"}` with the dotted
field path, a machine code and the problem in Chinese. Ingest batches use `created`, `duplicate`
(the same record was stored before: answered from storage), `conflict` (the same key was stored with
other content: nothing changed) and `invalid` (refused: nothing stored).

The HTTP status stations rely on: 201 when any item was created, 200 otherwise, 422 only when every
item is invalid. Stations never re-send `invalid` or `conflict` items: the answer will not change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import orjson

Status = Literal["created", "duplicate", "conflict", "invalid"]
CREATED, DUPLICATE, CONFLICT, INVALID = "created", "duplicate", "conflict", "invalid"

#: Chinese message per machine code; `{detail}` is the English problem when there is one.
MESSAGES: dict[str, str] = {
    "required": "必填",
    "not_a_string": "须为文本",
    "not_a_number": "须为数字",
    "not_finite": "须为有限的数字（不能是 NaN 或无穷大）",
    "not_an_integer": "须为整数",
    "out_of_range": "超出允许范围（{detail}）",
    "too_long": "过长（{detail}）",
    "empty": "不能为空",
    "unknown_field": "未知字段",
    "control_character": "含有不可见的控制字符（如 NUL），请删除后重新提交",
    "bidi_character": "含有改变文字显示方向的字符，请删除后重新提交",
    "bad_time": "时间格式有误（{detail}）",
    "future": "时间晚于当前时间 10 分钟以上",
    "unknown_station": "站点不存在",
    "wrong_station_kind": "该站点不能提交此类记录（{detail}）",
    "unknown_device": "设备不存在",
    "no_limit_set": "该日期没有适用的限值标准",
    "conflict": "该编号已存有内容不同的记录，未作修改",
    "repeats_refused": "与本批次中被拒收的记录重复",
    "invalid": "取值无效（{detail}）",
}

#: English problems of the framework-free readers → machine codes.
_PROBLEM_CODES: tuple[tuple[str, str], ...] = (
    (r"^is required$|^field required$", "required"),
    (r"^must be a string", "not_a_string"),
    (r"^must be a finite number", "not_finite"),
    (r"^must be a number", "not_a_number"),
    (r"^must be an integer", "not_an_integer"),
    (r"^must (be|lie) between", "out_of_range"),
    (r"^must not be empty", "empty"),
    (r"^unknown field", "unknown_field"),
    (r"ISO 8601|UTC offset", "bad_time"),
    (r"in the future", "future"),
    (r"^unknown station", "unknown_station"),
    (r"is not a remote-sensing station", "wrong_station_kind"),
    (r"^unknown device", "unknown_device"),
    (r"no limit set", "no_limit_set"),
    (r"^at most \d+ characters", "too_long"),
    (r"control character", "control_character"),
    (r"bidi character", "bidi_character"),
)


def code_for(problem: str) -> str:
    for pattern, code in _PROBLEM_CODES:
        if re.search(pattern, problem):
            return code
    return "invalid"


def error(field: str, code: str, detail: str = "") -> dict[str, str]:
    """The `error` object of an item: field path, machine code, Chinese message."""
    message = MESSAGES.get(code, MESSAGES["invalid"]).format(detail=detail or code)
    return {"field": field, "code": code, "message": message}


def error_from_problem(field: str, problem: str) -> dict[str, str]:
    """An `error` object from an English problem text (library validators speak English)."""
    return error(field, code_for(problem), problem)


def invalid(index: int, err: Mapping[str, str], **more: Any) -> dict[str, Any]:
    return {"index": index, "status": INVALID, **more, "error": dict(err)}


def http_status(results: Sequence[Mapping[str, Any]]) -> int:
    """201 when any item was created, 422 when every item is invalid, 200 otherwise."""
    statuses = [r.get("status") for r in results]
    if CREATED in statuses:
        return 201
    if statuses and all(s == INVALID for s in statuses):
        return 422
    return 200


def payload_hash(payload: Any) -> str:
    """SHA-256 of a request item's canonical JSON (sorted keys, compact): what `conflict` compares.

    Computed from what the client sent (after parsing), never from the stored row: a later re-read
    of the plate changes the row, not the request, so a true retry still matches.
    """
    text = orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(text).hexdigest()
