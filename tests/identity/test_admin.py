import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, login_verified
from tests.identity.factories import staff_in, verified_citizen
from tongban.identity.models import StaffMembership, StaffRole, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin():
    user = staff_in(DepartmentFactory(), StaffRole.PLATFORM_ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


def test_admin_login_goes_through_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:staff_login"))


def test_admin_edits_staff_roles_inline(client, platform_admin):
    login_verified(client, platform_admin)
    dept = DepartmentFactory()
    clerk = staff_in(dept, StaffRole.INTAKE)
    url = reverse("admin:identity_user_change", args=[clerk.pk])
    page = client.get(url)
    assert page.status_code == 200 and "部门角色" in page.content.decode()
    assert client.get(reverse("admin:identity_user_changelist") + "?kind__exact=staff").status_code == 200
    assert StaffMembership.objects.filter(user=clerk).count() == 1


def test_admin_refuses_sessions_without_second_factor_and_citizens(client, platform_admin):
    client.force_login(platform_admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    citizen = verified_citizen()
    User.objects.filter(pk=citizen.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=citizen.pk))
    assert client.get("/admin/").status_code == 302


def test_createsuperuser_makes_a_staff_account():
    user = User.objects.create_superuser("root", "root@example.cn", "Very-long-pass-1")
    assert user.kind == "staff" and user.is_superuser
