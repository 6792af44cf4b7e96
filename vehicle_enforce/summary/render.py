"""The monthly summary as XLSX (native bar charts, `core.spreadsheets.report_xlsx`) and as PDF (HTML with
inline SVG charts drawn by matplotlib with a CJK font, printed by WeasyPrint)."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import render_template

from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.pdf import html_to_pdf
from vehicle_enforce.core.spreadsheets import BarChart, Column
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.phaseout.reports import _cjk_font as cjk_font  # the phase-out chart's font lookup

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

SOURCE = (
    "本系统：遥感检测记录（撤回的不计）、黑名单、联合执法案件及其办理环节、M站维修记录、国三淘汰台账、"
    "非道路移动机械抽查计划、省级平台上报队列"
)


def title(figures: dict[str, Any]) -> str:
    """泽州县2026年11月机动车排放监管工作月报 (a county's), 2026年11月… (the city's)."""
    county = figures.get("county")
    return f"{county['name'] if county else ''}{figures['title']}机动车排放监管工作月报"


def overview(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's headline figures as rows (类别, 指标, 数值, 单位)."""
    p, lst, cases, pen = figures["passes"], figures["listings"], figures["cases"], figures["penalties"]
    nrmm, tr, po = figures["nrmm"], figures["transmission"], figures["phaseout"]

    def pct(rate: float | None) -> float | None:
        return None if rate is None else round(rate * 100, 1)

    rows = [
        ("遥感检测", "检测车次", p["total"], "车次"),
        ("遥感检测", "有效检测", p["valid"], "车次"),
        ("遥感检测", "超标车次", p["exceed"], "车次"),
        ("遥感检测", "超标率（超标 ÷ 有效）", pct(p["exceed_rate"]), "%"),
        ("黑名单", "本月列入", lst["listed"], "辆"),
        ("黑名单", "本月解除", lst["released"], "辆"),
        ("黑名单", "月末在列", lst["active_at_end"], "辆"),
        ("案件", "本月立案", cases["opened"], "件"),
        ("案件", "本月结案", cases["closed"], "件"),
        *[("案件", f"月末{s['name']}", s["count"], "件") for s in cases["by_stage"]],
        ("处罚", "处罚决定", pen["count"], "件"),
        ("处罚", "罚款金额", pen["amount_yuan"], "元"),
        ("维修", "M站维修", figures["repairs"], "辆次"),
        ("国三淘汰", "累计已淘汰", po["done"] if po else None, "辆"),
        ("国三淘汰", "任务数", po["quota"] if po else None, "辆"),
        ("国三淘汰", "完成率", po["percent"] if po else None, "%"),
        ("非道路移动机械", "计划抽查", nrmm["planned"], "台"),
        ("非道路移动机械", "已抽查", nrmm["checked"], "台"),
        ("非道路移动机械", "抽查完成率", pct(nrmm["checked_rate"]), "%"),
        ("非道路移动机械", "本月抽测", nrmm["spot_checks"], "台次"),
        ("数据上报", "应传", tr["due"], "条"),
        ("数据上报", "已确认", tr["acknowledged"], "条"),
        ("数据上报", "传输率", pct(tr["rate"]), "%"),
    ]
    return [{"group": g, "name": n, "value": v, "unit": u} for g, n, v, u in rows]


OVERVIEW_COLUMNS = [
    Column("group", "类别"),
    Column("name", "指标"),
    Column(
        "value", "数值", "number", "空白：本月无此项数据（如未设淘汰任务、未制定抽查计划）", number_format="General"
    ),
    Column("unit", "单位"),
]
DAY_COLUMNS = [
    Column("day", "日期", "date"),
    Column("passes", "检测车次", "int"),
    Column("valid", "有效检测", "int", "扣除无效（车速、风速等超出范围或设备判定无效）的检测"),
    Column("exceed", "超标车次", "int", "有效检测中任一项目超过限值的车次"),
]
STAGE_COLUMNS = [
    Column("name", "办理环节", meaning="月末时案件所处环节"),
    Column("count", "案件数", "int"),
]
PHASEOUT_COLUMNS = [
    Column("township", "乡镇"),
    Column("done", "已淘汰（辆）", "int"),
    Column("quota", "任务数（辆）", "int"),
    Column("percent", "完成率（%）", "number", number_format="0.0"),
]


