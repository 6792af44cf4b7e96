"""What every file import shares (vehicles, remote-sensing passes, machinery): one piece of code each.

* `ImportRefused`: the one refusal for a file that cannot be imported as a whole (unknown type or
  layout, unreadable encoding, missing required columns, a malformed line, a broken workbook).
* `open_table`: a CSV (UTF-8 or GBK, detected) or XLSX file read in chunks of `(row number, {header:
  cell})`, so memory stays bounded whatever the file size (pandas for CSV, openpyxl read-only for XLSX).
* `ErrorReport`: the rejected rows, written as they come to a CSV that Excel opens (UTF-8 with BOM);
  the file is created at the first rejected row, and every cell goes through the formula guard
  (`core.spreadsheets.guard_cell`), since cells come from files others made.
* `row_savepoint`: one row's writes in a savepoint, flushed there, for importers that store row by row:
  a refused row is undone alone and the import goes on.
* Progress: importers take a `Progress` callback (rows done); `progress_bar` is the CLI's.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import pandas as pd
from sqlalchemy.exc import IntegrityError
from tqdm import tqdm

from remote_sensing.readers.hj845_csv import detect_encoding
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.spreadsheets import guard_cell
from vehicle_enforce.extensions import db

CHUNK_ROWS: Final = 20_000
XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")
CSV_SUFFIXES: Final = (".csv", ".txt")

RawRow = tuple[int, dict[str, Any]]  # (row number in the file, header → cell)
Progress = Callable[[int], object]  # called with the number of rows just done (tqdm's update fits)


class ImportRefused(Invalid):
    """The file as a whole cannot be imported; nothing of it was stored (an import that commits batch
    by batch keeps the batches before the fault)."""


@dataclass
class Table:
    """A file opened for reading: its header, its rows in chunks, and the CSV encoding used."""

    header: list[str]
    chunks: Iterator[list[RawRow]]
    encoding: str | None = None


def open_table(source: Path, *, encoding: str = "auto", chunk_rows: int = CHUNK_ROWS) -> Table:
    """Open a CSV or XLSX file; reading a malformed part later raises ImportRefused, as here."""
    if not source.is_file():
        raise ImportRefused(f"no such file: {source}", {"file": "not found"})
    suffix = source.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(source, chunk_rows)
    if suffix not in CSV_SUFFIXES:
        raise ImportRefused(f"unsupported file type '{suffix}': use CSV or XLSX", {"file": "unsupported type"})
    enc = detect_encoding(source) if encoding == "auto" else encoding
    if enc.lower().replace("-", "") in ("gbk", "gb2312"):
        enc = "gb18030"  # GBK exports often carry the odd GB18030-only character
    try:
        header = [str(c) for c in pd.read_csv(source, nrows=0, encoding=enc, dtype=str).columns]
    except LookupError:
        raise ImportRefused(f"unknown encoding '{encoding}'", {"encoding": "use auto, utf-8 or gbk"}) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _malformed(exc) from None
    return Table(header, _csv_chunks(source, enc, chunk_rows), enc)


def _malformed(exc: Exception) -> ImportRefused:
    return ImportRefused(f"malformed file, nothing imported: {short(exc)}", {"file": "malformed"})


def _csv_chunks(source: Path, enc: str, chunk_rows: int) -> Iterator[list[RawRow]]:
    try:
        with pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=enc,
            chunksize=chunk_rows,
            on_bad_lines="error",
        ) as reader:
            start = 2  # row 1 is the header
            for frame in reader:
                columns = [str(c) for c in frame.columns]
                cells = [frame[c].tolist() for c in frame.columns]  # column lists: far faster than row iteration
                rows = [dict(zip(columns, values, strict=True)) for values in zip(*cells, strict=True)]
                yield [(start + i, row) for i, row in enumerate(rows)]
                start += len(rows)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _malformed(exc) from None


def _open_xlsx(source: Path, chunk_rows: int) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportRefused(f"not a readable XLSX workbook: {short(exc)}", {"file": "malformed"}) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        workbook.close()
        raise ImportRefused("the workbook's first sheet is empty", {"file": "empty"})
    header = ["" if c is None else str(c).strip() for c in first]

    def chunks() -> Iterator[list[RawRow]]:
        try:
            batch: list[RawRow] = []
            for number, values in enumerate(rows, start=2):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue  # blank rows Excel keeps around
                batch.append((number, dict(zip(header, values, strict=False))))
                if len(batch) >= chunk_rows:
                    yield batch
                    batch = []
            if batch:
                yield batch
        finally:
            workbook.close()

    return Table(header, chunks())


def cell_text(value: Any) -> str:
    """A cell as stripped text: empty for none, spreadsheet numbers without a trailing `.0` (2.0 → "2")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def count_rows(path: str | Path) -> int | None:
    """Estimate the data rows of a file for the progress bar (lines minus the header for CSV)."""
    source = Path(path)
    if source.suffix.lower() in XLSX_SUFFIXES:
        return None
    lines = 0
    with source.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(0, lines - 1)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def short(exc: Exception) -> str:
    """The first line of an exception's text (at most 300 characters), else its type's name."""
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


class ErrorReport:
    """Rejected rows, written as they come (bounded memory) with every cell guarded against formulas.

    The file is created only for the first rejected row; with no path, rows are only counted.
    """

    def __init__(self, path: Path | None, header: Sequence[str]) -> None:
        self.path = path
        self.header = list(header)
        self.rows = 0
        self._fh: IO[str] | None = None
        self._writer: Any = None

    def add(self, row: int, *cells: Any) -> None:
        """One line: the file's row number, then the importer's cells (None is written empty)."""
        self.rows += 1
        if self.path is None:
            return
        if self._writer is None:
            self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(self.header)
        self._writer.writerow([row, *(guard_cell("" if c is None else str(c)) for c in cells)])

    def close(self, *, discard: bool = False) -> Path | None:
        """Close the file; return its path if it was written (and not discarded)."""
        if self._fh is None:
            return None
        self._fh.close()
        if discard:
            assert self.path is not None
            self.path.unlink(missing_ok=True)
            return None
        return self.path


@contextmanager
def row_savepoint() -> Iterator[None]:
    """One row's writes in a savepoint, flushed there: a refused row (a ServiceError, or a constraint
    only the database checks, raised as Invalid) is undone alone, and the import goes on."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        raise Invalid("the row conflicts with a stored record", {"row": "与已存储的记录冲突"}) from None


def progress_bar(path: Path, show: bool | None = None) -> tqdm[Any]:
    """The CLI's progress bar for importing `path` (shown when stderr is a terminal, unless told);
    pass its `update` as the importer's `Progress`."""
    shown = sys.stderr.isatty() if show is None else show
    return tqdm(total=count_rows(path), unit=" rows", disable=not shown, file=sys.stderr, desc=f"import {path.name}")
