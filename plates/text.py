"""Plate-text rules (GA 36): normalisation, validation and plate colours.

Pure functions, no I/O. Plates are stored in the form :func:`normalize_plate` returns: half-width,
upper case, no spaces, middle dots or dashes (``晋E12345``, ``晋ED12345``, ``晋E8Z61挂``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "AUTHORITY_DIGIT_FIXES",
    "COLOR_SCHEMES",
    "PROVINCES",
    "PROVINCE_ORDER",
    "SERIAL_CHARS",
    "SERIAL_LETTER_FIXES",
    "SUFFIX_COLORS",
    "UNREAD_MARKERS",
    "PlateCheck",
    "PlateColor",
    "color_from_code",
    "is_unread",
    "normalize_plate",
    "parse_color",
    "validate_plate",
]


class PlateColor(StrEnum):
    """Plate background colour; the value is what we store."""

    BLUE = "blue"
    YELLOW = "yellow"
    GREEN = "green"  # gradient green: small new-energy vehicles
    YELLOW_GREEN = "yellow_green"  # large new-energy vehicles
    WHITE = "white"  # police
    BLACK = "black"  # Hong Kong / Macau (and embassy) vehicles
    UNKNOWN = "unknown"


# --- character sets (GA 36) -------------------------------------------------------------------------

#: Province abbreviations in the order plate keyboards (交管12123) show them.
PROVINCE_ORDER: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PROVINCES: Final = frozenset(PROVINCE_ORDER)
AUTHORITY_LETTERS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Serial characters: letters except I and O, and digits.
SERIAL_CHARS: Final = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
DIGITS: Final = frozenset("0123456789")
NEW_ENERGY_LETTERS: Final = frozenset("DF")
#: Last character of a 7-character plate that marks a special kind, and the colour that kind requires.
SUFFIX_COLORS: Final[Mapping[str, PlateColor]] = {
    "挂": PlateColor.YELLOW,  # trailer
    "学": PlateColor.YELLOW,  # driving-school coach
    "警": PlateColor.WHITE,  # police
    "港": PlateColor.BLACK,  # Hong Kong
    "澳": PlateColor.BLACK,  # Macau
}
_SUFFIX_FORMS: Final[Mapping[str, str]] = {
    "挂": "trailer",
    "学": "coach",
    "警": "police",
    "港": "hk_macau",
    "澳": "hk_macau",
}
#: Colours a plate of each form may carry. An unsuffixed 7-character plate is blue (small vehicles)
#: or yellow (large vehicles); police and HK/Macau plates always carry their suffix.
FORM_COLORS: Final[Mapping[str, frozenset[PlateColor]]] = {
    "ordinary": frozenset({PlateColor.BLUE, PlateColor.YELLOW}),
    "trailer": frozenset({PlateColor.YELLOW}),
    "coach": frozenset({PlateColor.YELLOW}),
    "police": frozenset({PlateColor.WHITE}),
    "hk_macau": frozenset({PlateColor.BLACK}),
    "new_energy_small": frozenset({PlateColor.GREEN}),
    "new_energy_large": frozenset({PlateColor.YELLOW_GREEN}),
}

# --- normalisation ----------------------------------------------------------------------------------

# Separators removed anywhere (after NFKC, which already folds the full-width forms to these):
# middle dots, full stops, hyphens and dashes, and zero-width characters. Whitespace is removed too.
_SEPARATORS: Final = (
    "\u00b7\u2022\u2027\u2219\u22c5\u30fb"  # · • ‧ ∙ ⋅ ・
    ".\u3002"  # . 。
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u30fc"  # - ‐ ‑ ‒ – — ― − ﹘ ﹣ ー
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters
)
_DROP_SEPARATORS: Final = re.compile(f"[\\s{re.escape(_SEPARATORS)}]+")

#: Texts (after clean-up) that devices send when no plate was read.
UNREAD_MARKERS: Final = frozenset(
    {
        "无车牌",
        "无牌",
        "无号牌",
        "无牌照",
        "未识别",
        "未识别车牌",
        "车牌未识别",
        "无法识别",
        "未知",
        "车牌",
        "无",
        "NULL",
        "NONE",
        "UNKNOWN",
        "N/A",
    }
)
# A text made only of these placeholder characters is unread too ("*******", "???").
_PLACEHOLDER_CHARS: Final = "*?#_"

#: Serial positions (index >= 2 after the province and authority letter) never hold I or O in any
#: GA 36 form, so a read I or O there is certainly the digit 1 or 0.
SERIAL_LETTER_FIXES: Final[Mapping[str, str]] = {"I": "1", "O": "0"}
#: The authority position (index 1) always holds a letter. A digit read there is replaced only when
#: exactly one letter looks like it: 8→B, 2→Z, 5→S, 6→G, 4→A. Not fixed: 0 (D, Q and O are all real
#: authority letters, so the letter is not certain) and 1/7 (they also resemble T, L and J).
#: Every fix stays inside one confusion class of :mod:`plates.matching`, so confusion keys do not move.
AUTHORITY_DIGIT_FIXES: Final[Mapping[str, str]] = {"8": "B", "2": "Z", "5": "S", "6": "G", "4": "A"}


_STABLE: Final = re.compile("[A-Z0-9\u4e00-\u9fff]*")


def _clean(text: str) -> str:
    return _DROP_SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())


def _fix_positions(text: str) -> str:
    # Positions are anchored only when the first character is a province (any non-ASCII character, so a
    # misread province such as 普 still anchors). A read that starts with ASCII has probably lost its
    # province character, so its positions are unknown and nothing is changed.
    if len(text) < 2 or text[0].isascii():
        return text
    serial = text[2:]
    for letter, digit in SERIAL_LETTER_FIXES.items():
        serial = serial.replace(letter, digit)
    return text[0] + AUTHORITY_DIGIT_FIXES.get(text[1], text[1]) + serial


def _normalize_once(text: str) -> str:
    cleaned = _clean(text)
    if not cleaned.strip(_PLACEHOLDER_CHARS) or cleaned in UNREAD_MARKERS:
        return ""
    return _fix_positions(cleaned)


#: Texts already in stored form: a CJK province, an authority letter, four to six serial characters
#: without I or O, and an optional CJK suffix (挂, 学, 警...). NFKC, upper-casing, separator removal and
#: the position fixes all leave such a text unchanged, so normalize_plate returns it as it is (most
#: registered plates and most camera reads; tests check the claim against the full path).
CANONICAL: Final = re.compile("[\u4e00-\u9fff][A-Z][A-HJ-NP-Z0-9]{4,6}[\u4e00-\u9fff]?")


def normalize_plate(text: str | None) -> str:
    """Return the stored form of a plate text, or "" when the text says no plate was read.

    Steps: NFKC (full-width → half-width), upper case, remove whitespace, middle dots, full stops and
    dashes, map unread markers ("无车牌", "未识别", "-", "" ...) to "", then the position fixes that the
    GA 36 rules make certain (see SERIAL_LETTER_FIXES and AUTHORITY_DIGIT_FIXES). Other characters are
    kept, so an invalid read stays visibly invalid. Idempotent.
    """
    if text is None:
        return ""
    if CANONICAL.fullmatch(text):
        return text
    return _normalize_full(text)


# Pure, and the same plates recur (a truck passes many stations, a checkpoint sees the same fleets):
# a bounded cache skips the NFKC and regex work for texts that need it.
@functools.lru_cache(maxsize=65536)
def _normalize_full(text: str) -> str:
    result = _normalize_once(text)
    if _STABLE.fullmatch(result):
        return result  # A-Z, 0-9 and CJK ideographs only: another pass changes nothing
    # Removing a separator can join a letter with a combining mark that NFKC then composes; repeat
    # until stable so that normalize_plate(normalize_plate(x)) == normalize_plate(x) always holds.
    for _ in range(3):
        again = _normalize_once(result)
        if again == result:
            break
        result = again
    return result


def is_unread(text: str | None) -> bool:
    """Tell whether a plate text is an "unread" marker (or empty) rather than a plate."""
    return normalize_plate(text) == ""


# --- validation -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlateCheck:
    """Result of :func:`validate_plate`: ``reason``/``reason_zh`` say why when ``ok`` is false.

    ``form`` names the plate form recognised from the characters (ordinary, trailer, coach, police,
    hk_macau, new_energy_small, new_energy_large), or None when the characters fit no form.
    """

    ok: bool
    reason: str | None = None
    reason_zh: str | None = None
    form: str | None = None


def _fail(reason: str, reason_zh: str, form: str | None = None) -> PlateCheck:
    return PlateCheck(ok=False, reason=reason, reason_zh=reason_zh, form=form)


def _form_of(plate: str) -> tuple[str | None, PlateCheck | None]:
    """Return the plate's form, or a failed check saying why the characters fit no form."""
    if len(plate) == 7:
        last = plate[6]
        form = _SUFFIX_FORMS.get(last, "ordinary")
        serial = plate[2:6] if form != "ordinary" else plate[2:7]
        for offset, ch in enumerate(serial, start=2):
            if ch not in SERIAL_CHARS:
                return None, _fail(
                    f"character {ch!r} at position {offset + 1} is not allowed "
                    "(serial characters are A-Z without I and O, or 0-9; the last may be 挂 学 警 港 澳)",
                    f"第{offset + 1}位字符“{ch}”不合规",
                )
        return form, None
    tail = plate[2:]
    if tail[0] in NEW_ENERGY_LETTERS and tail[1] in SERIAL_CHARS and all(ch in DIGITS for ch in tail[2:]):
        return "new_energy_small", None
    if all(ch in DIGITS for ch in tail[:5]) and tail[5] in NEW_ENERGY_LETTERS:
        return "new_energy_large", None
    return None, _fail(
        "8-character plate is neither small new-energy (D/F, one letter or digit, 4 digits) "
        "nor large new-energy (5 digits, then D/F)",
        "新能源号牌格式错误",
    )


