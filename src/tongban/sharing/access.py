"""Who may do what in data sharing: one predicate per rule, called by services and pages."""

from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import ReadReport


def can_manage_sharing(user: User, department: Department) -> bool:
    """A department's data work (requests as consumer, decisions as provider) is done by its own
    catalogue administrators (事项管理) only: 系统管理 held in one department decides nothing
    about another department's data. A superuser (the platform's root account, as for staff
    accounts) may act for a provider that has no catalogue administrator yet."""
    return getattr(user, "is_superuser", False) or permissions.has_role(user, StaffRole.CATALOGUE, department)


def is_supervisor(user: User) -> bool:
    return permissions.has_role(user, StaffRole.SUPERVISOR) or permissions.is_platform_admin(user)


def can_answer_report(user: User, report: ReadReport) -> bool:
    """A reported read is answered by supervisors whose region holds the reading department
    (any supervisor when no department read it)."""
    department = report.access.department
    return is_supervisor(user) and (department is None or permissions.can_see_department(user, department))


def sharing_departments(user: User) -> list[Department]:
    """Departments the user does data-sharing work for."""
    return [m.department for m in permissions.memberships(user) if m.role == StaffRole.CATALOGUE]
