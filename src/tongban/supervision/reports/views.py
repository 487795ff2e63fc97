"""Pages: the supervisor's 定期通报 list with 生成本月通报 and downloads (their regions only), and
the public 办件公示. Thin: parse, call a service or selector, render."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.identity import permissions
from tongban.identity.views import staff_required
from tongban.regions.models import Region
from tongban.supervision.selectors import add_months

from . import publicity, selectors, services
from .models import Report
from .rendering import rows_for_display


def _supervisor_regions(request: HttpRequest) -> list[Region]:
    codes = permissions.supervised_region_codes(request.user)
    if not codes:
        raise PermissionDenied(_("只有监察人员可以查看定期通报。"))
    return list(Region.objects.filter(code__in=codes).order_by("code"))


@staff_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    regions = _supervisor_regions(request)
    reports = list(selectors.visible_reports(request.user)[:200])
    today = timezone.localdate()
    return render(
        request,
        "supervision_reports/list.html",
        {
            "regions": regions,
            "reports": reports,
            "this_month": f"{today:%Y-%m}",
            "last_month": f"{add_months(today, -1):%Y-%m}",
            "kinds": Report.Kind.choices,
        },
    )


@staff_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    regions = _supervisor_regions(request)
    kind = request.POST.get("kind", Report.Kind.MONTH)
    try:
        report = services.request_report(
            actor=request.user,
            region_code=request.POST.get("region", "").strip() or regions[0].code,
            kind=kind,
            period=request.POST.get("period", ""),
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("supervision_reports:list")
    messages.success(
        request,
        _("已开始生成%(region)s%(period)s通报，生成后将通知本地区监察人员。")
        % {"region": report.region_name, "period": report.title},
    )
    return redirect("supervision_reports:list")


@staff_required
@require_GET
def detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_for(request.user, report_id)
    rows = rows_for_display(report.figures) if report.status == Report.Status.READY else None
    return render(request, "supervision_reports/detail.html", {"report": report, "rows": rows})


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@staff_required
@require_GET
def download(request: HttpRequest, report_id: int, fmt: str) -> FileResponse:
    report = selectors.report_for(request.user, report_id)
    if fmt not in CONTENT_TYPES:
        raise NotFound()
    stored = report.pdf if fmt == "pdf" else report.xlsx
    if report.status != Report.Status.READY or not stored:
        raise NotFound(_("该通报尚未生成。"))
    name = f"{report.region_name}{report.title}通报.{fmt}"
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt]
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _month(value: str, today: dt.date) -> dt.date:
    try:
        month = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise InvalidInput(_("月份格式应为“年-月”，例如 2026-11。"), field="month") from exc
    if month > today or month.year < 2000:
        raise InvalidInput(_("只能查看已经开始的月份。"), field="month")
    return month


@require_GET
def publicity_page(request: HttpRequest) -> HttpResponse:
    """办件公示: aggregated figures per department, small cells suppressed; anyone may read it."""
    today = timezone.localdate()
    error = ""
    month = today.replace(day=1)
    if request.GET.get("month"):
        try:
            month = _month(request.GET["month"], today)
        except ServiceError as exc:
            error = exc.message
    code = (request.GET.get("region") or getattr(settings, "TONGBAN_DEFAULT_REGION", "") or "").strip()
    region = Region.objects.filter(code=code).first() if code.isdigit() else None
    rows = publicity.department_figures(region.code if region else None, month)
    return render(
        request,
        "supervision_reports/publicity.html",
        {
            "region": region,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "rows": rows,
            "error": error,
            "months": [add_months(today, -n) for n in range(12)],
        },
        status=400 if error else 200,
    )
