"""The README's table of every VE_* setting, generated from vehicle_enforce/config.py.

    python -m tools.settings_table            # print the table
    python -m tools.settings_table --write    # rewrite it in README.md (between the markers)
    python -m tools.settings_table --check    # exit 1 when README.md's table differs

A setting is added in `config.DEFAULTS` with its words in `config.SETTINGS_DOC`; then `--write`.
`tests/core/test_config_table.py` fails while the README and the config module disagree.
"""

from __future__ import annotations

from pathlib import Path

from tools import generated_table
from vehicle_enforce.config import settings_table, with_settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str] | None = None) -> int:
    return generated_table.main(
        argv,
        description="The README's table of VE_* settings, from the config module.",
        doc=README,
        table=settings_table,
        with_table=with_settings_table,
        source="vehicle_enforce/config.py",
    )


if __name__ == "__main__":
    raise SystemExit(main())
