"""定期通报 in the shared authorization table (tests/identity/test_authorization.py): a report of
the city (5116) belongs to its supervisors (``supervisor``); another county's staff, its 监察
included (``other_staff``), citizens and anonymous visitors are refused the page, the files and the
API (the list of a region outside theirs: 403; one report: 404)."""

from typing import Any

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from tests.identity.authorization import ObjectURL, World, api_url, outsiders_test, owner_test
from tongban.supervision.reports.models import Report
from tongban.supervision.reports.selectors import report_figures

PDF_MARK = b"%PDF-1.4 city report"


def _report(w: World) -> Any:
    """A made report of the city (files written directly: the table checks access, not rendering)."""
    if "_report" not in w.__dict__:
        w.supervisor  # noqa: B018 - the city office and its region exist first
        today = timezone.localdate()
        report = Report(
            region_code="5116",
            region_name="广安市（授权测试）",
            kind=Report.Kind.MONTH,
            period_start=today.replace(day=1),
            period_end=today,
            status=Report.Status.READY,
            generated_at=timezone.now(),
            figures=report_figures("5116", Report.Kind.MONTH, today.replace(day=1), today),
        )
        report.pdf.save("auth-5116.pdf", ContentFile(PDF_MARK), save=False)
        report.xlsx.save("auth-5116.xlsx", ContentFile(b"PK xlsx city report"), save=False)
        report.save()
        w.__dict__["_report"] = report
    return w.__dict__["_report"]


ROWS = [
    ObjectURL(
        "page: report",
        "get",
        lambda w: reverse("supervision_reports:detail", args=[_report(w).pk]),
        "supervisor",
        shows=lambda w: "广安市（授权测试）",
    ),
    ObjectURL(
        "page: report file",
        "get",
        lambda w: reverse("supervision_reports:download", args=[_report(w).pk, "pdf"]),
        "supervisor",
        shows=lambda w: PDF_MARK,
    ),
    ObjectURL(
        "api: reports of a region",
        "get",
        lambda w: api_url(f"/supervision/reports?region={_report(w).region_code}"),
        "supervisor",
        shows=lambda w: "广安市（授权测试）",
    ),
    ObjectURL(
        "api: report",
        "get",
        lambda w: api_url(f"/supervision/reports/{_report(w).pk}"),
        "supervisor",
        shows=lambda w: "广安市（授权测试）",
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
