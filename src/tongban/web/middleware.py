"""Per-visitor display preferences (elderly mode, chosen region, language) read from cookies.

Cookies rather than the session so that anonymous visitors keep their choice without a
database write on every page, and so the choice works without JavaScript. Nothing here
touches the database: a cheap page such as ``/healthz`` stays cheap.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from tongban.regions.codes import RegionCodeError, normalize_region_code

ELDERLY_COOKIE = "tb_elderly"
REGION_COOKIE = "tb_region"
COOKIE_MAX_AGE = 365 * 24 * 3600


def clean_region_code(value: str | None) -> str:
    """The canonical region code in ``value``, or "" when it is not a region code at all."""
    if not value:
        return ""
    try:
        return normalize_region_code(value)
    except RegionCodeError:
        return ""


class PreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elderly_mode = request.COOKIES.get(ELDERLY_COOKIE) == "1"
        request.region_code = clean_region_code(request.COOKIES.get(REGION_COOKIE))
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            # Chinese first: a browser's Accept-Language does not switch the site to English,
            # only the visitor's own choice in the language switcher does.
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)
