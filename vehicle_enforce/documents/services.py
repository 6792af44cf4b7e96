"""Issue, reprint, void and check numbered notices (flush, never commit).

Printing a notice's subject the first time issues it: the next number of its unit, kind and year, a
verification code, the PDF rendered once and stored. Printing again reprints those stored bytes
(audited), as long as the facts it printed still hold; when they changed (a new repair deadline after a
failed retest, the penalty decided) the old notice is marked superseded and a new number is issued. A
voided notice keeps its number; printing its subject again issues a new one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import County, Department
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Forbidden, Invalid, NotFound
from vehicle_enforce.core.timeutil import format_local, now_utc, to_local
from vehicle_enforce.documents import facts, numbering, render
from vehicle_enforce.documents.models import (
    CASE_KINDS,
    KIND_TITLES,
    IssuedNotice,
    NoticeKind,
    NoticeState,
)
from vehicle_enforce.documents.schemas import VoidIn
from vehicle_enforce.extensions import Model, db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import RoadsideTest
from vehicle_enforce.nrmm.models import Site, SpotCheck

# Verification codes: 12 characters of an alphabet without 0/O/1/I (typed from paper), from `secrets`:
# 32^12 = 2^60 codes, so guessing one is hopeless even without the page's rate limit.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


@dataclass
class Subject:
    """What a notice is about and what it prints."""

    kind: str
    subject_type: str  # roadside_test | case | spot_check
    subject_id: int
    row: Model  # locked while the notice is issued (one notice in force per subject and kind)
    department: str  # the issuing unit's department, in the subject's county
    county: County | None  # None: the city level
    facts: dict[str, Any]
    case_id: int | None = None
    plate: str | None = None
    images: dict[str, str] = field(default_factory=dict)  # printed but fingerprinted by their hash


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def fingerprint(printed: dict[str, Any]) -> str:
    text = json.dumps(printed, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------
# Subjects, looked up in the caller's scope (auth/scope.py)


def roadside_test(test_id: int, actor: Actor) -> RoadsideTest:
    """A test the caller may see: a station only its own tests (as `inspections.queries` scopes them)."""
    test = scope.get_or_404(RoadsideTest, test_id, actor, what="roadside test")
    if actor.department == Department.station and test.station_id != actor.station_id:
        raise NotFound(f"roadside test {test_id} not found")
    return test


def case(case_id: int, actor: Actor) -> Case:
    return scope.get_or_404(Case, case_id, actor, what="case")


def spot_check(check_id: int, actor: Actor) -> SpotCheck:
    return scope.get_or_404(SpotCheck, check_id, actor, what="spot check")


def _county(county_id: int | None) -> County | None:
    return db.session.get(County, county_id) if county_id is not None else None


def _turn_back_subject(test: RoadsideTest) -> Subject:
    county = _county(test.station.county_id)  # the county of the station that turned the vehicle back
    printed = facts.turn_back(test, county)
    images: dict[str, str] = {}
    photos = [
        p for p in evidence.links_for("roadside_test", [test.id])[test.id] if str(p["media_type"]).startswith("image/")
    ]
    if photos:
        try:
            content, media_type = evidence.read(str(photos[0]["sha256"]))
        except NotFound:  # the file is gone from storage: the notice is printed without it
            pass
        else:
            images["photo"] = render.image_data_uri(content, media_type)
            printed["photo_sha256"] = photos[0]["sha256"]
    return Subject(
        NoticeKind.turn_back,
        "roadside_test",
        test.id,
        test,
        "environment",
        county,
        printed,
        plate=test.plate,
        images=images,
    )


def _case_subject(row: Case, kind: str) -> Subject:
    county = _county(row.county_id)
    if kind == NoticeKind.repair_order:
        printed, unit = facts.repair_order(row, county), "transport"
    elif kind == NoticeKind.penalty_sheet:
        printed, unit = facts.penalty_sheet(row, county), "environment"
    elif kind == NoticeKind.release:
        printed, unit = facts.release(row, county), "environment"
    else:
        raise NotFound(f"no notice kind {kind!r}: one of {', '.join(CASE_KINDS)}")
    return Subject(kind, "case", row.id, row, unit, county, printed, case_id=row.id, plate=printed.get("plate") or None)


def _spot_check_subject(check: SpotCheck) -> Subject:
    site = db.session.get(Site, check.site_id) if check.site_id is not None else None
    county = _county(site.county_id if site is not None else None)
    printed = facts.spot_check_record(check, county)
    return Subject(NoticeKind.spot_check_record, "spot_check", check.id, check, "environment", county, printed)


# --------------------------------------------------------------------------------------------------
# Issue or reprint


def turn_back_notice(test_id: int, *, actor: Actor) -> IssuedNotice:
    return print_notice(_turn_back_subject(roadside_test(test_id, actor)), actor=actor)


def case_notice(case_id: int, kind: str, *, actor: Actor) -> IssuedNotice:
    if kind not in CASE_KINDS:
        raise NotFound(f"no notice kind {kind!r}: one of {', '.join(CASE_KINDS)}")
    return print_notice(_case_subject(case(case_id, actor), kind), actor=actor)


def spot_check_record(check_id: int, *, actor: Actor) -> IssuedNotice:
    return print_notice(_spot_check_subject(spot_check(check_id, actor)), actor=actor)


def _lock(model: type[Model], row_id: int) -> None:
    """Hold the subject's row until commit, so two first prints of one subject issue one notice."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: one writer at a time
    key = model.__table__.primary_key.columns.values()[0]
    db.session.execute(select(key).where(key == row_id).with_for_update())


