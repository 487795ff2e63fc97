"""Static files served by the web application itself (WhiteNoise), with the pages' security headers.

Granian's own file serving cannot add headers, so a static file served by it had no ``nosniff``
and no CSP: an uploaded-looking SVG or HTML file under ``/static/`` would run with the site's
origin. Served here instead, the answer passes back through ``SecurityMiddleware`` (nosniff,
Referrer-Policy, HSTS behind TLS, COOP) and gets the pages' CSP (without a nonce: no static file
has inline scripts) and ``X-Frame-Options``.
"""

from typing import Any

from django.conf import settings
from django.utils.csp import build_policy
from whitenoise.middleware import WhiteNoiseMiddleware


def add_headers(headers: Any, path: str, url: str) -> None:
    """WhiteNoise's hook, run once per file when it is first indexed."""
    headers["Content-Security-Policy"] = build_policy(settings.SECURE_CSP)
    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    headers["X-Content-Type-Options"] = "nosniff"


class _Settings:
    """Django's settings with Tongban's header hook, handed to WhiteNoise."""

    WHITENOISE_ADD_HEADERS_FUNCTION = staticmethod(add_headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(settings, name)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    def __init__(self, get_response: Any = None) -> None:
        super().__init__(get_response, settings=_Settings())
