"""Import the vehicle administration's export (CSV in UTF-8 or GBK, or XLSX) into the registry.

How it works, and why:

* The file is read in chunks (`core.imports.open_table`: pandas for CSV, openpyxl read-only for
  XLSX), so memory stays bounded whatever the file size. Each chunk costs one query for the vehicles
  already registered under its plates and one for its enterprise owners, then bulk inserts and bulk
  updates: no query per row.
* Upsert by plate + colour: re-importing the same or a newer export updates vehicles, never
  duplicates them. A cell left empty keeps the stored value (an export that lacks a value says nothing
  new); an empty emission standard is inferred from the registration date unless a known one is stored.
* Rows that break a rule are rejected and written to the error report (row number, column, value,
  problem); the other rows are imported. A malformed file (unreadable encoding, missing required
  columns, a line with the wrong number of fields, a broken workbook) raises ImportRefused and, as the
  whole import is one transaction, nothing of it is stored.
* Owners: a row with a unified social credit code belongs to that enterprise (one owner record per
  code); a row without one belongs to a person, who is the vehicle's current owner when the name is the
  same, else the owner already holding that name and phone (rows of one file too), else a new owner.
* One audit entry records the import (file name, SHA-256, counts); per-vehicle entries are written by
  the API, where each change is a person's action.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import String, any_, bindparam, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from plates import color_from_code
from vehicle_enforce.auth.models import Township
from vehicle_enforce.core import audit, bulk
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.imports import (
    CHUNK_ROWS,
    ErrorReport,
    ImportRefused,
    Progress,
    RawRow,
    cell_text,
    open_table,
    sha256_file,
)
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles import labels
from vehicle_enforce.vehicles.models import Owner, OwnerKind, Vehicle, VehicleStatus
from vehicle_enforce.vehicles.registry import (
    FieldProblem,
    clean_credit_code,
    clean_plate,
    clean_vin,
    plate_key,
    resolve_emission_standard,
)

#: Canonical field → header names accepted by default (the vehicle administration's Chinese export,
#: then the English canonical name). A mapping file names other headers.
DEFAULT_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "plate": ("号牌号码", "车牌号码", "号牌", "plate"),
    "plate_color": ("号牌颜色", "车牌颜色", "plate_color"),
    "vin": ("车辆识别代号", "车架号", "VIN", "vin"),
    "vehicle_type": ("车辆类型", "vehicle_type"),
    "fuel": ("燃料种类", "燃料类型", "fuel"),
    "emission_standard": ("排放标准", "排放阶段", "emission_standard"),
    "registration_date": ("初次登记日期", "注册登记日期", "registration_date"),
    "use": ("使用性质", "use"),
    "owner": ("所有人", "机动车所有人", "owner"),
    "credit_code": ("统一社会信用代码", "credit_code"),
    "phone": ("联系电话", "手机号码", "phone"),
    "township": ("乡镇", "所属乡镇", "乡镇（街道）", "township"),
    "status": ("机动车状态", "状态", "status"),
    "lean_burn": ("稀薄燃烧", "lean_burn"),
    "gas_converted": ("油改气", "gas_converted"),
}
REQUIRED: Final = ("plate", "plate_color", "vehicle_type", "fuel")
#: Numeric plate-colour codes in exports are read with this plates.COLOR_SCHEMES scheme unless the
#: mapping says otherwise: GA style 1 blue, 2 yellow, 3 white, 4 black, 5 green, 6 yellow-green.
DEFAULT_COLOR_SCHEME: Final = "vendor_b"
_IN_BATCH: Final = 5_000  # plates per IN (...) list: under SQLite's and PostgreSQL's parameter limits
ERROR_HEADER: Final = ("行号 row", "列 column", "值 value", "问题 problem")

# Vehicle columns an import may set; compared with the stored row to tell updates from no-ops.
_VEHICLE_FIELDS: Final = (
    "vin",
    "vin_warning",
    "vehicle_type",
    "fuel",
    "emission_standard",
    "emission_standard_inferred",
    "registration_date",
    "use",
    "owner_id",
    "township_id",
    "status",
    "lean_burn",
    "gas_converted",
)


_OWNERS = Owner.__table__


@dataclass
class Mapping:
    """Which header holds each canonical field, and how numeric colour codes read."""

    columns: dict[str, str]
    color_scheme: str = DEFAULT_COLOR_SCHEME

    @classmethod
    def load(cls, path: str | Path | None, header: list[str]) -> Mapping:
        """Resolve the mapping for a file's header: the mapping file's columns, else the defaults."""
        given: dict[str, str] = {}
        scheme = DEFAULT_COLOR_SCHEME
        if path is not None:
            try:
                spec = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ImportRefused(f"cannot read the mapping file: {exc}", {"mapping": str(exc)}) from None
            if not isinstance(spec, dict) or not isinstance(spec.get("columns", {}), dict):
                raise ImportRefused('mapping file must be {"columns": {field: header}}', {"mapping": "bad shape"})
            given = {str(k): str(v) for k, v in spec.get("columns", {}).items()}
            scheme = str(spec.get("color_scheme", DEFAULT_COLOR_SCHEME))
            unknown = sorted(set(given) - set(DEFAULT_COLUMNS))
            if unknown:
                raise ImportRefused(
                    f"mapping names unknown fields: {', '.join(unknown)}",
                    {"mapping": f"fields are {', '.join(DEFAULT_COLUMNS)}"},
                )
        stripped = {h.strip(): h for h in header}
        columns: dict[str, str] = {}
        for name, aliases in DEFAULT_COLUMNS.items():
            if name in given:
                if given[name].strip() not in stripped:
                    raise ImportRefused(
                        f"mapped column '{given[name]}' for {name} is not in the file's header",
                        {"file": f"missing column {given[name]}"},
                    )
                columns[name] = stripped[given[name].strip()]
                continue
            for alias in aliases:
                if alias in stripped:
                    columns[name] = stripped[alias]
                    break
        missing = [n for n in REQUIRED if n not in columns]
        if missing:
            wanted = "; ".join(f"{n} ({'/'.join(DEFAULT_COLUMNS[n][:2])})" for n in missing)
            raise ImportRefused(f"the header (row 1) lacks required columns: {wanted}", {"file": "missing columns"})
        return cls(columns, scheme)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors_path: Path | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors_path": str(self.errors_path) if self.errors_path else None,
        }


def import_vehicles(
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    encoding: str = "auto",
    errors_out: str | Path | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    actor: Actor,
) -> ImportReport:
    """Import a vehicle file inside the caller's transaction (flush, never commit); see the module doc."""
    source = Path(path)
    report = ImportReport()
    errors = ErrorReport(
        Path(errors_out) if errors_out else source.with_name(source.stem + ".errors.csv"), ERROR_HEADER
    )
    try:
        table = open_table(source, encoding=encoding, chunk_rows=chunk_rows)
        report.encoding = table.encoding
        resolved = Mapping.load(mapping, table.header)
        report.columns = resolved.columns
        importer = _ChunkImporter(resolved, errors, report)
        for chunk in table.chunks:
            importer.run(chunk)
            report.rows += len(chunk)
            if progress is not None:
                progress(len(chunk))
    except Exception:
        errors.close(discard=True)
        raise
    report.errors_path = errors.close()
    audit.record(
        "vehicle.import",
        "vehicle_import",
        None,
        {"file": source.name, "sha256": sha256_file(source), **report.as_dict(), "columns": report.columns},
        actor=actor,
    )
    return report


