"""One machinery for every list page: search and filters, sorting, keyset paging and the XLSX export.

A list declares a `ListSpec`: its filters (query parameter, Chinese label, how it narrows the statement),
its sort keys (a whitelist: only these columns can order the list), and its export columns. The view
builds the caller's statement exactly as the list shows it (scoped with `auth/scope.py`) and hands it
to `respond()`, which

* reads the filters from the address (values stay in the boxes; a wrong value is refused beside its
  box in Chinese, and the list is drawn without rows);
* orders by the chosen key and then by id (a stable order), and pages with a keyset cursor over
  (key, id), so page 500 costs what page 1 costs on an indexed column;
* with `export=xlsx`, writes every row matching the filters (the same statement, so the same scope) to
  an XLSX file in openpyxl's write-only mode (rows go to disk as they are read, memory stays flat) and
  sends it; personal data masked by role (`auth/privacy.py`), times as date cells in Beijing time, the
  export audited (who, which list, which filters, how many rows). More than `EXPORT_CAP` rows are
  refused with a Chinese message asking to narrow the filters.

Filter parameters are simple and stable (`?state=…&overdue=1&date=today`): dashboards link to them.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from urllib.parse import urlencode

from flask import Response, flash, g, request, send_file
from sqlalchemy import Select, and_, func, or_, select

from plates import normalize_plate
from vehicle_enforce.auth.privacy import mask_name, mask_phone, sees_personal_data
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.messages import LIST_MESSAGES
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE, Column, stream_xlsx
from vehicle_enforce.core.timeutil import FIRST_DAY, LAST_DAY, SHANGHAI, format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import Owner, Vehicle

#: The most rows one export writes; more is refused (narrow the filters).
EXPORT_CAP = 100_000
PAGE_SIZE = 50
#: Parameters every list reads besides its filters.
CONTROL_PARAMS = ("sort", "cursor")

FilterKind = Literal["text", "choice", "date", "flag"]
SortKind = Literal["datetime", "date", "int", "text"]

# The words of a refusal, from the one catalogue (core/messages.py).
MSG_CHOICE = LIST_MESSAGES["choice"]
MSG_DATE = LIST_MESSAGES["date"]
MSG_DATE_RANGE = LIST_MESSAGES["date_range"].format(first=FIRST_DAY, last=LAST_DAY)
MSG_TOO_LONG = LIST_MESSAGES["too_long"]
MSG_CURSOR = LIST_MESSAGES["cursor"]
MSG_SORT = LIST_MESSAGES["sort"]
MSG_TOO_MANY = LIST_MESSAGES["too_many"]
EXPORTED_ZH = "导出"


@dataclass(frozen=True)
class Filter:
    """One filter of a list: its query parameter, Chinese label, kind, and how it narrows the statement
    (`apply(stmt, value)`: the value parsed, a `str`, a `date` or True)."""

    name: str
    label: str
    apply: Callable[[Select[Any], Any], Select[Any]]
    kind: FilterKind = "text"
    choices: Mapping[str, str] = field(default_factory=dict)  # value -> Chinese label
    placeholder: str = ""
    max_length: int = 32
    default: str = ""  # the value when the address names none (e.g. blacklist status=active)
    #: a filter about the caller (cases waiting for *my* department): `apply` gets the caller as its value
    about_caller: bool = False


@dataclass(frozen=True)
class Sort:
    """A column the list may be ordered by (the whitelist), and the kind of its values (for the cursor)."""

    name: str
    label: str
    column: Any
    kind: SortKind = "datetime"
    nullable: bool = False  # NULLs come last in either direction


@dataclass(frozen=True)
class ListSpec:
    """A list: what it is called (audit object, file name), its filters, sorts, paging and export."""

    name: str
    title: str
    id_column: Any
    filters: Sequence[Filter]
    sorts: Sequence[Sort]
    default_sort: str  # "-measured_at": descending
    columns: Sequence[Column] = ()
    export_row: Callable[[Any], Mapping[str, Any]] | None = None
    #: export column key -> mask applied when the caller's role does not see personal data
    masks: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    page_size: int = PAGE_SIZE
    #: what the export needs besides the list's rows (joins, eager loads): applied to the export's statement
    export_query: Callable[[Select[Any]], Select[Any]] | None = None

    def sort(self, name: str) -> Sort | None:
        return next((s for s in self.sorts if s.name == name), None)


@dataclass
class ListState:
    """A list as the address asks for it: filter values (as typed), sort, cursor; then its rows."""

    spec: ListSpec
    values: dict[str, str]
    sort: Sort
    descending: bool
    cursor: str | None
    errors: dict[str, str] = field(default_factory=dict)
    principal: Actor | None = None  # the caller, for filters about the caller
    rows: list[Any] = field(default_factory=list)
    next_cursor: str | None = None

    @property
    def active(self) -> dict[str, str]:
        """The filters in use that differ from their defaults (marked on the page)."""
        defaults = {f.name: f.default for f in self.spec.filters}
        return {k: v for k, v in self.values.items() if v and v != defaults.get(k, "")}

    @property
    def sort_param(self) -> str:
        return ("-" if self.descending else "") + self.sort.name

    def params(self, **changes: str | None) -> dict[str, str]:
        """The address's parameters (filters, sort), with `changes` (None drops one); no cursor unless given."""
        out = {k: v for k, v in self.values.items() if v}
        if self.sort_param != self.spec.default_sort:
            out["sort"] = self.sort_param
        for key, value in changes.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    def url(self, **changes: str | None) -> str:
        return "?" + urlencode(self.params(**changes))

    def sort_url(self, name: str) -> str:
        """The address ordering by `name`: descending first for times, flipping when already chosen."""
        key = self.spec.sort(name)
        if key is None:
            return self.url()
        if key is self.sort:
            wanted = name if self.descending else "-" + name
        else:
            wanted = "-" + name if key.kind in ("datetime", "date") else name
        return self.url(sort=wanted)

    def aria_sort(self, name: str) -> str:
        if self.sort.name != name:
            return "none"
        return "descending" if self.descending else "ascending"

    def shown(self, name: str) -> str:
        """A date filter's value as its box shows it (`today` as today's date)."""
        value = self.values.get(name, "")
        return local_day(now_utc()).isoformat() if value == "today" else value

    def export_url(self) -> str:
        return self.url(export="xlsx")

    def describe(self) -> list[tuple[str, str]]:
        """The active filters as (label, value as shown), for the page's summary and the export's 说明."""
        out = []
        for f in self.spec.filters:
            value = self.active.get(f.name)
            if value and f.name not in self.errors:
                shown = f.choices.get(value, value) if f.kind == "choice" else ("是" if f.kind == "flag" else value)
                out.append((f.label, "今天" if value == "today" else shown))
        return out


