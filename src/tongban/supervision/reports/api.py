"""定期通报 in the JSON API: the reports a supervisor may see (their regions and below), newest
period first, with links to the files; the same reads and refusals as the pages."""

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.core.params import Id
from tongban.identity.oidc.auth import api_auth

from . import selectors
from .models import Report

router = Router(tags=["电子监察"])

PAGE = 50


class SupervisionReportsQuery(Schema):
    region: str | None = Field(None, pattern=r"^\d{2,12}$", description="区划代码（含下级）")
    kind: Literal["month", "quarter"] | None = Field(None, description="月报或季报")
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


class SupervisionReportOut(Schema):
    id: int
    region_code: str
    region_name: str
    kind: str
    period_start: dt.date
    period_end: dt.date
    status: str
    generated_at: dt.datetime | None
    pdf_url: str | None = Field(None, description="生成后可下载")
    xlsx_url: str | None = Field(None, description="生成后可下载")


def _out(report: Report) -> dict:
    ready = report.status == Report.Status.READY

    def url(fmt: str, field) -> str | None:
        if not (ready and field):
            return None
        return reverse("supervision_reports:download", args=[report.pk, fmt])

    return {
        "id": report.pk,
        "region_code": report.region_code,
        "region_name": report.region_name,
        "kind": report.kind,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "status": report.status,
        "generated_at": report.generated_at,
        "pdf_url": url("pdf", report.pdf),
        "xlsx_url": url("xlsx", report.xlsx),
    }


@router.get(
    "/supervision/reports",
    auth=api_auth,
    response=list[SupervisionReportOut],
    summary="定期通报列表（本人监察的地区及下级）",
)
def reports(request: HttpRequest, query: Query[SupervisionReportsQuery]) -> list[dict]:
    found = selectors.reports_of(request.user, region_code=query.region, kind=query.kind)
    return [_out(report) for report in found[(query.page - 1) * PAGE : query.page * PAGE]]


@router.get(
    "/supervision/reports/{report_id}",
    auth=api_auth,
    response=SupervisionReportOut,
    summary="一份定期通报",
)
def report(request: HttpRequest, report_id: Id) -> dict:
    return _out(selectors.report_for(request.user, report_id))
