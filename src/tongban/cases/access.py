"""Who may see and act on a case: each rule written once, for the services and the pages.

Every action has one ``check_<action>`` that raises the service's error with its Chinese
message and one ``can_<action>`` that says yes or no; the services call the check, the pages
and the API offer an action when ``can_…`` says yes, so a button is shown exactly when the
service would accept the click (CKAN's one auth function per action is the model).
Outsiders get NotFound, so they learn nothing (no IDOR).
"""

import uuid
from collections.abc import Callable

from django.db.models import Q, QuerySet

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.types import User, actor_label
from tongban.identity import permissions
from tongban.identity.actors import check_agent_scope
from tongban.identity.models import AgentAuthorization, EnterpriseAccount, StaffRole
from tongban.workflow.selectors import process_for

from .models import Application, Case


class Conflict(ServiceError):
    """The case is not in a state that allows the action (taken by someone else, stale, closed)."""

    code = "conflict"
    status = 409


# ---------------------------------------------------------------- seeing


def applicant_filter(user: User | None) -> Q:
    """Cases a citizen may see: their own, and their enterprises' (as legal rep or agent in force)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    enterprises = EnterpriseAccount.objects.filter(
        Q(legal_rep=user)
        | Q(pk__in=AgentAuthorization.objects.in_force().filter(agent=user).values("enterprise"))
    ).values("pk")
    return Q(applicant=user, enterprise__isnull=True) | Q(enterprise__in=enterprises)


def applicant_cases(user: User | None) -> QuerySet[Case]:
    return Case.objects.filter(applicant_filter(user))


def staff_cases(user: User | None) -> QuerySet[Case]:
    if not permissions.memberships(user):
        return Case.objects.none()
    return Case.objects.filter(permissions.department_filter(user))


def can_view_case(user: User | None, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if permissions.can_see_department(user, case.department):
        return True
    return applicant_cases(user).filter(pk=case.pk).exists()


def get_case_for(user: User | None, number: str) -> Case:
    case = (
        Case.objects.select_related("item", "department", "department__region", "applicant")
        .filter(number=number)
        .first()
    )
    if case is None or not can_view_case(user, case):
        raise NotFound()
    return case


def is_applicant_side(user: User | None, case: Case) -> bool:
    return applicant_cases(user).filter(pk=case.pk).exists()


def check_reveal(user: User | None, case: Case) -> None:
    """Full ID and mobile numbers of a case: staff who may see its department, nobody else."""
    if not getattr(user, "is_authenticated", False) or not permissions.can_see_department(
        user, case.department
    ):
        raise NotFound()


def get_application_for(user: User | None, public_id: uuid.UUID | str) -> Application:
    """A draft is visible only to whoever created it (applicant, agent or window staff); an item
    of a 一件事 application only through its joint draft (``joint_applying``)."""
    application = (
        Application.objects.select_related("item", "form")
        .filter(public_id=public_id, joint__isnull=True)
        .first()
    )
    if (
        application is None
        or not getattr(user, "is_authenticated", False)
        or application.created_by_id != user.pk
    ):
        raise NotFound()
    return application


def refusal[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> ServiceError | None:
    """The error ``check`` raises for these arguments, or None when the action is allowed:
    for pages that say why an action is not offered."""
    try:
        check(*args, **kwargs)
    except ServiceError as exc:
        return exc
    return None


def _allowed[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> bool:
    return refusal(check, *args, **kwargs) is None


# ---------------------------------------------------------------- the applicant's side


def check_apply(user: User | None, item: ServiceItem, enterprise: EnterpriseAccount | None = None) -> None:
    """Applying online: a citizen account, a published item and, for an enterprise, the legal
    representative or an agent whose authorisation in force covers the item."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", "citizen") != "citizen":
        raise PermissionDenied("请使用个人或企业账号登录后申请。")
    if item.status != ServiceItem.Status.PUBLISHED:
        raise NotFound()
    if enterprise is not None:
        check_agent_scope(user, enterprise, item)


