"""Login throttling beyond the per-account lockout: by address and across the whole site.

Per account, django-axes locks an account after ``AXES_FAILURE_LIMIT`` failures. Password
spraying tries one password on many accounts, which that never sees, so two more rules hold:

* **By address.** When the failures from one address within the cool-off name
  ``TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT`` different accounts, that address may not sign in until
  enough of them have aged out of the cool-off. Only failures still standing count: an account
  that then signs in successfully has its failures cleared (``AXES_RESET_ON_SUCCESS``), so a
  service hall behind one address, whose visitors mistype and then succeed, stays far below the
  limit. The count comes from django-axes' own attempt rows, so every web process agrees.
* **Across the site.** Every failed login counts in a shared window counter (``ratelimit``, rows
  in the database updated atomically). While the failures in the current or previous window
  reach ``TONGBAN_LOGIN_SITE_FAILURE_LIMIT`` the site is under attack: each failure then makes
  its address wait ``TONGBAN_LOGIN_ATTACK_DELAY_SECONDS`` before the next attempt (a marker in
  the shared cache). A distributed attack is slowed to one guess per address and delay; a person
  who mistypes once waits half a minute.

An attempt refused by these rules is not counted as a failure, so a locked address's cool-off
is not prolonged by knocking, and it does not feed the site-wide rate.
"""

import datetime

from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from . import ratelimit

SITE_KEY = "login:failures:site"


def _address(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or None


def _delay_key(address: str) -> str:
    return f"login:attack-delay:{address}"


def _cool_off() -> datetime.timedelta:
    return get_cool_off() or datetime.timedelta(minutes=15)


def _minutes(delta: datetime.timedelta) -> int:
    return max(1, round(delta.total_seconds() / 60))


def failed_accounts_from(address: str) -> int:
    """Different accounts named by failed logins from ``address`` within the cool-off."""
    since = timezone.now() - _cool_off()
    return (
        AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
        .values("username")
        .distinct()
        .count()
    )


def site_under_attack() -> bool:
    """True while the site-wide failures of the current or the previous window reach the limit."""
    seconds = settings.TONGBAN_LOGIN_SITE_WINDOW_SECONDS
    now = timezone.now()
    limit = settings.TONGBAN_LOGIN_SITE_FAILURE_LIMIT
    return any(
        ratelimit.current(SITE_KEY, seconds, now=at) >= limit
        for at in (now, now - datetime.timedelta(seconds=seconds))
    )


def address_refusal(request: HttpRequest | None) -> str | None:
    """The Chinese reason this request's address may not try to sign in now, or None."""
    if request is None:
        return None
    address = _address(request)
    if not address:
        return None
    if cache.get(_delay_key(address)):
        return (
            f"系统正在抵御大量异常登录。为保护账号安全，登录失败后需等待 "
            f"{settings.TONGBAN_LOGIN_ATTACK_DELAY_SECONDS} 秒再试。"
        )
    if failed_accounts_from(address) >= settings.TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT:
        return (
            f"您所在的网络地址近期有许多账号登录失败，已暂停从该地址登录，请 {_minutes(_cool_off())} "
            f"分钟后再试。在办事大厅等共用网络中，可请工作人员协助。"
        )
    return None


@receiver(user_login_failed, dispatch_uid="tongban.identity.throttle.count_failure")
def count_failure(
    sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: object
) -> None:
    """Count a failed login site-wide; under attack, make its address wait before the next try."""
    if request is None or getattr(request, "axes_locked_out", False):
        return
    seconds = settings.TONGBAN_LOGIN_SITE_WINDOW_SECONDS
    ratelimit.hit(SITE_KEY, settings.TONGBAN_LOGIN_SITE_FAILURE_LIMIT, seconds)
    address = _address(request)
    if address and site_under_attack():
        cache.set(_delay_key(address), 1, timeout=settings.TONGBAN_LOGIN_ATTACK_DELAY_SECONDS)
