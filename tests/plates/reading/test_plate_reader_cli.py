"""The ``plates`` click group: read and eval."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from click.testing import CliRunner

from tests.plates.reading.conftest import PhotoFactory
from tools.plates_training.synth import PlateSpec
from vehicle_enforce.platereading_cli import plates


def _write(tmp: Path, name: str, img: np.ndarray) -> Path:
    p = tmp / name
    assert cv2.imwrite(str(p), img)
    return p


def test_read_prints_one_json_per_image(tmp_path: Path, make_photo: PhotoFactory) -> None:
    a, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=21, widths=[260.0])
    b, _ = make_photo([PlateSpec("晋B5C203", "yellow", double=True)], seed=22, widths=[260.0])
    pa, pb = _write(tmp_path, "a.png", a), _write(tmp_path, "b.png", b)
    res = CliRunner().invoke(plates, ["read", str(pa), str(pb)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.strip().splitlines()]
    assert [x["image"] for x in lines] == [str(pa), str(pb)]
    assert [p["plate"] for p in lines[0]["plates"]] == ["晋E12345"]
    assert [p["plate"] for p in lines[1]["plates"]] == ["晋B5C203"]
    assert "晋" in res.output  # ensure_ascii=False


def test_eval_lists_mistakes_and_ends_with_summary(tmp_path: Path, make_photo: PhotoFactory) -> None:
    good, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=31, widths=[260.0])
    _write(tmp_path, "good.png", good)
    _write(tmp_path, "empty.png", np.full((480, 640, 3), 128, np.uint8))
    (tmp_path / "labels.csv").write_text(
        "file,plate,color,extra\ngood.png,晋E12345,blue,x\nempty.png,晋A00000,yellow,y\n", encoding="utf-8"
    )
    res = CliRunner().invoke(plates, ["eval", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["images"] == 2
    assert summary["exact"] == 0.5
    assert summary["color_accuracy"] == 0.5
    assert 0.5 <= summary["char_accuracy"] < 1.0
    assert summary["median_ms"] > 0 and summary["p95_ms"] >= summary["median_ms"]
    assert any(line.startswith("empty.png:") and "晋A00000" in line for line in lines[:-1])
    assert not any(line.startswith("good.png:") for line in lines[:-1])


def test_eval_perturb_adds_the_mean_exact_share_under_mild_changes(tmp_path: Path, make_photo: PhotoFactory) -> None:
    good, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=31, widths=[260.0])
    _write(tmp_path, "good.png", good)
    (tmp_path / "labels.csv").write_text("file,plate,color\ngood.png,晋E12345,blue\n", encoding="utf-8")
    plain = CliRunner().invoke(plates, ["eval", str(tmp_path)])
    assert "perturbed_exact" not in json.loads(plain.output.strip().splitlines()[-1])
    res = CliRunner().invoke(plates, ["eval", "--perturb", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert json.loads(lines[-1])["perturbed_exact"] == 1.0
    assert sum(line.startswith("perturbed ") for line in lines[:-1]) == 11


def test_eval_covers_the_listed_scenes_only_and_a_crops_folder_on_its_own(
    tmp_path: Path, make_photo: PhotoFactory
) -> None:
    """A ``crops/`` subfolder is not mixed into its parent's evaluation; given itself, its crops are read."""
    scene, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=31, widths=[260.0])
    _write(tmp_path, "scene.png", scene)
    (tmp_path / "labels.csv").write_text("file,plate,color\nscene.png,晋E12345,blue\n", encoding="utf-8")
    crops = tmp_path / "crops"
    crops.mkdir()
    plate, _ = make_photo([PlateSpec("晋K77Z21", "blue")], seed=32, widths=[260.0])
    crop = cv2.resize(plate[420:540, 500:780], (94, 24))  # any small image stands for a crop here
    _write(crops, "c1.png", crop)
    (crops / "labels.csv").write_text("file,plate,color\nc1.png,晋K77Z21,blue\n", encoding="utf-8")
    parent = json.loads(CliRunner().invoke(plates, ["eval", str(tmp_path)]).output.strip().splitlines()[-1])
    assert parent["images"] == 1 and parent["exact"] == 1.0
    alone = CliRunner().invoke(plates, ["eval", str(crops)])
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.output.strip().splitlines()[-1])["images"] == 1


def test_eval_half_keeps_to_that_half_of_the_fixed_split(plates_dir: Path) -> None:
    from plates.reading.evaluate import split_files

    res = CliRunner().invoke(plates, ["eval", str(plates_dir), "--half", "validation", "--max-side", "320"])
    assert res.exit_code == 0, res.output
    mistakes = [line.split(":")[0] for line in res.output.strip().splitlines()[:-1]]
    assert json.loads(res.output.strip().splitlines()[-1])["images"] == 30
    assert set(mistakes) <= split_files("validation")
