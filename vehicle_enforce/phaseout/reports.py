"""The progress report as a table (CSV / XLSX) and as a chart (PNG / SVG) per township."""

from __future__ import annotations

import io
import logging
import os
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column, to_csv_bytes

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

log = logging.getLogger(__name__)

COLUMNS_ZH = {
    "township": "乡镇",
    "done": "已淘汰（辆）",
    "quota": "任务数（辆）",
    "percent": "完成率（%）",
    "milestone_target": "节点目标（辆）",
    "weekly_rate": "近四周周均（辆/周）",
    "projected_at_milestone": "节点日预计完成（辆）",
    "on_track": "能否按期完成",
    "eligible_remaining": "剩余应淘汰（辆）",
}
ON_TRACK_ZH = {True: "是", False: "否", None: "未下达任务"}


def progress_frame(report: dict[str, Any]) -> pd.DataFrame:
    """One row per township plus a county total, with Chinese headers."""
    rows = list(report["townships"])
    if report.get("county") is not None:
        rows.append({"township": "全县合计", **report["county"]})
    frame = pd.DataFrame(rows, columns=list(COLUMNS_ZH))
    frame["on_track"] = frame["on_track"].map(lambda v: ON_TRACK_ZH[None if pd.isna(v) else bool(v)])
    return frame.rename(columns=COLUMNS_ZH)


def header_frame(report: dict[str, Any]) -> pd.DataFrame:
    nxt = report["next_milestone"]
    items = [
        ("统计截至", report["as_of"]),
        ("任务期", report["period"] or "未设置"),
        ("任务期起始", report["period_starts_on"]),
        ("下一节点", f"{nxt['due']} 完成 {nxt['percent']:g}%"),
        ("节点", "；".join(f"{m['due']} {m['percent']:g}%（{_source_zh(m['source'])}）" for m in report["milestones"])),
        ("预计方法", f"按近 {report['rate_window_days']} 天的周均淘汰量外推至节点日"),
    ]
    return pd.DataFrame(items, columns=["项目", "内容"])


def _source_zh(source: str) -> str:
    return {"plan": "方案规定", "assumed": "默认假设", "transport": "交通部门设定"}.get(source, source)


def progress_csv(report: dict[str, Any]) -> bytes:
    return to_csv_bytes(progress_frame(report))


#: The progress sheet's columns: kind (number formats) and meaning (the 说明 sheet).
PROGRESS_COLUMNS = [
    Column("township", COLUMNS_ZH["township"], meaning="乡镇（镇、街道）；最后一行为全县合计"),
    Column(
        "done",
        COLUMNS_ZH["done"],
        "int",
        "任务期起始日至统计截至日已核实淘汰（报废、转出、停用注销）的国三及以下柴油货车",
    ),
    Column("quota", COLUMNS_ZH["quota"], "int", "交通部门下达的本任务期淘汰任务数"),
    Column("percent", COLUMNS_ZH["percent"], "number", "已淘汰 ÷ 任务数 × 100", number_format="0.0"),
    Column("milestone_target", COLUMNS_ZH["milestone_target"], "int", "下一节点日应累计完成的数量"),
    Column("weekly_rate", COLUMNS_ZH["weekly_rate"], "number", "近四周平均每周淘汰数", number_format="0.0"),
    Column(
        "projected_at_milestone",
        COLUMNS_ZH["projected_at_milestone"],
        "number",
        "按近四周周均外推至节点日的累计数",
        number_format="0",
    ),
    Column("on_track", COLUMNS_ZH["on_track"], meaning="预计数是否达到节点目标；未下达任务的乡镇为“未下达任务”"),
    Column("eligible_remaining", COLUMNS_ZH["eligible_remaining"], "int", "仍在册、尚未淘汰的应淘汰车辆"),
]


def progress_xlsx(report: dict[str, Any], *, unit: str) -> bytes:
    """The progress report as the transport and environment bureaus file it (`core.spreadsheets.report_xlsx`)."""
    rows = list(report["townships"])
    counties = report.get("counties") or []
    if len(counties) > 1:  # the city level: a subtotal per county, then the city's total
        rows += [{**c, "township": f"{c['county']}合计"} for c in counties]
    if report.get("county") is not None:
        rows.append({**report["county"], "township": "全市合计" if len(counties) > 1 else "全县合计"})
    rows = [{**row, "on_track": ON_TRACK_ZH[row.get("on_track")]} for row in rows]
    notes = [(str(k), str(v)) for k, v in header_frame(report).itertuples(index=False) if k != "统计截至"]
    filters = (
        [] if report.get("county") is not None else [("乡镇", "、".join(t["township"] for t in report["townships"]))]
    )
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title="国三及以下排放标准营运柴油货车淘汰进度表",
            unit=unit,
            as_of=date.fromisoformat(report["as_of"]),
            sheets=[spreadsheets.Sheet("淘汰进度", PROGRESS_COLUMNS, rows)],
            source="本系统车辆登记库及交通运输部门核实的淘汰记录（国三淘汰台账）",
            filters=filters,
            notes=notes,
        )
    )


CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei", "Source Han Sans SC")
#: File names of those fonts, for a font cache written before the fonts were installed.
CJK_FONT_FILES = re.compile(r"(NotoSansCJK|NotoSerifCJK|wqy-zenhei|simhei|SourceHanSans)", re.IGNORECASE)


def _cjk_font() -> str | None:
    """Name of an installed CJK font (fonts-noto-cjk), or None (labels then fall back to English and township codes).

    matplotlib keeps its font list in a cache written the first time it ran; fonts installed after that
    are not in it. When none of the known fonts is listed, look for their files on the system and add them.
    """
    from matplotlib import font_manager

    found = _listed_cjk_font()
    if found is None:
        for path in font_manager.findSystemFonts():
            if CJK_FONT_FILES.search(os.path.basename(path)):
                font_manager.fontManager.addfont(path)
        found = _listed_cjk_font()
    return found


def _listed_cjk_font() -> str | None:
    from matplotlib import font_manager

    listed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in listed), None)


def progress_chart(
    report: dict[str, Any], cumulative: pd.DataFrame, fmt: str = "png", *, columns: int | None = None
) -> bytes:
    """Small multiples: cumulative phase-outs per township against the milestone line.

    `columns`: small multiples per row (None: up to four, for a desktop; 1 for a phone's narrow screen)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = _cjk_font()
    if font is None:
        log.warning("no CJK font found (install fonts-noto-cjk); chart labels use township codes")
    rc: dict[RcKeyType, Any] = {
        "font.family": [font, "sans-serif"] if font else ["sans-serif"],
        "axes.unicode_minus": False,
    }
    townships = report["townships"]
    start = date.fromisoformat(report["period_starts_on"])
    as_of = date.fromisoformat(report["as_of"])
    milestones = report["milestones"]
    end = max(as_of, date.fromisoformat(milestones[-1]["due"]))
    cols = columns or (4 if len(townships) > 6 else max(1, min(3, len(townships))))
    rows = max(1, -(-len(townships) // cols))
    with matplotlib.rc_context(rc):
        width, height = 3.6 * cols, 2.6 * rows + 0.8
        fig = Figure(figsize=(width, height))
        # Fixed margins in inches (title, tick labels, the rotated dates under the last row): the
        # constrained layout engine measured every text of every small multiple and took half the time.
        fig.subplots_adjust(
            left=0.5 / width,
            right=1 - 0.15 / width,
            top=1 - 0.75 / height,
            bottom=0.75 / height,
            wspace=0.3,
            hspace=0.45 * 2.6 / 2.0,
        )
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        for ax in axes.flat[len(townships) :]:
            ax.set_visible(False)
        for ax, t in zip(axes.flat, townships, strict=False):
            quota = t["quota"]
            # The milestone line: a step from zero at the start to each milestone's target on its date.
            xs, ys = [start], [0.0]
            for m in milestones:
                xs.append(date.fromisoformat(m["due"]))
                ys.append(quota * m["percent"] / 100)
            ax.plot(xs, ys, "--", color="#c0392b", linewidth=1, label="节点目标" if font else "milestone")
            series = cumulative[cumulative["township_id"] == t["township_id"]] if not cumulative.empty else cumulative
            dx = [start, *series["action_date"], as_of] if not series.empty else [start, as_of]
            dy = [0, *series["cumulative"], t["done"]] if not series.empty else [0, 0]
            ax.step(dx, dy, where="post", color="#1f618d", linewidth=1.6, label="累计淘汰" if font else "done")
            title = t["township"] if font else t["township_code"]
            pct = "—" if t["percent"] is None else f"{t['percent']:g}%"
            unit = "辆" if font else ""
            ax.set_title(f"{title}  {t['done']}/{quota}{unit}  {pct}", fontsize=9)
            ax.set_xlim(start, end + timedelta(days=5))
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        if townships:
            axes.flat[0].legend(fontsize=7, loc="upper left")
        title = f"老旧车淘汰进度（截至 {report['as_of']}）" if font else f"Phase-out progress as of {report['as_of']}"
        fig.suptitle(title, fontsize=12, y=1 - 0.25 / height)
        fig.autofmt_xdate(bottom=0.75 / height, rotation=30)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
    return buffer.getvalue()
