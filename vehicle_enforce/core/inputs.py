"""Text that may be stored: lengths derived from the columns, no control or bidi-override characters.

Every string a client sends ends up in a column (or a JSON column, or an audit entry). Two rules hold
for all of them, checked before any service runs so the field is named in the answer:

- no control characters (NUL included; tab, line feed and carriage return are allowed), and no
  bidirectional-override/isolate characters (they make a plate or a note display as something else);
- no longer than the column it is stored in. Schemas take the length from the model with
  :func:`column_field` (or a `stored_as` declaration on the schema class, see `core/schemas.py`),
  so a longer column cannot be forgotten and a shorter one cannot be overrun.

`tests/core/test_input_limits.py` walks every model column and every input schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import render_template_string, request
from pydantic import Field
from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.routing import IntegerConverter

from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.messages import MESSAGES

if TYPE_CHECKING:
    from flask import Flask

    from vehicle_enforce.extensions import Model

#: Bidirectional embedding/override/isolate marks (Unicode TR9): refused in every text field.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: Control characters (Unicode category Cc: U+0000-001F and U+007F-009F) except tab, LF and CR,
#: and the bidi marks: one compiled search (a 10,000-pass batch checks ~200,000 strings).
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def text_problem(value: str) -> tuple[str, str] | None:
    """(code, Chinese message) when `value` holds a character no stored text may hold, else None."""
    found = _HIDDEN.search(value)
    if found is None:
        return None
    if found.group() in BIDI_CONTROLS:
        return "bidi_character", MESSAGES["bidi_character"]
    return "control_character", MESSAGES["control_character"]


def text_problems(data: Any, prefix: str = "") -> dict[str, tuple[str, str]]:
    """Every string (keys included) in a decoded JSON value or query that breaks `text_problem`,
    by dotted path (`passes.3.plate`, `readings.fault_codes.0`)."""
    found: dict[str, tuple[str, str]] = {}
    _walk(data, prefix, found)
    return found


def _walk(value: Any, path: str, found: dict[str, tuple[str, str]]) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            found.setdefault(path or "body", problem)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            key_problem = text_problem(key) if isinstance(key, str) else None
            if key_problem is not None:
                found.setdefault(path or "body", key_problem)
                continue
            _walk(item, where, found)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{path}.{i}" if path else str(i), found)


def column_length(column: Any) -> int | None:
    """The character limit of a String column (a mapped attribute or a Column); None when unbounded."""
    col = column.property.columns[0] if isinstance(column, InstrumentedAttribute) else column
    if isinstance(col.type, String) and col.type.length:
        return int(col.type.length)
    return None


def column_lengths(model: type[Model]) -> dict[str, int]:
    """{column name: limit} for the bounded String columns of a mapped class."""
    return {c.name: int(c.type.length) for c in model.__table__.columns if isinstance(c.type, String) and c.type.length}


def column_field(column: Any, **kwargs: Any) -> Any:
    """A pydantic Field whose max_length is the column's (a smaller explicit max_length wins)."""
    limit = column_length(column)
    if limit is not None:
        kwargs["max_length"] = min(limit, kwargs.get("max_length", limit))
    return Field(**kwargs)


#: Integers the database can hold (PostgreSQL INTEGER, the type of every id column).
MAX_DB_INT = 2**31 - 1


def db_int(text: str | None) -> int | None:
    """A page's query id (`?before=`, `?after=`): the integer when the database can hold it, else None."""
    value = (text or "").strip()
    if not value.isdecimal() or not value.isascii():
        return None
    number = int(value)
    return number if 0 <= number <= MAX_DB_INT else None


# --------------------------------------------------------------------------------------------------
# Request-wide guards: ids in paths, text in query strings and forms


def init_app(app: Flask) -> None:
    """Ids above the database's integer range never reach a query (404: no such record can exist);
    a query parameter or form field with a control or bidi character is refused before any view."""

    class _BoundedInt(IntegerConverter):
        def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("max", MAX_DB_INT)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = _BoundedInt

    @app.before_request
    def _refuse_hidden_characters() -> Any:
        problems = text_problems(request.args.to_dict(flat=False))
        if problems:
            fields = {
                path.rsplit(".", 1)[0] if path[-1:].isdigit() else path: msg for path, (_c, msg) in problems.items()
            }
            raise Invalid("query has a control or bidi character", fields)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            problems = text_problems(request.form.to_dict(flat=False))
            if problems:
                fields = {path.rsplit(".", 1)[0]: msg for path, (_c, msg) in problems.items()}
                if request.path.startswith("/api/"):
                    raise Invalid("form has a control or bidi character", fields)
                return _refused_page(fields)
        return None

    def _refused_page(fields: dict[str, str]) -> Any:

        body = render_template_string(
            "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>提交未保存</title>"
            "<h1>提交未保存</h1><ul>{% for k, v in fields.items() %}<li>{{ k }}：{{ v }}</li>{% endfor %}</ul>"
            "<p><a href='{{ back }}'>返回修改</a></p>",
            fields=fields,
            back=request.referrer if (request.referrer or "").startswith(request.host_url) else "/",
        )
        return body, 422, {"Content-Type": "text/html; charset=utf-8"}
