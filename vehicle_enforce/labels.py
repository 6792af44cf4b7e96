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


# --- the audit log (审计日志): actions and objects as the admin's viewer shows them -------------------------

AUDIT_OBJECT_ZH = {
    "user": "用户账号",
    "api_token": "接口令牌",
    "county": "县（市、区）",
    "township": "乡镇",
    "station": "检测站点",
    "device": "检测设备",
    "vehicle": "车辆",
    "vehicle_import": "车辆数据导入",
    "owner": "车辆所有人",
    "remote_sensing_pass": "遥感检测记录",
    "roadside_test": "路检/入户抽测",
    "black_smoke_capture": "黑烟抓拍",
    "match_review": "号牌人工核对",
    "blacklist_entry": "黑名单",
    "case": "案件",
    "notice": "通知书",
    "evidence_task": "取证任务",
    "evidence_withdrawal": "证据撤回",
    "repair": "维修记录",
    "rule_change": "规则与限值",
    "calendar_day": "工作日历",
    "calendar_year": "工作日历年度",
    "alert": "重污染天气预警",
    "enterprise_grade": "企业绩效分级",
    "export_record": "数据上报记录",
    "phaseout_action": "国三淘汰记录",
    "phaseout_period": "淘汰任务期",
    "phaseout_quota": "乡镇淘汰任务",
    "phaseout_seen_again_alert": "已淘汰车辆再现",
    "nrmm_machine": "非道路移动机械",
    "nrmm_site": "施工工地",
    "nrmm_sampling_plan": "抽测计划",
    "nrmm_plan_item": "抽测计划条目",
    "nrmm_spot_check": "机械抽测",
    "partition": "数据分区",
    "audit_log": "审计日志",
}

AUDIT_ACTION_ZH = {
    "user.create": "新建用户",
    "user.login": "登录",
    "user.logout": "退出登录",
    "user.login_failed": "登录失败",
    "user.lockout": "登录失败过多被锁定",
    "user.unlock": "解除锁定",
    "user.password_change": "修改密码",
    "user.enable": "启用账号",
    "user.disable": "停用账号",
    "user.county": "调整账号所属县",
    "token.create": "新建接口令牌",
    "token.revoke": "吊销接口令牌",
    "token.county": "调整令牌所属县",
    "county.create": "新增县（市、区）",
    "township.create": "新增乡镇",
    "station.create": "新增检测站点",
    "device.create": "新增检测设备",
    "calibration.set": "登记设备标定",
    "vehicle.create": "登记车辆",
    "vehicle.update": "修改车辆信息",
    "vehicle.import": "导入车辆数据",
    "vehicle.match_confirm": "确认号牌匹配",
    "owner.create": "登记车辆所有人",
    "owner.update": "修改车辆所有人",
    "remote_sensing.store_passes": "接收遥感检测数据",
    "remote_sensing.plate_read": "识别号牌",
    "remote_sensing.plate_read_doubtful": "号牌识别存疑",
    "roadside.test": "录入路检",
    "spot_check.test": "录入入户抽测",
    "black_smoke.capture": "接收黑烟抓拍",
    "black_smoke.confirmed": "确认黑烟超标",
    "black_smoke.rejected": "驳回黑烟抓拍",
    "match_review.open": "提交号牌人工核对",
    "match_review.reread": "重新识别号牌",
    "match_review.confirmed": "确认号牌",
    "match_review.corrected": "更正号牌",
    "match_review.rejected": "驳回号牌核对",
    "blacklist.list": "列入黑名单",
    "blacklist.release": "移出黑名单",
    "blacklist.evidence_confirmed": "确认黑名单证据",
    "evidence.withdraw": "撤回证据",
    "evidence_task.open": "发起取证任务",
    "case.confirm": "案件：确认证据",
    "case.prior_notice": "案件：事先告知",
    "case.serve": "案件：登记送达",
    "case.record_answer": "案件：记录陈述申辩",
    "case.penalize": "案件：录入处罚决定",
    "case.order_repair": "案件：下达维修通知",
    "case.record_repair": "案件：登记维修",
    "case.record_retest": "案件：登记复检结果",
    "case.close_scrapped": "案件：报废/注销结案",
    "notice.issue": "签发通知书",
    "notice.reprint": "补打通知书",
    "notice.supersede": "更正通知书",
    "notice.void": "作废通知书",
    "repair.record": "登记维修",
    "rules.change": "修改规则与限值",
    "rules.withdraw": "撤回规则修改",
    "calendar.set": "设置工作日",
    "calendar.complete": "确认年度工作日历",
    "alert.issue": "发布重污染天气预警",
    "alert.grade": "设置企业绩效分级",
    "export.resend": "重新上报",
    "phaseout.action": "登记国三淘汰",
    "phaseout.period_create": "新建淘汰任务期",
    "phaseout.period_update": "修改淘汰任务期",
    "phaseout.quota_set": "下达乡镇淘汰任务",
    "phaseout.seen_again": "发现已淘汰车辆再现",
    "phaseout.seen_again_handled": "处置已淘汰车辆再现",
    "nrmm.register": "登记非道路机械",
    "nrmm.import": "导入非道路机械",
    "nrmm.site": "登记施工工地",
    "nrmm.plan": "生成抽测计划",
    "nrmm.not_found": "抽测未找到机械",
    "nrmm.spot_check": "录入机械抽测",
    "nrmm.alert_violation": "预警期间违规使用机械",
    "retention.dropped": "删除到期数据分区",
    "retention.detached": "分离到期数据分区",
    "audit.export": "导出审计日志",
}


def audit_action_label(action: str) -> str:
    """An audit action in Chinese; one the table does not name yet as "<its object>操作" (never the code)."""
    if action in AUDIT_ACTION_ZH:
        return AUDIT_ACTION_ZH[action]
    prefix = action.split(".", 1)[0]
    if prefix == "alert":
        return "重污染天气预警操作"
    if prefix == "nrmm":
        return "非道路机械操作"
    return f"{AUDIT_OBJECT_ZH.get(prefix, '其他')}操作"


LABELS["audit_object"] = AUDIT_OBJECT_ZH
