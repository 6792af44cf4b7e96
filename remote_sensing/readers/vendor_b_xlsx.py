"""Vendor B: XLSX with Chinese headers, speed in m/s, GA colour codes, 合格/超标/无效 verdicts.

Read with openpyxl in read-only mode, row by row, so memory stays bounded for large workbooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import openpyxl

from remote_sensing.readers.base import Layout, ReadItem, RowConverter, register_reader
from remote_sensing.readers.colours import colour_scheme

COLUMNS: Final[dict[str, str]] = {
    "record_id": "记录编号",
    "measured_at": "检测时间",
    "station": "点位编号",
    "lane": "车道",
    "plate": "号牌号码",
    "plate_color": "号牌颜色",
    "speed_kmh": "车速(m/s)",
    "accel_ms2": "加速度(m/s²)",
    "vsp_kw_t": "比功率(kW/t)",
    "wind_ms": "风速(m/s)",
    "temperature_c": "环境温度(℃)",
    "humidity_pct": "相对湿度(%)",
    "pressure_kpa": "大气压(kPa)",
    "co2_pct": "CO2(%)",
    "co_pct": "CO(%)",
    "hc_ppm": "HC(ppm)",
    "no_ppm": "NO(ppm)",
    "opacity_pct": "不透光度(%)",
    "ringelmann": "林格曼黑度",
    "device_verdict": "判定结果",
}
OPTIONAL_COLUMNS: Final[dict[str, str]] = {"fuel": "燃料种类", "plate_confidence": "号牌置信度"}
PHOTO_COLUMNS: Final[tuple[str, ...]] = ("图片1", "图片2", "视频")
DEVICE_VERDICTS: Final[dict[str, bool | None]] = {"合格": True, "超标": True, "无效": False}
MPS_TO_KMH: Final[float] = 3.6
HEADER_SCAN_ROWS: Final[int] = 10


def normalise_header(cell: object) -> str:
    """Return a header cell with full-width brackets made half-width and spaces removed."""
    text = "" if cell is None else str(cell)
    return text.replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "").strip()


LAYOUT: Final[Layout] = Layout(
    name="vendor-b-xlsx",
    columns=COLUMNS,
    colour_codes=colour_scheme("ga"),
    device_verdicts=DEVICE_VERDICTS,
    photo_columns=PHOTO_COLUMNS,
    optional_columns=OPTIONAL_COLUMNS,
    speed_factor=MPS_TO_KMH,
)


def _find_header(rows: Iterator[tuple[object, ...]], scan: int = HEADER_SCAN_ROWS) -> tuple[list[str], int]:
    """Return the header cells and their row number: the first row holding every layout column.

    Some exports put a title row above the header; without a match, row 1 is taken (and then
    ``check_header`` names the missing columns).
    """
    first: list[str] | None = None
    wanted = set(COLUMNS.values())
    for row_number, values in enumerate(rows, start=1):
        header = [normalise_header(c) for c in values]
        if first is None:
            first = header
        if wanted <= set(header):
            return header, row_number
        if row_number >= scan:
            break
    return first or [], 1


@register_reader("vendor-b-xlsx")
def read_vendor_b_xlsx(path: Path, *, sheet: str | None = None) -> Iterator[ReadItem]:
    """Stream vendor B passes from the first (or the named) worksheet, below its header row."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header, header_row = _find_header(rows)
        converter = RowConverter(LAYOUT, LAYOUT.check_header(header))
        for row_number, values in enumerate(rows, start=header_row + 1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # trailing blank rows Excel keeps around
            yield row_number, converter.convert(dict(zip(header, values, strict=False)))
    finally:
        workbook.close()
