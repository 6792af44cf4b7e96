"""JSON API and PDFs: print (issue or reprint) a notice, fetch one as issued, void one.

The PDF reads issue a notice or record a reprint in the audit log: like every API read that writes, they
admit API tokens only (`bearer_only`), never the page-session cookie a cross-site page could make a
browser send; the pages print through their own POST forms (documents/views.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.openapi import json_body, operation
from vehicle_enforce.documents import services
from vehicle_enforce.documents.models import IssuedNotice
from vehicle_enforce.documents.schemas import NOTICE_EXAMPLE, NoticeOut, VoidIn

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")

#: Who may fetch a notice by id: every department that prints one (its subject's scope decides).
NOTICE_READERS = (D.environment, D.police, D.transport, D.housing, D.township, D.station)


def pdf_response(notice: IssuedNotice) -> Response:
    """The stored bytes, exactly; the number and state in headers (percent-encoded UTF-8)."""
    response = Response(notice.pdf, mimetype="application/pdf")
    filename = quote(f"{notice.number}.pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"notice-{notice.id}.pdf\"; filename*=UTF-8''{filename}"
    )
    response.headers["X-Notice-Id"] = str(notice.id)
    response.headers["X-Notice-Number"] = quote(notice.number)
    response.headers["X-Notice-State"] = notice.state
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(notice.pdf_sha256)
    return response


@bp.get("/roadside-tests/<int:test_id>/notice.pdf")
@api_access(D.station, D.environment, D.police, bearer_only=True)
@operation(
    "打印劝返通知书（首次打印时编号出具，之后原样重印，留痕） / "
    "Print the turn-back notice of a roadside test: issued and numbered on first print, then reprinted as stored",
    resp={200: None},
)
def turn_back_notice(test_id: int) -> Any:
    return pdf_response(services.turn_back_notice(test_id, actor=principal_or_401()))


@bp.get("/cases/<int:case_id>/notices/<kind>.pdf")
@api_access(D.environment, D.police, D.transport, bearer_only=True)
@operation(
    "打印案件通知书：repair_order（责令限期维修）、penalty_sheet（处罚参考单）、release（解除管控） / "
    "Print a case's notice: repair_order, penalty_sheet or release (issued on first print, then reprinted)",
    resp={200: None},
)
def case_notice(case_id: int, kind: str) -> Any:
    return pdf_response(services.case_notice(case_id, kind, actor=principal_or_401()))


@bp.get("/nrmm/spot-checks/<int:check_id>/record.pdf")
@api_access(D.environment, D.housing, D.township, bearer_only=True)
@operation(
    "打印非道路移动机械抽测记录单 / Print the record sheet of an NRMM spot check (issued on first print)",
    resp={200: None},
)
def spot_check_record(check_id: int) -> Any:
    return pdf_response(services.spot_check_record(check_id, actor=principal_or_401()))


@bp.get("/notices/<int:notice_id>.pdf")
@api_access(*NOTICE_READERS, bearer_only=True)
@operation(
    "按编号记录取通知书原件（作废、被替代的也可取，留痕） / "
    "A notice's PDF exactly as issued, in any state (void and superseded too; audited)",
    resp={200: None},
)
def notice_pdf(notice_id: int) -> Any:
    return pdf_response(services.stored_pdf(notice_id, actor=principal_or_401()))


@bp.post("/notices/<int:notice_id>/void")
@api_access(D.environment, D.police, D.transport)
@operation(
    "作废通知书（出具单位，须写明原因，留痕；编号保留不再使用） / "
    "Void a notice (its issuing unit; reason required; audited): the number stays used",
    json=VoidIn,
    resp={200: NoticeOut},
    examples={"request": {"reason": "维修期限填错，重新出具"}, "response": NOTICE_EXAMPLE},
)
def void_notice(notice_id: int) -> Any:
    notice = services.void(notice_id, json_body(VoidIn), actor=principal_or_401())
    return jsonify(notice.summary())
