"""Unit tests of the plate reader's building blocks."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from plates.reading.charset import BLANK, CHARS, NUM_CLASSES, is_valid_plate
from plates.reading.color import classify_color, green_ground, reading_color
from plates.reading.decode import ctc_decode, decode_plate, grammar_decode
from plates.reading.detect import Candidate
from plates.reading.evaluate import EvalReport, ImageResult, char_accuracy, levenshtein
from plates.reading.reader import _decode, _variants, apply_thread_limit
from plates.reading.rectify import INPUT_H, INPUT_W, order_corners, warp_plate
from plates.reading.types import PlateReading


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("晋E12345", True),
        ("皖AD19789", True),  # small new-energy
        ("粤B12345D", True),  # large new-energy
        ("京A1234警", True),
        ("晋E1234挂", True),
        ("晋E1234", False),
        ("晋e12345", False),
        ("E123456", False),
        ("晋E·12345", False),
        ("晋EI2345", False),  # no I on plates
    ],
)
def test_plate_grammar(text: str, ok: bool) -> None:
    assert is_valid_plate(text) is ok


def _logits(seq: list[int], peak: float = 8.0) -> np.ndarray:
    lg = np.zeros((NUM_CLASSES, len(seq)), np.float32)
    for t, k in enumerate(seq):
        lg[k, t] = peak
    return lg


def test_ctc_decode_collapses_repeats_and_blanks() -> None:
    a, b = CHARS.index("晋") + 1, CHARS.index("1") + 1
    res = ctc_decode(_logits([BLANK, a, a, BLANK, b, BLANK, b, b]))
    assert res.text == "晋11"
    assert len(res.char_confidences) == 3
    assert res.confidence == min(res.char_confidences)
    assert all(0.9 < c <= 1.0 for c in res.char_confidences)


def test_ctc_decode_low_peak_gives_low_confidence() -> None:
    a = CHARS.index("A") + 1
    strong = ctc_decode(_logits([a, BLANK], peak=10.0))
    weak = ctc_decode(_logits([a, BLANK], peak=5.0))
    assert strong.text == weak.text == "A"
    assert weak.confidence < strong.confidence


def _frames(text: str, second: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Logits spelling ``text`` one character per two frames (char, blank), optionally with a
    runner-up class at character ``i`` (as logit)."""
    seq: list[int] = []
    for c in text:
        seq += [CHARS.index(c) + 1, BLANK]
    lg = _logits(seq)
    for i, (c, logit) in (second or {}).items():
        lg[CHARS.index(c) + 1, 2 * i] = logit
    return lg


def test_grammar_decode_replaces_a_class_the_position_forbids() -> None:
    # "6" where only a letter may stand; "G" is the network's runner-up there
    lg = _frames("湘6R0L16", {1: ("G", 5.0)})
    assert ctc_decode(lg).text == "湘6R0L16"
    for decode in (decode_plate, grammar_decode):
        res = decode(lg)
        assert res is not None
        assert res.text == "湘GR0L16"
        assert len(res.char_confidences) == 7
        assert 0.9 < res.char_confidences[0] <= 1.0
        # G holds against the other letters and the blank, though "6" outscored it
        assert 0.5 < res.char_confidences[1] < res.char_confidences[0]


def test_grammar_decode_keeps_a_read_that_is_already_a_plate() -> None:
    lg = _frames("晋E12345", {3: ("7", 6.0)})
    greedy = ctc_decode(lg)
    assert greedy.text == "晋E12345"
    for decode in (decode_plate, grammar_decode):
        res = decode(lg)
        assert res is not None and res.text == greedy.text


def test_grammar_decode_restores_a_dropped_character_with_low_confidence() -> None:
    # six characters read; the seventh has only weak evidence in a blank frame
    lg = _frames("晋E1234")
    lg = np.concatenate([lg, _logits([BLANK, BLANK])], axis=1)
    lg[CHARS.index("5") + 1, -1] = 3.0
    assert ctc_decode(lg).text == "晋E1234"
    res = decode_plate(lg)
    assert res is not None
    assert res.text == "晋E12345"
    assert res.confidence == res.char_confidences[-1] < 0.35  # the reader's threshold rejects it