def _in(column: Any, values: list[str]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of thousands."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, type_=ARRAY(String)))
    return column.in_(values)


# --- one chunk ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    plate: str
    plate_color: str
    values: dict[str, Any]  # vehicle fields present in the file and not empty
    standard_given: bool
    owner_name: str | None
    credit_code: str | None
    phone: str | None


class _ChunkImporter:
    def __init__(self, mapping: Mapping, errors: ErrorReport, report: ImportReport) -> None:
        self.mapping = mapping
        self.errors = errors
        self.report = report
        self.townships: dict[str, int] = {}
        for township in db.session.scalars(select(Township)):
            self.townships[township.name] = township.id
            self.townships[township.code] = township.id

    # Parsing ------------------------------------------------------------------------------------------

    def parse(self, number: int, raw: dict[str, Any]) -> _Row | None:
        problems: list[tuple[str, Any, str]] = []  # (field, value, problem)
        cells = {name: raw.get(column) for name, column in self.mapping.columns.items()}
        # CSV cells are already text; only spreadsheet cells need converting.
        texts = {name: v.strip() if type(v) is str else cell_text(v) for name, v in cells.items()}

        def attempt(name: str, func: Callable[[Any], Any]) -> Any:
            if not texts.get(name):
                return None
            try:
                return func(cells[name] if name == "registration_date" else texts[name])
            except (ValueError, FieldProblem) as exc:
                problems.append((name, cells[name], getattr(exc, "message", str(exc))))
                return None

        for name in REQUIRED:
            if not texts.get(name):
                problems.append((name, cells.get(name), "required"))
        plate = colour = None
        if texts.get("plate") and texts.get("plate_color"):
            try:
                colour_value = texts["plate_color"]
                if colour_value.isdigit():
                    colour_value = color_from_code(colour_value, self.mapping.color_scheme).value
                plate, colour = clean_plate(texts["plate"], colour_value)
            except FieldProblem as exc:
                problems.append((exc.field, cells[exc.field], exc.message))
            except ValueError as exc:
                problems.append(("plate_color", cells["plate_color"], str(exc)))
        values: dict[str, Any] = {}
        vehicle_type = attempt("vehicle_type", labels.parse_vehicle_type)
        fuel = attempt("fuel", labels.parse_fuel)
        if vehicle_type:
            values["vehicle_type"] = vehicle_type
        if fuel:
            values["fuel"] = fuel
        vin = attempt("vin", clean_vin)
        if vin is not None:
            values["vin"], values["vin_warning"] = vin
        for name, func in (
            ("registration_date", labels.parse_date),
            ("use", labels.parse_use),
            ("status", labels.parse_status),
            ("lean_burn", labels.parse_flag),
            ("gas_converted", labels.parse_flag),
        ):
            parsed = attempt(name, func)
            if parsed is not None:
                values[name] = parsed
        standard = attempt("emission_standard", labels.parse_emission_standard)
        if standard is not None:
            values["emission_standard"] = standard
        if texts.get("township"):
            township_id = self.townships.get(texts["township"])
            if township_id is None:
                problems.append(("township", cells["township"], "unknown township (name or code)"))
            else:
                values["township_id"] = township_id
        credit_code = attempt("credit_code", clean_credit_code)
        if credit_code and not texts.get("owner"):
            problems.append(("owner", cells.get("owner"), "an enterprise row needs the owner's name"))
        if problems:
            for name, value, problem in problems:
                self.errors.add(number, self.mapping.columns.get(name, name), value, problem)
            self.report.rejected += 1
            return None
        assert plate is not None and colour is not None
        return _Row(
            number,
            plate,
            colour,
            values,
            standard is not None,
            texts.get("owner") or None,
            credit_code,
            texts.get("phone") or None,
        )

    # Storing ------------------------------------------------------------------------------------------

    def run(self, chunk: list[RawRow]) -> None:
        parsed: dict[tuple[str, str], _Row] = {}
        for number, raw in chunk:
            row = self.parse(number, raw)
            if row is not None:
                parsed[(row.plate, row.plate_color)] = row  # a plate listed twice: the later row wins
        if not parsed:
            return
        existing = self._existing(parsed)
        enterprises = self._enterprises(parsed.values())
        new_people: list[tuple[_Row, dict[str, Any]]] = []
        planned: list[tuple[_Row, dict[str, Any] | None, dict[str, Any]]] = []
        for key, row in parsed.items():
            stored = existing.get(key)
            values = dict(row.values)
            if row.credit_code:
                values["owner_id"] = enterprises[row.credit_code]
            elif row.owner_name:
                if (
                    stored is not None
                    and stored["owner_kind"] == OwnerKind.person.value
                    and stored["owner_name"] == row.owner_name
                ):  # the same person
                    values["owner_id"] = stored["owner_id"]
                else:
                    new_people.append((row, values))
            self._standard(values, stored, row.standard_given)
            planned.append((row, stored, values))
        self._create_people(new_people)  # sets owner_id in their values
        now = now_utc()
        inserts: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        unchanged = 0
        for row, stored, values in planned:
            if stored is None:
                inserts.append(
                    {
                        "plate": row.plate,
                        "plate_color": row.plate_color,
                        "plate_key": plate_key(row.plate),
                        "status": VehicleStatus.active.value,
                        "lean_burn": False,
                        "gas_converted": False,
                        "emission_standard_inferred": False,
                        "created_at": now,
                        "updated_at": now,
                        **values,
                    }
                )
            elif any(stored[name] != value for name, value in values.items()):
                changed.append(
                    {**{n: stored[n] for n in _VEHICLE_FIELDS}, **values, "id": stored["id"], "updated_at": now}
                )
            else:
                unchanged += 1
        if inserts:
            # Every dict carries the same keys so the driver can batch them into multi-row statements.
            # Core statements, not ORM bulk ones: one executemany per chunk instead of one per batch of
            # rows that happen to share None columns.
            keys = set().union(*inserts)
            bulk.insert_rows(Vehicle.__table__, [{k: r.get(k) for k in keys} for r in inserts])
        if changed:
            table = Vehicle.__table__
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in (*_VEHICLE_FIELDS, "updated_at")})
            )
            db.session.execute(stmt, [{**{k: v for k, v in c.items() if k != "id"}, "_id": c["id"]} for c in changed])
        self.report.created += len(inserts)
        self.report.updated += len(changed)
        self.report.unchanged += unchanged

    def _standard(self, values: dict[str, Any], stored: dict[str, Any] | None, given: bool) -> None:
        if given:
            values["emission_standard_inferred"] = False
            return
        if stored is not None and stored["emission_standard"] is not None and not stored["emission_standard_inferred"]:
            return  # a known standard is kept when the file has none
        merged: dict[str, Any] = {
            n: values.get(n, stored[n] if stored else None) for n in ("vehicle_type", "fuel", "registration_date")
        }
        standard, inferred = resolve_emission_standard(
            None, merged["vehicle_type"], merged["fuel"], merged["registration_date"]
        )
        values["emission_standard"], values["emission_standard_inferred"] = standard, inferred

    def _existing(self, parsed: dict[tuple[str, str], _Row]) -> dict[tuple[str, str], dict[str, Any]]:
        plates = sorted({plate for plate, _ in parsed})
        found: dict[tuple[str, str], dict[str, Any]] = {}
        columns = [Vehicle.id, Vehicle.plate, Vehicle.plate_color, *(getattr(Vehicle, n) for n in _VEHICLE_FIELDS)]
        for start in range(0, len(plates), _IN_BATCH):
            stmt = (
                select(*columns, Owner.kind.label("owner_kind"), Owner.name.label("owner_name"))
                .outerjoin(Owner, Owner.id == Vehicle.owner_id)
                .where(_in(Vehicle.plate, plates[start : start + _IN_BATCH]))
            )
            for record in db.session.execute(stmt).mappings():
                key = (record["plate"], record["plate_color"])
                if key in parsed:
                    found[key] = dict(record)
        return found

    def _enterprises(self, rows: Iterable[_Row]) -> dict[str, int]:
        """Return credit code → owner id, creating missing enterprises and renaming changed ones."""
        wanted: dict[str, _Row] = {}
        for row in rows:
            if row.credit_code:
                wanted[row.credit_code] = row
        ids: dict[str, int] = {}
        codes = sorted(wanted)
        renames = []
        for start in range(0, len(codes), _IN_BATCH):
            stmt = select(Owner.id, Owner.credit_code, Owner.name, Owner.phone).where(
                _in(Owner.credit_code, codes[start : start + _IN_BATCH])
            )
            for owner_id, code, name, phone in db.session.execute(stmt):
                assert code is not None  # selected by credit code
                ids[code] = owner_id
                row = wanted[code]
                if row.owner_name != name or (row.phone and row.phone != phone):
                    renames.append({"id": owner_id, "name": row.owner_name, "phone": row.phone or phone})
        missing = [code for code in codes if code not in ids]
        if missing:
            now = now_utc()
            new_owners = [
                {
                    "kind": OwnerKind.enterprise.value,
                    "name": wanted[c].owner_name,
                    "credit_code": c,
                    "phone": wanted[c].phone,
                    "created_at": now,
                }
                for c in missing
            ]
            ids.update(zip(missing, bulk.insert_rows_returning_ids(_OWNERS, new_owners), strict=True))
        if renames:
            db.session.execute(update(Owner), renames)
        return ids

    def _create_people(self, people: list[tuple[_Row, dict[str, Any]]]) -> None:
        """Owners of rows without a credit code: the same name and phone are one owner (stored or new)."""
        if not people:
            return
        keys = {(row.owner_name, row.phone) for row, _ in people if row.phone}
        found: dict[tuple[str | None, str | None], int] = {}
        names = sorted({name for name, _ in keys if name})
        for start in range(0, len(names), _IN_BATCH):
            stmt = (
                select(Owner.id, Owner.name, Owner.phone)
                .where(
                    Owner.kind == OwnerKind.person.value,
                    _in(Owner.name, names[start : start + _IN_BATCH]),
                    Owner.phone.is_not(None),
                )
                .order_by(Owner.id)
            )
            for owner_id, name, phone in db.session.execute(stmt):
                if (name, phone) in keys:
                    found.setdefault((name, phone), owner_id)
        now = now_utc()
        creating: list[list[dict[str, Any]]] = []  # values of the rows each new owner gets
        rows: list[dict[str, Any]] = []
        new_by_key: dict[tuple[str | None, str | None], int] = {}
        for row, values in people:
            key = (row.owner_name, row.phone) if row.phone else None
            if key is not None and key in found:
                values["owner_id"] = found[key]
            elif key is not None and key in new_by_key:
                creating[new_by_key[key]].append(values)
            else:
                if key is not None:
                    new_by_key[key] = len(creating)
                creating.append([values])
                rows.append(
                    {"kind": OwnerKind.person.value, "name": row.owner_name, "phone": row.phone, "created_at": now}
                )
        if not rows:
            return
        ids = bulk.insert_rows_returning_ids(_OWNERS, rows)
        for owner_id, group in zip(ids, creating, strict=True):
            for values in group:
                values["owner_id"] = owner_id
