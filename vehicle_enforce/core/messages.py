"""Chinese messages for refused input, in one place (until the error catalogue replaces them).

Keyed by machine code: the codes of batch item errors (`core/batch.py`), of hidden characters and
lengths (`core/inputs.py`), and pydantic's error types for page forms (`core/forms.py`).
"""

from __future__ import annotations

from typing import Any

#: Machine code → Chinese message; `{detail}` is the English problem (or a bound) when there is one.
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

#: pydantic error type → Chinese message (page forms); `ctx` values fill the braces.
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "过长，最多 {max_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "须小于 {lt}",
    "finite_number": "须为有限的数字（不能是 NaN 或无穷大）",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "bool_parsing": "须为是或否",
    "date_parsing": "日期格式有误",
    "date_from_datetime_parsing": "日期格式有误",
    "datetime_parsing": "时间格式有误",
    "datetime_from_date_parsing": "时间格式有误",
    "timezone_aware": "时间须带时区",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "string_pattern_mismatch": "格式有误",
    "value_error": "取值有误",
    "extra_forbidden": "未知字段",
    "plate_invalid": "号牌有误：{zh}",
}


def message(code: str, detail: str = "") -> str:
    return MESSAGES.get(code, MESSAGES["invalid"]).format(detail=detail or code)


def pydantic_message(err: dict[str, Any]) -> str:
    """A pydantic error in Chinese (its English text in brackets when the type is not known)."""
    template = PYDANTIC_MESSAGES.get(err["type"])
    if template is None:
        return f"取值有误（{err['msg']}）"
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return template
