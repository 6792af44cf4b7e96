"""Evidence photos and videos on the pages, served per record the viewer may see.

`/ops/evidence/<kind>/<record id>/<sha256>`: the file is served when the viewer's department may see
that kind of record's evidence, the record is in the viewer's scope (`auth/scope.py`), and the file is
linked to that record (for a case: to one of the records its listing cites). Anything else, another
department, another county's case, a file of another record, answers 404 exactly like a missing file.
The JSON API keeps its own `/api/v1/evidence/<sha>` for API clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import evidence as case_evidence
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import BlackSmokeCapture
from vehicle_enforce.reviews import services

bp = Blueprint("evidence_pages", __name__, url_prefix=evidence.PAGE_PREFIX)


def _case(record_id: int, principal: Actor) -> list[tuple[str, int]]:
    return case_evidence.objects(scope.get_or_404(Case, record_id, principal))


def _capture(record_id: int, principal: Actor) -> list[tuple[str, int]]:
    return [("black_smoke_capture", scope.get_or_404(BlackSmokeCapture, record_id, principal).id)]


def _review(record_id: int, principal: Actor) -> list[tuple[str, int]]:
    review = services.get_review(record_id, actor=principal)
    return [(review.record_kind, review.record_id)]


#: Page record kind → (departments that see its evidence, the records whose files it may show).
KINDS: dict[str, tuple[frozenset[str], Callable[[int, Actor], list[tuple[str, int]]]]] = {
    "case": (frozenset({D.environment, D.police, D.admin}), _case),
    "black-smoke": (frozenset({D.environment, D.admin}), _capture),
    "match-review": (frozenset({D.environment, D.admin}), _review),
}


@bp.get("/<kind>/<int:record_id>/<sha256>")
@page_access()
def evidence_file(kind: str, record_id: int, sha256: str) -> Any:
    principal = current_principal()
    assert principal is not None
    rule = KINDS.get(kind)
    if rule is None or principal.department not in rule[0]:
        abort(404)  # another department's evidence: as a missing one
    try:
        pairs = rule[1](record_id, principal)
        if not evidence.owns_file(pairs, sha256):
            abort(404)
        content, media_type = evidence.read(sha256)
    except NotFound:
        abort(404)
    response = Response(content, mimetype=media_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
