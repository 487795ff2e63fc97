"""Staff: roles per department, region visibility, mandatory TOTP, lockout, the catalogue hook."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DepartmentFactory, login_verified, region_chain
from tests.identity.factories import PASSWORD, CitizenFactory, StaffFactory, staff_in, verified_citizen
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity import permissions, services
from tongban.identity.models import LoginEvent, StaffMembership, StaffRole, User

pytestmark = pytest.mark.django_db


def token_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def regions():
    return {
        "city": region_chain("5116"),
        "guangan": region_chain("511602"),
        "yuechi": region_chain("511621"),
        "hangzhou": region_chain("330106"),
    }


def test_roles_and_department_visibility(regions):
    tax = DepartmentFactory(region=regions["guangan"])
    police = DepartmentFactory(region=regions["guangan"])
    clerk = staff_in(tax, StaffRole.INTAKE, StaffRole.REVIEW)
    assert permissions.roles(clerk) == {"intake", "review"}
    assert permissions.has_role(clerk, "review", tax) and not permissions.has_role(clerk, "review", police)
    assert permissions.can_see_department(clerk, tax)
    assert not permissions.can_see_department(clerk, police)
    assert list(permissions.staff_departments(clerk)) == [tax]
    with pytest.raises(NotFound):
        permissions.check_department(clerk, police)


def test_supervisors_see_their_region_and_below(regions):
    city_office = DepartmentFactory(region=regions["city"])
    county_dept = DepartmentFactory(region=regions["yuechi"])
    elsewhere = DepartmentFactory(region=regions["hangzhou"])
    supervisor = staff_in(city_office, StaffRole.SUPERVISOR)
    county_supervisor = staff_in(county_dept, StaffRole.SUPERVISOR)
    assert permissions.can_see_department(supervisor, county_dept)
    assert not permissions.can_see_department(supervisor, elsewhere)
    assert set(permissions.staff_departments(supervisor)) == {city_office, county_dept}
    assert not permissions.can_see_department(county_supervisor, city_office)  # not upwards
    # department_filter limits any queryset with a Department FK (here: memberships).
    visible = StaffMembership.objects.filter(permissions.department_filter(supervisor))
    assert {m.department for m in visible} == {city_office, county_dept}
    own_only = StaffMembership.objects.filter(permissions.department_filter(county_supervisor))
    assert {m.department for m in own_only} == {county_dept}


def test_citizens_and_anonymous_see_no_department(regions):
    dept = DepartmentFactory(region=regions["guangan"])
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), verified_citizen()):
        assert not permissions.can_see_department(user, dept)
        assert not permissions.staff_departments(user).exists()


def test_catalogue_admins_manage_only_their_department_items(regions):
    own = DepartmentFactory(region=regions["guangan"])
    other = DepartmentFactory(region=regions["guangan"])
    admin = staff_in(own, StaffRole.CATALOGUE)
    clerk = staff_in(own, StaffRole.INTAKE)
    assert admin.has_perm("catalog.change_serviceitem", own)
    assert not admin.has_perm("catalog.change_serviceitem", other)
    assert not admin.has_perm("catalog.change_serviceitem")  # no global permission
    assert not clerk.has_perm("catalog.change_serviceitem", own)


def test_staff_login_needs_totp_enrolment_first(client):
    dept = DepartmentFactory()
    staff = staff_in(dept, StaffRole.INTAKE)
    response = client.post(
        reverse("identity:staff_login"), {"username": staff.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("identity:login_enrol")
    assert "_auth_user_id" not in client.session  # not logged in after the password alone
    page = client.get(reverse("identity:login_enrol"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    response = client.post(reverse("identity:login_enrol"), {"token": token_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("identity:staff_home")).status_code == 200
    assert LoginEvent.objects.get(user=staff, success=True).method == "totp"


def test_staff_login_with_password_and_token(client):
    staff = staff_in(DepartmentFactory(), StaffRole.REVIEW)
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    response = client.post(
        reverse("identity:staff_login"), {"username": staff.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("identity:login_totp")
    assert client.get(reverse("identity:staff_home")).status_code == 302
    response = client.post(
        reverse("identity:login_totp"), {"token": "000000" if token_for(device) != "000000" else "111111"}
    )
    assert response.status_code == 400 and "动态口令不正确" in response.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("identity:login_totp"), {"token": token_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("identity:staff_home")
    assert client.get(reverse("identity:staff_home")).status_code == 200


def test_a_staff_session_without_second_factor_is_dropped(client):
    staff = staff_in(DepartmentFactory(), StaffRole.REVIEW)
    client.force_login(staff)  # e.g. a password-only path
    response = client.get(reverse("identity:staff_home"))
    assert response.status_code == 302 and reverse("identity:staff_login") in response["Location"]
    assert "_auth_user_id" not in client.session


def test_citizen_cannot_use_staff_login(client):
    citizen = CitizenFactory()
    response = client.post(
        reverse("identity:staff_login"), {"username": citizen.mobile, "password": PASSWORD}
    )
    assert response.status_code == 400 and "不是工作人员账号" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_the_configured_failures(client):
    user = CitizenFactory()
    for _ in range(2):
        response = client.post(reverse("identity:login"), {"username": user.mobile, "password": "wrong-pass"})
        assert response.status_code == 400
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": "wrong-pass"})
    assert response.status_code == 429
    # Locked: even the right password is refused, by mobile number or by user name.
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": PASSWORD})
    assert response.status_code == 429 and "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_default_is_five(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = CitizenFactory()
    for _ in range(4):
        assert (
            client.post(
                reverse("identity:login"), {"username": user.mobile, "password": "x-wrong"}
            ).status_code
            == 400
        )
    assert (
        client.post(reverse("identity:login"), {"username": user.mobile, "password": "x-wrong"}).status_code
        == 429
    )
    assert (
        client.post(reverse("identity:login"), {"username": user.mobile, "password": PASSWORD}).status_code
        == 429
    )


@override_settings(AXES_FAILURE_LIMIT=2)
def test_wrong_sms_codes_count_towards_lockout(client, last_code):
    user = CitizenFactory()
    client.post(reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "action": "send_code"})
    code = last_code(user.mobile)
    wrong = "000000" if code != "000000" else "111111"
    client.post(reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "code": wrong})
    response = client.post(reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "code": wrong})
    assert response.status_code == 429
    response = client.post(reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "code": code})
    assert response.status_code == 429


@override_settings(AXES_FAILURE_LIMIT=2)
def test_wrong_tokens_count_towards_lockout(client):
    staff = staff_in(DepartmentFactory(), StaffRole.REVIEW)
    TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    client.post(reverse("identity:staff_login"), {"username": staff.username, "password": PASSWORD})
    client.post(reverse("identity:login_totp"), {"token": "123456"})
    response = client.post(reverse("identity:login_totp"), {"token": "654321"})
    assert response.status_code == 429


def test_in_person_verification_lifts_to_l3(client):
    dept = DepartmentFactory()
    clerk = staff_in(dept, StaffRole.INTAKE)
    citizen = verified_citizen()
    login_verified(client, clerk)
    response = client.post(
        reverse("identity:in_person_verify"),
        {"mobile": citizen.mobile, "id_number": citizen.id_number, "checked": "on"},
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.real_name_level == User.RealNameLevel.L3 and citizen.in_person_verified_by == clerk
    from tongban.registries.models import DataAccessLog

    log = DataAccessLog.objects.get(subject_id_number=citizen.id_number, purpose="窗口现场身份核验")
    assert log.department == dept and log.accessor == clerk


def test_in_person_verification_refusals():
    dept = DepartmentFactory()
    reviewer = staff_in(dept, StaffRole.REVIEW)
    clerk = staff_in(dept, StaffRole.INTAKE)
    citizen = verified_citizen()
    with pytest.raises(PermissionDenied):
        services.verify_in_person(
            reviewer, mobile=citizen.mobile, id_number=citizen.id_number, department=dept
        )
    plain = CitizenFactory()
    with pytest.raises(InvalidInput):
        services.verify_in_person(clerk, mobile=plain.mobile, id_number=citizen.id_number, department=dept)


def test_create_staff_and_set_roles_needs_platform_admin():
    dept = DepartmentFactory()
    admin = staff_in(dept, StaffRole.PLATFORM_ADMIN)
    clerk = staff_in(dept, StaffRole.INTAKE)
    with pytest.raises(PermissionDenied):
        services.create_staff_account(
            clerk, username="x1", real_name="甲", department=dept, roles=["intake"], password="Long-pass-123"
        )
    user = services.create_staff_account(
        admin,
        username="x1",
        real_name="甲",
        department=dept,
        roles=["intake", "decide"],
        password="Long-pass-123",
    )
    assert user.kind == "staff" and permissions.roles(user) == {"intake", "decide"}
    services.set_staff_roles(admin, user, department=dept, roles=["review"])
    assert set(StaffMembership.objects.filter(user=user).values_list("role", flat=True)) == {"review"}
    with pytest.raises(InvalidInput):
        services.set_staff_roles(admin, user, department=dept, roles=["nonsense"])


def test_citizen_may_enable_and_remove_totp(client):
    user = CitizenFactory()
    client.force_login(user)
    page = client.get(reverse("identity:two_factor"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("identity:two_factor"), {"token": token_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    client.post(reverse("identity:logout"))
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": PASSWORD})
    assert response["Location"] == reverse("identity:login_totp")
    device.refresh_from_db()
    # The enrolment token cannot be replayed: log in with the next one.
    response = client.post(reverse("identity:login_totp"), {"token": token_for(device, offset=1)})
    assert response.status_code == 302
    client.post(reverse("identity:two_factor"), {"action": "remove"})
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_staff_cannot_remove_totp():
    staff = StaffFactory()
    with pytest.raises(PermissionDenied):
        services.remove_totp(staff)
