"""Unit tests of the plate reader's building blocks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from plates.reading.charset import BLANK, CHARS, NUM_CLASSES, is_valid_plate
from plates.reading.evaluate import char_accuracy, levenshtein
from plates.reading.recognizer import ctc_decode
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


def test_plate_reading_is_frozen_and_serialisable() -> None:
    r = PlateReading("晋E12345", "blue", 0.9, (0.9,) * 7, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.plate = "x"  # type: ignore[misc]
    d = r.to_dict()
    assert d["plate"] == "晋E12345"
    assert len(d["corners"]) == 4  # type: ignore[arg-type]
