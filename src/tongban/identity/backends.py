"""Authentication backends: lockout (django-axes), mobile-or-username login, staff roles.

``StaffRoleBackend`` answers object permissions from ``StaffMembership`` rows, so apps below
identity (the catalogue) can ask ``user.has_perm("catalog.change_serviceitem", department)``
without importing identity.
"""

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from tongban.departments.models import Department

from .throttle import address_refusal


def lockout_username(request: HttpRequest, credentials: dict[str, Any]) -> str:
    """One lockout counter per account, whether it was named by mobile number or user name."""
    value = str((credentials or {}).get("username") or "").strip()
    if value:
        found = get_user_model().objects.filter(mobile=value).values_list("username", flat=True).first()
        if found:
            return found
    return value


class LockoutBackend(AxesStandaloneBackend):
    """Refuses locked-out usernames; skipped when there is no request (shell, scripts, tests)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        if address_refusal(request):  # an address throttled for spraying (e.g. on the admin login)
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("address throttled")
        return super().authenticate(request, username=username, password=password, **kwargs)


class MobileOrUsernameBackend(ModelBackend):
    """Citizens sign in with their mobile number, staff with their user name."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ):
        if not username or password is None:
            return None
        model = get_user_model()
        user = model.objects.filter(Q(username=username) | Q(mobile=username)).order_by("id").first()
        if user is None:
            model().set_password(password)  # same time cost as a real check: no user enumeration
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


# Permissions that a role grants on the objects of its own department.
ROLE_PERMISSIONS = {
    "catalog.change_serviceitem": "catalogue",
    "catalog.add_serviceitem": "catalogue",
}


class StaffRoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        role = ROLE_PERMISSIONS.get(perm)
        if role is None or obj is None or not getattr(user_obj, "is_active", False):
            return False
        department = obj if isinstance(obj, Department) else getattr(obj, "department", None)
        if not isinstance(department, Department):
            return False
        from .permissions import has_role

        return has_role(user_obj, role, department)
