"""JSON API: the county's monthly summary as figures, XLSX or PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import Field

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.auth.services import county_by_code_or_name
from vehicle_enforce.core.errors import Forbidden, NotFound
from vehicle_enforce.core.openapi import operation, query_args
from vehicle_enforce.core.schemas import QuerySchema
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE
from vehicle_enforce.summary import figures, render
from vehicle_enforce.summary.units import county_of, unit_of

bp = Blueprint("summary_api", __name__, url_prefix="/api/v1/reports")
READERS = (D.environment, D.transport)


class MonthQuery(QuerySchema):
    month: str = Field(max_length=7, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="统计月份（北京时间） YYYY-MM")
    county: str | None = Field(
        default=None, max_length=64, description="县（市、区）代码或名称；县级账号只能是本县，默认本县；市级默认全市"
    )


@bp.get("/monthly.<fmt>")
@api_access(*READERS)
@operation(
    "县级机动车排放监管月报（json、xlsx 含图表、pdf 含图表） / The county's monthly summary (?month=YYYY-MM)",
    query=MonthQuery,
    resp={200: None},
    description="`monthly.json` answers the figures; `monthly.xlsx` and `monthly.pdf` the filed report with charts.",
)
def monthly(fmt: str) -> Any:
    principal = principal_or_401()
    query = query_args(MonthQuery)
    month = query.month
    if fmt not in ("json", "xlsx", "pdf"):
        raise NotFound("report formats: json, xlsx, pdf")
    county = county_of(principal)
    if query.county is not None:
        wanted = county_by_code_or_name(query.county)
        if county is not None and wanted.id != county.id:
            raise Forbidden("a county account reports on its own county only")
        county = wanted
    data = figures.monthly(month, county)
    if fmt == "json":
        return jsonify(data)
    unit = unit_of(county)
    if fmt == "xlsx":
        body, mimetype = render.monthly_xlsx(data, unit), XLSX_MIMETYPE
    else:
        body, mimetype = render.monthly_pdf(data, unit), "application/pdf"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="monthly-{month}.{fmt}"'}
    )
