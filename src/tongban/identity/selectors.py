"""Reads shared by the account pages and the API."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from tongban.core.masking import mask_id_number, mask_mobile
from tongban.core.types import User
from tongban.registries.models import DataAccessLog
from tongban.registries.selectors import access_log_for_person

from .models import AgentAuthorization, EnterpriseAccount, LoginEvent, StaffMembership


def profile(user: User) -> dict[str, Any]:
    """What the account page and ``/api/v1/identity/me`` show: identifiers masked."""
    return {
        "id": user.pk,
        "kind": user.kind,
        "real_name": user.real_name,
        "mobile_masked": mask_mobile(user.mobile),
        "id_number_masked": mask_id_number(user.id_number),
        "real_name_level": user.real_name_level,
        "real_name_level_label": str(user.get_real_name_level_display()),
    }


def login_history(user: User, limit: int = 20) -> QuerySet[LoginEvent]:
    return LoginEvent.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def data_use_log(user: User, limit: int = 50) -> QuerySet[DataAccessLog]:
    """ "Who used my data": logged reads of the user's registry record."""
    if not user.id_number:
        return DataAccessLog.objects.none()
    return access_log_for_person(user.id_number)[:limit]


def log_case_read(user: User, case: Any, purpose: str, fields: Iterable[str] = ()) -> DataAccessLog:
    """Staff (or a department) read the applicant's data held in a case: one row of the
    data-access log (DESIGN §6) under the case number, about the applicant person or enterprise,
    so the person sees it in "who used my data". Callers have already checked the case."""
    from tongban.registries.models import EnterpriseRecord, PopulationRecord
    from tongban.registries.selectors import record_access

    subject: dict[str, Any]
    if case.enterprise_id:
        subject = {
            "enterprise": EnterpriseRecord.objects.filter(uscc=case.enterprise.uscc).only("pk").first()
        }
    else:
        number = case.applicant.id_number or ""
        subject = {
            "person": PopulationRecord.objects.filter(id_number=number).only("pk").first()
            if number
            else None,
            "subject_id_number": number,
        }
    return record_access(
        user,
        purpose,
        case.department,
        True,
        fields=list(fields),
        case_number=case.number,
        channel="case",
        **subject,
    )


def log_certificate_read(
    user: User, certificate: Any, purpose: str, fields: Iterable[str] = ()
) -> DataAccessLog:
    """Staff read a certificate's holder data (its content, the holder's number): one row of the
    data-access log about the holder person or enterprise, under the certificate's case if any."""
    from tongban.registries.models import EnterpriseRecord, PopulationRecord
    from tongban.registries.selectors import record_access

    subject: dict[str, Any]
    if certificate.holder_enterprise_id:
        subject = {
            "enterprise": EnterpriseRecord.objects.filter(uscc=certificate.holder_number).only("pk").first()
        }
    else:
        subject = {
            "person": PopulationRecord.objects.filter(id_number=certificate.holder_number).only("pk").first(),
            "subject_id_number": certificate.holder_number,
        }
    case = getattr(certificate, "case", None) if certificate.case_id else None
    return record_access(
        user,
        purpose,
        certificate.department,
        True,
        fields=list(fields),
        case_number=case.number if case is not None else "",
        channel="certificate",
        **subject,
    )


def represented_enterprises(user: User) -> QuerySet[EnterpriseAccount]:
    return EnterpriseAccount.objects.filter(legal_rep=user).order_by("name")


def my_agencies(user: User) -> QuerySet[AgentAuthorization]:
    """Authorisations naming ``user`` as agent (in force or not), newest first."""
    return (
        AgentAuthorization.objects.filter(agent=user).select_related("enterprise").prefetch_related("items")
    )


def enterprise_authorisations(enterprise: EnterpriseAccount) -> QuerySet[AgentAuthorization]:
    return (
        AgentAuthorization.objects.filter(enterprise=enterprise)
        .select_related("agent")
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )


def get_authorisation_for_rep(user: User, enterprise: EnterpriseAccount, grant_id: int) -> AgentAuthorization:
    from tongban.core.errors import NotFound

    grant = AgentAuthorization.objects.filter(
        pk=grant_id, enterprise=enterprise, enterprise__legal_rep_id=getattr(user, "pk", None)
    ).first()
    if grant is None:
        raise NotFound()
    return grant


def department_staff(department: Any) -> list[dict[str, Any]]:
    """Staff of a department with their roles (callers check ``can_see_department`` first)."""
    people: dict[int, dict[str, Any]] = {}
    for membership in (
        StaffMembership.objects.filter(department=department)
        .select_related("user")
        .order_by("user__username", "role")
    ):
        entry = people.setdefault(
            membership.user_id,
            {
                "id": membership.user_id,
                "name": membership.user.display_name,
                "username": membership.user.username,
                "roles": [],
            },
        )
        entry["roles"].append({"code": membership.role, "label": str(membership.get_role_display())})
    return list(people.values())
