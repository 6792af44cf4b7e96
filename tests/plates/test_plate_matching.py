"""Misread-tolerant plate matching: distance, confusion keys and the decision contract."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plates import (
    Candidate,
    KnownPlate,
    MatchResult,
    PlateColor,
    confusion_key,
    normalize_plate,
    parse_color,
    plate_distance,
    rank_candidates,
)
from plates.matching import (
    COLOR_UNCONFIRMED_COST,
    CONFUSION_CLASSES,
    CONFUSION_COST,
    CONFUSION_KEY_MAX_LENGTH,
    INDEL_COST,
    PROVINCE_COST,
    SUBSTITUTION_COST,
)
from plates.text import PROVINCES

Y, B, G, YG, W, K, U = (
    PlateColor.YELLOW,
    PlateColor.BLUE,
    PlateColor.GREEN,
    PlateColor.YELLOW_GREEN,
    PlateColor.WHITE,
    PlateColor.BLACK,
    PlateColor.UNKNOWN,
)

# A small registry of the shapes met at a Jincheng roadside station.
FLEET = [
    KnownPlate(1, "晋E12345", Y),
    KnownPlate(2, "晋E1234B", Y),
    KnownPlate(3, "晋E12345", B),  # same characters, blue: a different (small) vehicle
    KnownPlate(4, "晋EB7306", Y),
    KnownPlate(5, "晋EZ5G21", Y),
    KnownPlate(6, "晋E8Z61挂", Y),  # trailer
    KnownPlate(7, "晋ED12345", G),  # small new energy
    KnownPlate(8, "晋E12345D", YG),  # large new energy
    KnownPlate(9, "冀D4A561", Y),
    KnownPlate(10, "陕K7Q210", Y),
    KnownPlate(11, "豫E12345", Y),  # same serial as 1 in another province
    KnownPlate(12, "晋EK0D28", Y),
    KnownPlate(13, "晋EK0Q28", Y),  # one confusion (D/Q) away from 12
    KnownPlate(14, "京AF0236", B),
    KnownPlate(15, "晋B92761", Y),
    KnownPlate(16, "晋EM3312", U),  # colour never recorded
]

# (read, read colour, decision, vehicle ids): the matched id for exact/probable, the tied ids for
# ambiguous, nothing for none.
CASES: list[tuple[str, PlateColor | str | None, str, tuple[int, ...]]] = [
    # exact: same characters after normalisation, same known colour
    ("晋E12345", Y, "exact", (1,)),
    ("晋E12345", B, "exact", (3,)),  # the yellow 1 and 11 are other vehicles
    ("晋Ｅ１２３４５", Y, "exact", (1,)),  # full-width
    ("晋e·12345", "黄色", "exact", (1,)),  # lower case, middle dot, Chinese colour name
    ("晋 E 12345", "yellow", "exact", (1,)),
    ("晋E-12345", Y, "exact", (1,)),
    ("晋EI2345", Y, "exact", (1,)),  # serial I is 1
    ("晋E1234B", Y, "exact", (2,)),
    ("晋ED12345", G, "exact", (7,)),
    ("晋EDI2345", "绿色", "exact", (7,)),
    ("晋E12345D", YG, "exact", (8,)),
    ("晋E8Z61挂", Y, "exact", (6,)),
    ("晋E·8Z61·挂", Y, "exact", (6,)),
    ("冀D4A561", "黄", "exact", (9,)),
    ("京4F0236", B, "exact", (14,)),  # authority 4 is A
    ("晋892761", Y, "exact", (15,)),  # authority 8 is B
    ("晋EK0D28", Y, "exact", (12,)),  # 13 is one confusion away but this one is identical
    ("晋EKOD28", Y, "exact", (12,)),  # serial O is 0
    ("晋EB7306", Y, "exact", (4,)),
    ("陕K7Q210", Y, "exact", (10,)),
    ("晋EZ5G2I", Y, "exact", (5,)),
    # probable: only listed confusions and/or the province differ, no rival as near
    ("晋E1234S", Y, "probable", (1,)),  # 5/S; S/B is no confusion, so 2 is not close
    ("晋E1234S", B, "probable", (3,)),
    ("晋E1Z345", Y, "probable", (1,)),  # 2/Z
    ("晋E12348", Y, "probable", (2,)),  # 8/B
    ("晋E72345", Y, "probable", (1,)),  # 1/7
    ("晋EB1306", Y, "probable", (4,)),  # 7/1
    ("晋EBI306", Y, "probable", (4,)),  # I → 1, then 1/7
    ("晋E8I306", Y, "probable", (4,)),  # 8/B and I/7
    ("晋EB730G", Y, "probable", (4,)),  # 6/G
    ("晋E25G21", Y, "probable", (5,)),  # 2/Z
    ("晋EZSG21", Y, "probable", (5,)),  # 5/S
    ("晋EZ56Z1", Y, "probable", (5,)),  # 6/G and Z/2
    ("冀DAA561", Y, "probable", (9,)),  # 4/A
    ("冀D44561", Y, "probable", (9,)),  # A/4
    ("冀04A561", Y, "probable", (9,)),  # authority 0/D (not fixed by normalisation)
    ("冀QA4561", Y, "probable", (9,)),  # Q/D, A/4, 4/A
    ("翼D4A561", Y, "probable", (9,)),  # 冀 read as 翼
    ("普EB7306", Y, "probable", (4,)),  # 晋 read as 普
    ("音EB7306", Y, "probable", (4,)),  # 晋 read as 音
    ("陕EB7306", Y, "probable", (4,)),  # a real province, still a misread here
    ("晋K7Q210", Y, "probable", (10,)),  # 陕 read as 晋
    ("陕K1Q210", Y, "probable", (10,)),  # 7/1
    ("陕K7O210", Y, "probable", (10,)),  # O → 0, then 0/Q
    ("陕K7D21O", Y, "probable", (10,)),  # D/Q and O → 0
    ("晋E8261挂", Y, "probable", (6,)),  # trailer, 2/Z
    ("晋EBZ61挂", Y, "probable", (6,)),  # trailer, B/8
    ("晋E012345", G, "probable", (7,)),  # new energy, 0/D
    ("晋EQ1234S", G, "probable", (7,)),  # new energy, Q/D and S/5
    ("晋E123450", YG, "probable", (8,)),  # large new energy, 0/D
    ("晋E12345Q", YG, "probable", (8,)),  # large new energy, Q/D
    ("晋ED12345", None, "probable", (7,)),  # identical, but the colour could not be confirmed
    ("晋EM3312", Y, "probable", (16,)),  # identical, registered colour unknown
    ("晋EM3312", None, "probable", (16,)),
    ("晋EM33IZ", Y, "probable", (16,)),  # I → 1, Z/2
    ("晋EKDD28", Y, "probable", (12,)),  # D/0 from 12 (0.1), but D/0 and D/Q from 13 (0.2)
    ("晋Ｅ１２３４Ｓ", Y, "probable", (1,)),  # full-width and a confusion
    ("晋E·1234S", "黄色", "probable", (1,)),
    # ambiguous: two vehicles equally near
    ("晋E12345", None, "ambiguous", (1, 3)),  # yellow and blue, read colour unknown
    ("晋E12345", "unknown", "ambiguous", (1, 3)),
    ("晋E1234S", None, "ambiguous", (1, 3)),
    ("普E12345", Y, "ambiguous", (1, 11)),  # province misread: 晋 or 豫?
    ("冀E12345", Y, "ambiguous", (1, 11)),
    ("普E1234S", Y, "ambiguous", (1, 11)),
    ("普E12345", None, "ambiguous", (1, 3, 11)),
    ("晋EK0028", Y, "ambiguous", (12, 13)),  # 0/D or 0/Q
    ("晋EK0O28", Y, "ambiguous", (12, 13)),
    ("晋EKQ028", Y, "ambiguous", (12, 13)),
    # none: nothing close
    ("晋E1234X", Y, "none", ()),  # X is no listed confusion
    ("晋EB7J06", Y, "none", ()),
    ("晋EH3312", Y, "none", ()),  # H/M is no listed confusion
    ("晋F12345", Y, "none", ()),  # authority E/F is no listed confusion
    ("晋E12345", G, "none", ()),  # same characters, other colours only
    ("晋E12345", W, "none", ()),
    ("晋E1234S", K, "none", ()),
    ("晋ED12345", Y, "none", ()),  # the new-energy vehicle is green
    ("晋E12345D", G, "none", ()),
    ("晋E8Z61挂", B, "none", ()),  # the trailer is yellow
    ("晋E8Z61", Y, "none", ()),  # 挂 missing: wrong length
    ("晋E8Z61桂", Y, "none", ()),  # 挂 read as 桂
    ("晋E1234", Y, "none", ()),  # too short
    ("晋E123456", Y, "none", ()),  # too long
    ("晋E123455", Y, "none", ()),
    ("晋E12345挂", Y, "none", ()),
    ("E12345", Y, "none", ()),  # province missing
    ("无车牌", Y, "none", ()),
    ("无牌", None, "none", ()),
    ("未识别", Y, "none", ()),
    ("车牌", None, "none", ()),
    ("", None, "none", ()),
    ("-", None, "none", ()),
    ("NULL", Y, "none", ()),
]


@pytest.mark.parametrize(("read", "color", "decision", "ids"), CASES)
def test_misread_table(read: str, color: PlateColor | str | None, decision: str, ids: tuple[int, ...]) -> None:
    result = rank_candidates(read, color, FLEET)
    assert result.decision == decision
    if decision in ("exact", "probable"):
        assert result.match is not None
        assert result.match.vehicle_id == ids[0]
        assert result.candidates[0].vehicle_id == ids[0]
    else:
        assert result.match is None
    if decision == "ambiguous":
        best = result.candidates[0].distance
        tied = {c.vehicle_id for c in result.candidates if abs(c.distance - best) < 1e-9}
        assert tied == set(ids)
    # Whatever was decided, nothing of a contradicting colour is offered.
    read_color = parse_color(color)
    if read_color is not U:
        assert all(c.plate_color in (read_color, U) for c in result.candidates)


def test_table_covers_every_decision_and_is_large() -> None:
    assert len(CASES) >= 60
    assert {case[2] for case in CASES} == {"exact", "probable", "ambiguous", "none"}


def test_brief_example_s_is_5_not_b() -> None:
    known = [KnownPlate(1, "晋E12345", "yellow"), KnownPlate(2, "晋E1234B", "yellow")]
    result = rank_candidates("晋E1234S", "yellow", known)
    assert result.decision == "probable"
    assert result.match is not None
    assert (result.match.vehicle_id, result.match.plate) == (1, "晋E12345")
    assert [c.vehicle_id for c in result.candidates] == [1, 2]
    assert result.candidates[0].score > result.candidates[1].score


@pytest.mark.parametrize("members", CONFUSION_CLASSES)
def test_every_listed_confusion_is_probable(members: str) -> None:
    for registered, read in itertools.permutations(members, 2):
        if registered in "IO" or read in "IO":
            continue  # a serial I/O is already fixed by normalisation (checked separately)
        plate = f"晋E{registered}3456"
        result = rank_candidates(f"晋E{read}3456", Y, [KnownPlate(1, plate, Y)])
        assert result.decision == "probable", (registered, read)
        assert result.candidates[0].distance == pytest.approx(CONFUSION_COST)


def test_unlisted_pairs_are_not_close() -> None:
    for registered, read in [("S", "B"), ("8", "3"), ("E", "F"), ("M", "N"), ("U", "V"), ("0", "8")]:
        result = rank_candidates(f"晋E{read}3456", Y, [KnownPlate(1, f"晋E{registered}3456", Y)])
        assert result.decision == "none", (registered, read)
        assert [c.vehicle_id for c in result.candidates] == [1]  # still listed for a person


# --- colours ----------------------------------------------------------------------------------------


def test_confirmed_colour_beats_unrecorded_colour() -> None:
    known = [KnownPlate(1, "晋E12345", Y), KnownPlate(2, "晋E12345", U)]
    exact = rank_candidates("晋E12345", Y, known)
    assert exact.decision == "exact"
    assert [c.vehicle_id for c in exact.candidates] == [1, 2]
    probable = rank_candidates("晋E1234S", Y, known)
    assert probable.decision == "probable"
    assert probable.match is not None
    assert probable.match.vehicle_id == 1
    assert rank_candidates("晋E12345", None, known).decision == "ambiguous"


def test_colour_mismatch_is_excluded_not_listed() -> None:
    result = rank_candidates("晋E12345", Y, [KnownPlate(3, "晋E12345", B)])
    assert result == MatchResult("none", [], "晋E12345")


def test_unknown_read_colour_lets_any_colour_match() -> None:
    result = rank_candidates("晋E12345", None, [KnownPlate(3, "晋E12345", B)])
    assert result.decision == "probable"
    assert result.candidates[0].plate_color is B


def test_exact_needs_a_known_colour_on_both_sides() -> None:
    assert rank_candidates("晋E12345", Y, [KnownPlate(1, "晋E12345", Y)]).decision == "exact"
    assert rank_candidates("晋E12345", U, [KnownPlate(1, "晋E12345", Y)]).decision == "probable"
    assert rank_candidates("晋E12345", Y, [KnownPlate(1, "晋E12345", U)]).decision == "probable"


def test_bad_colour_raises() -> None:
    with pytest.raises(ValueError, match="unrecognised plate colour"):
        rank_candidates("晋E12345", "purple", FLEET)
    with pytest.raises(ValueError, match="unrecognised plate colour"):
        rank_candidates("晋E12345", Y, [KnownPlate(1, "晋E12345", "pink")])


# --- vehicles, duplicates and inputs ----------------------------------------------------------------


def test_two_vehicles_with_the_same_plate_and_colour_are_ambiguous() -> None:
    known = [KnownPlate(1, "晋E12345", Y), KnownPlate(2, "晋E12345", Y)]
    assert rank_candidates("晋E12345", Y, known).decision == "ambiguous"


def test_repeated_rows_count_once() -> None:
    known = [KnownPlate(1, "晋E12345", Y), KnownPlate(1, "晋E·12345", "黄色")]
    result = rank_candidates("晋E12345", Y, known)
    assert result.decision == "exact"
    assert len(result.candidates) == 1


def test_two_plates_of_one_vehicle_are_no_rivals() -> None:
    known = [KnownPlate(20, "晋E0Q123", Y), KnownPlate(20, "晋EDQ123", Y)]
    result = rank_candidates("晋EQQ123", Y, known)
    assert result.decision == "probable"
    assert len(result.candidates) == 2
    rivals = [KnownPlate(20, "晋E0Q123", Y), KnownPlate(21, "晋EDQ123", Y)]
    assert rank_candidates("晋EQQ123", Y, rivals).decision == "ambiguous"


def test_plain_tuples_and_raw_registry_text_are_accepted() -> None:
    result = rank_candidates("晋e1234s", "yellow", [(1, " 晋E·12345 ", "黄色")])
    assert result.decision == "probable"
    assert result.read == "晋E1234S"
    [candidate] = result.candidates
    assert (candidate.vehicle_id, candidate.plate, candidate.plate_color) == (1, "晋E12345", Y)
    assert isinstance(candidate, Candidate)
    assert candidate.distance == pytest.approx(CONFUSION_COST)
    assert candidate.score == pytest.approx(1 - CONFUSION_COST / 7)


def test_unread_registry_rows_are_skipped() -> None:
    result = rank_candidates("晋E12345", Y, [KnownPlate(1, "无车牌", Y), KnownPlate(2, "", U)])
    assert result == MatchResult("none", [], "晋E12345")


def test_candidates_are_ordered_close_first_then_by_distance() -> None:
    result = rank_candidates("晋E1234S", None, FLEET)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # 1 and 3 (close, tied), then 11 (close, province), then 2 (one substitution S/B).
    ids = [c.vehicle_id for c in result.candidates]
    assert set(ids[:2]) == {1, 3}
    assert ids[2:4] == [11, 2]


def test_score_is_one_only_for_exact() -> None:
    exact = rank_candidates("晋E12345", Y, FLEET)
    assert exact.candidates[0].score == 1.0
    assert all(c.score < 1.0 for c in exact.candidates[1:])
    unconfirmed = rank_candidates("晋EM3312", Y, FLEET)
    assert unconfirmed.candidates[0].score < 1.0
    assert unconfirmed.candidates[0].distance == pytest.approx(COLOR_UNCONFIRMED_COST)


def test_far_plates_are_not_listed() -> None:
    result = rank_candidates("晋E1234X", Y, FLEET)
    assert {c.vehicle_id for c in result.candidates} == {1, 2, 11}  # each one or two edits away
    assert all(c.distance <= 2.0 for c in result.candidates)


# --- plate_distance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("晋E12345", "晋E12345", 0.0),
        ("晋E12345", "晋E1234S", CONFUSION_COST),
        ("晋E12345", "陕E12345", PROVINCE_COST),
        ("晋E12345", "普E1234S", PROVINCE_COST + CONFUSION_COST),
        ("晋E12345", "晋E1234X", SUBSTITUTION_COST),
        ("晋E1234S", "晋E1234B", SUBSTITUTION_COST),
        ("晋E8Z612", "晋EB2613", 2 * CONFUSION_COST + SUBSTITUTION_COST),
        ("晋E12345", "晋E1234", INDEL_COST),  # deletion
        ("晋E8Z61挂", "晋E8Z61", INDEL_COST),
        ("晋E12345", "E12345", INDEL_COST),  # province missing
        ("晋E12345", "晋E123456", INDEL_COST),
        ("晋E12345", "陕E1234", PROVINCE_COST + INDEL_COST),
        ("晋E12345", "晋E1234S6", CONFUSION_COST + INDEL_COST),
        ("晋E12345", "晋12345", INDEL_COST),  # authority letter missing
        ("", "晋E12345", 7 * INDEL_COST),
    ],
)
def test_plate_distance(a: str, b: str, expected: float) -> None:
    assert plate_distance(a, b) == pytest.approx(expected)
    assert plate_distance(b, a) == pytest.approx(expected)


def test_weights_keep_close_candidates_nearer_than_any_other() -> None:
    assert CONFUSION_COST < PROVINCE_COST < SUBSTITUTION_COST
    worst_close = PROVINCE_COST + 7 * CONFUSION_COST + COLOR_UNCONFIRMED_COST  # 8-character plate
    assert worst_close < min(SUBSTITUTION_COST, INDEL_COST)


def test_confusion_classes_do_not_overlap() -> None:
    members = "".join(CONFUSION_CLASSES)
    assert len(members) == len(set(members))


# --- confusion_key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("晋E1234S", "晋E12345"),
        ("晋E1234B", "晋E12348"),
        ("晋E12345", "陕E12345"),
        ("晋E12345", "普E1Z34S"),
        ("晋EK0D28", "晋EK0Q28"),
        ("晋ED12345", "晋E012345"),
        ("晋E8Z61挂", "晋EB261挂"),
        ("晋e·1234s", "晋E12345"),  # raw reads are normalised first
        ("晋EI2345", "晋E72345"),
    ],
)
def test_confusion_key_shared(a: str, b: str) -> None:
    assert confusion_key(a) == confusion_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("晋E1234S", "晋E1234B"),
        ("晋E12345", "晋F12345"),
        ("晋E12345", "晋E1234"),
        ("晋E12345", "晋E123456"),
        ("晋ED12345", "晋E12345D"),
        ("晋E8Z61挂", "晋E8Z61桂"),
    ],
)
def test_confusion_key_differs(a: str, b: str) -> None:
    assert confusion_key(a) != confusion_key(b)


def test_confusion_key_shape() -> None:
    assert confusion_key("晋E1234S") == "E12345"
    assert confusion_key("晋EB7306") == "E81306"
    assert confusion_key("无车牌") == ""
    assert len(confusion_key("晋" + "A" * 40)) == CONFUSION_KEY_MAX_LENGTH


# --- properties -------------------------------------------------------------------------------------

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
MISREAD_PROVINCES = sorted(PROVINCES) + list("普音翼映")
_CLASS_OF = {ch: members for members in CONFUSION_CLASSES for ch in members}


@st.composite
def plates_with_color(draw: st.DrawFn) -> tuple[str, PlateColor]:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    letter = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    kind = draw(st.sampled_from(["ordinary", "trailer", "small", "large"]))
    if kind == "ordinary":
        tail = "".join(draw(st.lists(st.sampled_from(SERIAL), min_size=5, max_size=5)))
        color = draw(st.sampled_from([B, Y, U]))
    elif kind == "trailer":
        tail = "".join(draw(st.lists(st.sampled_from(SERIAL), min_size=4, max_size=4))) + "挂"
        color = draw(st.sampled_from([Y, U]))
    elif kind == "small":
        digits = draw(st.lists(st.sampled_from("0123456789"), min_size=4, max_size=4))
        tail = draw(st.sampled_from("DF")) + draw(st.sampled_from(SERIAL)) + "".join(digits)
        color = draw(st.sampled_from([G, U]))
    else:
        digits = draw(st.lists(st.sampled_from("0123456789"), min_size=5, max_size=5))
        tail = "".join(digits) + draw(st.sampled_from("DF"))
        color = draw(st.sampled_from([YG, U]))
    return province + letter + tail, color


@st.composite
def misread(draw: st.DrawFn, plate: str) -> str:
    """Apply listed confusions (and maybe a province misread) to a plate, as OCR would."""
    chars = list(plate)
    if draw(st.booleans()):
        chars[0] = draw(st.sampled_from(MISREAD_PROVINCES))
    for i in range(1, len(chars)):
        members = _CLASS_OF.get(chars[i])
        if members is not None and draw(st.booleans()):
            chars[i] = draw(st.sampled_from(members))
    text = "".join(chars)
    if draw(st.booleans()):  # decorate it as a device might
        text = f"{text[:2]}·{text[2:].lower()}"
    return text


@given(st.data(), plates_with_color())
def test_confusion_misreads_keep_the_key_and_stay_close(
    data: st.DataObject, plate_and_color: tuple[str, PlateColor]
) -> None:
    plate, color = plate_and_color
    read = data.draw(misread(plate))
    assert confusion_key(normalize_plate(read)) == confusion_key(plate)
    result = rank_candidates(read, color, [KnownPlate(1, plate, color)])
    if normalize_plate(read) == plate and color is not U:
        assert result.decision == "exact"
    else:
        assert result.decision == "probable"
    assert result.candidates[0].distance < 1.0


@settings(max_examples=200)
@given(
    st.data(),
    st.lists(plates_with_color(), min_size=1, max_size=12),
    st.sampled_from([None, B, Y, G, YG, U]),
)
def test_service_path_decides_like_a_full_scan(
    data: st.DataObject, registry: list[tuple[str, PlateColor]], read_color: PlateColor | None
) -> None:
    """Fetching rows by confusion key and ranking them gives the full scan's decision."""
    known = [KnownPlate(i, plate, color) for i, (plate, color) in enumerate(registry)]
    # Add confusion variants of registered plates as separate vehicles, to create rivals.
    for plate, color in data.draw(st.lists(st.sampled_from(registry), max_size=4)):
        known.append(KnownPlate(len(known), normalize_plate(data.draw(misread(plate))), color))
    target, target_color = data.draw(st.sampled_from(registry))
    read = data.draw(misread(target))
    key = confusion_key(normalize_plate(read))

    full = rank_candidates(read, read_color, known)
    fetched = rank_candidates(read, read_color, [k for k in known if confusion_key(k.plate) == key])

    assert fetched.decision == full.decision
    if read_color in (None, U) or target_color in (U, read_color):
        assert full.decision != "none"  # the read is a confusion misread of a registered plate
    full_id = full.match.vehicle_id if full.match else None
    fetched_id = fetched.match.vehicle_id if fetched.match else None
    assert fetched_id == full_id
    same_key = [c for c in full.candidates if confusion_key(c.plate) == key]
    assert fetched.candidates == same_key
    assert full.candidates[: len(same_key)] == same_key  # close candidates come first
    if full.match is not None:
        assert confusion_key(full.match.plate) == key


@given(st.text(alphabet="晋陕普E8BS5Z2QD0A4G61I7X挂", min_size=1, max_size=8), st.data())
def test_distance_below_one_means_same_key(a: str, data: st.DataObject) -> None:
    """On plate-length strings, "close" (same confusion key) and "distance < 1" are the same thing."""
    b = data.draw(st.text(alphabet="晋陕普E8BS5Z2QD0A4G61I7X挂", min_size=len(a), max_size=len(a)))
    d = plate_distance(a, b)
    assert d == plate_distance(b, a)
    assert (d == 0.0) == (a == b)
    assert (d < 1.0) == (confusion_key(a) == confusion_key(b))


@given(st.text(max_size=10), st.text(max_size=10))
def test_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    d = plate_distance(a, b)
    assert d == pytest.approx(plate_distance(b, a))
    assert abs(len(a) - len(b)) * INDEL_COST <= d + 1e-9
    assert d <= max(len(a), len(b)) * SUBSTITUTION_COST + 1e-9