def validate_plate(plate: str, color: PlateColor | str) -> PlateCheck:
    """Check a stored-form plate and its colour against the GA 36 rules.

    The plate must already be in normal form (``normalize_plate(plate) == plate``); otherwise the check
    fails and names the normal form. Colour UNKNOWN accepts any plate form; any other colour must be
    one the form allows (FORM_COLORS): 8 characters need green (small) or yellow_green (large), 挂 and
    学 need yellow, 警 white, 港/澳 black, and an unsuffixed 7-character plate blue or yellow. A colour
    text that parse_color cannot read fails the check (it does not raise).
    """
    try:
        plate_color = parse_color(color)
    except ValueError:
        return _fail(f"unrecognised plate colour {color!r}", f"无法识别的号牌颜色“{color}”")
    normal = normalize_plate(plate)
    if not normal:
        return _fail("plate is empty or an unread marker", "车牌为空或未识别")
    if normal != plate:
        return _fail(f"plate is not in normal form; expected {normal!r}", f"车牌未规范化，应为“{normal}”")
    if len(plate) not in (7, 8):
        return _fail(
            f"plate has {len(plate)} characters; expected 7 (ordinary) or 8 (new energy)",
            "车牌长度应为7位（普通）或8位（新能源）",
        )
    if plate[0] not in PROVINCES:
        return _fail(f"unknown province abbreviation {plate[0]!r}", f"省份简称“{plate[0]}”无效")
    if plate[1] not in AUTHORITY_LETTERS:
        return _fail(
            f"issuing-authority code must be a letter A-Z, got {plate[1]!r}",
            f"发牌机关代号应为字母，实为“{plate[1]}”",
        )
    form, failure = _form_of(plate)
    if failure is not None:
        return failure
    assert form is not None  # _form_of returns a form whenever it returns no failure
    allowed = FORM_COLORS[form]
    if plate_color is not PlateColor.UNKNOWN and plate_color not in allowed:
        names = " or ".join(sorted(c.value for c in allowed))
        return _fail(
            f"colour {plate_color.value} does not fit a {form} plate (needs {names})",
            "号牌颜色与号牌种类不符",
            form,
        )
    return PlateCheck(ok=True, form=form)


