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
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import RuleChange

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
            select(RuleChange.effective_from, RuleChange.document).order_by(RuleChange.effective_from, RuleChange.id)
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


def change_rules(document: dict[str, Any], effective_from: date, note: str | None, actor_name: str) -> RuleChange:
    """Record a dated change; it must build into valid rules, and may not reach back before today."""
    today = local_day(now_utc())
    if effective_from < today:
        # Stored verdicts are never re-judged, so a change that reaches into the past would make the
        # record disagree with the rules it claims were in force.
        raise Invalid("a rules change cannot take effect in the past", {"effective_from": "must be today or later"})
    try:
        RulesBook().on(effective_from, extra=document)
    except (RulesError, KeyError, TypeError, ValueError) as exc:
        raise Invalid(f"rules document is not valid: {exc}", {"document": str(exc)}) from None
    change = RuleChange(effective_from=effective_from, document=document, note=note, created_by=actor_name)
    db.session.add(change)
    db.session.flush()
    audit.record(
        "rules.change", "rule_change", change.id, {"effective_from": effective_from, "document": document, "note": note}
    )
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
    return {
        "id": change.id,
        "effective_from": change.effective_from.isoformat(),
        "document": change.document,
        "note": change.note,
        "created_by": change.created_by,
        "created_at": change.created_at.isoformat(),
    }
