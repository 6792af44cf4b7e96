"""File imports of remote-sensing passes: stream a vendor file, store it in committed batches, report rejects.

The vendor layouts are read by `remote_sensing` readers; the refusal, the error report (formula guard
included) and the progress callback are the shared ones of `core.imports`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from remote_sensing import PassRecord, RowError, open_reader
from remote_sensing.readers import LayoutError
from vehicle_enforce.core import transaction
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.imports import ErrorReport, ImportRefused, Progress
from vehicle_enforce.inspections.passes import PassIn, store_passes

ERROR_COLUMNS = ["row", "record_id", "column", "field", "problem", "raw"]


def _rows(path: Path, fmt: str, options: dict[str, Any]) -> Iterator[tuple[int, PassRecord | RowError]]:
    try:
        yield from open_reader(path, fmt, **options)
    except LayoutError as exc:
        raise ImportRefused(f"{path.name}: {exc}", {"file": "unknown layout"}) from None
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"{path.name}: cannot decode ({exc.reason}); try --encoding", {"file": "encoding"}
        ) from None


def import_file(
    path: Path,
    fmt: str,
    *,
    station: str | None,
    errors_path: Path,
    batch_size: int = 5000,
    progress: Progress | None = None,
    actor: Actor,
    **options: Any,
) -> dict[str, int]:
    """Import `path`; every batch commits on its own, so an interrupted import can simply be rerun."""
    counts = {"read": 0, "stored": 0, "duplicate": 0, "invalid": 0, "rejected": 0}
    batch: list[tuple[int, PassRecord]] = []
    report = ErrorReport(errors_path, ERROR_COLUMNS)

    def done(rows: int) -> None:
        if progress is not None:
            progress(rows)

    def flush() -> None:
        items = [PassIn(i, record=rec) for i, (_, rec) in enumerate(batch)]
        results = store_passes(items, actor=actor)
        transaction.checkpoint()  # each batch is durable: an interrupted import is simply rerun
        for (row_number, rec), result in zip(batch, results, strict=True):
            if "error" in result:  # invalid, or a conflict with a stored pass of other content
                counts["rejected"] += 1
                err = result["error"]
                report.add(row_number, rec.record_id, "", err["field"], err["message"], "")
            elif result["status"] == "duplicate":
                counts["duplicate"] += 1
            else:
                counts["stored"] += 1
                counts["invalid"] += result["verdict"] == "invalid"
        done(len(batch))
        batch.clear()

    try:
        for row_number, item in _rows(path, fmt, options):
            counts["read"] += 1
            if isinstance(item, RowError):
                counts["rejected"] += 1
                report.add(row_number, "", item.column or "", item.field or "", item.problem, item.raw)
                done(1)
                continue
            if station is not None:
                item = dataclasses.replace(item, station=station)
            batch.append((row_number, item))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    finally:
        report.close()
    return counts
