"""The supervisor's dashboard (``/staff/supervision/``) and the drill-down to the cases behind a
number (``/staff/supervision/cases/``). Thin: parse, resolve the scope, read selectors, render."""

import datetime as dt
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tongban.cases import clock
from tongban.core.errors import InvalidInput
from tongban.core.masking import mask_name
from tongban.identity import permissions
from tongban.identity.views import staff_required
from tongban.regions.models import Region

from . import access, dashboard, selectors


def _month(value: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise InvalidInput(_("月份格式应为“年-月”，例如 2026-01。"), field=field) from exc


def _int(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(_("参数“%(field)s”应为数字。") % {"field": field}, field=field)
    return int(value)


def _region(value: str) -> str | None:
    value = value.strip()
    if value and (not value.isdigit() or len(value) > 12):
        raise InvalidInput(_("区划代码应为数字。"), field="region")
    return value or None


CHOICES_SECONDS = 600


def _regions_to_choose(user) -> list[dict]:
    """The supervised regions and their direct children, for the filter (cached: regions and
    departments change seldom, and the filter is on every dashboard view)."""
    codes = sorted(permissions.supervised_region_codes(user))
    key = "supervision:region-choices:" + ",".join(codes)
    regions = cache.get(key)
    if regions is None:
        regions = list(Region.objects.filter(code__in=codes).values("code", "name"))
        regions += list(
            Region.objects.filter(parent__code__in=codes).order_by("code").values("code", "name")[:60]
        )
        cache.set(key, regions, CHOICES_SECONDS)
    return regions


def _departments_to_choose(user) -> list[dict]:
    """The departments whose figures the user may see (at most 300), for the filter."""
    codes = sorted(permissions.supervised_region_codes(user))
    own = sorted(m.department_id for m in permissions.memberships(user))
    key = "supervision:department-choices:" + ",".join(codes) + "|" + ",".join(map(str, own))
    departments = cache.get(key)
    if departments is None:
        departments = list(
            permissions.staff_departments(user).order_by("region__code", "name").values("pk", "name")[:300]
        )
        cache.set(key, departments, CHOICES_SECONDS)
    return departments


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    period = dashboard.parse_period(request.GET.get("period") or request.GET.get("months") or "12", today)
    scope = access.resolve_scope(
        request.user,
        region_code=_region(request.GET.get("region", "")),
        department_id=_int(request.GET.get("department", ""), "department"),
    )
    context = dashboard.build(request.user, scope, period=period, today=today)
    context["period_choices"] = dashboard.period_choices(today)
    context["regions"] = _regions_to_choose(request.user)
    context["departments"] = _departments_to_choose(request.user)
    return render(request, "supervision/home.html", context)


@staff_required
def cases(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "")
    if measure not in selectors.DRILL:
        raise InvalidInput(_("请选择要查看的指标。"), field="measure")
    start = _month(request.GET.get("from", ""), "from")
    end = _month(request.GET.get("to", ""), "to")
    if start and end and start > end:
        raise InvalidInput(_("开始月份不能晚于结束月份。"), field="from")
    scope = access.resolve_scope(
        request.user,
        region_code=_region(request.GET.get("region", "")),
        department_id=_int(request.GET.get("department", ""), "department"),
        item_id=_int(request.GET.get("item", ""), "item"),
    )
    found = selectors.cases_behind(measure, start=start, end=end, **scope.filters())
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "case": case,
            "applicant": mask_name(case.applicant_name),
        }
        for case in page.object_list
    ]
    keep = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "supervision/cases.html",
        {
            "scope": scope,
            "measure": measure,
            "label": dashboard.LABELS.get(measure, measure),
            "start": start,
            "end": end,
            "page": page,
            "rows": rows,
            "query": urlencode(keep),
        },
    )