# -- reading the address ------------------------------------------------------------------------------------


def read_state(spec: ListSpec, args: Mapping[str, str] | None = None, principal: Actor | None = None) -> ListState:
    """The list's state from the query string; wrong values go to `errors` (field -> Chinese message)."""
    args = request.args if args is None else args
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in spec.filters:
        raw = (args.get(f.name) or "").strip()
        values[f.name] = raw if raw else f.default
    requested = (args.get("sort") or "").strip() or spec.default_sort
    descending = requested.startswith("-")
    sort = spec.sort(requested.lstrip("-"))
    if sort is None:
        errors["sort"] = MSG_SORT
        descending = spec.default_sort.startswith("-")
        sort = spec.sort(spec.default_sort.lstrip("-"))
        assert sort is not None, f"{spec.name}: default sort {spec.default_sort} is not one of its sorts"
    cursor = (args.get("cursor") or "").strip() or None
    return ListState(spec, values, sort, descending, cursor, errors, principal=principal)


def parsed_value(f: Filter, raw: str) -> Any:
    """The filter's value as `apply` takes it; ValueError with the Chinese problem when it cannot be."""
    if f.kind == "choice":
        if raw not in f.choices:
            raise ValueError(MSG_CHOICE)
        return raw
    if f.kind == "date":
        if raw == "today":
            return local_day(now_utc())
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(MSG_DATE) from None
        if not FIRST_DAY <= day <= LAST_DAY:  # day_start() of year 1 or 9999 overflows
            raise ValueError(MSG_DATE_RANGE)
        return day
    if f.kind == "flag":
        return True
    if len(raw) > f.max_length:
        raise ValueError(MSG_TOO_LONG.format(n=f.max_length))
    return raw


def filtered(spec: ListSpec, state: ListState, stmt: Select[Any]) -> Select[Any]:
    """`stmt` narrowed by every filter in use (errors recorded in `state.errors`)."""
    for f in spec.filters:
        raw = state.values.get(f.name, "")
        if not raw or (f.kind == "flag" and raw in ("0", "")):
            continue
        try:
            value = parsed_value(f, raw)
        except ValueError as exc:
            state.errors[f.name] = str(exc)
            continue
        stmt = f.apply(stmt, state.principal if f.about_caller else value)
    return stmt


