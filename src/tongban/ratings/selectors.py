"""Figures for shops, rankings and supervisors.

Arithmetic (documented in docs/ratings.md): over the ratings of the period that are not
excluded by an upheld appeal (default 基本满意 ratings included),
- satisfaction rate = (非常满意 + 满意 + 基本满意) / all;
- bad-rating rate = (不满意 + 非常不满意) / all;
- average = mean level (1–5);
- rectification rate = bad ratings whose rectification is complete / bad ratings.
Rankings order departments by satisfaction rate (high first), then bad-rating rate (low
first), then number of ratings (more first), then name.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from tongban.core.masking import mask_name
from tongban.departments.models import Department
from tongban.identity import permissions

from .models import BAD_LEVELS, Level, Rating, Rectification


@dataclass
class Figures:
    total: int
    distribution: dict[int, int]
    satisfaction_rate: float
    bad_rate: float
    average: float
    rectification_rate: float | None
    bad_total: int
    rectified: int


def _counts() -> dict:
    counts = {f"l{lv}": Count("id", filter=Q(level=lv)) for lv in Level.values}
    counts["total"] = Count("id")
    counts["avg"] = Avg("level")
    counts["rectified"] = Count("id", filter=Q(level__in=BAD_LEVELS, rectification__status="rectified"))
    return counts


def _figures(row: dict) -> Figures:
    total = row["total"] or 0
    dist = {lv: row[f"l{lv}"] for lv in sorted(Level.values, reverse=True)}
    good = dist[5] + dist[4] + dist[3]
    bad = dist[2] + dist[1]
    return Figures(
        total=total,
        distribution=dist,
        satisfaction_rate=round(good / total, 4) if total else 0.0,
        bad_rate=round(bad / total, 4) if total else 0.0,
        average=round(float(row["avg"] or 0), 2),
        rectification_rate=round(row["rectified"] / bad, 4) if bad else None,
        bad_total=bad,
        rectified=row["rectified"],
    )


def counted(qs: QuerySet[Rating] | None = None) -> QuerySet[Rating]:
    return (qs if qs is not None else Rating.objects.all()).filter(excluded=False)


def _period(qs: QuerySet[Rating], start: dt.date | None, end: dt.date | None) -> QuerySet[Rating]:
    if start:
        qs = qs.filter(created_at__date__gte=start)
    if end:
        qs = qs.filter(created_at__date__lt=end)
    return qs


def department_figures(
    department: Department, *, start: dt.date | None = None, end: dt.date | None = None
) -> Figures:
    row = _period(counted().filter(department=department), start, end).aggregate(**_counts())
    return _figures(row)


def item_figures(item: Any) -> Figures:  # noqa: ANN401
    return _figures(counted().filter(item=item).aggregate(**_counts()))


def item_has_counted_ratings(item_id: int) -> bool:
    """Whether the item's guide has figures to show (most items have none: an indexed probe)."""
    return counted().filter(item_id=item_id).exists()


@dataclass
class RankingRow:
    rank: int
    department: Department
    figures: Figures


def ranking(
    *, region_code: str = "", start: dt.date | None = None, end: dt.date | None = None
) -> list[RankingRow]:
    qs = _period(counted(), start, end)
    if region_code:
        qs = qs.filter(region_code__startswith=region_code)
    rows = qs.values("department_id").annotate(**_counts())
    departments = Department.objects.in_bulk([r["department_id"] for r in rows])
    scored = [(departments[r["department_id"]], _figures(r)) for r in rows]
    scored.sort(key=lambda pair: (-pair[1].satisfaction_rate, pair[1].bad_rate, -pair[1].total, pair[0].name))
    return [RankingRow(index + 1, dept, fig) for index, (dept, fig) in enumerate(scored)]


def recent_public_comments(department: Department, limit: int = 10) -> list[dict]:
    """Comments shown on a shop page: names masked, default ratings and excluded ones left out."""
    rows = (
        counted()
        .filter(department=department, is_default=False)
        .exclude(comment="")
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "level": r.level,
            "label": r.get_level_display(),
            "comment": r.comment,
            "follow_up": r.follow_up,
            "rater": mask_name(r.rater_name) or "匿名",
            "at": r.created_at,
        }
        for r in rows
    ]


def rectifications_for(user: Any) -> QuerySet[Rectification]:  # noqa: ANN401
    """A department's follow-up tasks for its staff; supervisors see their region and below."""
    return Rectification.objects.filter(permissions.department_filter(user)).select_related(
        "rating", "rating__case", "department"
    )


def overdue_rectifications(user: Any, on: dt.date | None = None) -> QuerySet[Rectification]:  # noqa: ANN401
    on = on or timezone.localdate()
    return rectifications_for(user).filter(
        Q(status=Rectification.Status.OPEN, callback_due__lt=on)
        | Q(status__in=[Rectification.Status.OPEN, Rectification.Status.CALLED_BACK], rectify_due__lt=on)
    )


def in_regions(codes: list[str], field: str) -> Q:
    """``field`` (a region code) lies in one of ``codes`` or below; nothing when there are none."""
    query = Q(pk__in=[])
    for code in codes:
        query |= Q(**{f"{field}__startswith": code})
    return query


def ratings_for_export(
    user: Any, *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Rating]:  # noqa: ANN401
    """Supervisors export the ratings of their region."""
    codes = permissions.supervised_region_codes(user)
    return (
        _period(Rating.objects.filter(in_regions(codes, "region_code")), start, end)
        .select_related("department", "item", "case")
        .order_by("created_at", "id")
    )
