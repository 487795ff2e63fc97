"""Public rankings: departments by region and period, with the arithmetic on the page."""

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.regions.codes import RegionCodeError, normalize_region_code

from .. import selectors


@dataclass
class Period:
    value: str
    label: str
    start: dt.date | None
    end: dt.date | None


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(value: str, today: dt.date) -> Period | None:
    """``all``, ``2026``, ``2026-11`` or ``2026-Q4`` → dates [start, end); None when unreadable."""
    value = (value or "").strip()
    if value == "all":
        return Period("all", _("全部时间"), None, None)
    try:
        if len(value) == 4 and value.isdigit():
            year = int(value)
            return Period(
                value, _("%(year)s 年") % {"year": year}, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
            )
        if len(value) == 7 and value[4] == "-" and value[5:].isdigit():
            start = dt.date(int(value[:4]), int(value[5:]), 1)
            label = _("%(year)s 年 %(month)s 月") % {"year": start.year, "month": start.month}
            return Period(value, label, start, _add_months(start, 1))
        if len(value) == 7 and value[4:6].upper() == "-Q" and value[6] in "1234":
            start = dt.date(int(value[:4]), (int(value[6]) - 1) * 3 + 1, 1)
            label = _("%(year)s 年第 %(q)s 季度") % {"year": start.year, "q": value[6]}
            return Period(value.upper(), label, start, _add_months(start, 3))
    except ValueError:
        return None
    return None


def period_choices(today: dt.date) -> list[Period]:
    month = today.replace(day=1)
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    values = [
        f"{month:%Y-%m}",
        f"{_add_months(month, -1):%Y-%m}",
        quarter,
        str(today.year),
        str(today.year - 1),
        "all",
    ]
    return [p for p in (parse_period(v, today) for v in values) if p is not None]


def rankings(request: HttpRequest) -> HttpResponse:
    """Departments ranked by region and period, with the arithmetic on the page."""
    today = timezone.localdate()
    notes: list[str] = []
    raw_period = request.GET.get("period", "")
    period = parse_period(raw_period, today) if raw_period else None
    if period is None:
        if raw_period:
            notes.append(_("统计周期“%(value)s”无法识别，已显示本年度排名。") % {"value": raw_period[:20]})
        period = parse_period(str(today.year), today)
    raw_region = request.GET.get("region", None)
    if raw_region is None:
        raw_region = getattr(request, "region_code", "") or ""
    region = None
    if raw_region:
        try:
            region = selectors.region_by_code(normalize_region_code(raw_region))
        except RegionCodeError:
            region = None
        if region is None:
            notes.append(_("找不到行政区划“%(value)s”，已显示全部区划。") % {"value": raw_region[:20]})
    rows = selectors.ranking(region_code=region.code if region else "", start=period.start, end=period.end)
    choices = period_choices(today)
    if period.value not in {p.value for p in choices}:
        choices.insert(0, period)
    context = {
        "rows": rows,
        "region": region,
        "period": period,
        "periods": choices,
        "regions": selectors.rated_regions(region),
        "notes": notes,
    }
    return render(request, "ratings/rankings.html", context)
