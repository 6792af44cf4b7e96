"""JSON API: the county's monthly summary as figures, XLSX or PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import Field

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.openapi import operation, query_args
from vehicle_enforce.core.schemas import QuerySchema
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE, reporting_unit
from vehicle_enforce.summary import figures, render

bp = Blueprint("summary_api", __name__, url_prefix="/api/v1/reports")
READERS = (D.environment, D.transport)


class MonthQuery(QuerySchema):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="统计月份（北京时间） YYYY-MM")


@bp.get("/monthly.<fmt>")
@api_access(*READERS)
@operation(
    "县级机动车排放监管月报（json、xlsx 含图表、pdf 含图表） / The county's monthly summary (?month=YYYY-MM)",
    query=MonthQuery,
    resp={200: None},
    description="`monthly.json` answers the figures; `monthly.xlsx` and `monthly.pdf` the filed report with charts.",
)
def monthly(fmt: str) -> Any:
    month = query_args(MonthQuery).month
    if fmt not in ("json", "xlsx", "pdf"):
        raise NotFound("report formats: json, xlsx, pdf")
    data = figures.monthly(month)
    if fmt == "json":
        return jsonify(data)
    if fmt == "xlsx":
        body, mimetype = render.monthly_xlsx(data, reporting_unit()), XLSX_MIMETYPE
    else:
        body, mimetype = render.monthly_pdf(data, reporting_unit()), "application/pdf"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="monthly-{month}.{fmt}"'}
    )
