"""A machinery penalty imposed through a flow, with the due process of a vehicle penalty (行政处罚法).

A spot check only suggests a basis (`services.suggested_basis`); the department the basis names imposes
the penalty here, on the spot check that found the violation:
- the evidence must have been gathered as enforcement: a spot check recorded with two officers and their
  certificate numbers (第四十二条); a survey check (a township's sampling round) cannot back a penalty;
- the basis comes from the rules' penalty bases for machinery (大气污染防治法 第一百一十四条: environment,
  a fixed 5,000 yuan; local low-emission-zone entries), its department alone may impose it, and an
  amount outside it is refused with the allowed values;
- the general procedure (the machinery bases allow no summary procedure, which the basis data decides):
  a prior notice with the facts, basis and the right to state and defend, its service, the owner's answer
  or the lapse of the period, then the decision naming the rights of review and litigation, then its
  service; every step with two officers, every step audited.
The documents are the vehicle cases' (`cases.procedure`), owned by the spot check.
"""

from __future__ import annotations

from typing import Any

from remote_sensing.rules import PenaltyBasis
from vehicle_enforce.auth import scope
from vehicle_enforce.cases import penalties, procedure
from vehicle_enforce.cases.schemas import ActionIn
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import SpotCheck

STEPS = ("prior_notice", "serve", "record_answer", "penalize")


def basis_of(check: SpotCheck, fields: dict[str, Any], principal: Actor, *, amount: bool = True) -> PenaltyBasis:
    """The machinery basis the penalty cites (named, else the one of the notice or the decision, else the
    one the check suggested), after the authority check and, for a notice or decision, the amount check."""
    notices = procedure.documents(check, "prior_notice")
    suggested = services.suggested_basis(list(check.violations), local_day(check.checked_at))
    name = (
        fields.get("basis")
        or check.penalty_basis
        or (notices[-1].content.get("basis") if notices else None)
        or (suggested.name if suggested is not None else None)
    )
    if not name:
        raise Invalid("须选择处罚依据：该抽查的违法行为没有默认的处罚依据", {"basis": "必填：处罚依据"})
    basis = penalties.find_basis(str(name), "machinery", local_day(check.checked_at))
    penalties.check_authority(basis, principal)
    if not amount:
        return basis
    given = fields.get("legal_basis")
    if given and given.strip() != basis.citation:
        raise Invalid(
            "法律依据由所选处罚依据决定，不能另填",
            {"legal_basis": f"处罚依据 {basis.name} 的法律依据为 {basis.citation}"},
        )
    if basis.fixed_yuan is not None and fields.get("amount_yuan") is None and not fields.get("warning"):
        fields["amount_yuan"] = basis.fixed_yuan  # a fixed amount need not be typed
    penalties.check_amount(basis, fields.get("amount_yuan"), bool(fields.get("warning")))
    return basis


def act(check_id: int, data: ActionIn, *, actor: Actor) -> SpotCheck:
    """One step of a machinery penalty for `actor`; 403/404/409/422 as the rules say."""
    action = data.action
    if action not in STEPS:
        raise Invalid(f"未知的处罚环节：{action}", {"action": f"须为 {' / '.join(STEPS)} 之一"})
    fields: dict[str, Any] = data.model_dump(exclude={"action"}, exclude_none=True)
    check = scope.get_or_404(SpotCheck, check_id, actor, what="spot check")
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(check, with_for_update=True)
    if not check.violations:
        raise Conflict("该抽查未发现违法行为，不能处罚", {"spot_check": "没有违法行为"})
    if not check.enforcement or len(check.officers or []) < 2:
        raise Conflict(
            "该抽查不是由两名以上执法人员实施的执法检查，不能作为处罚证据（《中华人民共和国行政处罚法》第四十二条）："
            "须由执法人员现场检查并记录为执法检查后再处罚",
            {"enforcement": "须为执法检查（两名执法人员及执法证号）"},
        )
    if check.decision_number is not None and action != "serve":
        raise Conflict(f"已作出处罚决定 {check.decision_number}", {"action": "已处罚，只能登记送达"})
    officers = procedure.check_officers(fields, 2)
    if action in ("serve", "record_answer"):
        basis = basis_of(check, fields, actor, amount=False)
        step = procedure.record_service if action == "serve" else procedure.record_answer
        doc = step(check, fields)
    elif action == "prior_notice":
        basis = basis_of(check, fields, actor)
        department = penalties.imposing_department(basis, actor)
        doc = procedure.issue_prior_notice(check, basis, fields, department, actor.name)
    else:
        if not fields.get("decision_number"):
            raise Invalid("须填写处罚决定书文号", {"decision_number": "必填：处罚决定书文号"})
        basis = basis_of(check, fields, actor)
        kind = fields.get("procedure") or "general"
        if kind == "summary":
            procedure.check_summary_procedure(basis, fields)  # no machinery basis allows it today
        else:
            procedure.check_general_procedure(check, basis, fields)
        check.penalty_basis = basis.name
        check.legal_basis = basis.citation
        check.penalty_department = penalties.imposing_department(basis, actor)
        check.decision_number = str(fields["decision_number"])
        check.penalty_warning = bool(fields.get("warning"))
        check.imposed_yuan = None if fields.get("warning") else float(fields["amount_yuan"])
        check.penalized_at = now_utc()
        doc = procedure.issue_decision(check, basis, fields, kind, check.penalty_department, actor.name)
    db.session.flush()
    audit.record(
        f"nrmm.penalty.{action}",
        "nrmm_spot_check",
        check.id,
        {
            "basis": basis.name,
            "officers": officers,
            "document": procedure.document_json(doc),
        },
        actor=actor,
    )
    return check


def penalty_json(check: SpotCheck) -> dict[str, Any]:
    """The spot check with its penalty and the documents of the procedure."""
    return {
        **services.spot_check_json(check),
        "documents": [procedure.document_json(d) for d in procedure.documents(check)],
    }
