"""Figures for the staff workbench and the supervisor's overview.

Every figure is one aggregate query in the database (grouped counts with filters), never a
loop over cases: a city holds hundreds of thousands of them. Deadline colours follow
``cases.clock.deadline_colour``: red when the current deadline has passed, yellow from the
warning date on, paused cases neither.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from tongban.cases import clock
from tongban.cases.models import Case
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole
from tongban.ratings.models import BAD_LEVELS, Rating
from tongban.ratings.selectors import counted, in_regions


@dataclass
class CaseFigures:
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    open_total: int = 0
    red: int = 0
    yellow: int = 0
    paused: int = 0
    concluded: int = 0


@dataclass
class RatingFigures:
    total: int = 0
    average: float = 0.0
    good_rate: float = 0.0
    bad_rate: float = 0.0
    bad_total: int = 0

    @property
    def good_percent(self) -> float:
        return round(self.good_rate * 100, 1)

    @property
    def bad_percent(self) -> float:
        return round(self.bad_rate * 100, 1)


def _red(on: dt.date) -> Q:
    return Q(status__in=Case.OPEN_STATUSES, paused_since__isnull=True, due_date__lt=on)


def _yellow(on: dt.date) -> Q:
    return Q(status__in=Case.OPEN_STATUSES, paused_since__isnull=True, due_date__gte=on, warn_date__lte=on)


def case_figures(cases: QuerySet[Case], on: dt.date | None = None) -> CaseFigures:
    """Cases by status plus the deadline colours of the open ones: two grouped queries."""
    on = on or clock.today()
    counts = dict(cases.order_by().values_list("status").annotate(n=Count("id")))
    colours = cases.order_by().aggregate(
        red=Count("id", filter=_red(on)),
        yellow=Count("id", filter=_yellow(on)),
        paused=Count("id", filter=Q(status__in=Case.OPEN_STATUSES, paused_since__isnull=False)),
    )
    by_status = [(value, label, counts.get(value, 0)) for value, label in Case.Status.choices]
    return CaseFigures(
        by_status=[row for row in by_status if row[2]],
        open_total=sum(counts.get(s, 0) for s in Case.OPEN_STATUSES),
        red=colours["red"],
        yellow=colours["yellow"],
        paused=colours["paused"],
        concluded=sum(n for s, n in counts.items() if s not in Case.OPEN_STATUSES),
    )


def rating_figures(ratings: QuerySet[Rating]) -> RatingFigures:
    """Counted ratings (an upheld appeal excludes one): average, good (3–5) and bad (1–2) rates."""
    row = (
        counted(ratings)
        .order_by()
        .aggregate(total=Count("id"), avg=Avg("level"), bad=Count("id", filter=Q(level__in=BAD_LEVELS)))
    )
    total = row["total"] or 0
    if not total:
        return RatingFigures()
    return RatingFigures(
        total=total,
        average=round(float(row["avg"] or 0), 2),
        good_rate=round((total - row["bad"]) / total, 4),
        bad_rate=round(row["bad"] / total, 4),
        bad_total=row["bad"],
    )


@dataclass
class DepartmentFigures:
    department: Department
    cases: CaseFigures
    ratings: RatingFigures


def own_departments(user: User) -> list[Department]:
    """The departments a staff member works in, in a stable order. A 监察 membership alone does
    not count: the supervisor's figures are their region's (``region_overview``)."""
    seen: dict[int, Department] = {}
    for membership in permissions.memberships(user):
        if membership.role != StaffRole.SUPERVISOR:
            seen.setdefault(membership.department_id, membership.department)
    return sorted(seen.values(), key=lambda d: (d.region.code, d.name))


def department_figures(user: User, on: dt.date | None = None) -> list[DepartmentFigures]:
    """Figures of the user's own departments only (supervisors see their region separately)."""
    return [
        DepartmentFigures(
            department,
            case_figures(Case.objects.filter(department=department), on),
            rating_figures(Rating.objects.filter(department=department)),
        )
        for department in own_departments(user)
    ]


def _region_cases(codes: list[str]) -> QuerySet[Case]:
    query = Q(pk__in=[])
    for code in codes:
        query |= Q(region_code__startswith=code)
    return Case.objects.filter(query)


@dataclass
class RegionOverview:
    codes: list[str]
    regions: list[Any]
    cases: CaseFigures
    ratings: RatingFigures
    top_overdue: list[dict]
    departments_with_cases: int


def region_overview(user: User, on: dt.date | None = None, top: int = 10) -> RegionOverview | None:
    """监察: the supervised regions' cases and ratings, and the departments with most red cases."""
    codes = permissions.supervised_region_codes(user)
    if not codes:
        return None
    on = on or clock.today()
    cases = _region_cases(codes)
    top_overdue = list(
        cases.filter(_red(on))
        .order_by()
        .values("department_id", "department__name")
        .annotate(red=Count("id"))
        .order_by("-red", "department__name")[:top]
    )
    regions = sorted(
        {
            m.department.region.code: m.department.region
            for m in permissions.memberships(user)
            if m.role == StaffRole.SUPERVISOR
        }.values(),
        key=lambda r: r.code,
    )
    return RegionOverview(
        codes=codes,
        regions=regions,
        cases=case_figures(cases, on),
        ratings=rating_figures(Rating.objects.filter(in_regions(codes, "region_code"))),
        top_overdue=top_overdue,
        departments_with_cases=cases.order_by().values("department_id").distinct().count(),
    )


def supervised_departments(
    user: User, *, with_cases_only: bool = True, on: dt.date | None = None
) -> QuerySet:
    """Departments under a supervisor's eye with their open / red / total case counts."""
    on = on or clock.today()
    qs = permissions.staff_departments(user).annotate(
        total=Count("cases"),
        open=Count("cases", filter=Q(cases__status__in=Case.OPEN_STATUSES)),
        red=Count(
            "cases",
            filter=Q(
                cases__status__in=Case.OPEN_STATUSES, cases__paused_since__isnull=True, cases__due_date__lt=on
            ),
        ),
    )
    if with_cases_only:
        qs = qs.filter(total__gt=0)
    return qs.order_by("-red", "-open", "region__code", "name")
