"""A second read of the province character, at twice the recogniser's resolution.

The recogniser sees the province character at about 12 x 20 px, where 粤, 鄂 and 琼 or 湘 and
浙 differ by a few strokes, and under changes of scale, JPEG quality or exposure the province is
the character it misreads most. A small classifier (``models/province.onnx``, trained on
synthetic plates by ``training/train_province.py``) reads a window around the character, cut
from the read's own quad warped at twice the resolution and centred where the read placed it.
Its belief is multiplied with the recogniser's at that character (two readers of one glyph,
each with its own errors) and the likeliest province kept.

On single-row readings only: the double-row top row is laid out differently.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8
from plates.reading.charset import CHARS, LETTERS, PROVINCES
from plates.reading.decode import TextResult, softmax
from plates.reading.rectify import INPUT_H, INPUT_W, to_blob

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "province.onnx"
SCALE = 2
WIN_W = 28 * SCALE  # about two character widths of a tightly framed plate
WIN_H = INPUT_H * SCALE
#: The CTC read places a character's peak frame near its left edge. The province character's
#: centre lies this share of the character pitch (province peak to letter peak) to the right of
#: its peak: median 0.54 (sd 0.12) on 400 synthetic plates read by the shipped recogniser. A
#: share of the pitch, not of the layout, holds for loose and tight quads alike.
PEAK_TO_CENTRE = 0.54
_PROVINCE_IDS = np.arange(1, len(PROVINCES) + 1)  # class ids: the provinces lead the charset
_LETTER_IDS = np.array([CHARS.index(c) + 1 for c in LETTERS])


def province_window(image: U8, quad: F32, x: float) -> U8:
    """The ``WIN_H x WIN_W`` window of the single-row layout of ``quad``, warped at ``SCALE``
    times the recogniser's size and centred at ``x`` (a share of the layout's width)."""
    lw = INPUT_W * SCALE
    dst = np.array([[0, 0], [lw, 0], [lw, WIN_H], [0, WIN_H]], np.float32)
    dst[:, 0] -= x * lw - WIN_W / 2
    m = cv2.getPerspectiveTransform(np.asarray(quad, np.float32), dst)
    return as_u8(cv2.warpPerspective(image, m, (WIN_W, WIN_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def _peak(probs: F32) -> int:
    """The frame where the province character peaks: the most province-like frame of the
    read's first half."""
    return int(probs[_PROVINCE_IDS, : probs.shape[1] // 2].sum(axis=0).argmax())


def _centre(probs: F32, t: int) -> float:
    """Where the province character peaking at frame ``t`` of a read of (classes, T)
    probabilities has its centre, as a share of the layout's width."""
    n_t = probs.shape[1]
    letters = probs[_LETTER_IDS, t + 1 : t + 9].sum(axis=0)  # the area letter follows it
    pitch = 1 + int(letters.argmax()) if letters.size else 4
    return float((t + 0.5 + PEAK_TO_CENTRE * pitch) / n_t)


class ProvinceClassifier:
    def __init__(self, model_path: Path | str = DEFAULT_MODEL) -> None:
        self._net = cv2.dnn.readNetFromONNX(str(model_path))
        self._lock = threading.Lock()

    def probabilities(self, window: U8) -> F32:
        """Probabilities over ``PROVINCES`` of one window."""
        with self._lock:  # a cv2.dnn.Net is not thread safe
            self._net.setInput(to_blob([window]))
            z = np.asarray(self._net.forward(), dtype=np.float32).reshape(-1, 1)
        return softmax(z)[:, 0]

    def reread(self, image: U8, quad: F32, probs: F32, res: TextResult) -> TextResult:
        """``res`` (a single-row read of ``quad`` in ``image`` with (classes, T) ``probs``) with
        its province taken from the recogniser's and this classifier's beliefs multiplied;
        the province's confidence becomes the joint probability of the one kept."""
        t = _peak(probs)
        rec = probs[_PROVINCE_IDS, t]
        joint = rec * self.probabilities(province_window(image, quad, _centre(probs, t)))
        total = float(joint.sum())
        if not total > 0:  # no province belief left to join (underflow): keep the read
            return res
        joint /= total
        k = int(joint.argmax())
        return TextResult(PROVINCES[k] + res.text[1:], (float(joint[k]), *res.char_confidences[1:]))
