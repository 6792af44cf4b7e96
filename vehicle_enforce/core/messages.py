"""The Chinese catalogue: every message a refusal shows, in one place.

Keyed by machine code: the codes of batch item errors (`core/batch.py`), of hidden characters and
lengths (`core/inputs.py`), pydantic's error types for page forms (`core/forms.py`), the error codes of
`core/errors.ServiceError` and the field problems services raise (`page_messages`, used by the one page
error handler, `core.errors.handle_refusal`).
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
    "rules_not_buildable": "规则不合法：按修改后的规则无法判定，请检查限值标准和各项数值",
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
    # A float field's bound comes as 20.0: pages write it as the schema does (不能大于 20).
    ctx = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in (err.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


#: A list page's filters, sorting, paging and export (`core/listing.py`); braces are filled there.
LIST_MESSAGES: dict[str, str] = {
    "choice": "请从列表中选择",
    "date": "日期格式有误，应为 年-月-日（如 2019-11-05）",
    "date_range": "日期超出范围，应在 {first} 至 {last} 之间",
    "too_long": "过长，最多 {n} 个字符",
    "cursor": "翻页位置已失效，请回到第一页",
    "sort": "不能按该列排序",
    "too_many": "符合筛选条件的记录共 {n} 条，超过单次导出上限 {cap} 条，请缩小筛选范围（如缩短日期区间）后再导出。",
}


#: `ServiceError.code` → Chinese, for a refusal that names no field or a field problem not listed below.
CODE_MESSAGES: dict[str, str] = {
    "bad_request": "请求有误，请刷新页面后重试",
    "unauthorized": "请先登录",
    "forbidden": "本部门无权执行此操作",
    "not_found": "记录不存在",
    "conflict": "记录当前的状态不允许此操作，未作修改",
    "payload_too_large": "文件过大",
    "unsupported_media_type": "文件格式不支持",
    "invalid": "填写内容有误",
}

#: A service's field problem → Chinese. Services name each refused field with a short, fixed problem text
#: (what API clients see in `error.fields`); that text is the code. `(field, problem)` when the same
#: problem needs other words on another field, `problem` alone otherwise.
FIELD_PROBLEMS: dict[tuple[str, str] | str, str] = {
    # alerts
    ("level", "blue, yellow, orange or red"): "预警级别须为蓝色、黄色、橙色或红色",
    ("ends_at", "after starts_at"): "结束时间须晚于开始时间",
    ("notice_no", "at most 64 characters"): "通告文号不能超过64个字符",
    ("action", "alert ended"): "该预警已结束或已解除",
    ("ends_at", "later than the current end"): "延长须晚于当前结束时间",
    ("level", "higher than the current level"): "预警级别有误（升级须高于当前级别）",
    ("action", "extend, upgrade or lift"): "未知操作",
    # rules
    ("effective_from", "must be today or later"): "生效日期不能早于今天（已作出的判定不会按新规则重新判定）",
    ("effective_from", "already in force"): "该修改已生效，不能撤回；如需更改请登记新的修改",
    ("document", "is empty"): "修改内容为空",
    # non-road machinery
    ("month", "already planned"): "本月计划已生成",
    ("month", "YYYY-MM"): "月份格式须为 YYYY-MM",
    ("machine_id", "unknown machine"): "机械编号不存在",
    ("pin", "required"): "请填写机械编号或现场查到的PIN",
    ("pin", "already registered"): "该PIN已登记",
    ("rated_power_kw", "required"): "未登记机械须填写额定功率",
    ("site_id", "required"): "须选择本乡镇的工地",
    ("site_id", "unknown site"): "工地不存在",
    ("status", "checked"): "该机械已完成抽测，不能再记为现场未找到",
    # exports
    ("status", "only failed or rejected records are resent"): "只有上报失败或被拒收的记录可以重新上报",
    # blacklist: listing and releasing by hand
    ("plate", "unknown vehicle"): "未找到该号牌和颜色的登记车辆",
    ("vehicle_id", "unknown vehicle"): "未找到该车辆",
    ("vehicle_id", "already listed"): "该车辆已在黑名单中",
    ("entry", "released"): "该记录已解除，无需再次解除",
    # uploads: vehicle files and photos
    ("file", "empty"): "文件为空",
    ("file", "csv or xlsx"): "只能导入 CSV 或 XLSX 文件",
    ("image", "field required"): "请先选择照片",
    ("image", "not a JPEG, PNG, BMP or WebP image"): "只能上传 JPEG、PNG、BMP 或 WebP 格式的照片",
    ("image", "could not be decoded"): "照片无法识别为图像文件",
    ("image", "too many pixels"): "照片像素过多",
    # accounts (the admin's pages)
    ("username", "already taken"): "该登录名已被使用",
    ("township", "unknown township"): "乡镇不存在",
    ("township", "required for township"): "乡镇账号须选择所属乡镇",
    ("station", "required for station"): "站点账号须选择所属站点",
    ("station", "unknown station"): "站点不存在",
    ("county", "unknown county"): "县（市、区）不存在",
    "required": "必填",
    "unknown field": "未知字段",
    # a value another record holds (users, stations, sites, counties)
    "already exists": "已存在",
    "already taken": "已被占用",
}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def chinese_part(text: str) -> str:
    """The Chinese half of a bilingual text (`不存在 / no such record` → `不存在`); other text as it is."""
    head, sep, _tail = text.partition(" / ")
    return head if sep and has_chinese(head) else text


def field_problem(code: str, field: str, problem: str, catalogue_code: str | None = None) -> str:
    """A refused field's problem in Chinese: its catalogue code, its fixed problem text, the service's own
    Chinese words, or the error code's message (never the English text)."""
    if catalogue_code is not None:
        return message(catalogue_code)
    known = FIELD_PROBLEMS.get((field, problem)) or FIELD_PROBLEMS.get(problem)
    if known is not None:
        return known
    if problem.startswith("larger than ") and problem.endswith(" bytes"):
        return f"文件过大（上限 {int(problem.split()[2]) // (1024 * 1024)} MB）"
    if has_chinese(problem):
        return chinese_part(problem)
    return CODE_MESSAGES.get(code, CODE_MESSAGES["invalid"])


