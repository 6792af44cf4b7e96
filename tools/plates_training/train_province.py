"""Train the province classifiers (``plates/reading/province.py``) on synthetic windows; export ONNX.

Samples come from ``province_samples.make_province_sample`` (seeded; no real photo is used),
rendered once into ``.npz`` files and then trained on for a few epochs; the geometry, lighting
and compression changes are in the samples themselves. The data is reproduced bit for bit by its
seeds (checked against the stored sets); the training up to the floating-point order of two
threads. Both shipped models were made on a 2-core machine from the repository root.

``models/province.onnx`` (2026-11-29, seventh session), read on single-row plates, from
single-row windows only::

    OMP_NUM_THREADS=1 .venv/bin/python -m tools.plates_training.train_province generate \
        /tmp/prov/train1.npz --seed 1 --count 75000 &
    OMP_NUM_THREADS=1 .venv/bin/python -m tools.plates_training.train_province generate \
        /tmp/prov/train2.npz --seed 2 --count 75000
    wait   # about 18 min for both (12 ms a sample on one core)
    OMP_NUM_THREADS=2 .venv/bin/python -m tools.plates_training.train_province train \
        /tmp/prov/train1.npz /tmp/prov/train2.npz --epochs 4 --threads 2 \
        --out plates/reading/models/province.onnx   # 2296 steps, about 36 min

Held-out synthetic accuracy (the last 3000 samples): 0.71 at step 500, 0.87 at 1000, 0.91 at
1500, 0.922 at the end. On the real photos (measuring only), among the readings right apart from
their province: the 60 photos, 55/56 provinces right from the recogniser alone, 48/56 from the
classifier alone, 56/56 joined; the same photos under ``evaluate.PERTURBATIONS``, 596/632,
554/632 and 601/632; the 40 crops, 28/34 for both the recogniser and the joint read (the crops'
皖 read as 贵 stays). The classifier alone is the weaker reader on real plates (its synthetic
fonts are not the plate font); joined, each corrects some of the other's errors.

``models/province_double.onnx`` (2026-11-29, eighth session), read on double-row plates: the same
commands with ``--double-share 0.25`` added to both ``generate`` runs (a quarter of the windows
from double-row plates; 5 ms a sample on that session's machine, 6 min for both) and
``--out plates/reading/models/province_double.onnx`` (2296 steps, 13 min). Held-out synthetic
accuracy 0.88 at step 1000, 0.916 at the end (both kinds of window). On 300 double-row plates
of a seed no training used (``place_sample``'s loose and tight quads): the recogniser alone
0.777, this classifier alone 0.940 (the single-row one 0.833), joined 0.923 (0.867). On
single-row windows it is no better than the single-row model (0.917 against 0.923 on 1000
held-out) and on the real single-row plates it changes readings back and forth (perturbed: 6
provinces gained, 4 lost; one crop, dc0022's 豫, lost, which the crops floor forbids), so each
kind of plate keeps its own model. Its one real double-row read that changes: d0016 made
brighter, 鄂AK9331 -> 粤AK9331 (right).

Not shipped (ninth session): a single-row model on twice the windows (seeds 1-4, 300 000) for 2.5
epochs (``--epochs 2.5``, 2900 steps, 21 min): held-out 0.921, as the shipped model. On the real
reads right apart from their province (photos / perturbed / crops): the classifier alone 46/56,
508/576, 28/34 against the shipped model's 48/56, 506/576, 27/34; joined with the recogniser
56/56, 548/576, 28/34 against 56/56, 545/576, 28/34, and the same joined as the mean of both
models. A few reads in 576 either way: more of the same synthetic windows is not what limits it.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from plates.reading.charset import PROVINCES
from plates.reading.province import WIN_H, WIN_W
from plates.reading.rectify import to_blob
from tools.plates_training.province_samples import generate
from tools.plates_training.train import export_onnx


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class ProvinceNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_block(3, 16),
            nn.MaxPool2d(2, 2),
            *_block(16, 32),
            nn.MaxPool2d(2, 2),
            *_block(32, 64),
            *_block(64, 64),
            nn.MaxPool2d(2, 2),
            *_block(64, 128),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(128, len(PROVINCES)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.features(x)
        return out


def _generate(args: argparse.Namespace) -> None:
    """Write ``--count`` samples of ``--seed`` to ``out`` in chunks of 5000 (seeds seed*1000+i)."""
    xs, ys = [], []
    for i in range(0, args.count, 5000):
        x, y = generate(args.seed * 1000 + i // 5000, min(5000, args.count - i), args.double_share)
        xs.append(x)
        ys.append(y)
        print(f"{args.out}: {i + len(y)} samples", flush=True)
    np.savez(args.out, x=np.concatenate(xs), y=np.concatenate(ys))


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(to_blob(list(x[i : i + 500])))) for i in range(0, len(x), 500)])
    return float((logits.argmax(1).numpy() == y).mean())


def _train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    parts = [np.load(p) for p in args.data]
    x = np.concatenate([p["x"] for p in parts])
    y = np.concatenate([p["y"] for p in parts])
    xv, yv = x[-args.val :], y[-args.val :]
    x, y = x[: -args.val], y[: -args.val]
    model = ProvinceNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = int(args.epochs * len(x) / args.batch)
    rng = np.random.default_rng(args.seed)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    t0 = time.time()
    order = rng.permutation(len(x))
    pos = 0
    for step in range(steps):
        if pos + args.batch > len(order):
            order, pos = rng.permutation(len(x)), 0
        idx = order[pos : pos + args.batch]
        pos += args.batch
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / steps)) * min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        loss = loss_fn(model(torch.from_numpy(to_blob(list(x[idx])))), torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            acc = _accuracy(model, xv, yv)
            elapsed = time.time() - t0
            print(
                f"step {step}/{steps} loss {float(loss.detach()):.3f} val {acc:.4f} lr {lr:.5f} {elapsed:.0f}s",
                flush=True,
            )
    export_onnx(model, args.out, (WIN_H, WIN_W))
    print(f"-> {args.out}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="render samples into an .npz file")
    gen.add_argument("out", type=Path)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--count", type=int, default=75000)
    gen.add_argument("--double-share", type=float, default=0.0, help="share of double-row plates' windows")
    gen.set_defaults(run=_generate)
    tr = sub.add_parser("train", help="train on .npz files and export ONNX")
    tr.add_argument("data", nargs="+", type=Path, help=".npz files with x (windows) and y (indices)")
    tr.add_argument("--val", type=int, default=3000, help="hold out the last N samples")
    tr.add_argument("--epochs", type=float, default=4.0)
    tr.add_argument("--batch", type=int, default=256)
    tr.add_argument("--lr", type=float, default=3e-3)
    tr.add_argument("--seed", type=int, default=20261129)
    tr.add_argument("--threads", type=int, default=2)
    tr.add_argument("--out", type=Path, default=Path("plates/reading/models/province.onnx"))
    tr.set_defaults(run=_train)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    args.run(args)


if __name__ == "__main__":
    main()
