"""The acceptance report of the plate reader (``plates/README.md``): every set, per colour, per
condition, commonest confusions, detector and colour stages, for one or more recognisers.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python -m tools.plates_training.report \
        --engines own,cascade [--perturb] [--synthetic 40] > /tmp/report.json

Sets: the tuning and validation halves of ``plates/validation_split.csv``, the validation half under
``evaluate.PERTURBATIONS``, ``crops/``, ``crops-extra/`` and synthetic photos (yellow, green,
double-row yellow, 晋 blue) drawn with seeds 90000+ (the unit tests use other seeds).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from plates.reading.detect import find_candidates
from plates.reading.evaluate import (
    EvalReport,
    ImageResult,
    evaluate_dir,
    evaluate_perturbed,
    split_files,
)
from plates.reading.reader import PlateReader
from plates.reading.types import PlateReading
from tools.plates_training.synth import PlateSpec, random_plate_text, render_scene

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data" / "plates"
SYNTH_SEED = 90000


def _conditions(row: dict[str, str]) -> list[str]:
    tags = row["tags"].split(";")
    out = []
    if "night" in tags:
        out.append("night")
    if row["rotated_bbox"] == "1" or "large_angle" in tags:
        out.append("tilt")
    if row["other_plates"]:
        out.append("multi-plate")
    return out or ["plain"]


def _centre_in_box(r: PlateReading, box: tuple[float, float, float, float]) -> bool:
    cx = sum(x for x, _ in r.corners) / 4
    cy = sum(y for _, y in r.corners) / 4
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def confusions(results: list[ImageResult]) -> list[tuple[str, int]]:
    """Commonest character confusions (truth->read) in same-length misreads of the labelled plate,
    and "missed" for plates with no reading within ``NEAR_MISS`` edits."""
    c: Counter[str] = Counter()
    for r in results:
        if r.exact:
            continue
        got = r.plate_reading
        if got is None:
            c["missed"] += 1
        elif len(got.plate) != len(r.plate):
            c[f"length {len(r.plate)}->{len(got.plate)}"] += 1
        else:
            for a, b in zip(r.plate, got.plate, strict=True):
                if a != b:
                    c[f"{a}->{b}"] += 1
    return c.most_common(12)


def _share(results: list[ImageResult]) -> dict[str, Any]:
    n = len(results)
    exact = sum(r.exact for r in results)
    colour = sum(r.color_ok for r in results)
    return {"n": n, "exact": exact, "colour_of_exact": f"{colour}/{exact}"}


def breakdown(report: EvalReport, root: Path, reader: PlateReader | None) -> dict[str, Any]:
    rows = {row["file"]: row for row in csv.DictReader((root / "labels.csv").open(encoding="utf-8"))}
    res = report.results
    by_colour = {c: _share([r for r in res if r.color == c]) for c in sorted({r.color for r in res})}
    conds = sorted({c for r in res for c in _conditions(rows[r.file])})
    by_cond = {c: _share([r for r in res if c in _conditions(rows[r.file])]) for c in conds}
    boxed = [r for r in res if rows[r.file]["x1"]]
    located = 0
    colour_right = 0
    candidate_hits = 0
    for r in boxed:
        row = rows[r.file]
        box = (float(row["x1"]), float(row["y1"]), float(row["x2"]), float(row["y2"]))
        hit = next((x for x in r.readings if _centre_in_box(x, box)), None)
        located += hit is not None
        colour_right += hit is not None and hit.color == r.color
        if reader is not None:
            import cv2

            img = cv2.imread(str(root / r.file), cv2.IMREAD_COLOR)
            cands = find_candidates(np.asarray(img, np.uint8)) if img is not None and max(img.shape) <= 1280 else []
            candidate_hits += any(
                box[0] <= float(c.quad[:, 0].mean()) <= box[2] and box[1] <= float(c.quad[:, 1].mean()) <= box[3]
                for c in cands
            )
    return {
        "per_colour": by_colour,
        "per_condition": by_cond,
        "confusions": confusions(res),
        "detector": {
            "boxed_photos": len(boxed),
            "a_candidate_on_the_box": candidate_hits,
            "a_reading_on_the_box": located,
        },
        "colour_on_correct_boxes": f"{colour_right}/{located}",
    }


def synthetic_sets(n: int) -> dict[str, list[tuple[Any, PlateSpec]]]:
    sets: dict[str, list[tuple[Any, PlateSpec]]] = {}
    kinds = {
        "synthetic yellow": ("yellow", False, None),
        "synthetic green": ("green", False, None),
        "synthetic double-row yellow": ("yellow", True, None),
        "synthetic 晋 blue": ("blue", False, "晋"),
    }
    for k, (name, (colour, double, prov)) in enumerate(kinds.items()):
        items = []
        for i in range(n):
            rng = random.Random(SYNTH_SEED + 1000 * k + i)
            text = random_plate_text(rng, colour, double)
            if prov:
                text = prov + text[1:]
            spec = PlateSpec(text, colour, double)
            img, _ = render_scene([spec], rng, plate_widths=[rng.uniform(110, 300)], augment=True, max_angle=8)
            items.append((img, spec))
        sets[name] = items
    return sets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engines", default="own,cascade")
    ap.add_argument("--perturb", action="store_true")
    ap.add_argument("--synthetic", type=int, default=40)
    ap.add_argument("--skip-extra", action="store_true")
    args = ap.parse_args()
    synth = synthetic_sets(args.synthetic) if args.synthetic else {}
    out: dict[str, Any] = {}
    for engine in args.engines.split(","):
        reader = PlateReader(engine=engine)
        e: dict[str, Any] = {}
        for half in ("tuning", "validation"):
            rep = evaluate_dir(SHARED, reader.read, only=split_files(half))
            e[half] = rep.summary | {"mistakes": rep.mistake_lines()} | breakdown(rep, SHARED, reader)
            if args.perturb and half == "validation":
                e[f"{half} perturbed"] = evaluate_perturbed(SHARED, reader.read, only=split_files(half))
        for name, sub in (("crops", "crops"), ("crops-extra", "crops-extra")):
            if name == "crops-extra" and args.skip_extra:
                continue
            rep = evaluate_dir(SHARED / sub, reader.read)
            e[name] = rep.summary | {"confusions": confusions(rep.results)}
        for name, items in synth.items():
            hits = colour = 0
            for img, spec in items:
                got = next((r for r in reader.read(img) if r.plate == spec.text), None)
                hits += got is not None
                colour += got is not None and got.color == spec.color
            e[name] = {"n": len(items), "exact": hits, "colour_of_exact": colour}
        out[engine] = e
        print(json.dumps({engine: e}, ensure_ascii=False), file=sys.stderr, flush=True)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
