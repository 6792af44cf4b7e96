"""CTC character recogniser run with ``cv2.dnn`` from the ONNX file shipped in ``models/``."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.rectify import to_blob

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "recognizer.onnx"


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
