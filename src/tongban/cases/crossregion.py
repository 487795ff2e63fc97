"""跨域通办 reads shared by the pages, the API and supervision's statistics.

A case of an item marked 跨域通办 records how it was handled (``Case.handling_mode``):
全程网办 (applied online), 异地代收代办 (taken in at a window of another region, the
receiving office 收件地, and decided by the competent department of the item's region) or
多地联办 (a joint case whose children lie in several regions). The receiving office sees the
cases it took in as status and history only; the decision tools and the form data stay with
the competent department (``cases.access``).
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from tongban.catalog.models import ServiceItem
from tongban.catalog.selectors import published_items
from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Case, CaseEvent

LOCAL, ONLINE, PROXY, MULTI = (
    Case.HandlingMode.LOCAL,
    Case.HandlingMode.ONLINE,
    Case.HandlingMode.PROXY,
    Case.HandlingMode.MULTI,
)
CROSS_REGION_MODES = (ONLINE, PROXY, MULTI)


def receiving_departments(user: User | None) -> dict[int, Department]:
    """The departments where ``user`` may take in 跨域通办 applications (受理 role)."""
    return {
        m.department_id: m.department for m in permissions.memberships(user) if m.role == StaffRole.INTAKE
    }


def receivable_items(departments: Iterable[Department]) -> list[ServiceItem]:
    """Published 跨域通办 items of other regions a receiving window may take in: every
    region but the receiving departments' own (there the ordinary 一窗受理 applies)."""
    own_regions = {d.region.code for d in departments}
    items = (
        published_items()
        .filter(cross_region=True)
        .select_related("department", "department__region")
        .order_by("region_code", "department_id", "name")
    )
    return [i for i in items if i.region_code not in own_regions]


def received_cases(user: User | None) -> QuerySet[Case]:
    """The cases the user's departments took in as receiving office (newest first)."""
    departments = {m.department_id for m in permissions.memberships(user)}
    if not departments:
        return Case.objects.none()
    return (
        Case.objects.filter(receiving_department_id__in=departments)
        .select_related("item", "department", "department__region", "receiving_department")
        .only(
            "number",
            "status",
            "current_step_title",
            "submitted_at",
            "concluded_at",
            "applicant_name",
            "handling_mode",
            "delivery",
            "receiving_department__name",
            "item__name",
            "item__code",
            "department__name",
            "department__phone",
            "department__region__name",
            "department__region__code",
        )
        .order_by("-submitted_at", "-id")
    )


def received_case(user: User | None, number: str) -> Case:
    """One case as its receiving office sees it; anyone else (the competent department
    included: it has its own page) gets NotFound."""
    case = received_cases(user).filter(number=number).first()
    if case is None:
        raise NotFound()
    return case


def received_timeline(case: Case) -> QuerySet[CaseEvent]:
    """What the receiving office follows: the public history (what the applicant sees too)."""
    return case.events.filter(public=True).order_by("at", "id")


def handling_mode_counts(
    *,
    region_code: str | None = None,
    department_ids: Iterable[int] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    by: tuple[str, ...] = ("region_code", "handling_mode"),
) -> list[dict]:
    """Cases counted by handling mode for statistics (supervision): one row per value of
    ``by`` (any of ``region_code``, ``department_id``, ``receiving_region_code``,
    ``receiving_department_id``, ``handling_mode``) with ``n``. ``region_code`` keeps cases of
    that region and below (the competent side), ``since``/``until`` bound the submission day
    (inclusive), ``department_ids`` the competent departments. Local cases count under "".
    """
    allowed = {
        "region_code",
        "department_id",
        "receiving_region_code",
        "receiving_department_id",
        "handling_mode",
    }
    if not by or set(by) - allowed:
        raise ValueError(f"handling_mode_counts: group by {sorted(allowed)}")
    query = Q()
    if region_code:
        query &= Q(region_code__startswith=region_code)
    if department_ids is not None:
        query &= Q(department_id__in=list(department_ids))
    if since:
        query &= Q(submitted_at__date__gte=since)
    if until:
        query &= Q(submitted_at__date__lte=until)
    return list(Case.objects.filter(query).order_by().values(*by).annotate(n=Count("id")).order_by(*by))
