"""Reads of cases shared by the pages and the API: the staff queue, my cases, a case's story."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound
from tongban.identity import permissions
from tongban.workflow.selectors import process_for

from . import clock
from .access import applicant_cases, can_view_case
from .access import staff_cases as staff_cases  # shared read, re-exported for pages and the API
from .models import Application, Attachment, Case, CaseEvent

PROCESSING_ROLES = ("intake", "review", "decide", "issue")

# Warnings for the staff who conclude a case: apps above cases register functions returning a
# sentence or "" (tongban.certificates: the item issues no licence although 出证 is offered).
CONCLUDE_WARNINGS: list[Callable[[Case], str]] = []


def conclude_warnings(case: Case) -> list[str]:
    """What staff should know before concluding ``case`` (only while it waits to be concluded)."""
    if case.status != Case.Status.PENDING_ISSUE:
        return []
    return [text for check in CONCLUDE_WARNINGS if (text := check(case))]


DEADLINE_FILTERS = ("red", "yellow", "green", "paused")


# What the queue page and the API's rows read (anything else would be loaded per row).
QUEUE_COLUMNS = (
    "number",
    "item__code",
    "item__name",
    "department__name",
    "applicant_name",
    "channel",
    "status",
    "result",
    "current_step",
    "current_step_title",
    "current_role",
    "assignee__username",
    "assignee__real_name",
    "assignee__mobile",
    "submitted_at",
    "accepted_at",
    "concluded_at",
    "due_date",
    "warn_date",
    "legal_due",
    "promised_due",
    "due_estimated",
    "paused_since",
    "version",
)


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
    # The page's ids are found first (sorting the queue's rows without joining anything), then
    # only those rows are read with their item, department and assignee (one query, not one per
    # row) and only the columns a row shows: an item has 45 columns of guide text, a case its
    # form data and workflow state. Joining before the sort read every queued case's item.
    order = ("due_date", "submitted_at", "id")
    paginator = Paginator(qs.order_by(*order).values_list("pk", flat=True), page_size)
    page_obj = paginator.get_page(page)
    page_obj.object_list = (
        Case.objects.filter(pk__in=page_obj.object_list)
        .select_related("item", "department", "assignee")
        .only(*QUEUE_COLUMNS)
        .order_by(*order)
    )
    rows = [QueueRow(case, clock.deadline_colour(case, on)) for case in page_obj.object_list]
    return QueuePage(rows, paginator.count, page_obj.number, paginator.num_pages)


def queue_items(user: Any, selected: int | None = None) -> list[tuple[int, str]]:  # noqa: ANN401
    """(id, name) of the items with open tasks in the user's queue, for the item filter, plus
    the selected one if it belongs to the user's departments. A district bureau publishes
    hundreds of items, most with nothing waiting; listing only these keeps the page smaller."""
    waiting = (
        Case.objects.filter(task_filter(user), status__in=Case.OPEN_STATUSES)
        .order_by()
        .values("item_id")
        .distinct()
    )
    items = list(ServiceItem.objects.filter(pk__in=waiting).order_by().values_list("pk", "name"))
    if selected and all(pk != selected for pk, _ in items):
        # Its own query: OR-ing it into the one above makes PostgreSQL scan every item.
        departments = {m.department_id for m in permissions.memberships(user) if m.role in PROCESSING_ROLES}
        items += ServiceItem.objects.filter(pk=selected, department_id__in=departments).values_list(
            "pk", "name"
        )
    # Sorted here: the database's collation sort of a few hundred names costs more than the scan.
    return sorted(items, key=lambda r: (r[1], r[0]))


def my_cases(user: Any) -> QuerySet[Case]:  # noqa: ANN401
    return applicant_cases(user).select_related("item", "department").order_by("-submitted_at")


def timeline(case: Case, *, staff_view: bool) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("at", "id")
    return events if staff_view else events.filter(public=True)


def my_drafts(user: Any) -> QuerySet[Application]:  # noqa: ANN401
    """Unsubmitted applications the user started and may still continue (within 30 days)."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(
            created_by=user, status=Application.Status.DRAFT, expires_at__gt=timezone.now()
        )
        .select_related("item", "applicant")
        .order_by("-updated_at")
    )


def get_applicant_case(user: Any, number: str) -> Case:  # noqa: ANN401
    """A case seen from the applicant's side (own or an enterprise's); others get NotFound."""
    case = (
        applicant_cases(user)
        .select_related("item", "department", "enterprise", "application", "form")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def current_attachments(application: Application) -> list[Attachment]:
    """The files that count now (replaced or removed ones are kept for the record only)."""
    return list(
        application.attachments.filter(replaced=False).select_related("requirement").order_by("uploaded_at")
    )


def get_attachment_for(user: Any, public_id: Any) -> Attachment:  # noqa: ANN401
    """A file by its public id, for whoever may see it: the draft's author, the case's
    applicant side, or staff who may see the case's department. Anyone else: NotFound."""
    attachment = (
        Attachment.objects.select_related("application", "application__case")
        .filter(public_id=public_id)
        .first()
    )
    if attachment is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    application = attachment.application
    case = getattr(application, "case", None) if application.status == Application.Status.SUBMITTED else None
    if case is not None:
        if can_view_case(user, case):
            return attachment
    elif application.created_by_id == user.pk:
        return attachment
    raise NotFound()


def step_outcomes(case: Case) -> tuple[str, ...]:
    """The outcomes the BPMN offers at the case's current step (what staff may choose)."""
    if not case.current_step:
        return ()
    task = process_for(case.process_id, case.process.digest).shape.tasks.get(case.current_step)
    return task.outcomes if task else ()
