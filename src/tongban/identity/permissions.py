"""Who may see and do what: the checks every later feature calls from its services.

Staff see only their own departments; supervisors (监察) see every department in their
department's region and below; nobody else sees any department's internal data.
"""

from django.db.models import Q, QuerySet

from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department

from .models import StaffMembership, StaffRole

_CACHE_ATTR = "_tongban_memberships"


def memberships(user: User) -> list[StaffMembership]:
    """The user's roles, loaded once per user object (a request's ``request.user``)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "staff":
        return []
    if not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            StaffMembership.objects.filter(user=user).select_related("department", "department__region")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user: User) -> None:
    """Drop the cached roles after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles(user: User, department: Department | None = None) -> set[str]:
    return {m.role for m in memberships(user) if department is None or m.department_id == department.pk}


def has_role(user: User, role: str, department: Department | None = None) -> bool:
    """Does ``user`` hold ``role`` (in ``department`` when given)?"""
    return role in roles(user, department)


def require_role(user: User, role: str, department: Department | None = None) -> None:
    if not has_role(user, role, department):
        raise PermissionDenied(f"需要“{StaffRole(role).label}”角色。")


def is_platform_admin(user: User) -> bool:
    return has_role(user, StaffRole.PLATFORM_ADMIN)


def supervised_region_codes(user: User) -> list[str]:
    """Region codes under a supervisor's eye (their departments' regions, everything below)."""
    return sorted({m.department.region.code for m in memberships(user) if m.role == StaffRole.SUPERVISOR})


def department_filter(user: User, field: str = "department") -> Q:
    """A ``Q`` limiting a queryset's ``field`` (a Department FK) to what ``user`` may see."""
    own = {m.department_id for m in memberships(user)}
    query = Q(**{f"{field}__in": own}) if own else Q(pk__in=[])
    for code in supervised_region_codes(user):
        query |= Q(**{f"{field}__region__code__startswith": code})
    return query


def staff_departments(user: User) -> QuerySet[Department]:
    """Departments whose data ``user`` may see: their own and, for supervisors, their region's."""
    if not memberships(user):
        return Department.objects.none()
    own = {m.department_id for m in memberships(user)}
    query = Q(pk__in=own)
    for code in supervised_region_codes(user):
        query |= Q(region__code__startswith=code)
    return Department.objects.filter(query).select_related("region")


def can_see_department(user: User, department: Department | None) -> bool:
    if department is None:
        return False
    for membership in memberships(user):
        if membership.department_id == department.pk:
            return True
        if membership.role == StaffRole.SUPERVISOR and department.region.code.startswith(
            membership.department.region.code
        ):
            return True
    return False


def check_department(user: User, department: Department | None) -> None:
    """Raise ``NotFound`` (not 403: an outsider learns nothing) unless ``user`` may see it."""
    if not can_see_department(user, department):
        raise NotFound()


def can_manage_items(user: User, department: Department) -> bool:
    """事项管理: catalogue admins maintain only their own department's items."""
    return has_role(user, StaffRole.CATALOGUE, department)