# 撤回 is possible until the review is finished; afterwards the decision must be made.
WITHDRAWABLE = frozenset({Case.Status.PENDING_INTAKE, Case.Status.CORRECTION, Case.Status.IN_REVIEW})


def check_withdraw(user: User | None, case: Case) -> None:
    """撤回: the applicant side, while the case is withdrawable; an agent only within the scope
    of an authorisation in force (the legal representative always)."""
    if not is_applicant_side(user, case):
        raise NotFound()
    if case.status not in WITHDRAWABLE:
        raise Conflict(f"办件{case.get_status_display()}，已不能撤回。", code="not_withdrawable")
    _check_enterprise_scope(user, case)


def can_withdraw(user: User | None, case: Case) -> bool:
    return _allowed(check_withdraw, user, case)


def check_correct(user: User | None, case: Case) -> None:
    """补正: the applicant side while the case waits for a correction; an agent, as for withdrawing,
    only within the scope of an authorisation in force."""
    if not is_applicant_side(user, case):
        raise NotFound()
    if case.status != Case.Status.CORRECTION:
        raise Conflict("该办件当前不需要补正。", code="no_correction")
    _check_enterprise_scope(user, case)


def can_correct(user: User | None, case: Case) -> bool:
    return _allowed(check_correct, user, case)


def _check_enterprise_scope(user: User | None, case: Case) -> None:
    """For an enterprise's case the legal representative always acts; an agent only on the items
    their authorisation covers."""
    if case.enterprise_id and case.enterprise.legal_rep_id != user.pk:
        check_agent_scope(user, case.enterprise, case.item)


# ---------------------------------------------------------------- staff


def check_staff_role(user: User | None, case: Case, role: str) -> None:
    if not permissions.can_see_department(user, case.department):
        raise NotFound()
    if not permissions.has_role(user, role, case.department):
        raise PermissionDenied("您在该部门没有办理这一环节的角色。")


def _claimed_by_other(user: User | None, case: Case) -> None:
    if case.assignee_id and case.assignee_id != getattr(user, "pk", None):
        raise Conflict(f"该办件已由 {actor_label(case.assignee)} 认领。", code="claimed_by_other")


def check_claim(user: User | None, case: Case) -> None:
    """认领: a staff step of an open case, by someone with that step's role in the department,
    while nobody else holds it (claiming one's own case again changes nothing)."""
    if not case.is_open or case.current_role in ("", "applicant"):
        raise Conflict("该办件当前没有可认领的环节。", code="nothing_to_claim")
    check_staff_role(user, case, case.current_role)
    _claimed_by_other(user, case)


def can_claim(user: User | None, case: Case) -> bool:
    return _allowed(check_claim, user, case)


def check_release(user: User | None, case: Case) -> None:
    """释放: only one's own claim, by someone with the step's role."""
    check_staff_role(user, case, case.current_role or StaffRole.INTAKE)
    if case.assignee_id != getattr(user, "pk", None):
        raise Conflict("只能释放自己认领的办件。", code="not_yours")


def can_release(user: User | None, case: Case) -> bool:
    return _allowed(check_release, user, case)


def check_turn(
    user: User | None, case: Case, expected_step: str | None = None, expected_version: int | None = None
) -> None:
    """Is it ``user``'s turn on ``case``: open, not stale, a staff step of their role, not
    claimed by someone else."""
    if not case.is_open:
        raise Conflict(f"办件已{case.get_status_display()}，不能再办理。", code="case_closed")
    if expected_step and case.current_step != expected_step:
        raise Conflict("该环节已由他人处理，请刷新后查看最新状态。", code="step_taken")
    if expected_version is not None and case.version != expected_version:
        raise Conflict("办件已被他人更新，请刷新后再操作。", code="stale")
    if case.current_role == "applicant":
        raise Conflict("办件正等待申请人补正。", code="awaiting_applicant")
    check_staff_role(user, case, case.current_role)
    _claimed_by_other(user, case)


def step_outcomes(case: Case) -> tuple[str, ...]:
    """The outcomes the BPMN offers at the case's current step (what staff may choose)."""
    if not case.current_step:
        return ()
    task = process_for(case.process_id, case.process.digest).shape.tasks.get(case.current_step)
    return task.outcomes if task else ()


