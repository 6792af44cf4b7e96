"""The README's table of VE_* settings is the one generated from vehicle_enforce/config.py, and every
VE_* name the service, the deployment kit or the README uses is a setting in it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from vehicle_enforce import config

VE_NAME = re.compile(r"\bVE_([A-Z][A-Z0-9_]*[A-Z0-9])\b")
#: VE_* names that are not settings of the service: the test suite's own switches.
NOT_SETTINGS = {"TEST_SQLITE", "TEST_DATABASES", "TEST_PG_URL", "SHARED_DIR"}


def test_readme_table_is_the_generated_one():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert config.TABLE_START in readme and config.TABLE_END in readme
    assert config.with_settings_table(readme) == readme, "run `python -m tools.settings_table --write`"


def test_every_setting_has_its_words_and_every_described_one_is_a_setting():
    assert set(config.SETTINGS_DOC) == set(config.DEFAULTS)
    table = config.settings_table()
    for name in config.DEFAULTS:
        assert f"| `VE_{name}` |" in table


def test_every_ve_name_used_is_in_the_table():
    used: dict[str, set[str]] = {}
    files = [
        *sorted((REPO_ROOT / "vehicle_enforce").rglob("*.py")),
        *sorted((REPO_ROOT / "deploy").rglob("*")),
        REPO_ROOT / "README.md",
        REPO_ROOT / "Makefile",
    ]
    for path in files:
        if path.is_file():
            for name in VE_NAME.findall(path.read_text(encoding="utf-8")):
                used.setdefault(name, set()).add(str(Path(path).relative_to(REPO_ROOT)))
    known = set(config.DEFAULTS) | NOT_SETTINGS
    unknown = {name: sorted(where) for name, where in used.items() if name not in known}
    assert not unknown, f"VE_* names that are not settings in vehicle_enforce/config.py: {unknown}"


def test_the_script_checks_and_rewrites_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{config.TABLE_START}\n| old |\n{config.TABLE_END}\n\nafter\n", encoding="utf-8")
    run = [sys.executable, "-m", "tools.settings_table", "--doc", str(readme)]
    checked = subprocess.run([*run, "--check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert checked.returncode == 1 and "--write" in checked.stderr
    subprocess.run([*run, "--write"], cwd=REPO_ROOT, check=True)
    text = readme.read_text(encoding="utf-8")
    assert "| `VE_LOG_FORMAT` |" in text and "| old |" not in text and text.endswith("after\n")
    assert subprocess.run([*run, "--check"], cwd=REPO_ROOT).returncode == 0
