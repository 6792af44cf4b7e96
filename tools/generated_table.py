"""The command line of a table generated from code into a document between two markers (the README's
settings, the export field mapping): print it, `--write` it, or `--check` that the document agrees."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def main(
    argv: list[str] | None,
    *,
    description: str,
    doc: Path,
    table: Callable[[], str],
    with_table: Callable[[str], str],
    source: str,
) -> int:
    """`table()` prints the table; `with_table(text)` is the document's text with the table rewritten."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--doc", type=Path, default=doc)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the table in the document")
    mode.add_argument("--check", action="store_true", help="exit 1 when the document's table differs")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(table())
        return 0
    current = args.doc.read_text(encoding="utf-8")
    wanted = with_table(current)
    if args.write:
        args.doc.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(f"{args.doc}: the table differs from {source}; run --write", file=sys.stderr)
        return 1
    return 0
