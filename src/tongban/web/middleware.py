"""Per-visitor display preferences (elderly mode, chosen region) read from cookies.

Cookies rather than the session so that anonymous visitors keep their choice without a
database write on every page, and so the choice works without JavaScript.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

ELDERLY_COOKIE = "tb_elderly"
REGION_COOKIE = "tb_region"


class PreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elderly_mode = request.COOKIES.get(ELDERLY_COOKIE) == "1"
        request.region_code = request.COOKIES.get(REGION_COOKIE, "")
        return self.get_response(request)
