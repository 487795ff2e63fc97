"""Passkeys: registration, passwordless sign-in and passkey as second factor, in chromium with a
virtual authenticator (Chrome DevTools WebAuthn domain), plus the refusals through the test client."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from tongban.identity.models import LoginEvent

from .conftest import assert_axe_clean, log_in


@pytest.fixture
def webauthn_origin(settings, live_server):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return live_server.url


def virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_register_then_sign_in_without_password_then_as_second_factor(webauthn_origin, citizen, page):
    base = webauthn_origin
    virtual_authenticator(page)

    page.goto(f"{base}/account/login/?next=/account/passkeys/")
    log_in(page)
    expect(page.get_by_role("heading", level=1, name="通行密钥（Passkey）")).to_be_visible()
    expect(page.get_by_text("您还没有添加通行密钥。")).to_be_visible()
    assert_axe_clean(page, "passkeys page")
    page.get_by_role("button", name="在本设备上添加通行密钥").click()
    expect(page.get_by_role("button", name="删除通行密钥 1")).to_be_visible()
    credential = WebAuthnCredential.objects.get(user=citizen)
    assert credential.confirmed

    page.goto(f"{base}/account/")
    expect(page.get_by_role("heading", name="通行密钥（Passkey）")).to_be_visible()

    # Passwordless: a fresh browser session, the passkey alone.
    page.context.clear_cookies()
    page.goto(f"{base}/account/login/passkey/?next=/account/connected-apps/")
    assert_axe_clean(page, "passkey sign-in page")
    page.get_by_role("button", name="使用通行密钥登录").click()
    page.wait_for_url(re.compile(r"^[^?]*/account/connected-apps/$"))
    expect(page.get_by_role("heading", name="已授权的部门系统")).to_be_visible()
    assert LoginEvent.objects.filter(user=citizen, method=LoginEvent.Method.OTHER, success=True).count() == 1

    # Second factor: once the person has TOTP, the password is followed by a passkey instead of a code.
    TOTPDevice.objects.create(user=citizen, name="身份验证器", confirmed=True)
    page.context.clear_cookies()
    page.goto(f"{base}/account/login/?next=/account/connected-apps/")
    log_in(page)
    page.wait_for_url(re.compile(r"^[^?]*/account/login/two-factor/$"))
    page.goto(f"{base}/account/login/two-factor/passkey/")
    assert_axe_clean(page, "passkey second factor page")
    page.get_by_role("button", name="使用通行密钥验证").click()
    page.wait_for_url(re.compile(r"^[^?]*/account/connected-apps/$"))
    assert LoginEvent.objects.filter(user=citizen, method=LoginEvent.Method.OTHER, success=True).count() == 2


@pytest.mark.django_db
class TestRefusals:
    def test_second_factor_needs_a_pending_password_login(self, client, citizen):
        response = client.post("/passkeys/second-factor/begin/")
        assert response.status_code in (401, 403)
        assert client.get("/account/login/two-factor/passkey/").status_code == 302

    def test_second_factor_is_not_offered_to_a_signed_in_session(self, client, citizen):
        client.force_login(citizen)
        assert client.post("/passkeys/second-factor/begin/").status_code in (401, 403)

    def test_registration_needs_a_signed_in_person(self, client):
        assert client.post("/passkeys/register/begin/").status_code in (401, 403)

    def test_registration_with_an_unverified_session_is_refused_once_enrolled(self, client, citizen):
        TOTPDevice.objects.create(user=citizen, name="身份验证器", confirmed=True)
        client.force_login(citizen)
        assert client.post("/passkeys/register/begin/").status_code == 403

    def test_registration_options_for_a_signed_in_person(self, client, citizen):
        client.force_login(citizen)
        options = client.post("/passkeys/register/begin/").json()
        assert options["rp"]["id"] == "localhost"
        assert options["user"]["name"]

    def test_sign_in_options_require_user_verification(self, client):
        options = client.post("/passkeys/sign-in/begin/").json()
        assert options["userVerification"] == "required"

    def test_garbage_assertion_is_refused(self, client):
        client.post("/passkeys/sign-in/begin/")
        response = client.post(
            "/passkeys/sign-in/complete/", data='{"id": "x"}', content_type="application/json"
        )
        assert response.status_code >= 400
        assert "_auth_user_id" not in client.session

    def test_only_the_owner_removes_a_passkey(self, client, citizen, other_citizen):
        credential = WebAuthnCredential.objects.create(
            user=citizen, name="key", credential_id=b"\x00" * 16, confirmed=True
        )
        client.force_login(other_citizen)
        assert client.post(f"/account/passkeys/{credential.pk}/remove/").status_code == 404
        assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()
        client.force_login(citizen)
        assert client.post(f"/account/passkeys/{credential.pk}/remove/").status_code == 302
        assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()

    def test_anonymous_cannot_remove(self, client, citizen):
        credential = WebAuthnCredential.objects.create(
            user=citizen, name="key", credential_id=b"\x11" * 16, confirmed=True
        )
        response = client.post(f"/account/passkeys/{credential.pk}/remove/")
        assert response.status_code == 302 and "/account/login/" in response["Location"]
        assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


@pytest.mark.django_db
class TestLoginPagesOfferPasskeys:
    def test_citizen_and_staff_login_link_to_passkey_sign_in(self, client):
        assert "/account/login/passkey/" in client.get("/account/login/?next=/account/").content.decode()
        assert "/account/login/passkey/" in client.get("/staff/login/").content.decode()

    def test_totp_step_links_to_the_passkey_second_factor(self, client, citizen):
        TOTPDevice.objects.create(user=citizen, name="身份验证器", confirmed=True)
        response = client.post(
            "/account/login/", {"method": "password", "username": "zhangsan", "password": "pw-123456"}
        )
        assert response.status_code == 302 and response["Location"].endswith("/account/login/two-factor/")
        page = client.get(response["Location"]).content.decode()
        assert "/account/login/two-factor/passkey/" in page
        assert client.get("/account/login/two-factor/passkey/").status_code == 200