def test_grammar_decode_picks_the_new_energy_layout_for_eight_characters() -> None:
    res = decode_plate(_frames("皖AD19789"))
    assert res is not None and res.text == "皖AD19789"
    # a small new-energy plate has D/F third: the runner-up F replaces the 5 read there (the
    # large layout, D/F last, would need the 9 replaced by a class with no evidence at all)
    res = decode_plate(_frames("皖A519789", {2: ("F", 6.0)}))
    assert res is not None and res.text == "皖AF19789"


def test_decode_plate_searches_the_eight_character_layouts_when_asked() -> None:
    # "晋D12345" is a valid seven-character plate; on a green plate the weak "A" is the missing eighth
    lg = _frames("晋AD12345")
    a = CHARS.index("A") + 1
    lg[a, 2] = 2.0
    lg[BLANK, 2] = 8.0
    seven = decode_plate(lg)
    assert seven is not None and seven.text == "晋D12345"
    res = decode_plate(lg, 8)
    assert res is not None and res.text == "晋AD12345"
    assert res.char_confidences[1] < 0.35 < min(res.char_confidences[:1] + res.char_confidences[2:])


def test_decode_plate_gives_up_on_reads_far_from_a_plate() -> None:
    assert decode_plate(_frames("晋E1")) is None
    assert decode_plate(_logits([BLANK] * 32)) is None


def test_grammar_decode_always_returns_a_plate() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        lg = rng.normal(0, 3, (NUM_CLASSES, 32)).astype(np.float32)
        res = grammar_decode(lg)
        assert res is not None
        assert is_valid_plate(res.text)
        assert len(res.char_confidences) == len(res.text)
        assert all(0.0 <= c <= 1.0 for c in res.char_confidences)


def test_order_corners_any_input_order() -> None:
    pts = np.array([[110, 60], [10, 20], [12, 58], [108, 22]], np.float32)
    q = order_corners(pts)
    assert q.tolist() == [[10, 20], [108, 22], [110, 60], [12, 58]]


def test_warp_shapes() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    quad = np.array([[10, 10], [190, 10], [190, 70], [10, 70]], np.float32)
    assert warp_plate(img, quad, False).shape == (INPUT_H, INPUT_W, 3)
    assert warp_plate(img, quad, True).shape == (INPUT_H, INPUT_W, 3)


def test_levenshtein_and_char_accuracy() -> None:
    assert levenshtein("晋E12345", "晋E12345") == 0
    assert levenshtein("晋E12345", "晋E1234") == 1
    assert levenshtein("晋E12345", "晋F12346") == 2
    assert char_accuracy("晋E12345", "晋E12345") == 1.0
    assert char_accuracy("晋E12345", "") == 0.0
    assert char_accuracy("晋E12345", "晋E12346") == pytest.approx(6 / 7)


def _reading(plate: str, color: str) -> PlateReading:
    return PlateReading(plate, color, 0.9, (0.9,) * len(plate), ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))


def test_plate_colour_is_judged_on_the_plates_reading_even_when_a_character_is_misread() -> None:
    misread = ImageResult("a.jpg", "湘A5RM87", "blue", (_reading("湘A5RH87", "blue"),), 1.0)
    assert not misread.exact and not misread.color_ok  # the strict measure: exact reads only
    assert misread.plate_color_ok
    wrong_colour = ImageResult("b.jpg", "湘A5RM87", "blue", (_reading("湘A5RH87", "yellow"),), 1.0)
    assert not wrong_colour.plate_color_ok
    assert "colour blue read as yellow" in wrong_colour.mistakes()
    # three edits away is another plate (or no reading of this one): its colour does not count
    other = ImageResult("c.jpg", "湘A5RM87", "blue", (_reading("湘A21A42", "blue"),), 1.0)
    assert other.plate_reading is None and not other.plate_color_ok
    # with the exact plate and a near miss both read, the exact one is the plate's reading
    both = ImageResult("d.jpg", "湘A5RM87", "blue", (_reading("湘A5RH87", "yellow"), _reading("湘A5RM87", "blue")), 1.0)
    assert both.plate_color_ok
    summary = EvalReport([misread, wrong_colour, other, both]).summary
    assert summary["color_accuracy"] == 0.25 and summary["plate_color_accuracy"] == 0.5


