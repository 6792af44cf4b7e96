"""The field-mapping table of docs/export-protocol.md, generated from vehicle_enforce/exports/formats.py.

    python -m tools.export_fields            # print the table
    python -m tools.export_fields --write    # rewrite it in docs/export-protocol.md (between the markers)
    python -m tools.export_fields --check    # exit 1 when the document's table differs

A field is mapped once, in `formats.FIELDS`; then `--write`. `tests/exports/test_export_formats.py`
fails while the document and the code disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vehicle_enforce.exports.formats import field_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "export-protocol.md"
TABLE_START = "<!-- export-fields:start (generated: python -m tools.export_fields --write) -->"
TABLE_END = "<!-- export-fields:end -->"


def with_field_table(doc: str) -> str:
    head, start, rest = doc.partition(TABLE_START)
    _old, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError("the document has no export-fields markers")
    return f"{head}{TABLE_START}\n{field_table()}{TABLE_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The export field-mapping table, from exports/formats.py.")
    parser.add_argument("--doc", type=Path, default=DOC)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the table in the document")
    mode.add_argument("--check", action="store_true", help="exit 1 when the document's table differs")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(field_table())
        return 0
    current = args.doc.read_text(encoding="utf-8")
    wanted = with_field_table(current)
    if args.write:
        args.doc.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(f"{args.doc}: the field table differs from exports/formats.py; run --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