def current(subject_type: str, subject_id: int, kind: str) -> IssuedNotice | None:
    return db.session.scalar(
        select(IssuedNotice).where(
            IssuedNotice.subject_type == subject_type,
            IssuedNotice.subject_id == subject_id,
            IssuedNotice.kind == kind,
            IssuedNotice.state == NoticeState.issued,
        )
    )


def print_notice(subject: Subject, *, actor: Actor) -> IssuedNotice:
    """The notice in force for the subject: reprinted when its facts still hold, else newly issued."""
    _lock(type(subject.row), subject.subject_id)
    printed = fingerprint(subject.facts)
    found = current(subject.subject_type, subject.subject_id, subject.kind)
    if found is not None and found.facts_sha256 == printed:
        audit.record("notice.reprint", "notice", found.id, {"number": found.number}, actor=actor)
        return found
    if found is not None:  # out of force before the new one is stored (one in force per subject and kind)
        found.state = NoticeState.superseded
        db.session.flush()
    notice = issue(subject, printed, actor=actor)
    if found is not None:
        found.superseded_by_id = notice.id
        audit.record("notice.supersede", "notice", found.id, {"number": found.number, "by": notice.number}, actor=actor)
    return notice


def issue(subject: Subject, printed: str, *, actor: Actor) -> IssuedNotice:
    """Take the next number, render the PDF once and store it with the notice."""
    now = now_utc()
    year = to_local(now).year
    key = numbering.unit_key(subject.department, subject.county)
    unit = numbering.unit(key, subject.county)
    sequence = numbering.next_sequence(key, subject.kind, year)
    number = numbering.format_number(
        numbering.template(key, subject.kind), abbr=unit["abbr"], kind=subject.kind, year=year, seq=sequence
    )
    code = new_code()
    url = render.verify_url(code)
    context = {
        "title": KIND_TITLES[subject.kind],
        "unit_name": unit["name"],
        "number": number,
        "issued_at_local": format_local(now, facts.TIME),
        "code": code,
        "verify_url": url,
        "qr": render.qr_data_uri(url),
        "f": subject.facts,
        "basis": subject.facts.get("basis"),
        **subject.images,
    }
    content = render.pdf(render.html(subject.kind, context))
    notice = IssuedNotice(
        kind=subject.kind,
        unit=key,
        county_id=subject.county.id if subject.county is not None else None,
        unit_name=unit["name"],
        year=year,
        sequence=sequence,
        number=number,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        case_id=subject.case_id,
        plate=subject.plate,
        code=code,
        facts_sha256=printed,
        state=NoticeState.issued,
        issued_at=now,
        issued_by=actor.name,
        pdf=content,
        pdf_sha256=hashlib.sha256(content).hexdigest(),
        pdf_size=len(content),
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        "notice.issue",
        "notice",
        notice.id,
        {"number": number, "kind": subject.kind, subject.subject_type: subject.subject_id, "sha256": notice.pdf_sha256},
        actor=actor,
    )
    return notice


