"""Record the plate reader's outputs, to show a speed-up changes none of them (output-identical).

Usage::

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python -m benchmarks.plates_outputs record /tmp/before.pkl [--quick]
    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python -m benchmarks.plates_outputs record /tmp/after.pkl [--quick]
    .venv/bin/python -m benchmarks.plates_outputs compare /tmp/before.pkl /tmp/after.pkl

Recorded per input, exactly (floats compared bit for bit): the detector's candidates
(``find_candidates``: quad, source, score, in order) and the readings of the shipped reader
(plate, colour, confidence, per-character confidences, corners), plus today's reader (``own``) on
the photos as they are. Inputs: the 60 shared photos as they are and at a long side of 1280 px
(``bench_plates``), each also under the 11 changes of ``evaluate.PERTURBATIONS`` (1,440 photos), and
the 40 + 660 real crops. ``--quick``: the tuning half only (``plates/validation_split.csv``), as
they are and at 1280 px, no changes, no crops; for checking while working.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from plates.reading._np import U8, as_u8  # noqa: E402
from plates.reading.detect import find_candidates  # noqa: E402
from plates.reading.evaluate import PERTURBATIONS, load_labels, resize_photo, split_files  # noqa: E402
from plates.reading.reader import PlateReader  # noqa: E402

Record = dict[str, object]


def _inputs(root: Path, quick: bool) -> Iterator[tuple[str, U8, bool]]:
    """(key, image, whether ``own`` reads it too) of every input."""
    only = split_files("tuning") if quick else None
    for file, _plate, _color in load_labels(root, only):
        raw = cv2.imread(str(root / file), cv2.IMREAD_COLOR)
        if raw is None:
            continue
        for size, img in (("as-is", as_u8(raw)), ("1280", resize_photo(as_u8(raw), long_side=1280))):
            yield f"{file}/{size}", img, size == "as-is"
            if quick:
                continue
            for name, change in PERTURBATIONS.items():
                yield f"{file}/{size}/{name}", change(img), False
    if quick:
        return
    for sub in ("crops", "crops-extra"):
        for file, _plate, _color in load_labels(root / sub):
            raw = cv2.imread(str(root / sub / file), cv2.IMREAD_COLOR)
            if raw is not None:
                yield f"{sub}/{file}", as_u8(raw), False


def record(root: Path, quick: bool) -> Record:
    cascade, own = PlateReader(engine="cascade"), PlateReader(engine="own")
    out: Record = {}
    cpu = 0.0
    for key, img, with_own in _inputs(root, quick):
        cands = tuple((c.quad.tobytes(), c.source, c.score) for c in find_candidates(img))
        c0 = time.process_time()
        reads = tuple((r.plate, r.color, r.confidence, r.char_confidences, r.corners) for r in cascade.read(img.copy()))
        cpu += time.process_time() - c0
        entry: dict[str, object] = {"candidates": cands, "cascade": reads}
        if with_own:
            entry["own"] = tuple(
                (r.plate, r.color, r.confidence, r.char_confidences, r.corners) for r in own.read(img.copy())
            )
        out[key] = entry
    print(f"{len(out)} inputs, cascade CPU {cpu:.1f} s", file=sys.stderr)
    return out


def compare(a: Record, b: Record) -> int:
    """Number of inputs whose outputs differ (printed); inputs missing from either count too."""
    bad = 0
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            bad += 1
            ea, eb = a.get(key), b.get(key)
            if isinstance(ea, dict) and isinstance(eb, dict):
                what = [k for k in sorted(set(ea) | set(eb)) if ea.get(k) != eb.get(k)]
            else:
                what = ["missing"]
            print(f"DIFF {key}: {', '.join(what)}")
    print(f"{len(set(a) | set(b))} inputs compared, {bad} differ")
    return bad


def main() -> None:
    shared = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--quick", action="store_true")
    rec.add_argument("--dir", type=Path, default=shared / "data" / "plates")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "record":
        args.out.write_bytes(pickle.dumps(record(args.dir, args.quick)))
    else:
        a = pickle.loads(args.a.read_bytes())  # noqa: S301 (files this script wrote)
        b = pickle.loads(args.b.read_bytes())  # noqa: S301
        sys.exit(1 if compare(a, b) else 0)


if __name__ == "__main__":
    main()
