"""Least privilege (issue 19, finding 6): a department's 系统管理 is no superuser and manages only
its own department in the admin; no page shows a TOTP secret after enrolment, not even to a
superuser. The outside test listed the whole population registry with full IDs from 人社局's
系统管理 and read other staff members' TOTP secrets at /admin/otp_totp/totpdevice/…"""

import base64
import binascii

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DepartmentFactory, SuperUserFactory, UserFactory, login_verified
from tongban.demo import identity as demo
from tongban.identity.models import StaffMembership, StaffRole, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def world():
    hr, market = DepartmentFactory(name="区人社局"), DepartmentFactory(name="区市场监管局")
    hr_admin, _ = demo._staff("rs_guanli", "人社系统管理员", hr, [StaffRole.PLATFORM_ADMIN])
    market_admin, _ = demo._staff("sj_guanli", "市监系统管理员", market, [StaffRole.PLATFORM_ADMIN])
    hr_clerk, _ = demo._staff("rs_shouli", "人社受理员", hr, [StaffRole.INTAKE])
    market_clerk, _ = demo._staff("sj_shouli", "市监受理员", market, [StaffRole.INTAKE])
    citizen = UserFactory(username="13800000001", kind="citizen", id_number="11010519491231002X")
    return {
        "hr": hr,
        "market": market,
        "hr_admin": hr_admin,
        "market_admin": market_admin,
        "hr_clerk": hr_clerk,
        "market_clerk": market_clerk,
        "citizen": citizen,
    }


def _secret_forms(device):
    key = device.key
    b32 = base64.b32encode(binascii.unhexlify(key)).decode().rstrip("=")
    grouped = " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))
    return [key, b32, grouped]


class TestDemo:
    def test_department_administrators_are_not_superusers(self, world):
        for user in (world["hr_admin"], world["market_admin"]):
            user.refresh_from_db()
            assert user.is_staff and not user.is_superuser

    def test_the_platform_administrator_stays_one(self, world):
        platform, _ = demo._staff("admin", "平台管理员", DepartmentFactory(), [StaffRole.PLATFORM_ADMIN])
        assert platform.is_superuser

    def test_a_demo_loaded_by_an_earlier_release_is_corrected(self, world):
        User.objects.filter(pk=world["hr_admin"].pk).update(is_superuser=True)
        demo._staff("rs_guanli", "人社系统管理员", world["hr"], [StaffRole.PLATFORM_ADMIN])
        world["hr_admin"].refresh_from_db()
        assert not world["hr_admin"].is_superuser

    def test_other_roles_get_no_admin_permissions(self, world):
        assert not world["hr_clerk"].is_staff and not world["hr_clerk"].user_permissions.exists()


class TestDepartmentAdministratorInTheAdmin:
    def test_sees_the_staff_of_their_department_only(self, client, world):
        login_verified(client, world["hr_admin"])
        page = client.get(reverse("admin:identity_user_changelist")).content.decode()
        assert "rs_shouli" in page
        assert "sj_shouli" not in page and "sj_guanli" not in page and "13800000001" not in page
        other = reverse("admin:identity_user_change", args=[world["market_clerk"].pk])
        assert client.get(other).status_code == 302  # the admin's "does not exist" redirect
        citizen = reverse("admin:identity_user_change", args=[world["citizen"].pk])
        assert client.get(citizen).status_code == 302

    def test_cannot_make_anyone_a_superuser(self, client, world):
        login_verified(client, world["hr_admin"])
        url = reverse("admin:identity_user_change", args=[world["hr_clerk"].pk])
        page = client.get(url).content.decode()
        assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
        assert 'name="id_number"' not in page

    def test_roles_only_in_their_own_department(self, client, world):
        login_verified(client, world["hr_admin"])
        url = reverse("admin:identity_user_change", args=[world["hr_clerk"].pk])
        page = client.get(url).content.decode()
        assert world["hr"].name in page or f'value="{world["hr"].pk}"' in page
        assert world["market"].name not in page

    def test_no_access_to_the_population_registry(self, client, world):
        login_verified(client, world["hr_admin"])
        assert client.get(reverse("admin:registries_populationrecord_changelist")).status_code == 403
        index = client.get(reverse("admin:index")).content.decode()
        assert "registries" not in index

    def test_sees_only_their_staff_devices_without_secrets(self, client, world):
        login_verified(client, world["hr_admin"])
        page = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
        mine = TOTPDevice.objects.filter(user=world["hr_clerk"]).first()
        theirs = TOTPDevice.objects.filter(user=world["market_clerk"]).first()
        assert reverse("admin:otp_totp_totpdevice_change", args=[mine.pk]) in page
        assert reverse("admin:otp_totp_totpdevice_change", args=[theirs.pk]) not in page


class TestTotpSecretsAreNeverShown:
    @pytest.fixture
    def root(self):
        return SuperUserFactory(username="root", kind="staff")

    def test_not_on_the_device_page_even_for_a_superuser(self, client, world, root):
        login_verified(client, root)
        device = TOTPDevice.objects.get(user=world["hr_clerk"])
        page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
        assert client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).status_code == 200
        for secret in _secret_forms(device):
            assert secret not in page
        assert 'name="key"' not in page and "qrcode" not in page.lower()

    def test_no_qr_code_or_configuration_page(self, client, world, root):
        login_verified(client, root)
        device = TOTPDevice.objects.get(user=world["hr_clerk"])
        listing = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
        assert "qrcode" not in listing.lower()
        for tail in ("config/", "qrcode/"):
            response = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{tail}")
            assert response.status_code in (302, 404)
            assert device.key not in response.content.decode()

    def test_not_on_the_add_form(self, client, root):
        login_verified(client, root)
        page = client.get(reverse("admin:otp_totp_totpdevice_add")).content.decode()
        assert 'name="key"' not in page

    def test_a_membership_row_does_not_reveal_it_either(self, client, world, root):
        login_verified(client, root)
        device = TOTPDevice.objects.get(user=world["hr_clerk"])
        page = client.get(reverse("admin:identity_user_change", args=[world["hr_clerk"].pk])).content.decode()
        assert StaffMembership.objects.filter(user=world["hr_clerk"]).exists()
        for secret in _secret_forms(device):
            assert secret not in page
