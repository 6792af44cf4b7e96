"""Due process of a penalty (行政处罚法): officers, the prior notice, the owner's answer, the decision, service.

- Every on-site step records at least two enforcement officers with their certificate numbers (第四十二条);
  the summary procedure (当场处罚, 道路交通安全法 第一百零七条 / 行政处罚法 第五十一条) needs one.
- Beyond the summary procedure a penalty needs a prior notice (事先告知: facts, basis, the right to state
  and defend, 第四十四条、第四十五条) served on the owner, then a recorded answer or the lapse of the
  period, then the decision.
- Each document's service (送达: how, when, to whom) is recorded; the decision names the rights to
  administrative review and litigation and their periods (行政复议法 第二十条, 行政诉讼法 第四十六条).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from remote_sensing.rules import PenaltyBasis
from vehicle_enforce.cases import workdays
from vehicle_enforce.cases.models import Case, CaseDocument
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.extensions import db

# Working days the owner has to state and defend after the prior notice is served (configurable).
DEFAULT_STATEMENT_DAYS = 3
SUMMARY_MAX_YUAN = 200.0  # 道路交通安全法 第一百零七条: 警告或二百元以下罚款可当场处罚
SERVICE_METHODS = {
    "direct": "直接送达",
    "left": "留置送达",
    "post": "邮寄送达",
    "electronic": "电子送达",
    "announcement": "公告送达",
    "on_the_spot": "当场交付",
}
RIGHTS_TO_STATE = (
    "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）有权进行陈述和申辩。"
    "陈述、申辩请于收到本告知书之日起{days}个工作日内提出，逾期视为放弃陈述和申辩的权利。"
)
RIGHTS_OF_APPEAL = (
    "如不服本决定，可以在收到本决定书之日起六十日内依法向有权机关申请行政复议"
    "（《中华人民共和国行政复议法》第二十条），或者在六个月内依法向人民法院提起行政诉讼"
    "（《中华人民共和国行政诉讼法》第四十六条）。"
)


def statement_days() -> int:
    return int(current_app.config.get("CASE_STATEMENT_DAYS") or DEFAULT_STATEMENT_DAYS)


def check_officers(fields: dict[str, Any], minimum: int) -> list[dict[str, str]]:
    """The officers of an on-site step: at least `minimum`, each with a certificate number, all different."""
    officers = [o for o in fields.get("officers") or [] if isinstance(o, dict)]
    cleaned = [
        {"name": str(o.get("name") or "").strip(), "certificate_no": str(o.get("certificate_no") or "").strip()}
        for o in officers
    ]
    if any(not o["name"] or not o["certificate_no"] for o in cleaned):
        raise Invalid("每名执法人员须填写姓名和执法证号", {"officers": "姓名和执法证号均为必填"})
    if len({o["certificate_no"] for o in cleaned}) != len(cleaned):
        raise Invalid("执法证号重复", {"officers": "须为不同的执法人员"})
    if len(cleaned) < minimum:
        need = "一名" if minimum == 1 else "两名"
        raise Invalid(
            f"须{need}以上执法人员并出示执法证件（《中华人民共和国行政处罚法》第四十二条）",
            {"officers": f"至少{minimum}名执法人员（姓名和执法证号）"},
        )
    return cleaned


def _owner(case: Any) -> dict[str, int]:
    """Which row a document belongs to: a vehicle case, or a machinery spot check (its penalty flow,
    `nrmm/penalties.py`). Typed loosely: cases cannot import the NRMM domain (it imports cases)."""
    return {"case_id": case.id} if isinstance(case, Case) else {"spot_check_id": case.id}


def documents(case: Any, kind: str | None = None) -> list[CaseDocument]:
    """The documents of a case or of a spot check's penalty, oldest first."""
    column = CaseDocument.case_id if isinstance(case, Case) else CaseDocument.spot_check_id
    stmt = select(CaseDocument).where(column == case.id)
    if kind:
        stmt = stmt.where(CaseDocument.kind == kind)
    return list(db.session.scalars(stmt.order_by(CaseDocument.id)))


def _number(case: Any, kind: str) -> str:
    prefix = {"prior_notice": "告知", "decision": "决定"}[kind]
    if not isinstance(case, Case):
        prefix = f"机械{prefix}"
    return f"{prefix}-{case.id}-{len(documents(case, kind)) + 1}"