# The staff actions of the case page and the API, in the order the page offers them when the
# step's outcomes do not say otherwise; each is one service function.
STAFF_ACTIONS = (
    "accept",
    "refuse",
    "correct",
    "review",
    "special_start",
    "special_end",
    "forward",
    "decide",
    "conclude",
)
# The staff action a process decision (an outcome a step offers) belongs to; at a 受理 step
# 准予 and 不予 belong to accept (see ``staff_actions``).
ACTION_BY_DECISION = {
    "accept": "accept",
    "refuse": "refuse",
    "correct": "correct",
    "pass": "review",
    "special": "special_start",
    "forward": "forward",
    "grant": "decide",
    "deny": "decide",
}
# The outcome a step must offer for an action (decide: either 准予 or 不予).
_OUTCOMES_OF = {
    "refuse": ({"refuse"}, "当前环节不能作出不予受理决定。"),
    "correct": ({"correct"}, "当前环节不能要求补正。"),
    "review": ({"pass"}, "当前环节不能执行该操作。"),
    "special_start": ({"special"}, "当前环节不能执行该操作。"),
    "forward": ({"forward"}, "当前环节不能执行该操作。"),
    "decide": ({"grant", "deny"}, "当前环节不能执行该操作。"),
}


def check_step_action(user: User | None, case: Case, action: str, *, decision: str | None = None) -> None:
    """Does the current step allow ``action`` at all (whoever asks)? ``decision`` narrows
    ``decide`` to 准予 (``"grant"``) or 不予 (``"deny"``)."""
    if action == "special_end":
        if case.status != Case.Status.SPECIAL:
            raise Conflict("办件不在特别程序中。", code="not_special")
        return
    if action == "conclude":
        if case.status != Case.Status.PENDING_ISSUE:
            raise InvalidInput("当前环节不能办结。", code="illegal_step")
        return
    outcomes = set(step_outcomes(case))
    if action == "accept":
        # 受理 (at an instant item's step: 受理并办结, the step's 准予); a step without
        # outcomes takes any.
        if case.current_step not in {"intake", "handle"} and case.current_role != StaffRole.INTAKE:
            raise InvalidInput("当前环节不是受理。", code="illegal_step")
        if outcomes and not outcomes & {"accept", "grant"}:
            raise InvalidInput("当前环节不能受理。", code="illegal_step")
        return
    if action not in _OUTCOMES_OF:
        raise NotFound()
    needed, message = _OUTCOMES_OF[action]
    if action == "decide" and case.current_role == StaffRole.INTAKE:
        needed = set()  # an intake step's 准予 is its 受理 (accept), never a separate decision
    if decision is not None:
        needed = needed & {decision}
    if not needed & outcomes:
        raise InvalidInput(message, code="illegal_step")


def check_staff_action(
    user: User | None,
    case: Case,
    action: str,
    *,
    decision: str | None = None,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> None:
    """One staff action of ``STAFF_ACTIONS`` by ``user`` now: their turn and the step's rule
    (the special procedure's end is refused first when none is running)."""
    if action == "special_end":
        check_step_action(user, case, action)
        check_turn(user, case, None, expected_version)
        return
    check_turn(user, case, expected_step, expected_version)
    check_step_action(user, case, action, decision=decision)


def staff_actions(user: User | None, case: Case) -> list[str]:
    """The actions the case page offers ``user`` now: those ``check_staff_action`` accepts,
    in the order of the step's outcomes (none when it is not their turn)."""
    if not _allowed(check_turn, user, case):
        return []
    intake = case.current_role == StaffRole.INTAKE
    ordered = [
        "accept" if intake and o in ("grant", "deny") else ACTION_BY_DECISION[o]
        for o in step_outcomes(case)
        if o in ACTION_BY_DECISION
    ]
    ordered += [a for a in STAFF_ACTIONS if a not in ordered]
    actions: list[str] = []
    for action in ordered:
        if action not in actions and _allowed(check_step_action, user, case, action):
            actions.append(action)
    return actions