def test_plate_reading_is_frozen_and_serialisable() -> None:
    r = PlateReading("晋E12345", "blue", 0.9, (0.9,) * 7, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.plate = "x"  # type: ignore[misc]
    d = r.to_dict()
    assert d["plate"] == "晋E12345"
    assert len(d["corners"]) == 4  # type: ignore[arg-type]


def test_a_squat_blue_region_is_also_read_as_one_row() -> None:
    # perspective makes a blue plate's region look 2:1, the shape of a double-row plate; blue
    # plates on the road are single-row, so the single layout is tried as well
    quad = np.array([[0, 0], [58, 0], [58, 29], [0, 29]], np.float32)
    layouts = [double for _, double in _variants(Candidate(quad, "blue", 1.0))]
    assert False in layouts and True in layouts
    yellow = _variants(Candidate(quad, "yellow", 1.0))
    assert [double for _, double in yellow] == [True, True]
    # the second double-row layout has no side margins: the region's own ends
    assert yellow[0][0][0, 0] < 0 and yellow[1][0][:, 0].tolist() == [0, 58, 58, 0]


def _plate(ground_bgr: tuple[int, int, int], text_bgr: tuple[int, int, int]) -> np.ndarray:
    crop = np.full((INPUT_H, INPUT_W, 3), ground_bgr, np.uint8)
    for x in range(8, INPUT_W - 12, 16):  # seven stroke-like characters
        crop[6:26, x : x + 5] = text_bgr
        crop[6:9, x : x + 10] = text_bgr
    return crop


@pytest.mark.parametrize(
    ("ground", "text", "colour"),
    [
        ((32, 30, 30), (255, 225, 200), "black"),  # bluish-white characters on a black plate
        ((70, 20, 10), (200, 190, 185), "blue"),  # a blue plate at night: dark, still blue
        ((180, 70, 20), (245, 245, 245), "blue"),
        ((30, 190, 235), (20, 20, 20), "yellow"),
        ((235, 235, 235), (20, 20, 20), "white"),
        # GA 36 keeps green grounds for eight-character plates: a seven-character plate that looks
        # green is a yellow or blue plate under a colour cast, whichever hue is nearer
        ((30, 235, 190), (20, 20, 20), "yellow"),  # lime (hue 37 of 180)
        ((200, 230, 30), (245, 245, 245), "blue"),  # cyan (hue 86)
    ],
)
def test_colour_is_judged_on_the_plate_ground(
    ground: tuple[int, int, int], text: tuple[int, int, int], colour: str
) -> None:
    assert classify_color(_plate(ground, text), 7) == colour


def test_a_green_ground_is_green_on_an_eight_character_plate_only() -> None:
    lime = _plate((30, 235, 190), (20, 20, 20))
    assert green_ground(lime)
    assert classify_color(lime, 8) == "green"
    assert classify_color(lime, 7) == "yellow"
    assert not green_ground(_plate((30, 190, 235), (20, 20, 20)))  # yellow
    assert not green_ground(_plate((180, 70, 20), (245, 245, 245)))  # blue


@pytest.mark.parametrize(
    ("ground", "text_bgr", "plate", "ground_colour", "colour"),
    [
        # the form fixes the colour: police white, HK/Macau black, trailer yellow, new energy
        ((200, 120, 60), (20, 20, 20), "京A1234警", "blue", "white"),  # a white plate in blue light
        ((70, 20, 10), (200, 190, 185), "粤Z1A23港", "blue", "black"),
        ((180, 70, 20), (245, 245, 245), "晋E1234挂", "blue", "yellow"),
        ((30, 190, 235), (20, 20, 20), "晋AD12345", "green", "green"),
        ((60, 200, 80), (20, 20, 20), "晋C12345D", "green", "yellow_green"),
        # an ordinary plate is blue or yellow: with no hue to go by, light characters make it blue,
        # dark ones yellow
        ((32, 30, 30), (255, 225, 200), "晋E12345", "black", "blue"),
        ((235, 235, 235), (20, 20, 20), "晋E12345", "white", "yellow"),
        ((180, 70, 20), (245, 245, 245), "晋E12345", "blue", "blue"),
        # a form plates.text does not know (consulate 领) keeps the ground's colour
        ((32, 30, 30), (255, 225, 200), "沪A1234领", "black", "black"),
    ],
)
def test_a_readings_colour_is_one_its_form_allows(
    ground: tuple[int, int, int], text_bgr: tuple[int, int, int], plate: str, ground_colour: str, colour: str
) -> None:
    crop = _plate(ground, text_bgr)
    assert classify_color(crop, len(plate)) == ground_colour
    assert reading_color(crop, plate) == colour


def test_a_teal_blue_plate_is_not_a_green_ground() -> None:
    """A blue plate under a cyan cast: most of its ground between the green and blue masks (hue
    94), a third of it just inside the green one (86)."""
    teal = _plate((160, 140, 20), (245, 245, 245))
    teal[:, ::3] = np.where(teal[:, ::3] == (160, 140, 20), (140, 160, 20), teal[:, ::3])
    assert not green_ground(teal)
    assert classify_color(teal, 7) == "blue"
    assert green_ground(_plate((60, 200, 80), (20, 20, 20)))


def test_a_seven_character_read_on_a_green_ground_is_searched_as_new_energy_unless_it_has_a_suffix_or_is_sure() -> None:
    green = _plate((60, 200, 80), (20, 20, 20))  # a new-energy plate's ground, or a cast on a white plate
    assert green_ground(green)
    # "晋D12345" read, the "A" lost to the blank: on a green ground the eight-character layouts
    # find the new-energy plate
    lg = _frames("晋AD12345")
    lg[CHARS.index("A") + 1, 2] = 7.8
    lg[BLANK, 2] = 8.0
    res = _decode(green, lg, double=False)
    assert res is not None and res.text == "晋AD12345"
    # a police plate's 警 (or 港, 挂...) says it is no new-energy plate: its read stands
    res = _decode(green, _frames("京A1234警"), double=False)
    assert res is not None and res.text == "京A1234警" and res.confidence > 0.9
    # so does a sure read whose eight-character layouts need a character the frames do not show
    # (a yellow or blue plate under a green cast)
    res = _decode(green, _frames("晋E12345"), double=False)
    assert res is not None and res.text == "晋E12345" and res.confidence > 0.95
    # ... but a read less than sure is searched as new energy all the same (on the real photos a
    # green plate's unsure seven-character misreads would otherwise displace its reads)
    res = _decode(green, _frames("晋E12345", {3: ("7", 7.0)}), double=False)
    assert res is not None and len(res.text) == 8


def test_colour_of_a_plate_crop_with_the_car_above_and_below() -> None:
    # a crop widened to catch the plate's ends also shows a blue car body above and below it
    crop = _plate((235, 235, 235), (20, 20, 20))
    crop[:7] = (180, 70, 20)
    crop[-7:] = (180, 70, 20)
    assert classify_color(crop, 7) == "white"


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("", None), ("auto", None), ("0", None)])
def test_omp_num_threads_holds_opencv_to_that_many_threads(
    value: str, expected: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        apply_thread_limit()
        assert cv2.getNumThreads() == (expected if expected is not None else 2)
    finally:
        cv2.setNumThreads(before)
