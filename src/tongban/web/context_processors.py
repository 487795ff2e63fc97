from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .preferences import current_region


def preferences(request: HttpRequest) -> dict:
    """Display preferences for every template; the region is looked up only if a page shows it."""
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "selected_region_code": getattr(request, "region_code", ""),
        "current_region": SimpleLazyObject(lambda: current_region(request)),
        "site_name": settings.TONGBAN_SITE_NAME,
    }
