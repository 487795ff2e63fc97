"""Supervisors: overdue follow-ups, recently closed ones, appeals to decide, exports and rankings."""

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tongban.identity import permissions
from tongban.identity.views import staff_required

from .. import access, selectors
from ..export import to_csv, to_xlsx
from .common import task_row
from .public import parse_period


@staff_required
def supervision(request: HttpRequest) -> HttpResponse:
    """Overdue follow-ups, recently closed ones, appeals to decide, exports and the region's ranking."""
    access.check_supervisor(request.user)
    codes = permissions.supervised_region_codes(request.user)
    today = timezone.localdate()
    overdue = selectors.overdue_rectifications(request.user, on=today).select_related("rating__item")[:100]
    period = parse_period(str(today.year), today)
    regions = selectors.regions_by_code(codes)
    rankings = [
        (regions.get(code), selectors.ranking(region_code=code, start=period.start, end=period.end))
        for code in codes
    ]
    context = {
        "overdue": [task_row(r, today) for r in overdue],
        "closed": [task_row(r, today) for r in selectors.recently_rectified(request.user)],
        "appeals": selectors.pending_appeals(request.user),
        "rankings": rankings,
        "period": period,
        "today": today,
        "year_start": dt.date(today.year, 1, 1),
    }
    return render(request, "ratings/supervision.html", context)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_required
def export(request: HttpRequest) -> HttpResponse:
    """CSV or XLSX of the region's ratings (names masked, formulas neutralised)."""
    access.check_supervisor(request.user)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    # The form's end date is inclusive; the selector's is not.
    ratings = selectors.ratings_for_export(
        request.user, start=start, end=end + dt.timedelta(days=1) if end else None
    )
    if request.GET.get("format") == "xlsx":
        body, mime, ext = (
            to_xlsx(ratings),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    else:
        body, mime, ext = to_csv(ratings), "text/csv; charset=utf-8", "csv"
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="ratings-{timezone.localdate():%Y%m%d}.{ext}"'
    return response
