"""事项管理 staff maintain their own department's items through the catalogue's services only."""

import pytest

from tests.factories import DepartmentFactory, ServiceItemFactory
from tests.identity.factories import staff_in, verified_citizen
from tongban.catalog import services as catalog
from tongban.core.errors import PermissionDenied
from tongban.identity.models import StaffRole

pytestmark = pytest.mark.django_db


def test_catalogue_admin_edits_own_department_items_only():
    own, other = DepartmentFactory(), DepartmentFactory()
    admin = staff_in(own, StaffRole.CATALOGUE)
    mine = ServiceItemFactory(department=own)
    theirs = ServiceItemFactory(department=other)
    catalog.update_item(actor=admin, item=mine, data={"summary": "更新后的简介"})
    mine.refresh_from_db()
    assert mine.summary == "更新后的简介"
    with pytest.raises(PermissionDenied):
        catalog.update_item(actor=admin, item=theirs, data={"summary": "越权"})
    with pytest.raises(PermissionDenied):  # nor move an item to another department
        catalog.update_item(actor=admin, item=mine, data={"department": other})


@pytest.mark.parametrize("role", [StaffRole.INTAKE, StaffRole.SUPERVISOR, StaffRole.PLATFORM_ADMIN])
def test_other_roles_and_citizens_cannot_edit_items(role):
    dept = DepartmentFactory()
    item = ServiceItemFactory(department=dept)
    for actor in (staff_in(dept, role), verified_citizen()):
        with pytest.raises(PermissionDenied):
            catalog.update_item(actor=actor, item=item, data={"summary": "x"})