def page_messages(exc: Exception) -> tuple[dict[str, str], str | None]:
    """A refusal on a page, in Chinese: (message per field, the message that belongs to no field).

    `exc` is a `core.errors.FormError` (already Chinese) or `ServiceError` (code, fields, and codes
    for problems whose text is not fixed).
    """
    fields = dict(getattr(exc, "fields", {}) or {})
    code = getattr(exc, "code", None)
    if code is None:  # a FormError: the page's own Chinese words
        return fields, None if fields else str(exc)
    codes = getattr(exc, "codes", {}) or {}
    zh = {name: field_problem(code, name, str(problem), codes.get(name)) for name, problem in fields.items()}
    text = str(getattr(exc, "message", "") or "")
    if has_chinese(text):
        return zh, chinese_part(text)
    return zh, None if zh else CODE_MESSAGES.get(code, CODE_MESSAGES["invalid"])


#: The error pages a browser is shown (`core.errors.error_page`; the API answers JSON): HTTP status (or
#: "csrf" for a form whose CSRF token is missing or expired) → (title, what happened and what to do).
#: A missing record and a record outside the viewer's department, county or township read the same.
ERROR_PAGES: dict[int | str, tuple[str, str]] = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页检查后重新提交。"),
    "csrf": (
        "页面已过期",
        "表单已过期或无法确认来自本系统（页面打开太久，或已在别处退出登录）。请返回上一页，刷新后重新提交。",
    ),
    401: ("请先登录", "此页面须登录后使用。"),
    403: ("无权访问", "您所在的部门无权使用此页面。如需办理，请联系相关部门或系统管理员。"),
    404: ("不存在", "您要找的页面或记录不存在。请检查地址，或从菜单进入。"),
    405: ("不支持此操作", "此地址不接受这种请求方式，请从页面上的按钮或菜单进入。"),
    409: ("无法办理", "记录当前的状态不允许此操作，未作修改。"),
    413: ("上传的内容过大", "上传的文件或提交的内容超过允许的大小（上限 {limit} MB），请拆分后分批上传。"),
    415: ("文件格式不支持", "请上传本页面说明的文件格式。"),
    422: ("填写内容有误", "请返回上一页检查后重新提交。"),
    429: ("请求过于频繁", "请稍后再试。"),
    500: (
        "服务器内部错误",
        "系统处理时出错，已记录在日志中，未作修改。请稍后重试；如仍出错，请联系系统管理员并告知编号 {request_id}。",
    ),
}
