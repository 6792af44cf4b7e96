"""Chinese labels for the codes the pages show (verdicts, colours, states, departments...)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "verdict": {"pass": "合格", "exceed": "超标", "invalid": "无效"},
    "plate_color": {
        "blue": "蓝牌",
        "yellow": "黄牌",
        "green": "绿牌",
        "yellow_green": "黄绿牌",
        "white": "白牌",
        "black": "黑牌",
        "unknown": "未知",
    },
    "department": {
        "environment": "生态环境",
        "police": "公安交管",
        "transport": "交通运输",
        "housing": "住房和城乡建设",
        "township": "乡镇政府",
        "station": "检测站点",
        "admin": "系统管理",
    },
    "vehicle_type": {
        "heavy_truck": "重型货车",
        "medium_truck": "中型货车",
        "light_truck": "轻型货车",
        "tractor": "牵引车",
        "trailer": "挂车",
        "bus": "公交车",
        "coach": "教练车",
        "car": "小型汽车",
        "special": "专项作业车",
    },
    "fuel": {
        "diesel": "柴油",
        "gasoline": "汽油",
        "natural_gas": "天然气",
        "lpg": "液化石油气",
        "hybrid": "混合动力",
        "electric": "纯电动",
        "other": "其他",
    },
    "vehicle_status": {"active": "在用", "scrapped": "已报废", "deregistered": "已注销", "transferred_out": "已转出"},
    "match_decision": {"exact": "精确匹配", "probable": "疑似匹配", "ambiguous": "待人工确认", "none": "未匹配"},
    "case_state": {
        "detected": "待确认",
        "confirmed": "待处罚",
        "penalized": "待下达维修",
        "repair_ordered": "维修中",
        "repaired": "待复检",
        "closed_released": "已结案（解除）",
        "closed_scrapped": "已结案（报废）",
    },
    "item": {
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
    },
    "invalid_reason": {
        "implausible": "测量值超出物理范围（仪器故障或单位错误）",
        "speed": "车速超出范围",
        "acceleration": "加速度超出范围",
        "vsp": "比功率超出范围",
        "wind": "风速过大",
        "co2": "CO2浓度过低",
        "device": "设备判定无效",
        "calibration": "设备校准过期",
        "readiness": "就绪状态未完成",
    },
    "station_kind": {
        "remote_sensing": "遥感监测",
        "roadside": "路检",
        "spot_check": "入户抽测",
        "inspection": "检测站（I站）",
        "repair": "维修站（M站）",
    },
    "test_method": {
        "free_acceleration": "自由加速法",
        "lug_down": "加载减速法",
        "ringelmann": "林格曼黑度法",
        "remote_sensing": "遥感检测",
    },
    "limit_item": {
        "k": "光吸收系数 k（m⁻¹）",
        "nox_ppm": "NOx（ppm）",
        "ringelmann": "林格曼黑度（级）",
        "opacity": "不透光度（%）",
        "no": "NO（ppm）",
    },
    "validity_range": {
        "speed": "车速（km/h）",
        "acceleration": "加速度（m/s²）",
        "vsp": "比功率（kW/t）",
        "wind": "风速（m/s）",
        "co2": "CO2浓度（%）",
    },
    "alert_level": {"blue": "蓝色预警", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"},
    "alert_action": {"issue": "发布", "extend": "延长", "upgrade": "升级", "lift": "解除"},
    "nrmm_violation": {
        "exceeding": "排放超标",
        "black_smoke": "冒黑烟",
        "unregistered": "未登记编码",
        "below_zone_stage": "低于禁用区排放阶段要求",
        "alert_stage_stop": "重污染天气预警期间违规使用停用阶段机械",
    },
    "plan_item_status": {"pending": "待检", "checked": "已检", "not_found": "未找到"},
    "export_target": {"provincial": "省级平台", "national": "国家超标排放平台"},
    "export_kind": {
        "remote_sensing_pass": "遥感检测",
        "roadside_test": "路检/抽测",
        "black_smoke_capture": "黑烟抓拍",
        "blacklist_listing": "列入黑名单",
        "blacklist_release": "移出黑名单",
        "case_action": "案件办理",
        "nrmm_registration": "非道路机械登记",
        "nrmm_spot_check": "非道路机械抽测",
        "phaseout_action": "国三淘汰",
    },
    "export_status": {
        "pending": "待上报",
        "sent": "已发送",
        "acknowledged": "已确认",
        "failed": "上报失败",
        "rejected": "平台拒收",
    },
}


def label(value: object, kind: str) -> str:
    """The Chinese label of a code, or the code itself when it has none (plates, VINs, numbers)."""
    if value is None:
        return ""
    return LABELS.get(kind, {}).get(str(value), str(value))


def emission_standard(value: int | None) -> str:
    return "未知" if value is None else f"国{'〇一二三四五六'[value]}" if 0 <= value <= 6 else str(value)


def limit_set(name: str | None) -> str:
    """`GB3847-2018 limit b` → `GB 3847-2018 限值b`; HJ 845 remote-sensing sets likewise."""
    if not name:
        return ""
    text = name.replace("GB3847", "GB 3847").replace("GB36886", "GB 36886").replace("HJ845", "HJ 845")
    return text.replace(" limit a", " 限值a").replace(" limit b", " 限值b").replace(" remote sensing", " 遥感限值")
