"""Finding 7: password spraying from one address, and failures across the whole site, are slowed.

The per-account lockout (django-axes) stays as it was (tests/identity/test_staff.py); these tests
add the address and site-wide rules of tongban.identity.throttle.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.fresh_settings import fresh_settings
from tests.identity.factories import PASSWORD, CitizenFactory
from tongban.identity import throttle

pytestmark = pytest.mark.django_db

SPRAYER = "203.0.113.7"
NEIGHBOUR = "198.51.100.9"


def login(client, username, password, address=SPRAYER):
    return client.post(
        reverse("identity:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_spraying_sixty_accounts_from_one_address_is_stopped(client, settings):
    """The outside test's run: 60 accounts × 1 wrong password from one address."""
    assert settings.TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT == 20
    accounts = [CitizenFactory() for _ in range(60)]
    answers = [login(client, user.mobile, "Spring-2026!").status_code for user in accounts]

    assert answers[:20] == [400] * 20
    assert answers[20:] == [429] * 40
    refused = login(client, accounts[-1].mobile, "Spring-2026!")
    assert "网络地址" in refused.content.decode() and "分钟后再试" in refused.content.decode()
    # Only 20 accounts were ever tried: the refused attempts are not counted against anyone.
    assert AccessAttempt.objects.values("username").distinct().count() == 20


def test_a_throttled_address_is_refused_even_with_the_right_password(client):
    with override_settings(TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT=3):
        for n in range(3):
            assert login(client, f"1390000000{n}", "wrong-guess").status_code == 400
        victim = CitizenFactory()
        response = login(client, victim.mobile, PASSWORD)
        assert response.status_code == 429 and "_auth_user_id" not in client.session
        # The same person from another address signs in: the account itself is not locked.
        assert login(client, victim.mobile, PASSWORD, address=NEIGHBOUR).status_code == 302


def test_sms_login_from_a_throttled_address_is_refused_too(client):
    with override_settings(TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT=2):
        login(client, "13900000001", "wrong-guess")
        login(client, "13900000002", "wrong-guess")
        response = client.post(
            reverse("identity:login"),
            {"method": "sms", "mobile": "13900000003", "code": "123456"},
            REMOTE_ADDR=SPRAYER,
        )
        assert response.status_code == 429 and "网络地址" in response.content.decode()


def test_the_address_may_sign_in_again_after_the_cool_off(client):
    with override_settings(TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT=3):
        for n in range(3):
            login(client, f"1390000000{n}", "wrong-guess")
        user = CitizenFactory()
        assert login(client, user.mobile, PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(hours=1))
        assert login(client, user.mobile, PASSWORD).status_code == 302


def test_people_behind_one_address_who_then_sign_in_do_not_count(client):
    """A service hall: many people mistype once, then succeed; the address is never throttled."""
    with override_settings(TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT=3):
        for _ in range(6):
            person = CitizenFactory()
            assert login(client, person.mobile, "typo-pass").status_code == 400
            assert login(client, person.mobile, PASSWORD).status_code == 302
            client.logout()
        assert throttle.failed_accounts_from(SPRAYER) == 0


def test_failures_on_one_account_only_lock_that_account_not_the_address(client):
    with override_settings(AXES_FAILURE_LIMIT=3, TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT=2):
        target = CitizenFactory()
        for _ in range(3):
            login(client, target.mobile, "wrong-guess")
        assert login(client, target.mobile, PASSWORD).status_code == 429
        other = CitizenFactory()
        assert login(client, other.mobile, PASSWORD).status_code == 302


class TestSiteWide:
    def test_quiet_site_failures_impose_no_wait(self, client):
        user = CitizenFactory()
        assert login(client, user.mobile, "typo-pass").status_code == 400
        assert not throttle.site_under_attack()
        assert login(client, user.mobile, PASSWORD).status_code == 302

    def test_under_attack_each_failure_makes_its_address_wait(self, client):
        with override_settings(TONGBAN_LOGIN_SITE_FAILURE_LIMIT=5):
            for n in range(5):  # a distributed attack: one guess from each of five addresses
                login(client, f"1390000000{n}", "guess", address=f"192.0.2.{n + 1}")
            assert throttle.site_under_attack()
            person = CitizenFactory()
            assert login(client, person.mobile, "typo-pass", address=NEIGHBOUR).status_code == 400
            waiting = login(client, person.mobile, PASSWORD, address=NEIGHBOUR)
            assert waiting.status_code == 429
            assert "等待 30 秒" in waiting.content.decode()
            # An address that has not just failed still signs in at once.
            assert login(client, person.mobile, PASSWORD, address="192.0.2.200").status_code == 302

    def test_the_wait_is_configurable(self, client):
        with override_settings(TONGBAN_LOGIN_SITE_FAILURE_LIMIT=1, TONGBAN_LOGIN_ATTACK_DELAY_SECONDS=90):
            login(client, "13900000001", "guess")
            assert "等待 90 秒" in login(client, "13900000002", "guess").content.decode()


def test_limits_come_from_the_environment(tmp_path):
    values = fresh_settings(
        "{k: getattr(settings, k) for k in ('TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT', "
        "'TONGBAN_LOGIN_SITE_FAILURE_LIMIT', 'TONGBAN_LOGIN_SITE_WINDOW_SECONDS', "
        "'TONGBAN_LOGIN_ATTACK_DELAY_SECONDS')}",
        TONGBAN_VAR_DIR=str(tmp_path),
        TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT="40",
        TONGBAN_LOGIN_SITE_FAILURE_LIMIT="1000",
        TONGBAN_LOGIN_SITE_WINDOW_SECONDS="60",
        TONGBAN_LOGIN_ATTACK_DELAY_SECONDS="10",
    )
    assert values == {
        "TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT": 40,
        "TONGBAN_LOGIN_SITE_FAILURE_LIMIT": 1000,
        "TONGBAN_LOGIN_SITE_WINDOW_SECONDS": 60,
        "TONGBAN_LOGIN_ATTACK_DELAY_SECONDS": 10,
    }