# --- colours ----------------------------------------------------------------------------------------

#: Vendor colour-code schemes by name: code (as text, no leading zeros) → colour. A new vendor is one
#: entry here; importers choose the scheme by name in their format definition.
COLOR_SCHEMES: dict[str, Mapping[str, PlateColor]] = {
    # HJ 845 deployments, vendor A: 0 blue 1 yellow 2 white 3 black 4 green.
    "hj845_a": {
        "0": PlateColor.BLUE,
        "1": PlateColor.YELLOW,
        "2": PlateColor.WHITE,
        "3": PlateColor.BLACK,
        "4": PlateColor.GREEN,
    },
    # Vendor B: 1 blue 2 yellow 3 white 4 black 5 green 6 yellow-green.
    "vendor_b": {
        "1": PlateColor.BLUE,
        "2": PlateColor.YELLOW,
        "3": PlateColor.WHITE,
        "4": PlateColor.BLACK,
        "5": PlateColor.GREEN,
        "6": PlateColor.YELLOW_GREEN,
    },
}


def _code_text(code: float | str) -> str:
    if isinstance(code, bool):  # bool is an int; True/False is never a colour code
        raise ValueError(f"plate colour code must be a number or text, not {code!r}")
    if isinstance(code, float):
        if not code.is_integer():
            raise ValueError(f"plate colour code {code!r} is not a whole number")
        code = int(code)
    text = str(code).strip()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def color_from_code(code: float | str | None, scheme: str) -> PlateColor:
    """Translate a vendor's colour code with the named scheme from COLOR_SCHEMES.

    ``code`` may be an int, a whole float (pandas) or text ("1", " 01 "). A missing code (None or "")
    means the device sent no colour: UNKNOWN. An unknown scheme or a code the scheme does not define
    raises ValueError.
    """
    try:
        table = COLOR_SCHEMES[scheme]
    except KeyError:
        known = ", ".join(sorted(COLOR_SCHEMES))
        raise ValueError(f"unknown plate colour scheme {scheme!r}; known schemes: {known}") from None
    if code is None or (isinstance(code, str) and not code.strip()):
        return PlateColor.UNKNOWN
    key = _code_text(code)
    try:
        return table[key]
    except KeyError:
        codes = ", ".join(f"{k}={v.value}" for k, v in table.items())
        raise ValueError(f"colour code {code!r} is not defined in scheme {scheme!r} ({codes})") from None


