"""Who sees what of a joint case (联办件), and the reads its pages and the API share.

- The lead department's staff (牵头部门) see every child: item, department, status, current step,
  deadline and its colour, and the joint deadline; never another department's form data or
  files (those stay behind ``get_staff_case``, which answers 404 outside the child's department).
- Staff of a department with a child in the joint case see their own children as the lead does
  and every other child only as item, department and status.
- The applicant side sees every child's status and public history, the combined notices and
  the results once released (统一出件).
Anyone else gets NotFound.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity import permissions
from tongban.workdays import calendar

from . import clock
from .access import applicant_filter
from .models import Case, CaseEvent, JointCase, JointNotice

JOINT_WARN_SHARE = 0.2


@dataclass
class ChildRow:
    case: Case
    own: bool  # the viewer's department: full staff view of the child
    detailed: bool  # number, step and deadline shown (own department or the lead)
    colour: str
    due: dt.date | None


@dataclass
class JointView:
    joint: JointCase
    lead: bool
    rows: list[ChildRow]
    colour: str
    notices: list[JointNotice] = field(default_factory=list)


def is_lead(user: User | None, joint: JointCase) -> bool:
    return permissions.can_see_department(user, joint.lead_department)


def _children(joint: JointCase) -> list[Case]:
    return list(
        joint.children.select_related("item", "department", "department__region")
        .defer("data", "workflow_state")
        .order_by("pk")
    )


def get_joint_for_staff(user: User | None, number: str) -> JointCase:
    """The lead's staff and the staff of a department with a child in it; others NotFound."""
    joint = (
        JointCase.objects.select_related("bundle", "lead_department", "lead_department__region")
        .filter(number=number)
        .first()
    )
    if joint is None or not permissions.memberships(user):
        raise NotFound()
    if is_lead(user, joint):
        return joint
    if any(permissions.can_see_department(user, c.department) for c in _children(joint)):
        return joint
    raise NotFound()


def get_joint_for_applicant(user: User | None, number: str) -> JointCase:
    joint = (
        JointCase.objects.filter(applicant_filter(user), number=number)
        .select_related("bundle", "lead_department")
        .first()
    )
    if joint is None:
        raise NotFound()
    return joint


def joint_colour(joint: JointCase, on: dt.date | None = None) -> str:
    """The joint deadline's colour as single cases have it: "none" once released or without a
    joint limit, red when passed, yellow within 2 working days or 20 % of the limit."""
    if joint.released_at is not None or joint.joint_due is None:
        return "none"
    on = on or clock.today()
    if on > joint.joint_due:
        return "red"
    span = max(2, int(JOINT_WARN_SHARE * (joint.joint_limit_days or 0)))
    if on >= calendar.subtract_workdays(joint.joint_due, span):
        return "yellow"
    return "green"


def staff_view(user: User | None, joint: JointCase, on: dt.date | None = None) -> JointView:
    lead = is_lead(user, joint)
    rows = []
    for child in _children(joint):
        own = permissions.can_see_department(user, child.department)
        detailed = own or lead
        rows.append(
            ChildRow(
                child,
                own,
                detailed,
                clock.deadline_colour(child, on) if detailed else "none",
                clock.current_due(child) if detailed and child.is_open else None,
            )
        )
    return JointView(joint, lead, rows, joint_colour(joint, on))


def applicant_view(joint: JointCase, on: dt.date | None = None) -> JointView:
    rows = [ChildRow(c, False, True, "none", None) for c in _children(joint)]
    notices = list(joint.notices.order_by("-created_at", "-pk"))
    return JointView(joint, False, rows, joint_colour(joint, on), notices)


def timeline(joint: JointCase, user: User | None, *, staff: bool) -> QuerySet[CaseEvent]:
    """Every child's history in one line of time. Staff: all lines of the children of their
    department, the public lines of the others (the lead too: another department's internal
    notes are not the lead's); the applicant side: public lines only."""
    events = (
        CaseEvent.objects.filter(case__joint=joint)
        .select_related("case", "case__item", "case__department")
        .order_by("at", "id")
    )
    if not staff:
        return events.filter(public=True)
    own = [c.pk for c in _children(joint) if permissions.can_see_department(user, c.department)]
    return events.filter(public=True) | events.filter(case_id__in=own)


def result_notices(joint: JointCase) -> list[JointNotice]:
    return list(joint.notices.filter(kind=JointNotice.Kind.RESULT).order_by("created_at", "pk"))


def open_correction_notice(joint: JointCase) -> JointNotice | None:
    return (
        joint.notices.filter(kind=JointNotice.Kind.CORRECTION, answered_at__isnull=True)
        .order_by("on_date", "pk")
        .first()
    )


def led_joint_cases(user: User | None) -> QuerySet[JointCase]:
    """Joint cases the user's departments lead, open first, for the lead's list."""
    departments = [m.department_id for m in permissions.memberships(user)]
    return (
        JointCase.objects.filter(lead_department_id__in=departments)
        .select_related("bundle")
        .order_by("released_at", "joint_due", "-submitted_at")
    )
