"""Protection settings as a production process sees them (a fresh interpreter, real environment)."""

import pytest
from django.urls import reverse

from tests.fresh_settings import fresh_settings
from tests.identity.factories import CitizenFactory


def production_settings(**env: str) -> dict:
    return fresh_settings(
        "{k: str(getattr(settings, k)) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_AGE', "
        "'AXES_FAILURE_LIMIT', 'AXES_HANDLER', 'AXES_LOCKOUT_PARAMETERS', 'TONGBAN_SMS_BACKEND')} "
        "| {'hasher': settings.PASSWORD_HASHERS[0], 'csp': 'django.middleware.csp.ContentSecurityPolicyMiddleware' "
        "in settings.MIDDLEWARE, 'csrf': 'django.middleware.csrf.CsrfViewMiddleware' in settings.MIDDLEWARE}",
        **env,
    )


def test_production_defaults(tmp_path):
    values = production_settings(TONGBAN_VAR_DIR=str(tmp_path))
    assert values["SESSION_COOKIE_SECURE"] == values["CSRF_COOKIE_SECURE"] == "True"
    assert values["SESSION_COOKIE_HTTPONLY"] == "True"
    assert int(values["SESSION_COOKIE_AGE"]) == 8 * 3600
    assert values["AXES_FAILURE_LIMIT"] == "5"
    assert values["AXES_HANDLER"] == "axes.handlers.database.AxesDatabaseHandler"
    assert values["hasher"].endswith("Argon2PasswordHasher")
    assert values["csp"] and values["csrf"]


def test_lockout_and_sms_backend_are_configurable(tmp_path):
    values = production_settings(
        TONGBAN_VAR_DIR=str(tmp_path),
        TONGBAN_LOGIN_FAILURE_LIMIT="7",
        TONGBAN_LOGIN_LOCKOUT_BY_IP="1",
        TONGBAN_SMS_BACKEND="http",
    )
    assert values["AXES_FAILURE_LIMIT"] == "7"
    assert "ip_address" in values["AXES_LOCKOUT_PARAMETERS"]
    assert values["TONGBAN_SMS_BACKEND"] == "http"


@pytest.mark.django_db
def test_login_form_needs_the_csrf_token():
    from django.test import Client

    user = CitizenFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_pages_carry_a_csp_header(client):
    response = client.get(reverse("identity:login"))
    assert "script-src" in response["Content-Security-Policy"]


def test_deploy_check_warns_about_the_development_sms_outbox(settings):
    from tongban.identity.checks import sms_backend_check

    settings.TONGBAN_SMS_BACKEND = "outbox"
    assert [w.id for w in sms_backend_check(None)] == ["identity.W001"]
    settings.TONGBAN_SMS_BACKEND = "http"
    assert sms_backend_check(None) == []
