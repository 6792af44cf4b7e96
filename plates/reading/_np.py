"""Typing helpers: OpenCV returns loosely typed arrays; these pin the dtype without copying."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]


def as_u8(a: Any) -> U8:
    return np.asarray(a, dtype=np.uint8)


def as_f32(a: Any) -> F32:
    return np.asarray(a, dtype=np.float32)
