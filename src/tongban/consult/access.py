"""Who may do what with a request (诉求): one ``check_<action>`` per rule, called by the service,
and one ``can_<action>`` the pages ask before they offer the action.

- The 12345 centre's staff (any role in the centre's department) record calls, dispatch, decide
  on extensions, raise 督办, call back, merge duplicates and publish answers, for the requests of
  their centre.
- A department's handlers (受理, 审核 or 决定 in that department) accept or return what was
  dispatched to it, answer it, ask for an extension once and answer 督办; a joint handler gives
  its opinion.
- The requester sees their own requests (signed in, or with the request's token when anonymous)
  and rates the answer. Outsiders get NotFound.
"""

from collections.abc import Callable

from tongban.cases.access import refusal
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Assignment, Centre, KindRule, Petition

HANDLER_ROLES = (StaffRole.INTAKE, StaffRole.REVIEW, StaffRole.DECIDE)
WITH_DEPARTMENT = (Petition.Status.DISPATCHED, Petition.Status.HANDLING)


def _allowed[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> bool:
    return refusal(check, *args, **kwargs) is None


def _signed_in(user: User | None) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def centres_of(user: User | None) -> list[Centre]:
    """The 12345 centres whose department the user works in."""
    if not _signed_in(user):
        return []
    departments = {m.department_id for m in permissions.memberships(user)}
    if not departments:
        return []
    return list(Centre.objects.filter(department_id__in=departments).select_related("department", "region"))


def is_centre_staff(user: User | None, centre: Centre | None) -> bool:
    return centre is not None and any(c.pk == centre.pk for c in centres_of(user))


def handler_departments(user: User | None) -> list[Department]:
    """Departments in which the user handles requests."""
    if not _signed_in(user):
        return []
    found: dict[int, Department] = {}
    for membership in permissions.memberships(user):
        if membership.role in HANDLER_ROLES:
            found[membership.department_id] = membership.department
    return list(found.values())


def is_handler(user: User | None, department: Department | None) -> bool:
    return department is not None and any(d.pk == department.pk for d in handler_departments(user))


def is_requester(user: User | None, petition: Petition, token: str | None = None) -> bool:
    if _signed_in(user) and petition.requester_id == user.pk:
        return True
    return bool(token) and token == petition.token


def can_see(user: User | None, petition: Petition, token: str | None = None) -> bool:
    if is_requester(user, petition, token) or is_centre_staff(user, petition.centre):
        return True
    if not _signed_in(user):
        return False
    assigned = {a.department_id for a in petition.assignments.all()}
    if any(d.pk in assigned for d in handler_departments(user)):
        return True
    return (
        petition.department is not None
        and permissions.has_role(user, StaffRole.SUPERVISOR)
        and (permissions.can_see_department(user, petition.department))
    )


def check_see(user: User | None, petition: Petition, token: str | None = None) -> None:
    if not can_see(user, petition, token):
        raise NotFound()


# ---------------------------------------------------------------- submitting


def check_submit(user: User | None, rule: KindRule, anonymous: bool) -> None:
    """Anonymous requests only of the kinds that allow it (咨询, 建议, 举报 by default)."""
    if (anonymous or not _signed_in(user)) and not rule.anonymous_allowed:
        if not _signed_in(user):
            raise PermissionDenied(
                f"“{rule.get_kind_display()}”须实名提交，请先登录。", code="sign_in_required"
            )
        raise InvalidInput(f"“{rule.get_kind_display()}”不能匿名提交。", field="anonymous")


def check_record_call(user: User | None) -> None:
    if not centres_of(user):
        raise PermissionDenied("只有 12345 热线中心的工作人员可以登记来电。")


# ---------------------------------------------------------------- the centre


def _check_centre(user: User | None, petition: Petition) -> None:
    if not is_centre_staff(user, petition.centre):
        if can_see(user, petition):
            raise PermissionDenied("只有 12345 热线中心的工作人员可以这样做。")
        raise NotFound()


def check_dispatch(user: User | None, petition: Petition) -> None:
    _check_centre(user, petition)
    if petition.status != Petition.Status.NEW:
        raise InvalidInput("只有待派单的诉求可以派单。", code="wrong_status")


def can_dispatch(user: User | None, petition: Petition) -> bool:
    return _allowed(check_dispatch, user, petition)


def check_decide_extension(user: User | None, petition: Petition) -> None:
    _check_centre(user, petition)
    if petition.extension_state != "asked":
        raise InvalidInput("没有待审核的延期申请。", code="no_extension_request")


def can_decide_extension(user: User | None, petition: Petition) -> bool:
    return _allowed(check_decide_extension, user, petition)


def check_escalate(user: User | None, petition: Petition) -> None:
    _check_centre(user, petition)
    if petition.status not in WITH_DEPARTMENT:
        raise InvalidInput("只有部门办理中的诉求可以督办。", code="wrong_status")


def can_escalate(user: User | None, petition: Petition) -> bool:
    return _allowed(check_escalate, user, petition)


def check_callback(user: User | None, petition: Petition) -> None:
    _check_centre(user, petition)
    if petition.status != Petition.Status.ANSWERED:
        raise InvalidInput("答复后才能回访。", code="wrong_status")


def can_callback(user: User | None, petition: Petition) -> bool:
    return _allowed(check_callback, user, petition)


def check_merge(user: User | None, petition: Petition, into: Petition) -> None:
    _check_centre(user, petition)
    if into.pk == petition.pk or into.centre_id != petition.centre_id:
        raise InvalidInput("不能合并到这件诉求。", field="into")
    if petition.status != Petition.Status.NEW or not into.is_open:
        raise InvalidInput("只有待派单的诉求可以并入另一件未办结的诉求。", code="wrong_status")


def check_publish(user: User | None, petition: Petition) -> None:
    _check_centre(user, petition)
    if petition.kind != "consult" or petition.status not in (
        Petition.Status.ANSWERED,
        Petition.Status.CLOSED,
    ):
        raise InvalidInput("只有已答复的咨询可以公开为常见问题。", code="wrong_status")
    if hasattr(petition, "published_answer"):
        raise InvalidInput("这件咨询已经公开。", code="already_published")


def can_publish(user: User | None, petition: Petition) -> bool:
    return _allowed(check_publish, user, petition)


# ---------------------------------------------------------------- the department


def lead_assignment(petition: Petition) -> Assignment | None:
    return next((a for a in petition.assignments.all() if a.lead and a.status != a.Status.RETURNED), None)


def _check_lead(user: User | None, petition: Petition) -> None:
    if petition.department is None or not is_handler(user, petition.department):
        if can_see(user, petition):
            raise PermissionDenied("只有承办部门的工作人员可以这样做。")
        raise NotFound()


def check_accept(user: User | None, petition: Petition) -> None:
    _check_lead(user, petition)
    if petition.status != Petition.Status.DISPATCHED:
        raise InvalidInput("只有待签收的诉求可以签收。", code="wrong_status")


def can_accept(user: User | None, petition: Petition) -> bool:
    return _allowed(check_accept, user, petition)


def check_return(user: User | None, petition: Petition) -> None:
    _check_lead(user, petition)
    if petition.status not in WITH_DEPARTMENT or petition.reopen_count:
        raise InvalidInput("只有新派来、尚未答复的诉求可以退单。", code="wrong_status")


def can_return(user: User | None, petition: Petition) -> bool:
    return _allowed(check_return, user, petition)


def check_answer(user: User | None, petition: Petition) -> None:
    _check_lead(user, petition)
    if petition.status not in (Petition.Status.HANDLING, Petition.Status.ESCALATED):
        raise InvalidInput("请先签收，再答复。", code="wrong_status")
    pending = [
        a
        for a in petition.assignments.all()
        if not a.lead and a.status in (a.Status.PENDING, a.Status.ACCEPTED)
    ]
    if pending:
        raise InvalidInput("还有协办部门未反馈意见，暂不能答复。", code="joint_pending")


def can_answer(user: User | None, petition: Petition) -> bool:
    return _allowed(check_answer, user, petition)


def check_request_extension(user: User | None, petition: Petition, rule: KindRule) -> None:
    _check_lead(user, petition)
    if petition.status != Petition.Status.HANDLING:
        raise InvalidInput("签收后、答复前才能申请延期。", code="wrong_status")
    if not rule.extension_workdays:
        raise InvalidInput(f"“{rule.get_kind_display()}”不能延期。", code="no_extension")
    if petition.extension_state:
        raise InvalidInput("每件诉求只能申请一次延期。", code="extension_once")


def can_request_extension(user: User | None, petition: Petition, rule: KindRule) -> bool:
    return _allowed(check_request_extension, user, petition, rule)


def joint_assignment(user: User | None, petition: Petition) -> Assignment | None:
    for assignment in petition.assignments.all():
        if not assignment.lead and is_handler(user, assignment.department):
            return assignment
    return None


def check_contribute(user: User | None, petition: Petition) -> Assignment:
    assignment = joint_assignment(user, petition)
    if assignment is None:
        if can_see(user, petition):
            raise PermissionDenied("只有协办部门的工作人员可以反馈协办意见。")
        raise NotFound()
    if assignment.status not in (Assignment.Status.PENDING, Assignment.Status.ACCEPTED):
        raise InvalidInput("协办意见已经反馈。", code="wrong_status")
    if petition.status not in WITH_DEPARTMENT:
        raise InvalidInput("诉求不在办理中。", code="wrong_status")
    return assignment


def can_contribute(user: User | None, petition: Petition) -> bool:
    return _allowed(check_contribute, user, petition)


# ---------------------------------------------------------------- the requester


def check_rate(user: User | None, petition: Petition, token: str | None = None) -> None:
    if not is_requester(user, petition, token):
        if can_see(user, petition):
            raise PermissionDenied("只有诉求人可以评价答复。")
        raise NotFound()
    if petition.status != Petition.Status.ANSWERED:
        raise InvalidInput("答复后才能评价。", code="wrong_status")


def can_rate(user: User | None, petition: Petition, token: str | None = None) -> bool:
    return _allowed(check_rate, user, petition, token)
