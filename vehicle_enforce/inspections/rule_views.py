"""Rule and limit settings page: the limits, validity ranges and listing rule in force, and dated changes.

Every department that may read the rules through the API may read this page; only the environment
department gets the change forms and may post them. Each form posts one section as a rules override
to `rules.change_rules`, which validates it, refuses past dates and writes the audit entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import rules
from vehicle_enforce.inspections.models import RuleChange
from vehicle_enforce.inspections.schemas import RuleChangeIn

bp = Blueprint("rule_pages", __name__, url_prefix="/ops/rules")
READERS = (D.environment, D.police, D.transport, D.township, D.station)
SECTIONS = {"limits": "排放限值", "validity": "遥感有效性范围", "listing": "黑名单列入规则"}


@bp.get("/")
@page_access(*READERS)
def settings() -> Any:
    today = local_day(now_utc())
    try:
        day = date.fromisoformat(request.args["on"]) if request.args.get("on") else today
    except ValueError:
        day = today
    principal = current_principal()
    changes = db.session.scalars(select(RuleChange).order_by(RuleChange.id.desc()).limit(50)).all()
    return render_template(
        "rules/settings.html",
        day=day,
        today=today,
        rules=rules.current_document(day),
        changes=[
            {**rules.change_json(c), "sections": _sections_of(c.document), "created": format_local(c.created_at)}
            for c in changes
        ],
        can_change=principal is not None and principal.department in (D.environment, D.admin),
    )


@bp.post("/changes")
@page_access(D.environment)
@refused_redraws(
    settings, "修改未保存", {"effective_from": "生效日期", "reason": "修改原因", "note": "修改原因", "document": "规则"}
)
def change() -> Any:
    principal = current_principal()
    assert principal is not None
    form = request.form
    section = form.get("section", "")
    reason = form.get("reason", "").strip()
    if section not in SECTIONS:
        raise field_refused("section", "未知的设置项", "设置项")
    if not reason:
        raise field_refused("reason", "请填写修改原因", "修改原因")
    try:
        effective_from = date.fromisoformat(form.get("effective_from", ""))
    except ValueError:
        raise field_refused("effective_from", "请填写生效日期", "生效日期") from None
    data = parse_form(
        RuleChangeIn,
        {"effective_from": effective_from, "document": PARSERS[section](form), "note": reason},
        {"effective_from": "生效日期", "document": "规则", "note": "修改原因"},
    )
    rules.change_rules(data, actor=principal)
    flash(f"已保存{SECTIONS[section]}的修改，自 {effective_from.isoformat()} 起生效", "info")
    return redirect(url_for("rule_pages.settings", on=effective_from.isoformat()))


@bp.post("/changes/<int:change_id>/withdraw")
@page_access(D.environment)
@refused_redraws(settings, "撤回未完成", {"effective_from": "生效日期"})
def withdraw(change_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    change = rules.withdraw_change(change_id, actor=principal)
    flash(f"已撤回自 {change.effective_from.isoformat()} 起生效的修改", "info")
    return redirect(url_for("rule_pages.settings"))


def _number(field: str, value: str | None, *, blank: bool = False) -> float | int | None:
    text = (value or "").strip()
    if not text:
        if blank:
            return None
        raise field_refused(field, "数值不能为空")
    try:
        number = float(text)
    except ValueError:
        raise field_refused(field, f"“{text}”不是数字") from None
    return int(number) if number.is_integer() and "." not in text else number


def _limits(form: MultiDict[str, str]) -> dict[str, Any]:
    """`limit|<method>|<item>` fields of one limit set → {"limit_sets": [{"name", "limits"}]}."""
    limits: dict[str, dict[str, Any]] = {}
    for key, value in form.items():
        if key.startswith("limit|"):
            _, method, item = key.split("|", 2)
            limits.setdefault(method, {})[item] = _number(key, value)
    name = form.get("set_name", "")
    if not name or not limits:
        raise field_refused("set_name", "请选择限值标准并填写限值", "限值标准")
    return {"limit_sets": [{"name": name, "limits": limits}]}


def _validity(form: MultiDict[str, str]) -> dict[str, Any]:
    """`range|<name>|min|max` fields → remote-sensing validity ranges (blank = no bound)."""
    ranges: dict[str, dict[str, Any]] = {}
    for key, value in form.items():
        if key.startswith("range|"):
            _, name, bound = key.split("|", 2)
            if bound not in ("min", "max"):
                raise field_refused(key, "未知的范围字段")
            ranges.setdefault(name, {})[bound] = _number(key, value, blank=True)
    if not ranges:
        raise field_refused("ranges", "请填写有效性范围", "有效性范围")
    return {"validity": {"remote_sensing": {"ranges": ranges}}}


def _listing(form: MultiDict[str, str]) -> dict[str, Any]:
    passes = _number("min_exceeding_passes", form.get("min_exceeding_passes"))
    days = _number("window_days", form.get("window_days"))
    if not isinstance(passes, int):
        raise field_refused("min_exceeding_passes", "次数须为整数", "超标次数")
    if not isinstance(days, int):
        raise field_refused("window_days", "天数须为整数", "统计天数")
    return {
        "blacklist": {
            "min_exceeding_passes": passes,
            "window_days": days,
            "distinct_days": form.get("distinct_days") == "1",
            "roadside_fail_lists": form.get("roadside_fail_lists") == "1",
        }
    }


PARSERS = {"limits": _limits, "validity": _validity, "listing": _listing}


def _sections_of(document: dict[str, Any]) -> list[str]:
    names = {"limit_sets": "排放限值", "nrmm": "非道路机械限值", "validity": "遥感有效性范围"}
    names |= {"blacklist": "黑名单列入规则", "obd": "OBD判定"}
    return [names.get(key, key) for key in document]
