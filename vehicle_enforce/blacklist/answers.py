"""What a hotlist answer tells the officer to do: the one table of situation → action, severity, words.

Every hotlist answer (single check, batch item, police page) takes its `action`, `severity` and
`action_zh` from SITUATIONS; the README table, the OpenAPI description of the check routes and the
police page's legend are generated from it (`markdown_table`, `openapi_description`). Several
situations can apply to one read (a listed truck under a road restriction, say): the answer takes the
strictest action (ACTION_ORDER) and lists every situation that applied.

`severity` (0–3) lets a checkpoint system that does not know a newer `action` still act: 3 stop the
vehicle (police act now), 2 stop and check before anything else, 1 let it go but record or advise,
0 nothing. The four actions clients knew before this table (`stop_and_penalize`, `verify_plate`,
`turn_back`, `none`) keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Strictest first. An answer's action is the first of these that any applying situation gives.
ACTION_ORDER = (
    "stop_and_penalize",
    "stop_and_check",
    "verify_plate",
    "turn_back",
    "record_and_report",
    "advise_restriction",
    "none",
)

SEVERITY_ZH = {3: "拦截", 2: "拦停核查", 1: "记录或提示后放行", 0: "无需处理"}


@dataclass(frozen=True)
class Situation:
    code: str
    when_zh: str  # the situation, in the words the police page shows
    when: str  # the same for developers (README, OpenAPI)
    action: str
    severity: int
    action_zh: str  # what the officer does now


SITUATIONS: tuple[Situation, ...] = (
    Situation(
        "case_police_act",
        "黑名单车辆（号牌精确匹配），案件已确认待处罚",
        "listed vehicle, exact read, case `confirmed` (police penalise)",
        "stop_and_penalize",
        3,
        "拦截检查，移交处罚",
    ),
    Situation(
        "road_restriction",
        "重污染天气预警期间，车辆属道路限行范围（有预警通告文号）",
        "heavy-pollution road restriction applies (`road_restriction: true`, with the alert's notice number)",
        "stop_and_penalize",
        3,
        "拦截检查，依预警通告处罚违反限行规定的车辆",
    ),
    Situation(
        "seen_again",
        "登记为已报废或已注销的车辆仍在行驶",
        "the registry holds the vehicle as scrapped or deregistered (seen-again alert raised)",
        "stop_and_check",
        3,
        "拦截检查：该车登记为已报废/已注销，核对车辆与证件，依法处理并告知环保和车管部门",
    ),
    Situation(
        "probable_hit",
        "疑似黑名单车辆（号牌可能误识别）",
        "listed vehicle, probable read (a known OCR confusion away)",
        "verify_plate",
        2,
        "疑似号牌误识别，请核对号牌后处理",
    ),
    Situation(
        "colour_differs",
        "同号码、不同颜色的号牌在黑名单中，本颜色无登记车辆",
        "the same characters are listed under another colour and no vehicle of the read colour matches",
        "verify_plate",
        2,
        "号牌颜色与黑名单车辆不同，请核对号牌颜色和号码后处理",
    ),
    Situation(
        "ambiguous_listed",
        "识别结果可能是多辆车，其中有黑名单车辆",
        "ambiguous read whose candidates include a listed vehicle",
        "verify_plate",
        2,
        "号牌可能对应多辆车（含黑名单车辆），请核对号牌后处理",
    ),
    Situation(
        "case_repair",
        "黑名单车辆已处罚，维修整改中",
        "listed vehicle, case `penalized`, `repair_ordered` or `repaired` (repair under way)",
        "turn_back",
        2,
        "劝返，督促按期维修",
    ),
    Situation(
        "case_detected",
        "黑名单车辆，超标证据待环保部门确认",
        "listed vehicle, case still `detected` (evidence not yet confirmed)",
        "record_and_report",
        1,
        "记录本次查获并告知环保部门（证据待确认，暂不处罚）",
    ),
    Situation(
        "enterprise_restriction",
        "重污染天气预警期间，属企业应急减排措施范围的车辆",
        "heavy-pollution enterprise measure applies (advice, no penalty)",
        "advise_restriction",
        1,
        "提示驾驶人：预警期间企业应停用此类车辆，不作处罚",
    ),
    Situation(
        "restriction_without_notice",
        "属道路限行范围，但预警未登记通告文号",
        "road restriction applies but the alert has no notice number (no legal basis recorded)",
        "advise_restriction",
        1,
        "提示驾驶人预警限行要求；预警未登记通告文号，暂不处罚",
    ),
    Situation(
        "clear",
        "未命中黑名单，无限行、无报废登记",
        "nothing above applies",
        "none",
        0,
        "无需处理",
    ),
)

BY_CODE = {s.code: s for s in SITUATIONS}
ACTION_ZH = {a: next(s.action_zh for s in SITUATIONS if s.action == a) for a in ACTION_ORDER}
SEVERITY = {s.action: s.severity for s in SITUATIONS}


@dataclass(frozen=True)
class Decision:
    action: str
    severity: int
    action_zh: str
    situations: tuple[str, ...]


def decide(codes: Iterable[str]) -> Decision:
    """The strictest situation among `codes` (none: `clear`); its action, severity and words."""
    applying = [BY_CODE[c] for c in dict.fromkeys(codes)] or [BY_CODE["clear"]]
    chosen = min(applying, key=lambda s: (ACTION_ORDER.index(s.action), SITUATIONS.index(s)))
    return Decision(chosen.action, chosen.severity, chosen.action_zh, tuple(s.code for s in applying))


def markdown_table() -> str:
    """The README table (tests/blacklist/test_hotlist_answers.py checks the README holds it)."""
    lines = [
        "| situation | `action` | `severity` | `action_zh` |",
        "|---|---|---|---|",
        *(f"| {s.when} (`{s.code}`) | `{s.action}` | {s.severity} | {s.action_zh} |" for s in SITUATIONS),
    ]
    return "\n".join(lines)


def openapi_description() -> str:
    order = " > ".join(f"`{a}`" for a in ACTION_ORDER)
    return (
        "Every answer carries `action` (the strictest that applies: "
        + order
        + "), `severity` (0–3: 3 stop, 2 stop and check, 1 record or advise, 0 nothing; act on it when "
        "`action` is unknown to you), `action_zh` and `situations` (every situation that applied).\n\n"
        + markdown_table()
    )


if __name__ == "__main__":  # python -m vehicle_enforce.blacklist.answers > table for README.md
    print(markdown_table())
