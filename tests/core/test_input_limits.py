"""Every text a client sends fits its column and carries no hidden characters; ids, dates and query
values that cannot exist are refused, never a 500 (the hardening issue, #26).

These tests walk classes, not cases: every input schema, every model column, every API route.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest

#: Body schemas whose text is not stored in a model column of the same name (with the reason).
NOT_STORED_AS_COLUMNS = {
    "vehicle_enforce.vehicles.schemas.MatchIn": "a lookup: the plate is matched, not stored",
    "vehicle_enforce.phaseout.schemas.QuotasIn": "period and township name rows of other tables",
    "vehicle_enforce.phaseout.schemas.QuotaItemIn": "the township is looked up by name",
    "vehicle_enforce.inspections.schemas.PhotoIn": "name bounded by evidence_links.name; content is bytes",
    "vehicle_enforce.inspections.schemas.Obd": "fault codes are stored inside the readings JSON",
    "vehicle_enforce.cases.schemas.OfficerIn": "officers are stored inside the case action's JSON details",
}
#: Text fields bounded otherwise (base64 content is limited by the body size and decoded to bytes).
UNBOUNDED_OK = {"content_base64"}


def _schemas() -> list[type]:
    from vehicle_enforce import create_app
    from vehicle_enforce.core.schemas import _Bounded

    create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "walk"})  # imports every module

    def walk(cls: type) -> typing.Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    found = {c for c in walk(_Bounded) if not c.__module__.startswith("tests.") and c.__name__ not in ("Schema",)}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _text_fields(cls: Any) -> dict[str, Any]:
    from vehicle_enforce.core.schemas import _holds_text

    return {name: info for name, info in cls.model_fields.items() if _holds_text(info.annotation)}


def _is_output(cls: type) -> bool:
    return cls.__name__.endswith("Out")


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_input_text_field_has_a_maximum_length() -> None:
    from vehicle_enforce.core.schemas import max_length_of

    missing = []
    for cls in _schemas():
        if _is_output(cls):
            continue
        for name, info in _text_fields(cls).items():
            literal = typing.get_origin(info.annotation) is typing.Literal
            if max_length_of(info) is None and name not in UNBOUNDED_OK and not literal:
                missing.append(f"{_qualname(cls)}.{name}")
    assert not missing, f"text fields without max_length: {missing}"


def test_every_body_schema_with_text_names_the_models_it_is_stored_in() -> None:
    from vehicle_enforce.core.schemas import QuerySchema

    missing = [
        _qualname(cls)
        for cls in _schemas()
        if not issubclass(cls, QuerySchema)
        and not _is_output(cls)
        and _text_fields(cls)
        and not cls.stored_as
        and _qualname(cls) not in NOT_STORED_AS_COLUMNS
    ]
    assert not missing, f"declare stored_as = (Model, ...) on: {missing}"
    stale = sorted(set(NOT_STORED_AS_COLUMNS) - {_qualname(cls) for cls in _schemas()})
    assert not stale, f"NOT_STORED_AS_COLUMNS names schemas that no longer exist: {stale}"


def test_no_schema_field_is_longer_than_the_column_it_is_stored_in() -> None:
    """Walks every bounded String column of every model a schema is stored in."""
    from vehicle_enforce.core.inputs import column_lengths
    from vehicle_enforce.core.schemas import max_length_of

    checked, mismatches = 0, []
    for cls in _schemas():
        fields = _text_fields(cls)
        for model in cls.stored_as:
            for column, length in column_lengths(model).items():
                if column not in fields:
                    continue
                checked += 1
                declared = max_length_of(fields[column])
                if declared is None or declared > length:
                    mismatches.append(f"{_qualname(cls)}.{column}: {declared} > {model.__name__}.{column} {length}")
    assert checked > 40  # the walk really visits the schemas' columns
    assert not mismatches, mismatches


def test_a_new_column_bounds_a_schema_field_of_its_name() -> None:
    """The limit comes from the model: declaring a schema over a model is enough, no literal needed."""
    from vehicle_enforce.core.schemas import Schema, max_length_of
    from vehicle_enforce.inspections.models import RoadsideTest

    class Probe(Schema):
        stored_as = (RoadsideTest,)
        report_number: str
        operator: str | None = None
        note: str | None = None  # Text: no limit from the column

    assert max_length_of(Probe.model_fields["report_number"]) == 64
    assert max_length_of(Probe.model_fields["operator"]) == 128
    assert max_length_of(Probe.model_fields["note"]) is None


def test_every_stored_text_of_a_pass_is_checked_against_its_column() -> None:
    from dataclasses import fields

    from remote_sensing import PassRecord
    from vehicle_enforce.core.inputs import column_lengths
    from vehicle_enforce.inspections.models import RemoteSensingPass
    from vehicle_enforce.inspections.passes import PASS_TEXT_COLUMNS

    text = {f.name for f in fields(PassRecord) if f.type in ("str", "str | None")}
    bounded = set(column_lengths(RemoteSensingPass))
    # Text the record carries and the pass table bounds: every one must be checked (plate_color is a
    # closed list of colours, checked by the parser).
    assert (text & bounded) - {"plate_color"} <= set(PASS_TEXT_COLUMNS)


# --------------------------------------------------------------------------------------------------
# Through HTTP: every body route, every query route


HIDDEN = {"nul": "ab\x00cd", "bell": "ab\x07cd", "bidi": "晋E\u202e54321"}


#: Path parameters that must be valid for the body to be read at all.
PATH_VALUES = {"day": "2019-11-05", "fmt": "json"}


def _concrete(rule: str) -> str:
    """A path for `rule`: ids 1, known parameters a valid value, others "x"."""
    path = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<(?:[a-z]+:)?([^>]+)>", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def _body_operations(app: Any) -> list[tuple[str, str, type]]:
    from vehicle_enforce.core.schemas import Schema

    out = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        spec = getattr(view, "openapi", None)
        body = spec.get("body") if spec else None
        if not (isinstance(body, type) and issubclass(body, Schema)):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS", "GET"}):
            out.append((method, _concrete(rule.rule), body))
    return out


@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_hidden_characters_in_any_body_field_are_refused_naming_the_field(
    app: Any, client: Any, auth_headers: Any, kind: str
) -> None:
    headers = auth_headers("admin")
    operations = _body_operations(app)
    assert len(operations) >= 15
    seen = 0
    for method, path, schema in operations:
        for name in _text_fields(schema):
            if name in UNBOUNDED_OK:
                continue
            seen += 1
            res = client.open(path, method=method, json={name: HIDDEN[kind]}, headers=headers)
            if res.status_code == 404:  # the route's record does not exist: checked before the body
                continue
            assert res.status_code == 422, (method, path, name, res.status_code, res.get_json())
            fields = res.get_json()["error"]["fields"]
            assert name in fields, (method, path, name, fields)
    assert seen >= 40


def test_overlong_text_in_any_body_field_is_refused_naming_the_field(app: Any, client: Any, auth_headers: Any) -> None:
    from vehicle_enforce.core.schemas import max_length_of

    headers = auth_headers("admin")
    seen = 0
    for method, path, schema in _body_operations(app):
        for name, info in _text_fields(schema).items():
            limit = max_length_of(info)
            if limit is None or typing.get_origin(info.annotation) is list:
                continue
            seen += 1
            res = client.open(path, method=method, json={name: "x" * (limit + 1)}, headers=headers)
            if res.status_code == 404:
                continue
            assert res.status_code == 422, (method, path, name, res.status_code)
            assert name in res.get_json()["error"]["fields"], (method, path, name)
    assert seen >= 40


def _get_routes(app: Any) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and rule.rule.startswith("/api/"):
            paths.append(rule.rule)
    return sorted(paths)


def test_nul_in_any_query_parameter_is_refused_on_every_route(app: Any, client: Any, auth_headers: Any) -> None:
    headers = auth_headers("admin")
    routes = _get_routes(app)
    assert len(routes) >= 20
    for rule in routes:
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule)
        for query in ({"plate": "晋E\x0012345"}, {"q": "a\x00"}, {"on": "2019\u202e-11-05"}):
            res = client.get(path, query_string=query, headers=headers)
            assert res.status_code == 422, (rule, query, res.status_code)
            assert res.get_json()["error"]["fields"], rule


def test_ids_beyond_the_database_integer_range_are_not_found_on_every_route(
    app: Any, client: Any, auth_headers: Any
) -> None:
    headers = auth_headers("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule or not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<int:[^>]+>", str(2**31), rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            checked += 1
            res = client.open(path, method=method, json={}, headers=headers)
            assert res.status_code in (404, 405), (method, path, res.status_code)
    assert checked >= 10


@pytest.mark.parametrize(
    "query",
    [
        "since=9999-12-31",
        "until=9999-12-31",
        "since=0001-01-01T00:00:00%2B08:00",
        "until=9999-12-31T23:59:59-08:00",
        "vehicle_id=99999999999",
    ],
)
def test_dates_and_ids_out_of_range_in_queries_are_422(client: Any, auth_headers: Any, query: str) -> None:
    headers = auth_headers("admin")
    for path in ("/api/v1/remote-sensing/passes", "/api/v1/roadside-tests", "/api/v1/black-smoke/captures"):
        res = client.get(f"{path}?{query}", headers=headers)
        assert res.status_code == 422, (path, query, res.status_code)


def test_rules_on_a_far_date_is_422(client: Any, auth_headers: Any) -> None:
    res = client.get("/api/v1/rules?on=9999-12-31", headers=auth_headers("admin"))
    assert res.status_code == 422
