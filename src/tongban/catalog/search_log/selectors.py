"""The catalogue admin's reads of the search log: what people did not find, and what they did
not open."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import SearchClick, SearchQuery, SearchQueryReview
from tongban.core.types import User
from tongban.departments.models import Department

# Roles that maintain the catalogue as a whole (the synonyms serve every region's search).
REVIEWER_ROLES = ("catalogue", "platform_admin")
PERIODS = {
    "week": _("本周"),
    "last_week": _("上周"),
    "30d": _("近 30 天"),
    "today": _("今天"),
}
DEFAULT_PERIOD = "week"
LIST_LIMIT = 50


def can_review(user: User | None) -> bool:
    """Catalogue admins (事项管理 in any department), platform admins and superusers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "kind", None) != "staff":
        return False
    if user.is_superuser:
        return True
    return Department.objects.filter(
        staff_memberships__user=user, staff_memberships__role__in=REVIEWER_ROLES
    ).exists()


def period_range(period: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of ``period`` (an unknown one is this week); weeks start on Monday."""
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    if period == "last_week":
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if period == "30d":
        return today - dt.timedelta(days=29), today
    if period == "today":
        return today, today
    return monday, today


@dataclass
class LoggedQuery:
    normalized: str
    query: str  # one of the texts as typed, personal numbers masked
    searches: int
    zero_result_searches: int
    result_count: int | None
    last_day: dt.date
    outcome: str = ""  # of a review made on or after last_day, if any

    @property
    def open(self) -> bool:
        return not self.outcome


def _in_period(start: dt.date, end: dt.date):
    return SearchQuery.objects.filter(day__gte=start, day__lte=end)


def _grouped(rows, order: str) -> list[LoggedQuery]:
    grouped = (
        rows.values("normalized")
        .annotate(
            total=Sum("searches"),
            zero=Sum("zero_result_searches"),
            last_day=Max("day"),
            sample=Max("query"),
            count=Max("result_count"),
        )
        .order_by(order, "normalized")
    )
    return [
        LoggedQuery(
            normalized=row["normalized"],
            query=row["sample"],
            searches=row["total"] or 0,
            zero_result_searches=row["zero"] or 0,
            result_count=row["count"],
            last_day=row["last_day"],
        )
        for row in grouped
    ]


def _with_reviews(queries: list[LoggedQuery], include_reviewed: bool, limit: int | None) -> list[LoggedQuery]:
    """Mark the queries reviewed since they last occurred; keep or drop them; cut to ``limit``."""
    reviews = {
        r.normalized: r
        for r in SearchQueryReview.objects.filter(normalized__in=[q.normalized for q in queries])
    }
    kept = []
    for query in queries:
        review = reviews.get(query.normalized)
        if review is not None and timezone.localdate(review.reviewed_at) >= query.last_day:
            query.outcome = review.get_outcome_display()
        if include_reviewed or query.open:
            kept.append(query)
        if limit is not None and len(kept) >= limit:
            break
    return kept


def zero_result_queries(
    start: dt.date, end: dt.date, *, include_reviewed: bool = False, limit: int | None = LIST_LIMIT
) -> list[LoggedQuery]:
    """Queries that found nothing in the period, the most frequent first."""
    rows = _in_period(start, end).filter(zero_result_searches__gt=0)
    queries = _grouped(rows, "-zero")
    return _with_reviews(queries, include_reviewed, limit)


def no_click_queries(
    start: dt.date, end: dt.date, *, include_reviewed: bool = False, limit: int | None = LIST_LIMIT
) -> list[LoggedQuery]:
    """Queries that found something in the period, yet no result was ever opened from them."""
    clicked = SearchClick.objects.filter(query_key=OuterRef("key"))
    period = _in_period(start, end)
    with_clicks = period.filter(Exists(clicked)).values("normalized")
    rows = period.filter(result_count__gt=0).exclude(normalized__in=with_clicks)
    queries = _grouped(rows, "-total")
    return _with_reviews(queries, include_reviewed, limit)


def open_zero_result_count(today: dt.date | None = None) -> int:
    """This week's zero-result queries nobody has dealt with yet (the workbench tile)."""
    start, end = period_range("week", today)
    return len(zero_result_queries(start, end, limit=None))
