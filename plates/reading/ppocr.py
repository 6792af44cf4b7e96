"""Plate characters read by PaddleOCR's PP-OCRv4 text recogniser (Apache-2.0), run with ``cv2.dnn``.

The recognition ONNX model is vendored in ``models/ppocr/`` with its licence and provenance
(``NOTICE.md``); nothing is downloaded at run time. It was trained by PaddleOCR on large real text
corpora, so it knows real print, wear, blur and glare, which our own small recogniser
(``recognizer.py``, trained on synthetic plates) does not.

Its output is a per-frame distribution over 6,623 characters. ``PPOCRRecognizer.fold`` folds it onto
the plate alphabet of ``charset.CHARS`` (full-width forms summed into their half-width characters,
"O"/"〇" into "0" since GA 36 serials have no letter O, the plate's middle dot and spaces into the
CTC blank, every other character dropped, the rest renormalised) and returns log-probabilities in
the same (classes, T) layout as our recogniser, so the same grammar decoding (``decode.decode_plate``,
GA 36 forms) reads it.

OpenCV's threads (and so this model's) are held to ``OMP_NUM_THREADS`` by
``reader.apply_thread_limit``.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8
from plates.reading.charset import BLANK, CHARS, NUM_CLASSES

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

MODEL_DIR = Path(__file__).resolve().parent / "models" / "ppocr"
DEFAULT_MODEL = MODEL_DIR / "ch_PP-OCRv4_rec_infer.onnx"
DEFAULT_KEYS = MODEL_DIR / "ppocr_keys_v1.txt"
HEIGHT = 48  # the model's input height
#: Width of the warped plates: a single-row plate (440 x 140 mm, 3.1:1) with the reader's margins.
SINGLE_W = 160
#: A double-row plate is warped to 2:1 at twice this height, its rows cut apart and laid side by side.
DOUBLE_TOP_W = 64
_DOUBLE_SPLIT = 0.36  # share of a double-row plate's height taken by its top row (GA 36, 75 of 220 mm)
_TO_BLANK = set("·•.．。 ")
_ALIASES = {"O": "0", "o": "0", "〇": "0"}


def load_keys(path: Path | str = DEFAULT_KEYS) -> list[str]:
    """The model's characters, class 1 on (class 0 is the CTC blank); PaddleOCR adds a space class last."""
    return [*Path(path).read_text(encoding="utf-8").rstrip("\n").split("\n"), " "]


def _fold_matrix(characters: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(model class, plate class) pairs: which of the model's classes add to which of ours."""
    index = {c: i + 1 for i, c in enumerate(CHARS)}
    src = [0]
    dst = [BLANK]
    for i, ch in enumerate(characters, start=1):  # class 0 is the CTC blank
        if ch in _TO_BLANK:
            src.append(i)
            dst.append(BLANK)
            continue
        norm = _ALIASES.get(ch, unicodedata.normalize("NFKC", ch))
        if norm in index:
            src.append(i)
            dst.append(index[norm])
    return np.asarray(src, np.int64), np.asarray(dst, np.int64)


def warp_for_ppocr(image: U8, quad: F32, double: bool) -> U8:
    """The plate inside ``quad`` as one text line ``HEIGHT`` px high (double-row plates: the top
    row's middle, province and area letter, then the lower row)."""
    if not double:
        return _warp(image, quad, SINGLE_W, HEIGHT)
    big = _warp(image, quad, 4 * HEIGHT, 2 * HEIGHT)
    split = round(2 * HEIGHT * _DOUBLE_SPLIT)
    top = big[:split, round(4 * HEIGHT * 0.2) : round(4 * HEIGHT * 0.8)]
    bottom = big[split:]
    top = as_u8(cv2.resize(top, (DOUBLE_TOP_W, HEIGHT), interpolation=cv2.INTER_AREA))
    bottom = as_u8(cv2.resize(bottom, (round(bottom.shape[1] * HEIGHT / bottom.shape[0]), HEIGHT)))
    return np.ascontiguousarray(np.hstack([top, bottom]))


def _warp(image: U8, quad: F32, w: int, h: int) -> U8:
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return as_u8(cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


class PPOCRRecognizer:
    def __init__(self, model_path: Path | str = DEFAULT_MODEL, keys_path: Path | str = DEFAULT_KEYS) -> None:
        self._net = cv2.dnn.readNetFromONNX(str(model_path))
        self.characters = load_keys(keys_path)
        self._src, self._dst = _fold_matrix(self.characters)
        self._lock = threading.Lock()  # a cv2.dnn.Net is not thread safe

    def probabilities(self, line: U8) -> F32:
        """The model's (T, classes) per-frame probabilities for one BGR text line ``HEIGHT`` px high."""
        x = line.astype(np.float32) / 127.5 - 1.0
        blob = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
        with self._lock:
            self._net.setInput(blob)
            out = np.asarray(self._net.forward(), np.float32)
        return np.asarray(out.reshape(out.shape[-2], out.shape[-1]), np.float32)

    def fold(self, probs: F32) -> F32:
        """(T, model classes) probabilities -> (plate classes, T) log-probabilities over ``CHARS``."""
        folded = np.zeros((NUM_CLASSES, probs.shape[0]), np.float32)
        np.add.at(folded, self._dst, probs[:, self._src].T)
        folded /= np.maximum(folded.sum(axis=0, keepdims=True), 1e-12)
        return np.asarray(np.log(np.maximum(folded, 1e-12)), np.float32)

    def read_quad(self, image: U8, quad: F32, double: bool) -> F32:
        """(classes, T) plate log-probabilities of the plate inside ``quad``."""
        return self.fold(self.probabilities(warp_for_ppocr(image, quad, double)))
