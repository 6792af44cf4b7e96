"""Evaluate the reader on a directory of labelled photos (``DIR/labels.csv``: file,plate,color)."""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.reader import read_plates
from plates.reading.types import PlateReading

ReadFn = Callable[[NDArray[np.uint8]], list[PlateReading]]
#: Edits within which a reading counts as a misread of the labelled plate (for its colour)
#: rather than a reading of another plate in the photo.
NEAR_MISS = 2


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(truth: str, read: str) -> float:
    if not truth:
        return 0.0
    return max(0.0, 1.0 - levenshtein(truth, read) / len(truth))


@dataclass(frozen=True)
class ImageResult:
    file: str
    plate: str
    color: str
    readings: tuple[PlateReading, ...]
    ms: float
    error: str | None = None

    @property
    def matched(self) -> PlateReading | None:
        return next((r for r in self.readings if r.plate == self.plate), None)

    @property
    def exact(self) -> bool:
        return self.matched is not None

    @property
    def char_accuracy(self) -> float:
        return max((char_accuracy(self.plate, r.plate) for r in self.readings), default=0.0)

    @property
    def color_ok(self) -> bool:
        m = self.matched
        return m is not None and m.color == self.color

    @property
    def plate_reading(self) -> PlateReading | None:
        """This plate's reading, right or misread: the exact one, else the reading closest to the
        label if it is at most ``NEAR_MISS`` edits away (a misread of this plate, not another plate)."""
        if self.matched is not None:
            return self.matched
        near = [(levenshtein(self.plate, r.plate), i) for i, r in enumerate(self.readings)]
        d, i = min(near, default=(NEAR_MISS + 1, -1))
        return self.readings[i] if d <= NEAR_MISS else None

    @property
    def plate_color_ok(self) -> bool:
        """The plate's colour is right on its reading, even where a character is misread."""
        m = self.plate_reading
        return m is not None and m.color == self.color

    @property
    def false_readings(self) -> int:
        """Readings that are not the labelled plate (may include other, unlabelled plates)."""
        return sum(1 for r in self.readings if r.plate != self.plate)

    def mistakes(self) -> list[str]:
        got = ", ".join(f"{r.plate}/{r.color}/{r.confidence:.2f}" for r in self.readings) or "nothing"
        out: list[str] = []
        if self.error:
            out.append(f"error: {self.error}")
        if not self.exact:
            out.append(f"plate {self.plate} not read (got {got})")
        read = self.plate_reading
        if read is not None and read.color != self.color:
            out.append(f"colour {self.color} read as {read.color}")
        if self.false_readings:
            out.append(f"{self.false_readings} other reading(s): {got}")
        return out


@dataclass
class EvalReport:
    results: list[ImageResult] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, float | int]:
        n = len(self.results)
        ms = sorted(r.ms for r in self.results)
        return {
            "images": n,
            "exact": round(sum(r.exact for r in self.results) / n, 4) if n else 0.0,
            "char_accuracy": round(sum(r.char_accuracy for r in self.results) / n, 4) if n else 0.0,
            "color_accuracy": round(sum(r.color_ok for r in self.results) / n, 4) if n else 0.0,
            "plate_color_accuracy": round(sum(r.plate_color_ok for r in self.results) / n, 4) if n else 0.0,
            "false_readings_per_image": round(sum(r.false_readings for r in self.results) / n, 4) if n else 0.0,
            "median_ms": round(statistics.median(ms), 2) if ms else 0.0,
            "p95_ms": round(ms[min(n - 1, int(np.ceil(0.95 * n)) - 1)], 2) if ms else 0.0,
        }

    def mistake_lines(self) -> list[str]:
        return [f"{r.file}: {m}" for r in self.results for m in r.mistakes()]


def load_labels(path: Path) -> list[tuple[str, str, str]]:
    with (path / "labels.csv").open(encoding="utf-8", newline="") as fh:
        return [(row["file"], row["plate"], row.get("color") or "unknown") for row in csv.DictReader(fh)]


def resize_photo(
    img: NDArray[np.uint8], max_side: int | None = None, long_side: int | None = None
) -> NDArray[np.uint8]:
    """``img`` scaled so its long side is ``long_side`` px (up or down), or at most ``max_side`` px."""
    side = max(img.shape[:2])
    target = long_side or (max_side if max_side and side > max_side else None)
    if not target or target == side:
        return img
    s = target / side
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(img, None, fx=s, fy=s, interpolation=interp), dtype=np.uint8)


def evaluate_dir(
    path: str | Path, read: ReadFn | None = None, max_side: int | None = None, long_side: int | None = None
) -> EvalReport:
    """Run the reader on every labelled image of ``path`` (only ``labels.csv`` rows are used), each
    scaled by ``resize_photo`` first."""
    root = Path(path)
    fn: ReadFn = read or read_plates
    report = EvalReport()
    for file, plate, color in load_labels(root):
        img = cv2.imread(str(root / file), cv2.IMREAD_COLOR)
        if img is None:
            report.results.append(ImageResult(file, plate, color, (), 0.0, "cannot read image"))
            continue
        img = resize_photo(img, max_side, long_side)
        t0 = time.perf_counter()
        readings = fn(np.asarray(img, dtype=np.uint8))
        ms = (time.perf_counter() - t0) * 1000
        report.results.append(ImageResult(file, plate, color, tuple(readings), ms))
    return report