_COLOR_NAMES: Final[Mapping[str, PlateColor]] = {
    **{c.value: c for c in PlateColor},
    "YELLOWGREEN": PlateColor.YELLOW_GREEN,
    "GRADIENT_GREEN": PlateColor.GREEN,
    "蓝": PlateColor.BLUE,
    "蓝色": PlateColor.BLUE,
    "蓝牌": PlateColor.BLUE,
    "黄": PlateColor.YELLOW,
    "黄色": PlateColor.YELLOW,
    "黄牌": PlateColor.YELLOW,
    "绿": PlateColor.GREEN,
    "绿色": PlateColor.GREEN,
    "绿牌": PlateColor.GREEN,
    "渐变绿": PlateColor.GREEN,
    "渐变绿色": PlateColor.GREEN,
    "新能源绿": PlateColor.GREEN,
    "黄绿": PlateColor.YELLOW_GREEN,
    "黄绿色": PlateColor.YELLOW_GREEN,
    "黄绿双拼": PlateColor.YELLOW_GREEN,
    "黄绿双拼色": PlateColor.YELLOW_GREEN,
    "白": PlateColor.WHITE,
    "白色": PlateColor.WHITE,
    "白牌": PlateColor.WHITE,
    "黑": PlateColor.BLACK,
    "黑色": PlateColor.BLACK,
    "黑牌": PlateColor.BLACK,
    "未知": PlateColor.UNKNOWN,
}
_COLOR_LOOKUP: Final[Mapping[str, PlateColor]] = {k.upper(): v for k, v in _COLOR_NAMES.items()}


def parse_color(value: PlateColor | str | None) -> PlateColor:
    """Read a colour name: our values ("yellow_green", any case, "-" or " " for "_") or Chinese names
    (蓝 蓝色 黄 黄色 绿 绿色 渐变绿 黄绿 白 黑 ...). None or "" is UNKNOWN. Numeric codes are vendor
    specific and rejected here: use color_from_code. Anything else raises ValueError.
    """
    if isinstance(value, PlateColor):
        return value
    if value is None:
        return PlateColor.UNKNOWN
    direct = _COLOR_NAMES.get(value)  # the common case: a stored value or a plain Chinese name
    if direct is not None:
        return direct
    if not isinstance(value, str):
        raise ValueError(f"plate colour must be text, not {type(value).__name__}")
    key = unicodedata.normalize("NFKC", value).strip().upper().replace("-", "_").replace(" ", "_")
    if not key:
        return PlateColor.UNKNOWN
    try:
        return _COLOR_LOOKUP[key]
    except KeyError:
        pass
    hint = "; numeric codes need color_from_code(code, scheme)" if key.isdigit() else ""
    known = ", ".join(c.value for c in PlateColor)
    raise ValueError(f"unrecognised plate colour {value!r} (expected one of {known} or a Chinese name){hint}")
