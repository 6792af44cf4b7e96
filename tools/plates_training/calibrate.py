"""Calibrate the service's threshold on the reader's confidence (``reader.DOUBTFUL_BELOW``) on the
validation half of the shared photos and its perturbed variants (``plates/README.md``).

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python -m tools.plates_training.calibrate

Each photo's reading of its labelled plate (exact, or a misread within ``NEAR_MISS`` edits) is
right or wrong. A threshold sends the reads below it to review and lets the service act on the
rest; it costs ``WRONG_COST`` for every wrong read acted on (a falsely reassuring answer) and 1 for
every right read sent to review (work for a person). The threshold is the one of least cost (the
higher on a tie); the table of every candidate threshold is printed with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from plates.reading.evaluate import PERTURBATIONS, EvalReport, _labelled_photos, _read_into, split_files
from plates.reading.reader import PlateReader

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data" / "plates"
WRONG_COST = 5


def reads(reader: PlateReader) -> list[tuple[float, bool]]:
    """(confidence, right) of each photo's reading of its labelled plate, over the photos and their variants."""
    report = EvalReport()
    changes = {"as is": lambda img: img, **PERTURBATIONS}
    for file, plate, color, img in _labelled_photos(SHARED, None, None, split_files("validation")):
        for change in changes.values():
            _read_into(report, reader.read, file, plate, color, None if img is None else change(img))
    out = []
    for r in report.results:
        got = r.plate_reading
        if got is not None:
            out.append((float(got.confidence), r.exact))
    return out


def cost(pairs: list[tuple[float, bool]], t: float) -> int:
    return sum(WRONG_COST for c, ok in pairs if c >= t and not ok) + sum(1 for c, ok in pairs if c < t and ok)


def threshold(pairs: list[tuple[float, bool]]) -> float:
    """The candidate threshold (the reads' confidences, two decimals) of least ``cost``, the higher on a tie."""
    candidates = sorted({round(c, 2) for c, _ in pairs} | {0.0})
    return min(candidates, key=lambda t: (cost(pairs, t), -t))


def main() -> None:
    pairs = reads(PlateReader())
    t = threshold(pairs)
    table = {
        f"{x:.2f}": {
            "wrong_acted_on": sum(1 for c, ok in pairs if c >= x and not ok),
            "right_to_review": sum(1 for c, ok in pairs if c < x and ok),
            "cost": cost(pairs, x),
        }
        for x in (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, t)
    }
    print(
        json.dumps(
            {
                "reads": len(pairs),
                "wrong": sum(1 for _, ok in pairs if not ok),
                "threshold": t,
                "table": table,
                "wrong_by_confidence": sorted(round(c, 3) for c, ok in pairs if not ok),
            }
        )
    )


if __name__ == "__main__":
    main()