def issue_prior_notice(
    case: Any, basis: PenaltyBasis, fields: dict[str, Any], department: str, actor: str
) -> CaseDocument:

    facts = str(fields.get("facts") or "").strip()
    if not facts:
        raise Invalid("事先告知须写明违法事实", {"facts": "必填：违法事实"})
    days = statement_days()
    proposed = "警告" if fields.get("warning") else f"罚款 {float(fields['amount_yuan']):g} 元"
    doc = CaseDocument(
        **_owner(case),
        kind="prior_notice",
        number=_number(case, "prior_notice"),
        department=department,
        issued_by=actor,
        content={
            "facts": facts,
            "basis": basis.name,
            "legal_basis": basis.citation,
            "proposed_penalty": proposed,
            "amount_yuan": None if fields.get("warning") else float(fields["amount_yuan"]),
            "warning": bool(fields.get("warning")),
            "rights": RIGHTS_TO_STATE.format(days=days),
            "statement_days": days,
        },
    )
    db.session.add(doc)
    db.session.flush()
    return doc


def record_service(case: Any, fields: dict[str, Any]) -> CaseDocument:
    """Record how, when and to whom a document was served; a served prior notice starts the period."""

    kind = fields.get("document") or "prior_notice"
    if kind not in ("prior_notice", "decision"):
        raise Invalid("送达的文书种类不正确", {"document": "须为 prior_notice（事先告知书）或 decision（处罚决定书）"})
    docs = [d for d in documents(case, kind) if d.served_at is None]
    if not docs:
        raise Conflict("没有待送达的该类文书", {"document": "没有未送达的文书"})
    method = fields.get("method")
    if method not in SERVICE_METHODS:
        raise Invalid("送达方式不正确", {"method": f"须为 {' / '.join(SERVICE_METHODS)} 之一"})
    served_to = str(fields.get("served_to") or "").strip()
    if not served_to:
        raise Invalid("须写明受送达人", {"served_to": "必填：受送达人"})
    served_at: datetime = fields.get("served_at") or now_utc()
    doc = docs[-1]
    if served_at > now_utc() or served_at < doc.issued_at:
        raise Invalid("送达时间须在文书作出之后、且不在未来", {"served_at": "送达时间不合理"})
    doc.served_at, doc.service_method, doc.served_to = served_at, method, served_to
    if kind == "prior_notice":
        doc.answer_due, _ = workdays.add_working_days(local_day(served_at), int(doc.content["statement_days"]))
    return doc


def record_answer(case: Any, fields: dict[str, Any]) -> CaseDocument:
    notice = _served_notice(case)
    kind = fields.get("answer_kind")
    if kind not in ("statement", "waived"):
        raise Invalid("须注明当事人陈述申辩或放弃", {"answer_kind": "须为 statement（陈述申辩）或 waived（放弃）"})
    text = str(fields.get("answer") or "").strip()
    if kind == "statement" and not text:
        raise Invalid("须记录陈述申辩的内容", {"answer": "必填：陈述申辩内容（笔录）"})
    if notice.answered_at is not None:
        raise Conflict("已记录过陈述申辩", {"answer_kind": "已记录"})
    notice.answered_at, notice.answer_kind, notice.answer = now_utc(), kind, text or None
    return notice


def _served_notice(case: Any) -> CaseDocument:
    notices = documents(case, "prior_notice")
    if not notices:
        raise Conflict(
            "尚未作出事先告知（《中华人民共和国行政处罚法》第四十四条）", {"prior_notice": "须先作出事先告知"}
        )
    notice = notices[-1]
    if notice.served_at is None:
        raise Conflict("事先告知书尚未送达当事人", {"prior_notice": "须先记录送达"})
    return notice


def check_general_procedure(case: Any, basis: PenaltyBasis, fields: dict[str, Any]) -> CaseDocument:
    """A penalty beyond the summary procedure: a served prior notice on this basis and penalty, and the
    owner's answer recorded or the period lapsed."""
    notice = _served_notice(case)
    if notice.content.get("basis") != basis.name:
        raise Conflict(
            "处罚依据与事先告知不一致，须重新告知",
            {"basis": f"事先告知的依据为 {notice.content.get('legal_basis')}"},
        )
    amount = None if fields.get("warning") else float(fields.get("amount_yuan") or 0)
    told = notice.content.get("amount_yuan")
    if bool(fields.get("warning")) != bool(notice.content.get("warning")) or (
        amount is not None and told is not None and amount > float(told)
    ):
        raise Conflict(
            "处罚不得重于事先告知的处罚，须重新告知",
            {"amount_yuan": f"事先告知的处罚为{notice.content.get('proposed_penalty')}"},
        )
    if notice.answered_at is None:
        assert notice.answer_due is not None
        if local_day(now_utc()) <= notice.answer_due:
            raise Conflict(
                f"陈述申辩期限至 {notice.answer_due.isoformat()} 届满，届满前须先记录当事人的陈述申辩或放弃",
                {"prior_notice": f"陈述申辩期限 {notice.answer_due.isoformat()} 尚未届满"},
            )
    return notice


