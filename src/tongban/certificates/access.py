"""Who may do what with a certificate: each rule written once, for the services, the pages and the API.

Every action has one ``check_<action>`` that raises the service's error with its Chinese message
and one ``can_<action>`` that says yes or no; the services call the check, the pages offer a
button exactly when ``can_…`` says yes. Outsiders get NotFound: they learn nothing.
"""

from collections.abc import Callable

from django.utils import timezone

from tongban.cases.access import refusal
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.actors import Actor, check_actor_scope
from tongban.identity.models import StaffRole

from .models import Certificate

# Staff roles of the issuing department that may revoke, cancel, renew and reissue.
LIFECYCLE_ROLES = (StaffRole.ISSUE, StaffRole.DECIDE)
# Lifecycle changes apply to a certificate in force or past its validity, never to an ended one.
CHANGEABLE = (Certificate.Status.VALID, Certificate.Status.EXPIRED)


def _allowed[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> bool:
    return refusal(check, *args, **kwargs) is None


# ---------------------------------------------------------------- the holder


def holds(actor: Actor, certificate: Certificate) -> bool:
    """The person's own certificate, or the enterprise's when the person acts for it."""
    if actor.user is None:
        return False
    if actor.enterprise is not None:
        return certificate.holder_enterprise_id == actor.enterprise.pk
    return certificate.holder_user_id == actor.user.pk and certificate.holder_enterprise_id is None


def check_holder(actor: Actor, certificate: Certificate) -> None:
    """Only the holder (an agent within the scope of an authorisation in force) acts on it."""
    if not holds(actor, certificate):
        raise NotFound()
    if actor.enterprise is not None:
        check_actor_scope(actor)


def check_use(actor: Actor, certificate: Certificate) -> None:
    """亮证 and 用证: the holder, while the certificate is in force today."""
    check_holder(actor, certificate)
    state = certificate.state_on(timezone.localdate())
    if state != Certificate.Status.VALID:
        raise InvalidInput(
            f"该证照{Certificate.Status(state).label}，不能亮证或授权使用。", code="certificate_not_valid"
        )


def can_use(actor: Actor, certificate: Certificate) -> bool:
    return _allowed(check_use, actor, certificate)


# ---------------------------------------------------------------- the issuing department


def check_lifecycle_role(user: User | None, certificate: Certificate) -> None:
    permissions.check_department(user, certificate.department)
    if not any(permissions.has_role(user, role, certificate.department) for role in LIFECYCLE_ROLES):
        raise PermissionDenied("需要颁发机构的“制证”或“决定”角色。")


def check_revoke(user: User | None, certificate: Certificate) -> None:
    """吊销 / 注销: the issuer's 制证 or 决定 role, on a certificate not yet ended."""
    check_lifecycle_role(user, certificate)
    if certificate.status not in CHANGEABLE:
        raise InvalidInput(f"该证照{certificate.get_status_display()}，不能再变更。", code="not_valid")


def can_revoke(user: User | None, certificate: Certificate) -> bool:
    return _allowed(check_revoke, user, certificate)


def check_replace(user: User | None, certificate: Certificate) -> None:
    """换发 / 补发: the same roles, on a certificate not yet ended."""
    check_lifecycle_role(user, certificate)
    if certificate.status not in CHANGEABLE:
        raise InvalidInput(f"该证照{certificate.get_status_display()}，不能换发或补发。", code="not_valid")


def can_replace(user: User | None, certificate: Certificate) -> bool:
    return _allowed(check_replace, user, certificate)


# ---------------------------------------------------------------- certificate types (事项管理)


def check_manage_types(user: User | None, department: Department) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied()
    if not permissions.can_manage_items(user, department):
        raise PermissionDenied("您没有维护该部门证照类型的权限。")


def can_manage_types(user: User | None, department: Department) -> bool:
    return _allowed(check_manage_types, user, department)


def manageable_departments(user: User | None) -> list[Department]:
    """Departments whose certificate types ``user`` maintains (事项管理), by name."""
    ids = {m.department_id for m in permissions.memberships(user) if can_manage_types(user, m.department)}
    return list(Department.objects.filter(pk__in=ids).order_by("name"))