# --------------------------------------------------------------------------------------------------
# One notice by id: its stored bytes, voiding


def visible_notice(notice_id: int, actor: Actor) -> IssuedNotice:
    """A notice whose subject the caller may see (404 otherwise, as for a missing one)."""
    notice = db.session.get(IssuedNotice, notice_id)
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    try:
        if notice.subject_type == "roadside_test":
            roadside_test(notice.subject_id, actor)
        elif notice.subject_type == "spot_check":
            spot_check(notice.subject_id, actor)
        else:
            case(notice.subject_id, actor)
    except NotFound:
        raise NotFound(f"notice {notice_id} not found") from None
    return notice


def stored_pdf(notice_id: int, *, actor: Actor) -> IssuedNotice:
    """A notice's PDF exactly as issued, in whatever state it is now (audited as a reprint)."""
    notice = visible_notice(notice_id, actor)
    audit.record("notice.reprint", "notice", notice.id, {"number": notice.number, "state": notice.state}, actor=actor)
    return notice


def void(notice_id: int, data: VoidIn, *, actor: Actor) -> IssuedNotice:
    """作废: only the issuing unit (its department, of its county or the city level; or an admin) voids a
    notice in force; it keeps its number."""
    notice = visible_notice(notice_id, actor)
    own_county = scope.allowed_county(actor)
    if own_county is not None and own_county != notice.county_id:  # another county's, as for a missing one
        raise NotFound(f"notice {notice_id} not found")
    if actor.kind != "system" and actor.department not in (Department.admin, numbering.department_of(notice.unit)):
        raise Forbidden(
            f"通知书 {notice.number} 由{notice.unit_name}出具，只有出具单位可以作废", {"notice": "无权作废"}
        )
    if notice.state != NoticeState.issued:
        raise Conflict(f"通知书 {notice.number} {notice.state_zh}，不能再作废", {"notice": notice.state_zh})
    reason = data.reason.strip()
    if not reason:
        raise Invalid("须写明作废原因", {"reason": "必填"})
    notice.state = NoticeState.void
    notice.void_reason = reason
    notice.voided_by = actor.name
    notice.voided_at = now_utc()
    db.session.flush()
    audit.record("notice.void", "notice", notice.id, {"number": notice.number, "reason": reason}, actor=actor)
    return notice


def case_notices(case_id: int) -> list[IssuedNotice]:
    return list(
        db.session.scalars(select(IssuedNotice).where(IssuedNotice.case_id == case_id).order_by(IssuedNotice.id))
    )


# --------------------------------------------------------------------------------------------------
# The public check


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def verify(code: str) -> dict[str, Any] | None:
    """What the public check page shows for a code: no personal data beyond the plate; None: unknown."""
    cleaned = normalise_code(code)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    notice = db.session.scalar(select(IssuedNotice).where(IssuedNotice.code == cleaned))
    if notice is None:
        return None
    replacement = db.session.get(IssuedNotice, notice.superseded_by_id) if notice.superseded_by_id else None
    return {
        "state": notice.state,
        "state_name": notice.state_zh,
        "title": notice.title,
        "number": notice.number,
        "unit_name": notice.unit_name,
        "issued_at": format_local(notice.issued_at, facts.TIME),
        "plate": notice.plate,
        "voided_at": format_local(notice.voided_at, facts.TIME) if notice.voided_at else None,
        "superseded_by": replacement.number if replacement is not None else None,
        "pdf_sha256": notice.pdf_sha256,
    }
