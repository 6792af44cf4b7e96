"""The README's table of every VE_* setting, generated from vehicle_enforce/config.py.

    python -m tools.settings_table            # print the table
    python -m tools.settings_table --write    # rewrite it in README.md (between the markers)
    python -m tools.settings_table --check    # exit 1 when README.md's table differs

A setting is added in `config.DEFAULTS` with its words in `config.SETTINGS_DOC`; then `--write`.
`tests/core/test_config_table.py` fails while the README and the config module disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vehicle_enforce.config import settings_table, with_settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The README's table of VE_* settings, from the config module.")
    parser.add_argument("--readme", type=Path, default=README)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the table in the README")
    mode.add_argument("--check", action="store_true", help="exit 1 when the README's table differs")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(settings_table())
        return 0
    current = args.readme.read_text(encoding="utf-8")
    wanted = with_settings_table(current)
    if args.write:
        args.readme.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(f"{args.readme}: the settings table differs from vehicle_enforce/config.py; run --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
