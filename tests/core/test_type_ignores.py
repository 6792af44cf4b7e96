"""Every `type: ignore` in the type-checked code names its error code and says why (issue 28).

mypy itself reports an ignore that no longer silences anything (strict mode warns on unused ignores);
this test asks the other half: `# type: ignore[code]  # reason`, never a bare or unexplained one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)$")
EXPLAINED = re.compile(r"^\[[a-z0-9-]+(?:,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def _checked_files() -> list[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    files: list[Path] = []
    for entry in config["tool"]["mypy"]["files"]:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_every_type_ignore_names_its_code_and_reason() -> None:
    files = _checked_files()
    assert any(f.match("vehicle_enforce/*.py") for f in files)
    unexplained = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = IGNORE.search(line)
            if found and not EXPLAINED.match(found.group("rest").strip()):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "type: ignore without [code]  # reason:\n" + "\n".join(unexplained)
