"""Interpolate two exported recognisers weight by weight (WiSE-FT, Wortsman et al., CVPR 2022).

A model fine-tuned on synthetic plates (``train.py --init-onnx``) learns what the new synth
teaches but drifts from what made its starting model read real photos; the model halfway
between the two, weight by weight, keeps much of both. Both files must come from the same
architecture and exporter (``train.export_onnx``): their initialisers are matched by name.

    .venv/bin/python -m tools.plates_training.interpolate START.onnx TUNED.onnx --alpha 0.5 --out OUT.onnx
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def interpolate(start: Path, tuned: Path, alpha: float, out: Path) -> None:
    """Write ``(1 - alpha) * start + alpha * tuned`` (every initialiser) to ``out``."""
    import onnx
    from onnx import numpy_helper

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    base, other = onnx.load(str(start)), onnx.load(str(tuned))
    weights = {t.name: numpy_helper.to_array(t) for t in other.graph.initializer}
    names = {t.name for t in base.graph.initializer}
    if names != set(weights):
        raise ValueError(f"{start} and {tuned} hold different weights: {sorted(names ^ set(weights))}")
    for t in base.graph.initializer:
        a, b = numpy_helper.to_array(t), weights[t.name]
        if a.shape != b.shape:
            raise ValueError(f"{t.name}: shape {a.shape} in {start}, {b.shape} in {tuned}")
        mixed = ((1.0 - alpha) * a.astype(np.float64) + alpha * b.astype(np.float64)).astype(a.dtype)
        t.CopyFrom(numpy_helper.from_array(mixed, t.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(base, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("start", type=Path, help="the model the fine-tune started from")
    ap.add_argument("tuned", type=Path, help="the fine-tuned model")
    ap.add_argument("--alpha", type=float, default=0.5, help="share of the fine-tuned weights (0: start, 1: tuned)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    interpolate(args.start, args.tuned, args.alpha, args.out)


if __name__ == "__main__":
    main()
