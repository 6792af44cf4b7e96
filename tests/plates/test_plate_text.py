"""Plate-text rules: normalisation, unread markers, GA 36 validation and colour codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plates import (
    COLOR_SCHEMES,
    PlateCheck,
    PlateColor,
    color_from_code,
    is_unread,
    normalize_plate,
    parse_color,
    validate_plate,
)
from plates.matching import CONFUSION_CLASSES
from plates.text import (
    AUTHORITY_DIGIT_FIXES,
    CANONICAL,
    FORM_COLORS,
    PROVINCES,
    SERIAL_CHARS,
    SERIAL_LETTER_FIXES,
    _normalize_full,
)

# --- normalize_plate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("晋E12345", "晋E12345"),
        ("晋e12345", "晋E12345"),
        ("晋Ｅ１２３４５", "晋E12345"),  # full-width letters and digits
        ("晋ｅ１２３４５", "晋E12345"),  # full-width lower case
        ("晋E·12345", "晋E12345"),  # middle dot U+00B7
        ("晋E•12345", "晋E12345"),  # bullet
        ("晋E・12345", "晋E12345"),  # katakana middle dot
        ("晋E･12345", "晋E12345"),  # half-width katakana middle dot (NFKC → ・)
        ("晋E.12345", "晋E12345"),
        ("晋E-12345", "晋E12345"),
        ("晋E－12345", "晋E12345"),  # full-width hyphen
        ("晋E—12345", "晋E12345"),  # em dash
        ("晋E–12345", "晋E12345"),  # en dash
        (" 晋 E 1 2 3 4 5 ", "晋E12345"),
        ("晋E\u300012345", "晋E12345"),  # ideographic space
        ("晋E\t12345\n", "晋E12345"),
        ("晋E\u200b12345", "晋E12345"),  # zero-width space
        ("晋EI2345", "晋E12345"),  # serial I is certainly 1
        ("晋EO2345", "晋E02345"),  # serial O is certainly 0
        ("晋E1234I", "晋E12341"),
        ("晋Eo2345", "晋E02345"),  # lower-case o upper-cased, then fixed
        ("晋ED1234O", "晋ED12340"),  # new energy: serial positions too
        ("晋8K1234", "晋BK1234"),  # authority digit 8 can only be B
        ("京4F0236", "京AF0236"),  # 4 → A
        ("冀2A1234", "冀ZA1234"),  # 2 → Z
        ("粤5B1234", "粤SB1234"),  # 5 → S
        ("川6C1234", "川GC1234"),  # 6 → G
        ("晋0E1234", "晋0E1234"),  # 0: D, Q or O, not certain → kept
        ("晋1E1234", "晋1E1234"),  # 1: not certain → kept
        ("晋7E1234", "晋7E1234"),  # 7: not certain → kept
        ("粤OA1234", "粤OA1234"),  # O is a real authority letter → kept
        ("晋EB7306", "晋EB7306"),  # serial letters other than I/O are untouched
        ("晋E8Z61挂", "晋E8Z61挂"),
        ("晋E8Z61 挂", "晋E8Z61挂"),
        ("E1I345", "E1I345"),  # no province: positions unknown, nothing fixed
        ("普EI2345", "普E12345"),  # a misread province still anchors the positions
    ],
)
def test_normalize_plate(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    "marker",
    [
        "",
        "   ",
        "-",
        "—",
        "·",
        "无车牌",
        " 无车牌 ",
        "无牌",
        "无号牌",
        "未识别",
        "车牌",
        "未知",
        "NULL",
        "none",
        "Unknown",
        "*******",
        "???",
        None,
    ],
)
def test_unread_markers_normalise_to_empty(marker: str | None) -> None:
    assert normalize_plate(marker) == ""
    assert is_unread(marker)


@pytest.mark.parametrize("plate", ["晋E12345", "晋ED12345", "无E12345", "车", "E"])
def test_plates_are_not_unread(plate: str) -> None:
    assert not is_unread(plate)
    assert normalize_plate(plate) != ""


def test_position_fixes_stay_inside_confusion_classes() -> None:
    """Matching relies on this: a fix must never move a plate to a different confusion key."""
    fixes = {**SERIAL_LETTER_FIXES, **AUTHORITY_DIGIT_FIXES}
    for src, dst in fixes.items():
        assert any(src in cls and dst in cls for cls in CONFUSION_CLASSES), (src, dst)


@given(st.text(max_size=20))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_plate(text)
    assert normalize_plate(once) == once


@given(st.from_regex(CANONICAL, fullmatch=True))
def test_texts_in_stored_form_pass_through_the_full_path_unchanged(text: str) -> None:
    """normalize_plate returns CANONICAL texts as they are; the full path must agree."""
    assert _normalize_full(text) == text


@given(st.text(alphabet="晋冀京普ＡＢａｂEeIiOo0１2·•・.-－ \u3000挂警", max_size=10))
def test_normalize_output_is_clean(text: str) -> None:
    out = normalize_plate(text)
    assert not any(ch in out for ch in " \u3000·•・.-－")
    assert out == out.upper()
    assert out.isascii() or not any("\uff01" <= ch <= "\uff5e" for ch in out)  # no full-width ASCII
    if len(out) > 2 and not out[0].isascii():
        assert "I" not in out[2:]
        assert "O" not in out[2:]


# --- validate_plate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plate", "color", "form"),
    [
        ("晋E12345", "yellow", "ordinary"),
        ("晋E12345", "blue", "ordinary"),
        ("晋E12345", PlateColor.YELLOW, "ordinary"),
        ("晋E12345", "unknown", "ordinary"),
        ("京AF0236", "蓝色", "ordinary"),
        ("晋EB7306", "yellow", "ordinary"),
        ("晋EABCDE", "blue", "ordinary"),
        ("粤OA1234", "blue", "ordinary"),  # authority O is allowed
        ("晋E8Z61挂", "yellow", "trailer"),
        ("晋E8Z61挂", "unknown", "trailer"),
        ("晋E1234学", "yellow", "coach"),
        ("晋E1234警", "white", "police"),
        ("粤Z1234港", "black", "hk_macau"),
        ("粤Z1234澳", "black", "hk_macau"),
        ("晋ED12345", "green", "new_energy_small"),
        ("晋EF12345", "green", "new_energy_small"),
        ("晋EDA1234", "green", "new_energy_small"),  # second serial may be a letter
        ("晋ED12345", "unknown", "new_energy_small"),
        ("晋E12345D", "yellow_green", "new_energy_large"),
        ("晋E12345F", "黄绿", "new_energy_large"),
        ("晋E12345D", "unknown", "new_energy_large"),
        ("琼A12345", "blue", "ordinary"),
        ("藏A12345", "yellow", "ordinary"),
    ],
)
def test_validate_accepts(plate: str, color: str, form: str) -> None:
    check = validate_plate(plate, color)
    assert check == PlateCheck(ok=True, form=form)


@pytest.mark.parametrize(
    ("plate", "color", "reason_part"),
    [
        ("", "yellow", "empty"),
        ("无车牌", "yellow", "empty"),
        ("晋e12345", "yellow", "not in normal form"),
        ("晋E·12345", "yellow", "not in normal form"),
        ("晋EI2345", "yellow", "not in normal form"),  # I is not allowed: normal form is 晋E12345
        ("晋E1234", "yellow", "6 characters"),
        ("晋E1234567", "green", "9 characters"),
        ("普E12345", "yellow", "province"),
        ("台A12345", "yellow", "province"),
        ("E123456", "yellow", "province"),
        ("晋112345", "yellow", "authority"),
        ("晋0E1234", "yellow", "authority"),
        ("晋E12挂45", "yellow", "position 5"),
        ("晋E1234挂港", "black", "neither small"),  # only the last may be a suffix
        ("晋E123#5", "yellow", "position 6"),
        ("晋E8Z61挂", "blue", "trailer"),
        ("晋E1234学", "blue", "coach"),
        ("晋E1234警", "blue", "police"),
        ("晋E1234警", "yellow", "police"),
        ("粤Z1234港", "yellow", "hk_macau"),
        ("晋E12345", "green", "ordinary"),  # 7 characters can't be green
        ("晋E12345", "yellow_green", "ordinary"),
        ("晋E12345", "white", "ordinary"),
        ("晋E12345", "black", "ordinary"),
        ("晋ED12345", "yellow", "new_energy_small"),  # 8 characters must be green or yellow-green
        ("晋ED12345", "blue", "new_energy_small"),
        ("晋ED12345", "yellow_green", "new_energy_small"),  # small form needs green
        ("晋E12345D", "green", "new_energy_large"),  # large form needs yellow-green
        ("晋E12345D", "yellow", "new_energy_large"),
        ("晋EA12345", "green", "neither small"),  # A is not D/F
        ("晋ED1234A", "green", "neither small"),  # last four must be digits
        ("晋E1234AD", "yellow_green", "neither small"),  # five digits before D/F
        ("晋E123456", "green", "neither small"),  # 8 characters without D/F
        ("晋E12345", "purple", "unrecognised plate colour"),
    ],
)
def test_validate_rejects(plate: str, color: str, reason_part: str) -> None:
    check = validate_plate(plate, color)
    assert not check.ok
    assert check.reason is not None
    assert reason_part in check.reason
    assert check.reason_zh  # a Chinese reason for the operators
    assert any("\u4e00" <= ch <= "\u9fff" for ch in check.reason_zh)


def test_validate_names_the_normal_form() -> None:
    check = validate_plate("晋 e·I2345", "yellow")
    assert check.reason is not None
    assert "'晋E12345'" in check.reason


def test_colour_mismatch_keeps_the_form() -> None:
    assert validate_plate("晋E8Z61挂", "blue").form == "trailer"


@st.composite
def valid_plates(draw: st.DrawFn) -> tuple[str, PlateColor]:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    letter = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    serial = sorted(SERIAL_CHARS)
    digits = "0123456789"
    kind = draw(st.sampled_from(["ordinary", "suffix", "small", "large"]))
    if kind == "ordinary":
        tail = "".join(draw(st.lists(st.sampled_from(serial), min_size=5, max_size=5)))
        color = draw(st.sampled_from([PlateColor.BLUE, PlateColor.YELLOW]))
    elif kind == "suffix":
        suffix = draw(st.sampled_from("挂学警港澳"))
        tail = "".join(draw(st.lists(st.sampled_from(serial), min_size=4, max_size=4))) + suffix
        color = {"挂": PlateColor.YELLOW, "学": PlateColor.YELLOW, "警": PlateColor.WHITE}.get(suffix, PlateColor.BLACK)
    elif kind == "small":
        tail = draw(st.sampled_from("DF")) + draw(st.sampled_from(serial))
        tail += "".join(draw(st.lists(st.sampled_from(digits), min_size=4, max_size=4)))
        color = PlateColor.GREEN
    else:
        tail = "".join(draw(st.lists(st.sampled_from(digits), min_size=5, max_size=5)))
        tail += draw(st.sampled_from("DF"))
        color = PlateColor.YELLOW_GREEN
    return province + letter + tail, color


@given(valid_plates())
def test_generated_valid_plates_pass_and_are_normal(plate_and_color: tuple[str, PlateColor]) -> None:
    plate, color = plate_and_color
    assert normalize_plate(plate) == plate
    assert validate_plate(plate, color).ok
    assert validate_plate(plate, PlateColor.UNKNOWN).ok
    # Decorated the way devices send them, they normalise back.
    assert normalize_plate(f" {plate[:2]}·{plate[2:].lower()} ") == plate


@given(valid_plates(), st.sampled_from(list(PlateColor)))
def test_exactly_the_form_colours_pass(plate_and_color: tuple[str, PlateColor], color: PlateColor) -> None:
    plate, _ = plate_and_color
    check = validate_plate(plate, color)
    assert check.form is not None
    form_colors = FORM_COLORS[check.form]
    assert check.ok == (color is PlateColor.UNKNOWN or color in form_colors)


# --- colours ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "scheme", "expected"),
    [
        (0, "hj845_a", PlateColor.BLUE),
        (1, "hj845_a", PlateColor.YELLOW),
        (2, "hj845_a", PlateColor.WHITE),
        (3, "hj845_a", PlateColor.BLACK),
        (4, "hj845_a", PlateColor.GREEN),
        ("1", "hj845_a", PlateColor.YELLOW),
        (" 01 ", "hj845_a", PlateColor.YELLOW),
        (1.0, "hj845_a", PlateColor.YELLOW),  # pandas reads integer columns with gaps as float
        (1, "vendor_b", PlateColor.BLUE),
        (2, "vendor_b", PlateColor.YELLOW),
        (3, "vendor_b", PlateColor.WHITE),
        (4, "vendor_b", PlateColor.BLACK),
        (5, "vendor_b", PlateColor.GREEN),
        (6, "vendor_b", PlateColor.YELLOW_GREEN),
        ("6", "vendor_b", PlateColor.YELLOW_GREEN),
        (None, "vendor_b", PlateColor.UNKNOWN),
        ("", "hj845_a", PlateColor.UNKNOWN),
    ],
)
def test_color_from_code(code: int | float | str | None, scheme: str, expected: PlateColor) -> None:
    assert color_from_code(code, scheme) is expected


@pytest.mark.parametrize(
    ("code", "scheme", "message"),
    [
        (5, "hj845_a", "not defined in scheme 'hj845_a'"),
        (0, "vendor_b", "not defined in scheme 'vendor_b'"),
        (7, "vendor_b", "not defined"),
        ("blue", "vendor_b", "not defined"),
        (1.5, "vendor_b", "not a whole number"),
        (True, "vendor_b", "not True"),
        (1, "vendor_z", "unknown plate colour scheme 'vendor_z'"),
    ],
)
def test_color_from_code_rejects(code: int | float | str, scheme: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        color_from_code(code, scheme)


def test_same_code_differs_between_schemes() -> None:
    assert color_from_code(1, "hj845_a") is PlateColor.YELLOW
    assert color_from_code(1, "vendor_b") is PlateColor.BLUE


def test_a_new_vendor_scheme_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COLOR_SCHEMES, "vendor_c", {"9": PlateColor.YELLOW, "10": PlateColor.GREEN})
    assert color_from_code("09", "vendor_c") is PlateColor.YELLOW
    assert color_from_code(10, "vendor_c") is PlateColor.GREEN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("blue", PlateColor.BLUE),
        ("Yellow", PlateColor.YELLOW),
        (" GREEN ", PlateColor.GREEN),
        ("yellow_green", PlateColor.YELLOW_GREEN),
        ("yellow-green", PlateColor.YELLOW_GREEN),
        ("yellow green", PlateColor.YELLOW_GREEN),
        ("white", PlateColor.WHITE),
        ("black", PlateColor.BLACK),
        ("unknown", PlateColor.UNKNOWN),
        (PlateColor.BLACK, PlateColor.BLACK),
        ("蓝", PlateColor.BLUE),
        ("蓝色", PlateColor.BLUE),
        ("黄", PlateColor.YELLOW),
        ("黄色", PlateColor.YELLOW),
        ("黄牌", PlateColor.YELLOW),
        ("绿", PlateColor.GREEN),
        ("绿色", PlateColor.GREEN),
        ("渐变绿", PlateColor.GREEN),
        ("黄绿", PlateColor.YELLOW_GREEN),
        ("黄绿色", PlateColor.YELLOW_GREEN),
        ("白", PlateColor.WHITE),
        ("白色", PlateColor.WHITE),
        ("黑", PlateColor.BLACK),
        ("黑色", PlateColor.BLACK),
        ("未知", PlateColor.UNKNOWN),
        ("", PlateColor.UNKNOWN),
        (None, PlateColor.UNKNOWN),
    ],
)
def test_parse_color(value: str | None, expected: PlateColor) -> None:
    assert parse_color(value) is expected


@pytest.mark.parametrize("value", ["purple", "红", "bleu", "yellowish"])
def test_parse_color_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="unrecognised plate colour"):
        parse_color(value)


def test_parse_color_points_codes_to_schemes() -> None:
    with pytest.raises(ValueError, match="color_from_code"):
        parse_color("2")


def test_every_color_value_round_trips() -> None:
    for color in PlateColor:
        assert parse_color(color.value) is color
        assert parse_color(color.value.upper()) is color
