"""The field-mapping table of docs/export-protocol.md, generated from vehicle_enforce/exports/formats.py.

    python -m tools.export_fields            # print the table
    python -m tools.export_fields --write    # rewrite it in docs/export-protocol.md (between the markers)
    python -m tools.export_fields --check    # exit 1 when the document's table differs

A field is mapped once, in `formats.FIELDS`; then `--write`. `tests/exports/test_export_formats.py`
fails while the document and the code disagree.
"""

from __future__ import annotations

from pathlib import Path

from tools import generated_table
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
    return generated_table.main(
        argv,
        description="The export field-mapping table, from exports/formats.py.",
        doc=DOC,
        table=field_table,
        with_table=with_field_table,
        source="vehicle_enforce/exports/formats.py",
    )


if __name__ == "__main__":
    raise SystemExit(main())
