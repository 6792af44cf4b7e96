"""Rules and limits in force: the packaged defaults, RULES_FILE, then dated environment-department changes."""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import select

from remote_sensing import RuleSet, load_rules
from remote_sensing.rules import RulesError, default_rules_document
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import RuleChange
from vehicle_enforce.inspections.schemas import RuleChangeIn, RuleChangeOut

NAMED_LISTS = ("limit_sets", "nrmm", "penalty_bases")


def overlay(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge a rules override over a document as `load_rules` does: objects by key, named lists by name."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key in NAMED_LISTS and isinstance(value, list):
            merged = out.get(key, [])
            index = {item.get("name"): i for i, item in enumerate(merged) if isinstance(item, dict)}
            for item in value:
                name = item.get("name") if isinstance(item, dict) else None
                if name in index:
                    merged[index[name]] = _deep(merged[index[name]], item)
                else:
                    merged.append(copy.deepcopy(item))
            out[key] = merged
        else:
            out[key] = _deep(out.get(key), value)
    return out


def _deep(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _deep(base.get(key), value)
        return out
    return copy.deepcopy(override)


def base_document() -> dict[str, Any]:
    doc = default_rules_document()
    path = current_app.config.get("RULES_FILE")
    if path:
        doc = dict(load_rules(path).raw)
    return doc


@lru_cache(maxsize=64)
def _built(documents_json: str, rules_file: str | None) -> RuleSet:
    # Keyed by the documents' text, not their ids, so a cached set can never belong to another database.
    doc = base_document()
    for change in json.loads(documents_json):
        doc = overlay(doc, change)
    return load_rules(doc, replace_defaults=True)


class RulesBook:
    """The rule sets in force per day for one batch: one query for the changes, built sets cached."""

    def __init__(self) -> None:
        self._changes = db.session.execute(
            select(RuleChange.effective_from, RuleChange.document)
            .where(RuleChange.withdrawn_at.is_(None))
            .order_by(RuleChange.effective_from, RuleChange.id)
        ).all()
        self._rules_file = current_app.config.get("RULES_FILE")
        self._by_day: dict[date, RuleSet] = {}

    def on(self, day: date, extra: dict[str, Any] | None = None) -> RuleSet:
        """Rules in force on `day` (Asia/Shanghai), optionally with an unsaved change on top."""
        rules = None if extra else self._by_day.get(day)
        if rules is None:
            docs = [doc for start, doc in self._changes if start <= day] + ([extra] if extra else [])
            rules = _built(json.dumps(docs, sort_keys=True, ensure_ascii=False), self._rules_file)
            if not extra:
                self._by_day[day] = rules
        return rules


def rules_on(day: date) -> RuleSet:
    return RulesBook().on(day)


def region() -> str:
    return str(current_app.config.get("REGION_CODE") or "")


def _check_book(changes: list[tuple[date, dict[str, Any]]], from_day: date) -> None:
    """Build the rules as they will be judged on every day a change starts from `from_day` on (and on
    `from_day` itself); raise Invalid naming the problem when one cannot be built."""
    ordered = sorted(enumerate(changes), key=lambda c: (c[1][0], c[0]))
    days = sorted({from_day} | {start for start, _doc in changes if start >= from_day})
    rules_file = current_app.config.get("RULES_FILE")
    for day in days:
        docs = [doc for _i, (start, doc) in ordered if start <= day]
        try:
            _built(json.dumps(docs, sort_keys=True, ensure_ascii=False), rules_file)
        except (RulesError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Invalid(
                f"rules document is not valid (rules from {day.isoformat()}): {exc}",
                {"document": str(exc)},
                codes={"document": "rules_not_buildable"},  # the library's English detail stays in the API
            ) from None


def _stored_changes(*, without: int | None = None) -> list[tuple[date, dict[str, Any]]]:
    rows = db.session.execute(
        select(RuleChange.id, RuleChange.effective_from, RuleChange.document)
        .where(RuleChange.withdrawn_at.is_(None))
        .order_by(RuleChange.effective_from, RuleChange.id)
    ).all()
    return [(start, doc) for cid, start, doc in rows if cid != without]


def change_rules(data: RuleChangeIn, *, actor: Actor) -> RuleChange:
    """Record a dated change; the whole book must build on every day it will judge (this change and
    every later one), and it may not reach back before today."""
    document, effective_from, note = data.document, data.effective_from, data.note
    today = local_day(now_utc())
    if effective_from < today:
        # Stored verdicts are never re-judged, so a change that reaches into the past would make the
        # record disagree with the rules it claims were in force.
        raise Invalid("a rules change cannot take effect in the past", {"effective_from": "must be today or later"})
    if not document:
        raise Invalid("a rules change must change something", {"document": "is empty"})
    _check_book([*_stored_changes(), (effective_from, document)], effective_from)
    change = RuleChange(effective_from=effective_from, document=document, note=note, created_by=actor.name)
    db.session.add(change)
    db.session.flush()
    audit.record(
        "rules.change",
        "rule_change",
        change.id,
        {"effective_from": effective_from, "document": document, "note": note},
        actor=actor,
    )
    return change


def withdraw_change(change_id: int, *, actor: Actor) -> RuleChange:
    """Withdraw a change that has not taken effect yet (it stays listed, marked withdrawn)."""
    change = db.session.get(RuleChange, change_id, with_for_update=True)
    if change is None:
        raise NotFound(f"no rules change {change_id}")
    if change.withdrawn_at is not None:
        return change  # a retried withdrawal changes nothing
    today = local_day(now_utc())
    if change.effective_from <= today:
        raise Conflict(
            "a rules change in force cannot be withdrawn; post a new change instead",
            {"effective_from": "already in force"},
        )
    _check_book(_stored_changes(without=change.id), change.effective_from)
    change.withdrawn_at = now_utc()
    change.withdrawn_by = actor.name
    db.session.flush()
    audit.record("rules.withdraw", "rule_change", change.id, {"effective_from": change.effective_from}, actor=actor)
    return change


def current_document(day: date) -> dict[str, Any]:
    document: dict[str, Any] = _json_ready(rules_on(day).raw)  # raw is a JSON document (a dict)
    return document


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def change_json(change: RuleChange) -> dict[str, Any]:
    """A rules change as the API writes it (`RuleChangeOut`)."""
    return RuleChangeOut.model_validate(change).model_dump(mode="json")
