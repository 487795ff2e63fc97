"""Reads of cases shared by the pages and the API: the staff queue, my cases, a case's story."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet

from tongban.identity import permissions

from . import clock
from .access import applicant_cases
from .models import Case, CaseEvent

PROCESSING_ROLES = ("intake", "review", "decide", "issue")
DEADLINE_FILTERS = ("red", "yellow", "green", "paused")


@dataclass
class QueueRow:
    case: Case
    colour: str


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def task_filter(user: Any) -> Q:  # noqa: ANN401
    """Open cases waiting for one of the user's roles in that role's department."""
    query = Q(pk__in=[])
    by_department: dict[int, set[str]] = {}
    for membership in permissions.memberships(user):
        if membership.role in PROCESSING_ROLES:
            by_department.setdefault(membership.department_id, set()).add(membership.role)
    for department_id, roles in by_department.items():
        query |= Q(department_id=department_id, current_role__in=sorted(roles))
    return query


def staff_queue(
    user: Any,  # noqa: ANN401
    *,
    item_id: int | None = None,
    status: str | None = None,
    deadline: str | None = None,
    applicant: str | None = None,
    mine: bool = False,
    page: int = 1,
    page_size: int = 20,
    on: dt.date | None = None,
) -> QueuePage:
    on = on or clock.today()
    qs = Case.objects.filter(task_filter(user), status__in=Case.OPEN_STATUSES)
    if item_id:
        qs = qs.filter(item_id=item_id)
    if status:
        qs = qs.filter(status=status)
    if applicant:
        qs = qs.filter(Q(applicant_name__icontains=applicant) | Q(number=applicant.strip()))
    if mine:
        qs = qs.filter(assignee=user)
    if deadline == "red":
        qs = qs.filter(due_date__lt=on)
    elif deadline == "yellow":
        qs = qs.filter(due_date__gte=on, warn_date__lte=on)
    elif deadline == "green":
        qs = qs.filter(warn_date__gt=on)
    elif deadline == "paused":
        qs = qs.filter(paused_since__isnull=False)
    qs = qs.select_related("item", "assignee").order_by("due_date", "submitted_at", "id")
    paginator = Paginator(qs, page_size)
    page_obj = paginator.get_page(page)
    rows = [QueueRow(case, clock.deadline_colour(case, on)) for case in page_obj.object_list]
    return QueuePage(rows, paginator.count, page_obj.number, paginator.num_pages)


def my_cases(user: Any) -> QuerySet[Case]:  # noqa: ANN401
    return applicant_cases(user).select_related("item", "department").order_by("-submitted_at")


def timeline(case: Case, *, staff_view: bool) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("at", "id")
    return events if staff_view else events.filter(public=True)
