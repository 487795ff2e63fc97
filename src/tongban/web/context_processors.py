from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .preferences import current_region

STAFF_PREFIX = "/staff/"


def staff_area(request: HttpRequest) -> bool:
    """Does this page wear the staff header? Every page under /staff/, and any page a signed-in
    staff member opens (their account, the guides they look up): the citizen's links and
    wording ("我的办件") would be wrong for them."""
    if request.path.startswith(STAFF_PREFIX):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "kind", "") == "staff")


def _staff_roles(request: HttpRequest) -> set[str]:
    from tongban.identity import permissions

    return permissions.roles(request.user) if getattr(request, "user", None) is not None else set()


def preferences(request: HttpRequest) -> dict:
    """Display preferences for every template; the region is looked up only if a page shows it."""
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "selected_region_code": getattr(request, "region_code", ""),
        "current_region": SimpleLazyObject(lambda: current_region(request)),
        "site_name": settings.TONGBAN_SITE_NAME,
        "staff_area": SimpleLazyObject(lambda: staff_area(request)),
        "staff_roles": SimpleLazyObject(lambda: _staff_roles(request)),
    }
