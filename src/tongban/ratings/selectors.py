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
import uuid
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tongban.cases.models import Case
from tongban.cases.selectors import staff_cases
from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound
from tongban.core.masking import mask_name
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.regions.codes import ancestor_codes
from tongban.regions.models import Region

from .models import BAD_LEVELS, Appeal, Level, Rating, Rectification, WindowVisit


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


def item_figures(item: ServiceItem) -> Figures:
    return _figures(counted().filter(item=item).aggregate(**_counts()))


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


def rectifications_for(user: User | None) -> QuerySet[Rectification]:
    """A department's follow-up tasks for its staff; supervisors see their region and below."""
    return (
        Rectification.objects.filter(permissions.department_filter(user))
        .select_related("rating", "rating__case", "department")
        .defer("rating__case__data")
    )


def overdue_rectifications(user: User | None, on: dt.date | None = None) -> QuerySet[Rectification]:
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
    user: User | None, *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Rating]:
    """Supervisors export the ratings of their region."""
    codes = permissions.supervised_region_codes(user)
    return (
        _period(Rating.objects.filter(in_regions(codes, "region_code")), start, end)
        .select_related("department", "item", "case")
        .order_by("created_at", "id")
    )


# ---------------------------------------------------------------- what the pages and the API fetch


def rating_of_case(case: Case) -> Rating | None:
    return Rating.objects.filter(case=case).select_related("department").first()


def rectification_of(rating: Rating) -> Rectification | None:
    rect = Rectification.objects.filter(rating=rating).first()
    if rect is not None:
        rect.rating = rating
    return rect


def get_rating(pk: int) -> Rating:
    """A rating by id, for services that check who may act on it."""
    found = Rating.objects.select_related("department").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def get_appeal(pk: int) -> Appeal:
    found = Appeal.objects.select_related("department__region").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def rater_rectification(user: User | None, pk: int) -> Rectification:
    """A follow-up as the person who gave the rating sees it; anyone else gets NotFound."""
    rect = (
        Rectification.objects.select_related("rating", "rating__case", "rating__case__item", "department")
        .filter(pk=pk, rating__rater=user)
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if rect is None:
        raise NotFound()
    return rect


def task(user: User | None, pk: int) -> Rectification:
    """One follow-up task, for the department's staff and the supervisors above it."""
    rect = (
        rectifications_for(user)
        .select_related("rating__item", "rating__rater", "rating__case__applicant", "handled_by")
        .filter(pk=pk)
        .first()
    )
    if rect is None:
        raise NotFound()
    return rect


def recently_rectified(user: User | None, limit: int = 20) -> QuerySet[Rectification]:
    return (
        rectifications_for(user)
        .filter(status=Rectification.Status.RECTIFIED)
        .select_related("rating__item")
        .order_by("-rectified_at")[:limit]
    )


def department_case(user: User | None, department: Department, number: str) -> Case | None:
    """A case of ``department`` that ``user`` sees as staff (a window visit may name one)."""
    return staff_cases(user).filter(number=number, department=department).first()


def recent_visits(clerk: User, limit: int = 10) -> QuerySet[WindowVisit]:
    return (
        WindowVisit.objects.filter(clerk=clerk)
        .annotate(rated=Exists(Rating.objects.filter(visit=OuterRef("pk"))))
        .select_related("department", "case")[:limit]
    )


def staff_visit(user: User | None, token: uuid.UUID) -> WindowVisit:
    """A window visit as the staff of its department see it (with its QR code)."""
    ids = [m.department_id for m in permissions.memberships(user)]
    visit = (
        WindowVisit.objects.select_related("department", "case", "item")
        .filter(token=token, department__in=ids)
        .first()
    )
    if visit is None:
        raise NotFound()
    return visit


def visit_by_token(token: uuid.UUID) -> WindowVisit:
    """The visit behind a QR code, for whoever scanned it."""
    found = WindowVisit.objects.select_related("department", "item").filter(token=token).first()
    if found is None:
        raise NotFound()
    return found


def visit_rated(visit: WindowVisit) -> bool:
    return Rating.objects.filter(visit=visit).exists()


def received(user: User | None, level: int | None = None) -> QuerySet[Rating]:
    """Every rating of the user's own departments, newest first (the model's order)."""
    ids = [m.department_id for m in permissions.memberships(user)]
    ratings = (
        Rating.objects.filter(department__in=ids)
        .select_related("department", "item", "case", "rectification")
        .prefetch_related("appeals")
    )
    return ratings if level is None else ratings.filter(level=level)


def received_rating(user: User | None, pk: int) -> Rating:
    """One rating of the user's own departments (to appeal it)."""
    ids = [m.department_id for m in permissions.memberships(user)]
    found = (
        Rating.objects.select_related("department", "item", "case").filter(pk=pk, department__in=ids).first()
    )
    if found is None:
        raise NotFound()
    return found


def appeals_of(rating: Rating) -> list[Appeal]:
    """A rating's appeals, newest first, with who filed and who decided them."""
    return list(rating.appeals.select_related("submitted_by", "decided_by"))


def pending_appeals(user: User | None, limit: int = 100) -> QuerySet[Appeal]:
    """Appeals waiting for a supervisor of the region, oldest first."""
    codes = permissions.supervised_region_codes(user)
    return (
        Appeal.objects.filter(status=Appeal.Status.PENDING)
        .filter(in_regions(codes, "department__region__code"))
        .select_related("rating", "department")
        .order_by("submitted_at")[:limit]
    )


def supervised_appeal(user: User | None, pk: int) -> Appeal:
    codes = permissions.supervised_region_codes(user)
    found = (
        Appeal.objects.select_related(
            "rating__item", "rating__case", "department", "department__region", "submitted_by", "decided_by"
        )
        .filter(in_regions(codes, "department__region__code"), pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def regions_by_code(codes: list[str]) -> dict[str, Region]:
    return {r.code: r for r in Region.objects.filter(code__in=codes)}


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def rated_regions(selected: Region | None = None) -> list[Region]:
    """Regions that hold rated departments, with their ancestors (for the region filter)."""
    rated = (
        Department.objects.filter(Exists(Rating.objects.filter(department=OuterRef("pk"))))
        .values_list("region__code", flat=True)
        .distinct()[:500]
    )
    codes: set[str] = set()
    for code in rated:
        codes.update(ancestor_codes(code))
    if selected is not None:
        codes.update(ancestor_codes(selected.code))
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def public_department(pk: int) -> Department:
    found = Department.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise NotFound()
    return found


def callback_contact(rating: Rating) -> dict[str, str]:
    """Who to call back about a rating: the applicant's number from the case, else the rater's
    account (in full: pages mask it unless revealed with ``services.reveal_contact``)."""
    case = rating.case
    mobile = ""
    if case is not None:
        mobile = str((case.data or {}).get("mobile") or "") or (case.applicant.mobile or "")
    elif rating.rater is not None:
        mobile = rating.rater.mobile or ""
    return {"name": rating.rater_name or (case.applicant_name if case else ""), "mobile": mobile}
