"""Staff sessions count only once the second factor is verified (django-otp)."""

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class StaffTwoFactorMiddleware:
    """A staff account signed in without a verified TOTP device is signed out again.

    Staff log in only through the staff login (password, then token), so this catches
    sessions created any other way (e.g. a password-only form) before they reach a view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "kind", None) == "staff"
            and not user.is_verified()
        ):
            logout(request)
            if not request.path.startswith("/api/"):
                return redirect(f"{reverse('identity:staff_login')}?next={request.path}")
        return self.get_response(request)