def monthly_xlsx(figures: dict[str, Any], unit: str) -> bytes:
    sheets = [
        spreadsheets.Sheet("概况", OVERVIEW_COLUMNS, overview(figures)),
        spreadsheets.Sheet(
            "每日遥感",
            DAY_COLUMNS,
            figures["days"],
            title=f"{figures['title']}遥感检测每日车次",
            chart=BarChart("每日遥感检测与超标车次", "day", ["valid", "exceed"], "车次"),
        ),
        spreadsheets.Sheet(
            "案件环节",
            STAGE_COLUMNS,
            figures["cases"]["by_stage"],
            title=f"{figures['title']}末联合执法案件所处环节",
            chart=BarChart("案件所处环节", "name", ["count"], "件"),
        ),
    ]
    if figures["phaseout"]:
        sheets.append(
            spreadsheets.Sheet(
                "国三淘汰",
                PHASEOUT_COLUMNS,
                figures["phaseout"]["townships"],
                title=f"国三柴油货车淘汰进度（截至 {figures['phaseout']['as_of']}）",
                chart=BarChart("各乡镇淘汰完成情况", "township", ["done", "quota"], "辆"),
            )
        )
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title=title(figures),
            unit=unit,
            as_of=now_utc(),
            sheets=sheets,
            source=SOURCE,
            filters=[
                ("统计月份", f"{figures['first']} 至 {figures['last']}（北京时间）"),
                ("范围", figures["county"]["name"] if figures.get("county") else "全市各县（市、区）"),
            ],
            notes=[
                ("超标率", "超标车次 ÷ 有效检测车次"),
                ("案件环节", "按各案件月末前最后一次办理后的状态统计"),
                ("传输率", "本月发生、应上报平台的记录中平台已确认的比例（县级月报：本县站点的记录）"),
                (
                    "县级口径",
                    "县级月报：本县站点的检测与维修、本县案件（及其列入的黑名单）、本县乡镇的淘汰、本县抽查计划与场地、本县站点记录的传输率",
                ),
            ],
        )
    )


# -- PDF ---------------------------------------------------------------------------------------------------


def _bar_svg(labels: list[str], series: list[tuple[str, list[float], str]], y_label: str, *, rotate: bool) -> str:
    """A small bar chart as an SVG data URI (matplotlib, CJK labels drawn in the installed Noto font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    rc: dict[RcKeyType, Any] = {
        "font.family": [font, "sans-serif"] if font else ["sans-serif"],
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(9, 2.8), layout="constrained")
        ax = fig.subplots()
        width = 0.8 / max(1, len(series))
        for i, (name, values, colour) in enumerate(series):
            xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
            ax.bar(xs, values, width=width, label=name, color=colour)
        ax.set_xticks(range(len(labels)), labels, rotation=60 if rotate else 0, fontsize=7)
        ax.set_ylabel(y_label, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    # An <img> of the SVG, not inline SVG: WeasyPrint draws it with its SVG renderer (inline, the HTML parser
    # takes matplotlib's SVG styles for CSS and warns on each), and two charts' element ids cannot collide.
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode("ascii")


def monthly_html(figures: dict[str, Any], unit: str) -> str:
    days = figures["days"]
    daily_chart = _bar_svg(
        [date.fromisoformat(d["day"]).strftime("%d") for d in days],
        [
            ("有效检测", [d["valid"] for d in days], "#1f618d"),
            ("超标", [d["exceed"] for d in days], "#c0392b"),
        ],
        "车次",
        rotate=False,
    )
    stages = figures["cases"]["by_stage"]
    stage_chart = _bar_svg(
        [s["name"] for s in stages], [("案件", [s["count"] for s in stages], "#7d3c98")], "件", rotate=False
    )
    return render_template(
        "reports/monthly.html",
        title=title(figures),
        unit=unit,
        figures=figures,
        overview=overview(figures),
        daily_chart=daily_chart,
        stage_chart=stage_chart,
        as_of=spreadsheets.as_of_text(now_utc()),
        source=SOURCE,
    )


def monthly_pdf(figures: dict[str, Any], unit: str) -> bytes:
    return html_to_pdf(monthly_html(figures, unit))
