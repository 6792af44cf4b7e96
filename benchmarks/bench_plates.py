"""Benchmark the plate reader on the shared real photos (one CPU core), beside today's reader.

Usage::

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_plates.py [--scale 1.0] [--repeat 1] \
        [--dir PATH] [--engines cascade,own]

Photos are resized so their long side is 1280 px; ``--scale`` is the share of the photos timed. Each
photo is read by every engine in turn (the order alternating photo by photo), so all engines see the
same load: the machine is shared and machines differ by up to 3x, so the ratio to the first engine
(``ratio``) is the meaningful figure. Prints median/p95 ms per photo (wall clock) and the exact share per
engine as JSON (OpenCV held to ``OMP_NUM_THREADS``, onnxruntime to one thread by the reader itself),
with the CPU time per photo beside it (``cpu_median_ms``, ``cpu_p95_ms``, ``cpu_ratio``: the process's
CPU time, which other processes sharing the core inflate far less than the wall clock).
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

from plates.reading.evaluate import load_labels, resize_photo, split_files  # noqa: E402
from plates.reading.reader import PlateReader  # noqa: E402


def _p95(ts: list[float]) -> float:
    """The 95th percentile of sorted times (nearest rank)."""
    return ts[min(len(ts) - 1, int(np.ceil(0.95 * len(ts))) - 1)]


def main() -> None:
    shared = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=shared / "data" / "plates")
    ap.add_argument("--scale", type=float, default=1.0, help="share of the photos to time (1.0 = all; CI smoke 0.001)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--engines", default="cascade,own", help="reader engines to time side by side (first = shipped)")
    args = ap.parse_args()

    engines = args.engines.split(",")
    readers = {e: PlateReader(engine=e) for e in engines}  # OpenCV held to OMP_NUM_THREADS (1 unless set)
    side = 1280  # photos as stations send them (long side 1280 px); --scale sets how many photos
    labels = load_labels(args.dir)
    labels = labels[: max(3, round(len(labels) * min(1.0, args.scale)))]
    images = []
    for file, plate, _color in labels:
        img = cv2.imread(str(args.dir / file), cv2.IMREAD_COLOR)
        if img is None:
            continue
        images.append((resize_photo(np.asarray(img, np.uint8), long_side=side), plate, file))
    for reader in readers.values():
        reader.read(images[0][0])  # warm-up (model load, allocations)
    times: dict[str, list[float]] = {e: [] for e in engines}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    exact = dict.fromkeys(engines, 0)
    validation_exact = dict.fromkeys(engines, 0)
    validation = split_files("validation")
    for r in range(args.repeat):
        for i, (img, plate, file) in enumerate(images):
            for e in engines if i % 2 == 0 else engines[::-1]:
                t0, c0 = time.perf_counter(), time.process_time()
                out = readers[e].read(img)
                times[e].append((time.perf_counter() - t0) * 1000)
                cpu[e].append((time.process_time() - c0) * 1000)
                if r == 0:
                    hit = any(x.plate == plate for x in out)
                    exact[e] += hit
                    validation_exact[e] += hit and file in validation
    result: dict[str, object] = {
        "images": len(images),
        "long_side": side,
        "threads": cv2.getNumThreads(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    first = statistics.median(times[engines[0]])
    first_cpu = statistics.median(cpu[engines[0]])
    for e in engines:
        ts = sorted(times[e])
        cs = sorted(cpu[e])
        result[e] = {
            "median_ms": round(statistics.median(ts), 2),
            "p95_ms": round(_p95(ts), 2),
            "mean_ms": round(sum(ts) / len(ts), 2),
            "cpu_median_ms": round(statistics.median(cs), 2),
            "cpu_p95_ms": round(_p95(cs), 2),
            "exact": round(exact[e] / max(1, len(images)), 4),
            "validation_exact": f"{validation_exact[e]}/{sum(f in validation for _, _, f in images)}",
            "ratio": round(statistics.median(ts) / first, 3),
            "cpu_ratio": round(statistics.median(cs) / max(first_cpu, 1e-9), 3),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
