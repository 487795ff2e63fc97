"""What a report says, read from the supervision rollups (never from raw cases), as plain JSON
so that the PDF, the XLSX and the page all show the same snapshot.

Also the reports a supervisor may see: their supervised regions and everything below, the scope
``web.figures.region_overview`` uses (``identity.permissions.supervised_region_codes``).
"""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffMembership, StaffRole
from tongban.supervision import selectors as indicators
from tongban.supervision.selectors import IndicatorRow, add_months

from .models import Report

# (key, label, kind): kind "count", "rate" (0..1), "days" or "ratio".
FIGURES = (
    ("received", _("收件"), "count"),
    ("accepted", _("受理"), "count"),
    ("refused", _("不予受理"), "count"),
    ("concluded", _("办结"), "count"),
    ("overdue", _("超期"), "count"),
    ("online_rate", _("网办率"), "rate"),
    ("full_online_rate", _("全程网办率"), "rate"),
    ("on_time_legal_rate", _("法定时限内办结率"), "rate"),
    ("on_time_promised_rate", _("承诺时限内办结率"), "rate"),
    ("one_time_rate", _("一次办结率"), "rate"),
    ("average_days", _("平均用时（工作日）"), "days"),
    ("p90_days", _("90% 办件用时（工作日）"), "days"),
    ("corrections_per_case", _("每件补正次数"), "ratio"),
    ("visits_per_case", _("每件跑动次数"), "ratio"),
    ("satisfaction_rate", _("好差评满意率"), "rate"),
    ("rectification_rate", _("差评整改率"), "rate"),
)
DEPARTMENT_COLUMNS = (
    "received",
    "concluded",
    "on_time_promised_rate",
    "average_days",
    "satisfaction_rate",
    "overdue",
)
LABELS = {key: label for key, label, _kind in FIGURES}
KINDS = {key: kind for key, _label, kind in FIGURES}


def show(key: str, value: Any) -> str:
    """A figure as the report prints it; ``—`` when there was nothing to measure."""
    if value is None:
        return "—"
    kind = KINDS.get(key, "count")
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:g}"
    if kind == "ratio":
        return f"{value:.2f}"
    return str(value)


def _values(row: IndicatorRow) -> dict[str, Any]:
    return {key: getattr(row, key) for key, _label, _kind in FIGURES}


def report_figures(region_code: str, kind: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The snapshot a report is made from: totals against the period before, the departments,
    the worst items and a twelve-month trend."""
    months = 3 if kind == Report.Kind.QUARTER else 1
    before = add_months(start, -months)
    scope = {"region_code": region_code, "start": start, "end": end}
    current = indicators.totals(**scope)
    previous = indicators.totals(region_code=region_code, start=before, end=start - dt.timedelta(days=1))
    departments = indicators.ranking(by="department", indicator="received", **scope)
    worst = [
        row
        for row in indicators.ranking(
            by="item", indicator="on_time_promised_rate", worst_first=True, limit=10, **scope
        )
        if row.on_time_promised_rate is not None
    ]
    trend = indicators.region_indicators(region_code, months=12, today=end)
    short = dict(
        Department.objects.filter(pk__in=[r.department_id for r in departments]).values_list(
            "pk", "short_name"
        )
    )
    return {
        "totals": _values(current),
        "previous": _values(previous),
        "departments": [
            {"name": row.name, "short": short.get(row.department_id) or row.name, **_values(row)}
            for row in departments
        ],
        "worst_items": [
            {"name": row.name, "with_promised": row.with_promised, **_values(row)} for row in worst
        ],
        "trend": [
            {
                "month": f"{row.period:%Y-%m}",
                "received": row.received,
                "concluded": row.concluded,
                "on_time_promised_rate": row.on_time_promised_rate,
            }
            for row in trend
        ],
    }


def visible_reports(user: User) -> QuerySet[Report]:
    """Reports of the regions a supervisor watches (and below); nothing for anyone else."""
    query = Q(pk__in=[])
    for code in permissions.supervised_region_codes(user):
        query |= Q(region_code__startswith=code)
    return Report.objects.filter(query)


def reports_of(user: User, *, region_code: str | None = None, kind: str | None = None) -> QuerySet[Report]:
    """The reports a supervisor lists (pages and API): their regions' by default, or one region
    (and below) of theirs; anyone without a 监察 role, or a region outside theirs, is refused."""
    supervised = permissions.supervised_region_codes(user)
    if not supervised:
        raise PermissionDenied(_("只有监察人员可以查看定期通报。"))
    reports = visible_reports(user)
    if region_code:
        if not any(region_code.startswith(code) for code in supervised):
            raise PermissionDenied(_("您无权查看该地区的定期通报。"))
        reports = reports.filter(region_code__startswith=region_code)
    if kind:
        reports = reports.filter(kind=kind)
    return reports


def report_for(user: User, report_id: int) -> Report:
    """One report, if the user may see it; NotFound otherwise (an outsider learns nothing)."""
    report = visible_reports(user).filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    return report


def supervisors_of(region_code: str) -> list[User]:
    """Staff with a 监察 role over ``region_code``: in its region or any region above it."""
    memberships = StaffMembership.objects.filter(
        role=StaffRole.SUPERVISOR, user__is_active=True
    ).select_related("user", "department__region")
    found: dict[int, User] = {}
    for membership in memberships:
        if region_code.startswith(membership.department.region.code):
            found.setdefault(membership.user_id, membership.user)
    return list(found.values())


def supervised_regions() -> list[str]:
    """Every region some supervisor watches: the regions reports are made for."""
    return sorted(
        set(
            StaffMembership.objects.filter(role=StaffRole.SUPERVISOR, user__is_active=True).values_list(
                "department__region__code", flat=True
            )
        )
    )