def day_start(day: date) -> datetime:
    """The first instant of a Beijing calendar day, in UTC (what the columns store)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def on_day(column: Any) -> Callable[[Select[Any], date], Select[Any]]:
    """A filter's `apply`: rows whose `column` falls on the Beijing day."""
    return lambda stmt, day: stmt.where(column >= day_start(day), column < day_start(day + timedelta(days=1)))


def since(column: Any) -> Callable[[Select[Any], date], Select[Any]]:
    return lambda stmt, day: stmt.where(column >= day_start(day))


def until(column: Any) -> Callable[[Select[Any], date], Select[Any]]:
    """Up to the end of the Beijing day (inclusive)."""
    return lambda stmt, day: stmt.where(column < day_start(day + timedelta(days=1)))


def equals(column: Any) -> Callable[[Select[Any], Any], Select[Any]]:
    return lambda stmt, value: stmt.where(column == value)


def starts_with(column: Any, normalize: Callable[[str], str] = str) -> Callable[[Select[Any], str], Select[Any]]:
    return lambda stmt, value: stmt.where(column.startswith(normalize(value), autoescape=True))


def plate_search(column: Any, label: str = "号牌号码", *, via_vehicle: bool = False) -> Filter:
    """The plate box every list has: records whose plate starts with what was typed (normalised, so
    `晋e 12` finds 晋E12345). `column` is the record's own plate, or with `via_vehicle` its vehicle id
    (the registered vehicle's plate is searched)."""
    apply = starts_with(column, normalize_plate)
    if via_vehicle:
        plates = starts_with(Vehicle.plate, normalize_plate)
        apply = lambda stmt, plate: stmt.where(column.in_(plates(select(Vehicle.id), plate)))  # noqa: E731
    return Filter("plate", label, apply, placeholder="如 晋E 或 晋E12345", max_length=16)


# -- owners in exports ---------------------------------------------------------------------------------------

#: An export's owner columns: `with_owner` adds the owner's name and phone as the row's last two values.
OWNER_COLUMNS = (Column("owner", "车辆所有人"), Column("owner_phone", "联系电话"))
OWNER_MASKS: Mapping[str, Callable[[Any], Any]] = {"owner": mask_name, "owner_phone": mask_phone}


def with_owner(stmt: Select[Any], vehicle_id: Any) -> Select[Any]:
    """`stmt` with the owner (name, phone) of the vehicle `vehicle_id` names, when it has one."""
    return (
        stmt.outerjoin(Vehicle, Vehicle.id == vehicle_id)
        .outerjoin(Owner, Owner.id == Vehicle.owner_id)
        .add_columns(Owner.name, Owner.phone)
    )


