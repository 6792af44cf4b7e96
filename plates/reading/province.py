"""A second read of the province character, at twice the recogniser's resolution.

The recogniser sees the province character at about 12 x 20 px, where 粤, 鄂 and 琼 or 湘 and
浙 differ by a few strokes, and under changes of scale, JPEG quality or exposure the province is
the character it misreads most. A small classifier (``models/province.onnx``, trained on
synthetic plates by ``training/train_province.py``) reads a window around the character, cut
from the read's own quad warped at twice the resolution and centred where the read placed it.
Its belief is multiplied with the recogniser's at that character (two readers of one glyph,
each with its own errors) and the likeliest province kept.

Measured on the real photos (ninth session; measuring only), over the 668 reads right apart from
their province (the 60 photos, the same under ``evaluate.PERTURBATIONS``, the 40 crops): the plain
product is the best of the joins tried. Weighting the classifier as ``rec * cls ** b`` gave
578-photo perturbed counts of 541 / 542 / 543 / 545 / 546 / 543 for b = 0 / 0.25 / 0.5 / 0.75 / 1
/ 1.5 (the unperturbed photos and crops alike or worse away from 1); averaging the classifier
over windows shifted by 0.015 or 0.03 of the layout's width or 0.05 of its height gave 544-548,
noise about the 546 of the one window, for up to six more runs of the classifier.

Double-row plates (yellow truck rears) are read the same way from a window cut where GA 36 puts
their province character, scaled so the character comes out about the size it has in a
single-row window: the recogniser sees it squeezed into a 40 px strip with the area letter.
They have their own classifier (``models/province_double.onnx``), trained with double-row
windows among the single-row ones.
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
from plates.reading.rectify import DOUBLE_BOXES_MM, DOUBLE_PLATE_MM, DOUBLE_QUAD_MARGIN, INPUT_H, INPUT_W, to_blob

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "province.onnx"
DOUBLE_MODEL = Path(__file__).resolve().parent / "models" / "province_double.onnx"
SCALE = 2
WIN_W = 28 * SCALE  # about two character widths of a tightly framed plate
WIN_H = INPUT_H * SCALE
#: The CTC read places a character's peak frame near its left edge. The province character's
#: centre lies this share of the character pitch (province peak to letter peak) to the right of
#: its peak: median 0.54 (sd 0.12) on 400 synthetic plates read by the shipped recogniser. A
#: share of the pitch, not of the layout, holds for loose and tight quads alike.
PEAK_TO_CENTRE = 0.54
#: A double-row read's quad warped to this many px (width, height): its province character, 80 x 60
#: mm on a 440 x 220 mm plate, comes out about 24 x 35 px, the size of a single-row plate's
#: (45 x 90 mm on 440 x 140 mm) in the single-row window at the quad margins the recogniser is
#: trained with. (The character is wide on the plate: the window narrows it.)
DOUBLE_LAYOUT = (145, 141)


def _double_province_centre() -> tuple[float, float]:
    """The double-row province character's centre in the read's quad (shares of its width and
    height): GA 36's box for it (at (150, 45) mm on the 440 x 220 mm plate) in a quad with the
    reader's double-row margin."""
    (w_mm, h_mm), (x, y, w, h) = DOUBLE_PLATE_MM, DOUBLE_BOXES_MM[0]
    m = DOUBLE_QUAD_MARGIN
    return (m + (x + w / 2) / w_mm) / (1 + 2 * m), (m + (y + h / 2) / h_mm) / (1 + 2 * m)


#: Fixed, not taken from the read: with two characters squeezed into the composed layout's 40 px
#: top strip, the CTC peak places it worse (on synthetic plates sd 0.061 of the quad's width,
#: against 0.039 for the fixed point).
DOUBLE_CENTRE = _double_province_centre()
_PROVINCE_IDS = np.arange(1, len(PROVINCES) + 1)  # class ids: the provinces lead the charset
_LETTER_IDS = np.array([CHARS.index(c) + 1 for c in LETTERS])


def province_window(
    image: U8, quad: F32, x: float, y: float = 0.5, layout: tuple[int, int] = (INPUT_W * SCALE, WIN_H)
) -> U8:
    """The ``WIN_H x WIN_W`` window centred at (``x``, ``y``) (shares of the quad's width and
    height) of ``quad`` warped to ``layout`` px (width, height): by default the single-row layout
    at ``SCALE`` times the recogniser's size, whose full height the window spans."""
    lw, lh = layout
    dst = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32)
    dst[:, 0] -= x * lw - WIN_W / 2
    dst[:, 1] -= y * lh - WIN_H / 2
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
    def __init__(self, model_path: Path | str = DEFAULT_MODEL, double_model_path: Path | str = DOUBLE_MODEL) -> None:
        """``model_path`` reads single-row plates' windows, ``double_model_path`` double-row ones'."""
        self._nets = {
            False: cv2.dnn.readNetFromONNX(str(model_path)),
            True: cv2.dnn.readNetFromONNX(str(double_model_path)),
        }
        self._lock = threading.Lock()

    def probabilities(self, window: U8, double: bool = False) -> F32:
        """Probabilities over ``PROVINCES`` of one window (of a double-row plate if ``double``)."""
        net = self._nets[double]
        with self._lock:  # a cv2.dnn.Net is not thread safe
            net.setInput(to_blob([window]))
            z = np.asarray(net.forward(), dtype=np.float32).reshape(-1, 1)
        return softmax(z)[:, 0]

    def reread(self, image: U8, quad: F32, probs: F32, res: TextResult, double: bool = False) -> TextResult:
        """``res`` (a read of ``quad`` in ``image`` with (classes, T) ``probs``, of the double-row
        layout if ``double``) with its province taken from the recogniser's and this classifier's
        beliefs multiplied; the province's confidence becomes the joint probability of the one kept."""
        t = _peak(probs)
        rec = probs[_PROVINCE_IDS, t]
        if double:
            window = province_window(image, quad, *DOUBLE_CENTRE, layout=DOUBLE_LAYOUT)
        else:
            window = province_window(image, quad, _centre(probs, t))
        joint = rec * self.probabilities(window, double)
        total = float(joint.sum())
        if not total > 0:  # no province belief left to join (underflow): keep the read
            return res
        joint /= total
        k = int(joint.argmax())
        return TextResult(PROVINCES[k] + res.text[1:], (float(joint[k]), *res.char_confidences[1:]))
