"""Reads of cases shared by the pages and the API: the staff queue, my cases, a case's story."""

import copy
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.catalog.models import MaterialRequirement, ServiceItem
from tongban.catalog.selectors import published_items
from tongban.core.errors import NotFound
from tongban.core.masking import mask_id_number, mask_mobile
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import EnterpriseAccount, StaffRole

from . import clock
from .access import applicant_cases, can_view_case, get_case_for
from .access import staff_cases as staff_cases  # shared read, re-exported for pages and the API
from .access import step_outcomes as step_outcomes  # the BPMN's offer at the step, part of its rules
from .models import Application, Attachment, Case, CaseEvent, CorrectionRequest, DocumentTemplate

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


def task_filter(user: User | None) -> Q:
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
    user: User | None,
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


def queue_items(user: User | None, selected: int | None = None) -> list[tuple[int, str]]:
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


def my_cases(user: User | None) -> QuerySet[Case]:
    return applicant_cases(user).select_related("item", "department").order_by("-submitted_at")


def timeline(case: Case, *, staff_view: bool) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("at", "id")
    return events if staff_view else events.filter(public=True)


def my_drafts(user: User | None) -> QuerySet[Application]:
    """Unsubmitted applications the user started and may still continue (within 30 days)."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(
            created_by=user,
            status=Application.Status.DRAFT,
            expires_at__gt=timezone.now(),
            joint__isnull=True,
        )
        .select_related("item", "applicant")
        .order_by("-updated_at")
    )


def get_applicant_case(user: User | None, number: str) -> Case:
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


def get_attachment_for(user: User | None, public_id: uuid.UUID | str) -> Attachment:
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


def processing_departments(user: User | None) -> list[int]:
    """Ids of the departments where ``user`` holds a processing role."""
    return sorted({m.department_id for m in permissions.memberships(user) if m.role in PROCESSING_ROLES})


def get_staff_case(user: User | None, number: str) -> Case:
    """A case for the staff pages: only staff who may see its department (applicants who
    happen to be staff too use their own pages)."""
    case = get_case_for(user, number)
    if not permissions.can_see_department(user, case.department):
        raise NotFound()
    return case


def open_correction(case: Case) -> CorrectionRequest | None:
    """The correction notice the applicant has not answered yet."""
    return case.corrections.filter(answered_at__isnull=True).prefetch_related("materials").first()


def corrections(case: Case) -> QuerySet[CorrectionRequest]:
    return case.corrections.prefetch_related("materials").all()


def item_materials(of: Case | Application, ids: Iterable[int] | None = None) -> list[MaterialRequirement]:
    """The materials of the item of a case or draft (only those of ``ids`` when given; ids of
    another item's materials are ignored)."""
    materials = MaterialRequirement.objects.filter(item_id=of.item_id)
    if ids is not None:
        materials = materials.filter(pk__in=list(ids))
    return list(materials)


def published_item(code: str) -> ServiceItem | None:
    return published_items().filter(code=code).first()


def item_to_apply(code: str) -> ServiceItem:
    """A published item with what the one-time notice lists; NotFound otherwise."""
    item = published_items().prefetch_related("materials", "fees").filter(code=code).first()
    if item is None:
        raise NotFound()
    return item


def enterprise(pk: int) -> EnterpriseAccount | None:
    """The enterprise an applicant names (whether they may act for it is the service's check)."""
    return EnterpriseAccount.objects.filter(pk=pk).first()


def case_number_of(application: Application) -> str | None:
    """The number of the case a draft became, None while it is a draft."""
    return Case.objects.filter(application=application).values_list("number", flat=True).first()


def case_with_item(pk: int) -> Case:
    return Case.objects.select_related("item", "department").get(pk=pk)


def intake_departments(user: User | None) -> dict[int, Department]:
    """The departments where ``user`` may take applications at the window (受理 role)."""
    return {
        m.department_id: m.department for m in permissions.memberships(user) if m.role == StaffRole.INTAKE
    }


def window_items(departments: Iterable[int]) -> list[ServiceItem]:
    return list(
        published_items().filter(department_id__in=list(departments)).order_by("department_id", "name")
    )


def wording_history(department: Department | None, item_type: str, kind: str) -> QuerySet[DocumentTemplate]:
    """The last ten saved wordings of one letter, newest first."""
    return DocumentTemplate.objects.filter(
        department=department, item_type=item_type, kind=kind
    ).select_related("created_by")[:10]


def wording_department(scope: str) -> Department:
    """The department a wording address names by id; NotFound otherwise."""
    department = None
    if scope.isdigit():
        department = Department.objects.select_related("region").filter(pk=int(scope)).first()
    if department is None:
        raise NotFound()
    return department


# ---------------------------------------------------------------- personal identifiers

_MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}


def _personal_paths(schema: dict) -> list[tuple[str, str | None, str]]:
    """(field, sub-field of a table or None, widget) for every ID or mobile number a form asks."""
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        widget = prop.get("x-widget", "")
        if widget in _MASKS:
            found.append((name, None, widget))
        elif widget == "rows":
            for sub, sub_prop in ((prop.get("items") or {}).get("properties") or {}).items():
                if sub_prop.get("x-widget", "") in _MASKS:
                    found.append((name, sub, sub_prop["x-widget"]))
    return found


def masked_data(case: Case) -> dict:
    """The case's answers with every ID and mobile number masked: what staff see until they
    reveal them with a stated purpose (``services.reveal_identifiers``)."""
    data = copy.deepcopy(case.data or {})
    for name, sub, widget in _personal_paths(case.form.schema if case.form else {}):
        value = data.get(name)
        if sub is None and isinstance(value, str):
            data[name] = _MASKS[widget](value)
        elif sub is not None and isinstance(value, list):
            for row in value:
                if isinstance(row, dict) and isinstance(row.get(sub), str):
                    row[sub] = _MASKS[widget](row[sub])
    return data


def personal_identifiers(case: Case) -> dict[str, str]:
    """Every ID and mobile number in the case, in full, by field (``rows.2.id_number`` in a table)."""
    data = case.data or {}
    found = {}
    for name, sub, _widget in _personal_paths(case.form.schema if case.form else {}):
        value = data.get(name)
        if sub is None and isinstance(value, str) and value:
            found[name] = value
        elif sub is not None and isinstance(value, list):
            for i, row in enumerate(value):
                if isinstance(row, dict) and isinstance(row.get(sub), str) and row[sub]:
                    found[f"{name}.{i}.{sub}"] = row[sub]
    return found


# How long a figure for the supervisors' dashboards may be reused: it has no event cursor of its
# own, so a short time bounds how stale it can be while a page view stays a cache read.
FIGURES_TTL = 300


def joint_child_count(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    """Cases submitted as a child of a 一件事 joint case in a region (code prefix: summed upwards)
    or department and ``[since, until)``: the numerator of 电子监察's 一件事 share. Read through
    the ``joint`` index (only the joint children are touched) and cached ``FIGURES_TTL``."""
    key = f"cases:joint-children:{region_code}:{department_id}:{since}:{until}".replace(" ", "T")

    def count() -> int:
        cases = Case.objects.filter(joint__isnull=False)
        if region_code:
            cases = cases.filter(region_code__startswith=region_code)
        if department_id is not None:
            cases = cases.filter(department_id=department_id)
        if since is not None:
            cases = cases.filter(submitted_at__gte=since)
        if until is not None:
            cases = cases.filter(submitted_at__lt=until)
        return cases.count()

    return cache.get_or_set(key, count, FIGURES_TTL)
