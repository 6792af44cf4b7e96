"""Benchmark the plate reader on the shared real photos (one CPU core).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_plates.py [--scale 1.0] [--repeat 1] [--dir PATH]

Photos are resized so their long side is 1280 px; ``--scale`` is the share of the photos timed; prints
median/p95 ms per photo and the accuracy summary of the same run as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from plates.reading.evaluate import load_labels, resize_photo  # noqa: E402
from plates.reading.reader import PlateReader  # noqa: E402


def main() -> None:
    shared = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=shared / "data" / "plates")
    ap.add_argument("--scale", type=float, default=1.0, help="share of the photos to time (1.0 = all; CI smoke 0.001)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    reader = PlateReader()  # holds OpenCV to OMP_NUM_THREADS (1 unless set) threads
    side = 1280  # photos as stations send them (long side 1280 px); --scale sets how many photos
    labels = load_labels(args.dir)
    labels = labels[: max(3, round(len(labels) * min(1.0, args.scale)))]
    images = []
    for file, plate, _color in labels:
        img = cv2.imread(str(args.dir / file), cv2.IMREAD_COLOR)
        if img is None:
            continue
        images.append((resize_photo(np.asarray(img, np.uint8), long_side=side), plate))
    reader.read(images[0][0])  # warm-up (model load, allocations)
    times: list[float] = []
    exact = 0
    for r in range(args.repeat):
        for img, plate in images:
            t0 = time.perf_counter()
            out = reader.read(img)
            times.append((time.perf_counter() - t0) * 1000)
            if r == 0:
                exact += any(x.plate == plate for x in out)
    times.sort()
    n = len(times)
    print(
        json.dumps(
            {
                "images": len(images),
                "long_side": side,
                "threads": cv2.getNumThreads(),
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[min(n - 1, int(np.ceil(0.95 * n)) - 1)], 2),
                "mean_ms": round(sum(times) / n, 2),
                "exact": round(exact / max(1, len(images)), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