# The steps that carry out a penalty decision or follow from it: a decision takes effect on the owner only
# once served (行政处罚法 第六十一条), so none of them may be taken before its service is recorded.
AFTER_DECISION = frozenset({"order_repair", "record_repair", "record_retest", "close_scrapped"})


def unserved_decision(case: Any) -> CaseDocument | None:
    """The case's last penalty decision when its service (送达) is not recorded yet, else None."""
    decisions = documents(case, "decision")
    if decisions and decisions[-1].served_at is None:
        return decisions[-1]
    return None


def check_decision_served(case: Any, action: str) -> None:
    """Refuse a step past the decision (repair order, repair, retest, closing) until the decision is served."""
    if action not in AFTER_DECISION:
        return
    decision = unserved_decision(case)
    if decision is None:
        return
    raise Conflict(
        f"处罚决定书 {decision.number} 尚未送达当事人，须先记录送达（送达方式、时间、受送达人），"
        "才能进行下一步（《中华人民共和国行政处罚法》第六十一条）",
        {"decision": f"处罚决定书 {decision.number} 尚未送达：先以 serve（document=decision）记录送达"},
    )


def check_summary_procedure(basis: PenaltyBasis, fields: dict[str, Any]) -> None:
    if not basis.summary_procedure:
        raise Invalid(f"{basis.citation} 不适用简易程序（当场处罚）", {"procedure": "须适用普通程序"})
    amount = None if fields.get("warning") else float(fields.get("amount_yuan") or 0)
    if amount is not None and amount > SUMMARY_MAX_YUAN:
        raise Invalid(
            f"当场处罚限于警告或 {SUMMARY_MAX_YUAN:g} 元以下罚款（{basis.summary_procedure}）",
            {"procedure": "超出简易程序的处罚须适用普通程序"},
        )
    if not str(fields.get("served_to") or "").strip():
        raise Invalid("当场处罚决定书须当场交付当事人，须写明受送达人", {"served_to": "必填：受送达人"})


def issue_decision(
    case: Any, basis: PenaltyBasis, fields: dict[str, Any], procedure: str, department: str, actor: str
) -> CaseDocument:

    doc = CaseDocument(
        **_owner(case),
        kind="decision",
        number=str(fields["decision_number"]),
        department=department,
        issued_by=actor,
        content={
            "procedure": procedure,
            "basis": basis.name,
            "legal_basis": basis.citation,
            "penalty": "警告" if fields.get("warning") else f"罚款 {float(fields['amount_yuan']):g} 元",
            "rights": RIGHTS_OF_APPEAL,
            "review_days": 60,
            "litigation_months": 6,
        },
    )
    if procedure == "summary":  # handed over on the spot
        doc.served_at, doc.service_method, doc.served_to = now_utc(), "on_the_spot", str(fields["served_to"]).strip()
    db.session.add(doc)
    db.session.flush()
    return doc


def document_json(doc: CaseDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "number": doc.number,
        "department": doc.department,
        "issued_by": doc.issued_by,
        "issued_at": doc.issued_at.isoformat(),
        "content": doc.content,
        "service": None
        if doc.served_at is None
        else {
            "method": doc.service_method,
            "method_name": SERVICE_METHODS.get(doc.service_method or "", doc.service_method),
            "served_at": doc.served_at.isoformat(),
            "served_at_local": format_local(doc.served_at, "%Y-%m-%d %H:%M"),
            "served_to": doc.served_to,
        },
        "answer_due": doc.answer_due.isoformat() if doc.answer_due else None,
        "answer": None
        if doc.answered_at is None
        else {"kind": doc.answer_kind, "text": doc.answer, "at": doc.answered_at.isoformat()},
    }
