"""Who may see and act on a case. Outsiders get NotFound, so they learn nothing (no IDOR)."""

from typing import Any

from django.db.models import Q, QuerySet

from tongban.core.errors import NotFound, PermissionDenied
from tongban.identity import permissions
from tongban.identity.models import AgentAuthorization, EnterpriseAccount

from .models import Application, Case


def applicant_filter(user: Any) -> Q:  # noqa: ANN401
    """Cases a citizen may see: their own, and their enterprises' (as legal rep or agent in force)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    enterprises = EnterpriseAccount.objects.filter(
        Q(legal_rep=user)
        | Q(pk__in=AgentAuthorization.objects.in_force().filter(agent=user).values("enterprise"))
    ).values("pk")
    return Q(applicant=user, enterprise__isnull=True) | Q(enterprise__in=enterprises)


def applicant_cases(user: Any) -> QuerySet[Case]:  # noqa: ANN401
    return Case.objects.filter(applicant_filter(user))


def staff_cases(user: Any) -> QuerySet[Case]:  # noqa: ANN401
    if not permissions.memberships(user):
        return Case.objects.none()
    return Case.objects.filter(permissions.department_filter(user))


def can_view_case(user: Any, case: Case) -> bool:  # noqa: ANN401
    if not getattr(user, "is_authenticated", False):
        return False
    if permissions.can_see_department(user, case.department):
        return True
    return applicant_cases(user).filter(pk=case.pk).exists()


def get_case_for(user: Any, number: str) -> Case:  # noqa: ANN401
    case = (
        Case.objects.select_related("item", "department", "department__region", "applicant")
        .filter(number=number)
        .first()
    )
    if case is None or not can_view_case(user, case):
        raise NotFound()
    return case


def is_applicant_side(user: Any, case: Case) -> bool:  # noqa: ANN401
    return applicant_cases(user).filter(pk=case.pk).exists()


def get_application_for(user: Any, public_id: Any) -> Application:  # noqa: ANN401
    """A draft is visible only to whoever created it (applicant, agent or window staff)."""
    application = Application.objects.select_related("item", "form").filter(public_id=public_id).first()
    if (
        application is None
        or not getattr(user, "is_authenticated", False)
        or application.created_by_id != user.pk
    ):
        raise NotFound()
    return application


def check_staff_role(user: Any, case: Case, role: str) -> None:  # noqa: ANN401
    if not permissions.can_see_department(user, case.department):
        raise NotFound()
    if not permissions.has_role(user, role, case.department):
        raise PermissionDenied("您在该部门没有办理这一环节的角色。")
