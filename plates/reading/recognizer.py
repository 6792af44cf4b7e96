"""CTC character recogniser run with ``cv2.dnn`` from the ONNX file shipped in ``models/``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.charset import BLANK, CHARS
from plates.reading.rectify import to_blob

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "recognizer.onnx"


@dataclass(frozen=True)
class TextResult:
    text: str
    char_confidences: tuple[float, ...]

    @property
    def confidence(self) -> float:
        return min(self.char_confidences) if self.char_confidences else 0.0


def ctc_decode(logits: NDArray[np.float32]) -> TextResult:
    """Greedy CTC decode of (classes, T) logits with a confidence per character.

    A character's confidence is the highest softmax probability it reaches over the frames
    of its run.
    """
    z = logits - logits.max(axis=0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=0, keepdims=True)
    best = p.argmax(axis=0)
    chars: list[str] = []
    confs: list[float] = []
    prev = BLANK
    for t, k in enumerate(best.tolist()):
        if k != BLANK:
            if k != prev:
                chars.append(CHARS[k - 1])
                confs.append(float(p[k, t]))
            else:
                confs[-1] = max(confs[-1], float(p[k, t]))
        prev = k
    return TextResult("".join(chars), tuple(confs))


class Recognizer:
    def __init__(self, model_path: Path | str = DEFAULT_MODEL) -> None:
        self._net = cv2.dnn.readNetFromONNX(str(model_path))
        self._lock = threading.Lock()

    def logits(self, crops: list[NDArray[np.uint8]]) -> list[NDArray[np.float32]]:
        out: list[NDArray[np.float32]] = []
        with self._lock:  # a cv2.dnn.Net is not thread safe
            for crop in crops:  # batch 1 is the fastest on one core
                self._net.setInput(to_blob([crop]))
                res = np.asarray(self._net.forward(), dtype=np.float32)
                out.append(res.reshape(res.shape[1], -1))
        return out

    def read(self, crops: list[NDArray[np.uint8]]) -> list[TextResult]:
        return [ctc_decode(lg) for lg in self.logits(crops)]
