"""Read the words and codes of a vehicle-administration export into the registry's vocabularies.

Exports from the traffic police vehicle system (公安交管) carry Chinese labels (重型半挂牵引车, 柴油,
非营运) or the GA codes behind them (vehicle type GA 24.4 such as H11/Q11/K33, fuel letters A–Z,
use letters, status letters). Each `parse_*` takes one cell's text and returns the vocabulary value or
raises ValueError with a message for the error report. Canonical English values are accepted too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Final

from vehicle_enforce.vehicles.models import Fuel, VehicleStatus, VehicleType, VehicleUse


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")


VEHICLE_TYPE_NAMES: Final[dict[str, str]] = {
    "重型货车": "heavy_truck",
    "重型栏板货车": "heavy_truck",
    "重型厢式货车": "heavy_truck",
    "重型自卸货车": "heavy_truck",
    "重型罐式货车": "heavy_truck",
    "重型仓栅式货车": "heavy_truck",
    "重型特殊结构货车": "heavy_truck",
    "中型货车": "medium_truck",
    "轻型货车": "light_truck",
    "微型货车": "light_truck",
    "牵引车": "tractor",
    "半挂牵引车": "tractor",
    "重型半挂牵引车": "tractor",
    "中型半挂牵引车": "tractor",
    "挂车": "trailer",
    "半挂车": "trailer",
    "重型半挂车": "trailer",
    "全挂车": "trailer",
    "大型客车": "bus",
    "中型客车": "bus",
    "公交客车": "bus",
    "公交车": "bus",
    "客车": "bus",
    "教练车": "coach",
    "小型客车": "car",
    "小型普通客车": "car",
    "小型轿车": "car",
    "微型客车": "car",
    "轿车": "car",
    "专项作业车": "special",
    "专用作业车": "special",
    "特种车": "special",
}
# GA 24.4 vehicle type codes, by their first two characters (H1x heavy truck, Q1x heavy tractor, ...).
VEHICLE_TYPE_CODE_PREFIXES: Final[dict[str, str]] = {
    "H1": "heavy_truck",
    "H2": "medium_truck",
    "H3": "light_truck",
    "H4": "light_truck",
    "H5": "light_truck",
    "Q1": "tractor",
    "Q2": "tractor",
    "Q3": "tractor",
    "B1": "trailer",
    "B2": "trailer",
    "B3": "trailer",
    "G1": "trailer",
    "G2": "trailer",
    "G3": "trailer",
    "K1": "bus",
    "K2": "bus",
    "K3": "car",
    "K4": "car",
    "Z1": "special",
    "Z2": "special",
    "Z3": "special",
    "Z4": "special",
    "Z5": "special",
}
FUEL_NAMES: Final[dict[str, str]] = {
    "柴油": "diesel",
    "汽油": "gasoline",
    "天然气": "natural_gas",
    "压缩天然气": "natural_gas",
    "液化天然气": "natural_gas",
    "CNG": "natural_gas",
    "LNG": "natural_gas",
    "液化石油气": "lpg",
    "混合动力": "hybrid",
    "油电混合": "hybrid",
    "插电式混合动力": "hybrid",
    "电": "electric",
    "纯电": "electric",
    "纯电动": "electric",
    "电动": "electric",
    "其他": "other",
    "无": "other",
    # GA fuel codes.
    "A": "gasoline",
    "B": "diesel",
    "C": "electric",
    "E": "natural_gas",
    "F": "lpg",
    "O": "hybrid",
    "Y": "other",
    "Z": "other",
}
USE_NAMES: Final[dict[str, str]] = {
    "营运": "operating",
    "非营运": "non_operating",
    "货运": "operating",
    "公路客运": "operating",
    "公交客运": "operating",
    "出租客运": "operating",
    "旅游客运": "operating",
    "租赁": "operating",
    "危化品运输": "operating",
    "警用": "non_operating",
    "消防": "non_operating",
    "救护": "non_operating",
    "工程救险": "non_operating",
    # GA use codes: A 非营运, B–G the operating uses.
    **{letter: "operating" for letter in "BCDEFG"},
    "A": "non_operating",
}
STATUS_NAMES: Final[dict[str, str]] = {
    "正常": "active",
    "在用": "active",
    "报废": "scrapped",
    "已报废": "scrapped",
    "注销": "deregistered",
    "已注销": "deregistered",
    "强制注销": "deregistered",
    "转出": "transferred_out",
    "已转出": "transferred_out",
}
# GA status letters; a record may carry several (e.g. "GQ"): the ones that end registration win.
STATUS_LETTERS: Final[dict[str, str]] = {
    "E": "deregistered",
    "M": "deregistered",
    "P": "scrapped",
    "B": "transferred_out",
}
_STATUS_LETTER_TEXT = re.compile("[A-Q]+")
_ROMAN: Final[dict[str, int]] = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_CN_DIGITS: Final[dict[str, int]] = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _lookup(text: str, names: dict[str, str], values: type[StrEnum], what: str) -> str:
    key = _key(text)
    canonical = [v.value for v in values]
    if key.lower() in canonical:
        return key.lower()
    found = names.get(key)
    if found is None:
        raise ValueError(f"unknown {what} '{text}' (expected {', '.join(canonical)} or its Chinese name)")
    return found


# Exports repeat a handful of distinct texts a million times: the parsers are pure, so cache them.
@lru_cache(maxsize=1024)
def parse_vehicle_type(text: str) -> str:
    key = _key(text)
    if len(key) == 3 and key[:2] in VEHICLE_TYPE_CODE_PREFIXES and key[2].isdigit():
        return VEHICLE_TYPE_CODE_PREFIXES[key[:2]]
    return _lookup(text, VEHICLE_TYPE_NAMES, VehicleType, "vehicle type")


@lru_cache(maxsize=1024)
def parse_fuel(text: str) -> str:
    return _lookup(text, FUEL_NAMES, Fuel, "fuel")


@lru_cache(maxsize=1024)
def parse_use(text: str) -> str:
    return _lookup(text, USE_NAMES, VehicleUse, "use")


@lru_cache(maxsize=1024)
def parse_status(text: str) -> str:
    key = _key(text)
    if key.lower() in {v.value for v in VehicleStatus}:
        return key.lower()
    if key in STATUS_NAMES:
        return STATUS_NAMES[key]
    if _STATUS_LETTER_TEXT.fullmatch(key):
        for letter in "EMPB":  # ending states first: a deregistered vehicle marked B is still deregistered
            if letter in key:
                return STATUS_LETTERS[letter]
        return "active"  # A (normal) and the flags that keep a vehicle registered (D stopped, Q overdue...)
    raise ValueError(
        f"unknown status '{text}' (expected active, scrapped, deregistered, transferred_out or 正常/报废…)"
    )


@lru_cache(maxsize=1024)
def parse_emission_standard(text: str) -> int:
    """Read 国三 / 国III / 国Ⅲ / 国3 / China III / 3 / 国六b as 0–6."""
    key = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    for prefix in ("CHINA", "国", "GB"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    key = key.rstrip("AB") if len(key) > 1 else key  # 国六a / 国六b are both 国六
    if key.isdigit() and 0 <= int(key) <= 6:
        return int(key)
    if key in _ROMAN:
        return _ROMAN[key]
    if key in _CN_DIGITS:
        return _CN_DIGITS[key]
    raise ValueError(f"unknown emission standard '{text}' (expected 0–6, 国0–国六 or 国I–国VI)")


def parse_date(value: object) -> date:
    """Read an ISO or Chinese-style date, or a spreadsheet date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)  # the common case, in C
        except ValueError:
            pass
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if " " in text:  # "2015-03-04 00:00:00" from exports that keep the time part
        text = text.split(" ", 1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: '{value}' (expected YYYY-MM-DD)")


@lru_cache(maxsize=1024)
def parse_flag(text: str) -> bool:
    key = _key(text).lower()
    if key in {"1", "true", "yes", "y", "是"}:
        return True
    if key in {"0", "false", "no", "n", "否"}:
        return False
    raise ValueError(f"expected yes/no (是/否, 1/0), got '{text}'")
