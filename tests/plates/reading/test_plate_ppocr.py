"""PaddleOCR's PP-OCRv4 recognition model (vendored, cv2.dnn), folded onto the plate alphabet."""

from __future__ import annotations

import numpy as np
import pytest

from plates.reading import reader as reader_mod
from plates.reading.charset import BLANK, CHARS
from plates.reading.decode import ctc_decode
from plates.reading.ppocr import DEFAULT_KEYS, DEFAULT_MODEL, MODEL_DIR, PPOCRRecognizer, _fold_matrix, warp_for_ppocr
from tests.plates.reading.conftest import PhotoFactory
from tools.plates_training.synth import PlateSpec, render_plate


@pytest.fixture(scope="module")
def ppocr() -> PPOCRRecognizer:
    return PPOCRRecognizer()


def test_the_vendored_model_is_the_recorded_file_with_its_licence_and_characters(ppocr: PPOCRRecognizer) -> None:
    import hashlib

    notice = (MODEL_DIR / "NOTICE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest() in notice
    assert "Apache License" in (MODEL_DIR / "LICENSE").read_text(encoding="utf-8")
    assert DEFAULT_KEYS.is_file() and len(ppocr.characters) == 6624  # 6,623 characters and the space
    assert ppocr.probabilities(np.zeros((48, 160, 3), np.uint8)).shape == (20, len(ppocr.characters) + 1)


def test_full_width_forms_fold_into_plate_characters_and_the_middle_dot_into_blank() -> None:
    chars = ["Ａ", "A", "·", "O", "院", "８"]
    src, dst = _fold_matrix(chars)
    pairs = dict(zip(src.tolist(), dst.tolist(), strict=True))
    a = CHARS.index("A") + 1
    assert pairs[1] == a and pairs[2] == a  # full-width and half-width A are one class
    assert pairs[3] == BLANK  # the plate's middle dot is no character
    assert pairs[4] == CHARS.index("0") + 1  # GA 36 serials have no letter O
    assert 5 not in pairs  # a character no plate carries is dropped
    assert pairs[6] == CHARS.index("8") + 1


@pytest.mark.parametrize(
    "spec",
    [PlateSpec("晋E12345", "blue"), PlateSpec("晋B5C203", "yellow"), PlateSpec("晋AD12345", "green")],
    ids=lambda s: s.text,
)
def test_a_rendered_plate_is_read_from_its_warped_line(ppocr: PPOCRRecognizer, spec: PlateSpec) -> None:
    import random

    plate, corners = render_plate(spec, random.Random(5), scale=0.5)
    logits = ppocr.read_quad(plate, np.asarray(corners, np.float32), False)
    assert logits.shape[0] == len(CHARS) + 1
    assert np.allclose(np.exp(logits).sum(axis=0), 1.0, atol=1e-3)
    assert ctc_decode(logits).text == spec.text


def test_a_double_row_plate_becomes_one_line_top_row_first() -> None:
    img = np.zeros((220, 440, 3), np.uint8)
    img[:80] = 255  # the top row white, the lower row black
    quad = np.array([[0, 0], [440, 0], [440, 220], [0, 220]], np.float32)
    line = warp_for_ppocr(img, quad, True)
    assert line.shape[0] == 48
    assert line[:, :10].mean() > 200 and line[:, -10:].mean() < 50


def test_the_cascade_reads_each_found_plate_once_more_with_ppocr(
    make_photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    img, _ = make_photo([PlateSpec("晋E12345", "blue"), PlateSpec("晋K77Z21", "yellow")], seed=8, widths=[260, 260])
    reader = reader_mod.PlateReader(engine="cascade")
    assert reader.ppocr is not None
    calls: list[bool] = []
    read_quad = reader.ppocr.read_quad

    def counting(image: np.ndarray, quad: np.ndarray, double: bool) -> np.ndarray:
        calls.append(double)
        return read_quad(image, quad, double)

    monkeypatch.setattr(reader.ppocr, "read_quad", counting)
    got = reader.read(img)
    assert sorted(r.plate for r in got) == ["晋E12345", "晋K77Z21"]
    assert 2 <= len(calls) <= 2 + reader_mod.RESCUE


def test_engines_are_checked() -> None:
    with pytest.raises(ValueError, match="engine"):
        reader_mod.PlateReader(engine="tesseract")
