"""Passkeys (WebAuthn, django-otp-webauthn) for citizens and staff.

Three ceremonies, all JSON endpoints used by the library's browser script:

* registration, for a signed-in person whose session passed its second factor (the library
  refuses an unverified session of someone who already has a device);
* second factor: after the password, a passkey instead of the TOTP code (the pending login of
  ``tongban.identity.services``);
* sign-in without a password: a discoverable passkey with user verification, which is itself
  two factors (the device and the PIN or biometric that unlocks it).

Each successful login goes through the identity app's ``complete_login``, so session rotation,
login history and lockout hold as for every other way in.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    CompleteCredentialAuthenticationView,
)

from tongban.identity import services as identity
from tongban.identity.models import LoginEvent


def _pending_for_second_factor(request: HttpRequest):
    user, step = identity.pending_user(request)
    return user if step == "totp" else None


def _next_after_login(request: HttpRequest) -> str:
    target = request.session.pop("tongban_login_next", None) or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("identity:account")


class _Locked(exceptions.OTPWebAuthnApiError):
    status_code = 429
    code = "locked_out"
    default_detail = "登录失败次数过多，账号已暂时锁定，请稍后再试。"


def _finish(request: HttpRequest, user, device) -> None:
    try:
        identity.ensure_not_locked(request, user.username)
    except identity.LockedOut as exc:
        raise _Locked() from exc
    request.session.pop(identity.PENDING_KEY, None)
    identity.complete_login(request, user, LoginEvent.Method.OTHER, device=device)


class SecondFactorBegin(BeginCredentialAuthenticationView):
    def get_user(self):
        return _pending_for_second_factor(self.request)

    def check_can_authenticate(self) -> None:
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()


class SecondFactorComplete(CompleteCredentialAuthenticationView):
    def get_user(self):
        return _pending_for_second_factor(self.request)

    def check_can_authenticate(self) -> None:
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()

    def complete_auth(self, device: WebAuthnCredential) -> None:
        user = self.get_user()
        if user is None or device.user_id != user.pk:
            raise exceptions.CredentialUserMismatch()
        _finish(self.request, user, device)

    def get_success_url(self) -> str:
        return _next_after_login(self.request)


class SignInBegin(BeginCredentialAuthenticationView):
    """Passwordless: no user is assumed, whatever the session holds, and user verification is required."""

    def get_user(self) -> None:
        return None


class SignInComplete(CompleteCredentialAuthenticationView):
    def get_user(self) -> None:
        return None

    def complete_auth(self, device: WebAuthnCredential) -> None:
        _finish(self.request, device.user, device)

    def get_success_url(self) -> str:
        return _next_after_login(self.request)


@login_required
@require_POST
def remove_passkey(request: HttpRequest, pk: int) -> HttpResponse:
    """A person removes one of their own passkeys; anyone else's id is simply not found."""
    credential = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    credential.delete()
    return redirect(reverse("identity:account") + "#passkeys")


def passkeys_section(request: HttpRequest) -> dict | None:
    """Context for the "passkeys" section of the account page."""
    if not request.user.is_authenticated:
        return None
    return {"passkeys": list(WebAuthnCredential.objects.filter(user=request.user).order_by("-created_at"))}


def passkey_config(request: HttpRequest, ceremony: str) -> dict:
    """The configuration the library's browser script reads, pointing at our endpoints."""
    from django.middleware import csrf

    begin, complete = {
        "register": ("oidc:passkey-register-begin", "oidc:passkey-register-complete"),
        "second_factor": ("oidc:passkey-2fa-begin", "oidc:passkey-2fa-complete"),
        "sign_in": ("oidc:passkey-signin-begin", "oidc:passkey-signin-complete"),
    }[ceremony]
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "#passkey-next",  # base.html has other next fields
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse(begin),
        "completeAuthenticationUrl": reverse(complete),
        "beginRegistrationUrl": reverse(begin),
        "completeRegistrationUrl": reverse(complete),
    }


@login_required
def passkeys_page(request: HttpRequest) -> HttpResponse:
    context = passkeys_section(request) or {}
    context["passkey_config"] = passkey_config(request, "register")
    return render(request, "oidc/passkeys_page.html", context)


def sign_in_page(request: HttpRequest) -> HttpResponse:
    """Sign in with a passkey alone (linked from the login pages)."""
    return render(request, "oidc/passkey_sign_in.html", {"next": request.GET.get("next", "")})


def second_factor_page(request: HttpRequest) -> HttpResponse:
    """After the password: confirm with a passkey instead of the TOTP code (linked from the TOTP step)."""
    if _pending_for_second_factor(request) is None:
        return redirect("identity:login")
    return render(request, "oidc/passkey_second_factor.html", {})
