"""Result types of the plate reader."""

from __future__ import annotations

from dataclasses import dataclass

#: Plate colours the reader reports.
PLATE_COLORS = ("blue", "yellow", "green", "yellow_green", "white", "black", "unknown")


@dataclass(frozen=True)
class PlateReading:
    """One plate read from a photo.

    ``plate`` is half-width without the middle dot (e.g. "晋E12345"); ``confidence`` is the
    lowest per-character confidence; ``corners`` are the plate's four corners in image
    coordinates (top-left, top-right, bottom-right, bottom-left).
    """

    plate: str
    color: str
    confidence: float
    char_confidences: tuple[float, ...]
    corners: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "plate": self.plate,
            "color": self.color,
            "confidence": round(self.confidence, 4),
            "char_confidences": [round(c, 4) for c in self.char_confidences],
            "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners],
        }
