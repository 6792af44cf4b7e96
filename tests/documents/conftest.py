"""Fixtures for the notices: the case fixtures of tests/blacklist, a PDF reader (poppler) and screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.blacklist.conftest import post_pass, post_repair, post_test, vehicle  # noqa: F401  (fixtures)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("VE_TEST_OUTPUT", REPO_ROOT / "test-output")) / "notices"


@pytest.fixture(autouse=True)
def zezhou_stations(station_factory: Any) -> None:
    """The stations the tests name, in townships of 泽州县 (140525): their notices are that county's units'
    (泽环劝…); set up before the fixtures that would create them outside any county."""
    for code, kind, township in (
        ("JC-RS-01", "remote_sensing", "巴公镇"),
        ("JC-RD-01", "roadside", "南村镇"),
        ("JC-I-01", "inspection", "南村镇"),
        ("JC-M-01", "repair", "南村镇"),
    ):
        station_factory(code, kind, township=township, name=f"泽州县{code}")


@pytest.fixture(scope="session")
def poppler() -> None:
    missing = [tool for tool in ("pdftotext", "pdffonts", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"poppler-utils missing ({', '.join(missing)}): run scripts/ensure-browser.sh")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def pdf_fonts(content: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table: each font's name, type and whether it is embedded."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
    lines = out.splitlines()[2:]  # header and rule
    fonts = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object ID: the last 5 columns are emb sub uni obj gen
        fonts.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return fonts


def screenshot(content: bytes, name: str, tmp_path: Path) -> Path:
    """The first page as PNG under test-output/notices/ (pdftoppm), for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    target = SCREENSHOTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path), str(target)], check=True
    )
    return target.with_suffix(".png")


def assert_printable(content: bytes, tmp_path: Path, *expected: str) -> str:
    """A PDF whose text holds every expected string and whose fonts are all embedded."""
    assert content.startswith(b"%PDF-"), content[:20]
    text = pdf_text(content, tmp_path)
    squeezed = "".join(text.split())
    missing = [e for e in expected if "".join(e.split()) not in squeezed]
    assert not missing, (missing, text)
    fonts = pdf_fonts(content, tmp_path)
    assert fonts, "no fonts in the PDF"
    assert all(f["emb"] == "yes" for f in fonts), fonts
    assert any("CJK" in f["name"] for f in fonts), fonts
    return text