# -- the cursor ---------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode_cursor(value: Any, row_id: int) -> str:
    text = json.dumps([_jsonable(value), row_id], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    """(the last row's sort value, its id); ValueError when the cursor is not one this list issued."""
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValueError(MSG_CURSOR) from None
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ValueError(MSG_CURSOR)
    if value is None:
        if not sort.nullable:
            raise ValueError(MSG_CURSOR)
        return None, row_id
    try:
        if sort.kind == "datetime":
            return datetime.fromisoformat(str(value)).astimezone(UTC), row_id
        if sort.kind == "date":
            return date.fromisoformat(str(value)), row_id
        if sort.kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(value)
            return value, row_id
    except (ValueError, TypeError, OverflowError):
        raise ValueError(MSG_CURSOR) from None
    if not isinstance(value, str):
        raise ValueError(MSG_CURSOR)
    return value, row_id


def ordered(stmt: Select[Any], spec: ListSpec, sort: Sort, descending: bool) -> Select[Any]:
    """`stmt` ordered by the sort key then id, in one direction (NULL keys last)."""
    col, pk = sort.column, spec.id_column
    keys = [col.is_(None)] if sort.nullable else []
    keys += [col.desc(), pk.desc()] if descending else [col.asc(), pk.asc()]
    return stmt.order_by(*keys)


def after_cursor(
    stmt: Select[Any], spec: ListSpec, sort: Sort, descending: bool, value: Any, row_id: int
) -> Select[Any]:
    """Rows after (value, id) in the list's order."""
    col, pk = sort.column, spec.id_column
    beyond = pk < row_id if descending else pk > row_id
    if value is None:  # already among the NULL keys, which come last
        return stmt.where(col.is_(None), beyond)
    further = col < value if descending else col > value
    cond = or_(further, and_(col == value, beyond))
    if sort.nullable:
        cond = or_(cond, col.is_(None))
    return stmt.where(cond)


# -- the page and the export ----------------------------------------------------------------------------------


def page_rows(spec: ListSpec, state: ListState, stmt: Select[Any]) -> None:
    """Fill `state.rows` (one page) and `state.next_cursor`; nothing when a filter was refused."""
    if state.errors:
        return
    if state.cursor:
        try:
            value, row_id = decode_cursor(state.sort, state.cursor)
        except ValueError as exc:
            state.errors["cursor"] = str(exc)
            return
        stmt = after_cursor(stmt, spec, state.sort, state.descending, value, row_id)
    width = len(stmt.column_descriptions)
    stmt = ordered(stmt, spec, state.sort, state.descending)
    stmt = stmt.add_columns(state.sort.column, spec.id_column).limit(spec.page_size + 1)
    result = db.session.execute(stmt).all()
    more = len(result) > spec.page_size
    result = result[: spec.page_size]
    state.rows = [row[0] if width == 1 else tuple(row[:width]) for row in result]
    if more and result:
        last = result[-1]
        state.next_cursor = encode_cursor(last[width], int(last[width + 1]))


def count(stmt: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def count_matching(spec: ListSpec, stmt: Select[Any], args: Mapping[str, str], principal: Actor) -> int:
    """How many rows the list shows for the address's parameters `args` (e.g. {"overdue": "1"}): what a
    dashboard's count must equal (`stmt` scoped as the list's view scopes it)."""
    state = read_state(spec, args, principal)
    narrowed = filtered(spec, state, stmt)
    if state.errors:
        raise ValueError(f"{spec.name}: {state.errors}")
    return count(narrowed)


def export(spec: ListSpec, state: ListState, stmt: Select[Any], principal: Actor) -> Response | None:
    """The XLSX of every row matching the filters, or None (with a flashed refusal) over the cap."""
    assert spec.export_row is not None, f"{spec.name} has no export"
    total = count(stmt)
    if total > EXPORT_CAP:
        state.errors["export"] = MSG_TOO_MANY.format(n=total, cap=EXPORT_CAP)
        flash(state.errors["export"], "error")
        return None
    masked = not sees_personal_data(principal)
    if spec.export_query is not None:
        stmt = spec.export_query(stmt)
    width = len(stmt.column_descriptions)
    stmt = ordered(stmt, spec, state.sort, state.descending).execution_options(yield_per=1000)

    def rows() -> Any:
        for row in db.session.execute(stmt):
            data = dict(spec.export_row(row[0] if width == 1 else tuple(row)))  # type: ignore[misc]  # export_row takes the entity or the joined tuple, as the list's query selects
            if masked:
                for key, mask in spec.masks.items():
                    if data.get(key) is not None:
                        data[key] = mask(data[key])
            yield data

    now = now_utc()
    notes = [("导出人", principal.name), ("导出时间", format_local(now) + "（北京时间）")]
    notes += [("个人信息", "已按导出人所在部门的权限遮蔽" if masked else "未遮蔽（导出人所在部门办案需要）")]
    # Not a context manager: the file outlives this call (send_file streams it, then closes it).
    out = tempfile.TemporaryFile()  # noqa: SIM115
    written = stream_xlsx(
        out, title=spec.title, columns=spec.columns, rows=rows(), filters=state.describe(), notes=notes
    )
    audit.record(
        "list.export",
        spec.name,
        None,
        {"filters": state.params(), "rows": written, "masked": masked, "format": "xlsx"},
        actor=principal,
    )
    out.seek(0)
    name = f"{spec.title}-{format_local(now, '%Y%m%d%H%M')}.xlsx"
    return send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0)


def respond(
    spec: ListSpec,
    stmt: Select[Any] | Select[Any, Any],
    principal: Actor,
    render: Callable[[ListState], Any],
    state: ListState | None = None,
) -> Any:
    """A list view's answer: the page (filters, rows, paging) or, with `export=xlsx`, the file.

    `stmt` is the caller's statement exactly as the list shows it (scoped); `render(state)` draws the page.
    A refused filter draws the page without rows (status 422) with the message beside the box.
    """
    state = state or read_state(spec, principal=principal)
    narrowed = filtered(spec, state, cast(Select[Any], stmt))  # one entity or several: rows either way
    if request.args.get("export") == "xlsx" and not state.errors:
        sent = export(spec, state, narrowed, principal)
        if sent is not None:
            return sent
    else:
        page_rows(spec, state, narrowed)
    if state.errors:
        g.form_errors = {**(g.get("form_errors") or {}), **state.errors}
        return render(state), 422
    return render(state)
