"""Per-item answers of batch requests (passes, hotlist reads, imports), one shape for all.

`{"results": [...]}`, one item per request item in order: `index` (0-based position in the request),
`status` and, when the item was not stored, `error: {"field", "code", "message"}` with the dotted
field path, a machine code and the problem in Chinese. Ingest batches use `created`, `duplicate`
(the same record was stored before: answered from storage), `conflict` (the same key was stored with
other content: nothing changed) and `invalid` (refused: nothing stored).

The HTTP status stations rely on: 201 when any item was created, 200 otherwise, 422 only when every
item is invalid. Stations never re-send `invalid` or `conflict` items: the answer will not change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import orjson

from vehicle_enforce.core.messages import MESSAGES, message

__all__ = ["MESSAGES", "error", "error_from_problem", "http_status", "invalid", "payload_hash"]

Status = Literal["created", "duplicate", "conflict", "invalid"]
CREATED, DUPLICATE, CONFLICT, INVALID = "created", "duplicate", "conflict", "invalid"

#: English problems of the framework-free readers → machine codes.
_PROBLEM_CODES: tuple[tuple[str, str], ...] = (
    (r"^is required$|^field required$", "required"),
    (r"^must be a string", "not_a_string"),
    (r"^must be a finite number", "not_finite"),
    (r"^must be a number", "not_a_number"),
    (r"^must be an integer", "not_an_integer"),
    (r"^must (be|lie) between", "out_of_range"),
    (r"^must not be empty", "empty"),
    (r"^unknown field", "unknown_field"),
    (r"ISO 8601|UTC offset", "bad_time"),
    (r"in the future", "future"),
    (r"^unknown station", "unknown_station"),
    (r"is not a remote-sensing station", "wrong_station_kind"),
    (r"^unknown device", "unknown_device"),
    (r"no limit set", "no_limit_set"),
    (r"^at most \d+ characters", "too_long"),
    (r"control character", "control_character"),
    (r"bidi character", "bidi_character"),
)


def code_for(problem: str) -> str:
    for pattern, code in _PROBLEM_CODES:
        if re.search(pattern, problem):
            return code
    return "invalid"


def error(field: str, code: str, detail: str = "") -> dict[str, str]:
    """The `error` object of an item: field path, machine code, Chinese message."""
    return {"field": field, "code": code, "message": message(code, detail)}


def error_from_problem(field: str, problem: str) -> dict[str, str]:
    """An `error` object from an English problem text (library validators speak English)."""
    return error(field, code_for(problem), problem)


def invalid(index: int, err: Mapping[str, str], **more: Any) -> dict[str, Any]:
    return {"index": index, "status": INVALID, **more, "error": dict(err)}


def http_status(results: Sequence[Mapping[str, Any]]) -> int:
    """201 when any item was created, 422 when every item is invalid, 200 otherwise."""
    statuses = [r.get("status") for r in results]
    if CREATED in statuses:
        return 201
    if statuses and all(s == INVALID for s in statuses):
        return 422
    return 200


def payload_hash(payload: Any) -> str:
    """SHA-256 of a request item's canonical JSON (sorted keys, compact): what `conflict` compares.

    Computed from what the client sent (after parsing), never from the stored row: a later re-read
    of the plate changes the row, not the request, so a true retry still matches.
    """
    text = orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(text).hexdigest()
