from django.conf import settings
from django.http import HttpRequest


def preferences(request: HttpRequest) -> dict:
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "selected_region_code": getattr(request, "region_code", ""),
        "site_name": settings.TONGBAN_SITE_NAME,
    }
