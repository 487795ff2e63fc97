"""Least privilege for department administrators (issue 19, finding 6): 系统管理 of one department
creates and changes staff of that department only; a superuser (or the system) may do any."""

import pytest

from tests.factories import DepartmentFactory
from tests.identity.factories import StaffFactory, staff_in
from tongban.core.errors import PermissionDenied
from tongban.identity import services
from tongban.identity.models import StaffMembership, StaffRole, User

pytestmark = pytest.mark.django_db


def new_staff(actor, department, username="scope-1"):
    return services.create_staff_account(
        actor,
        username=username,
        real_name="乙",
        department=department,
        roles=["intake"],
        password="Long-pass-123",
    )


def test_an_admin_of_one_department_cannot_create_staff_in_another():
    own, other = DepartmentFactory(), DepartmentFactory()
    admin = staff_in(own, StaffRole.PLATFORM_ADMIN)
    with pytest.raises(PermissionDenied, match="本部门"):
        new_staff(admin, other)
    assert not User.objects.filter(username="scope-1").exists()
    assert new_staff(admin, own).username == "scope-1"


def test_an_admin_of_one_department_cannot_give_roles_in_another():
    own, other = DepartmentFactory(), DepartmentFactory()
    admin = staff_in(own, StaffRole.PLATFORM_ADMIN)
    colleague = staff_in(other, StaffRole.INTAKE)
    with pytest.raises(PermissionDenied, match="本部门"):
        services.set_staff_roles(admin, colleague, department=other, roles=["decide"])
    assert set(StaffMembership.objects.filter(user=colleague).values_list("role", flat=True)) == {"intake"}
    services.set_staff_roles(admin, colleague, department=own, roles=["review"])
    assert StaffMembership.objects.filter(user=colleague, department=own, role="review").exists()


def test_a_superuser_and_the_system_may_manage_any_department():
    department = DepartmentFactory()
    root = StaffFactory(is_superuser=True, is_staff=True)
    assert new_staff(root, department, "scope-root").username == "scope-root"
    assert new_staff(None, department, "scope-system").username == "scope-system"
