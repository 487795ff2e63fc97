"""The visitor's chosen region and the cookies that remember preferences."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from tongban.regions.models import Region
from tongban.regions.selectors import region_by_code

from .middleware import COOKIE_MAX_AGE, clean_region_code

_UNSET = object()


def current_region(request: HttpRequest) -> Region | None:
    """The region from the ``tb_region`` cookie, else the site default; looked up once per request."""
    cached = getattr(request, "_tb_region", _UNSET)
    if cached is not _UNSET:
        return cached
    code = getattr(request, "region_code", "") or clean_region_code(settings.TONGBAN_DEFAULT_REGION)
    region = region_by_code(code) if code else None
    request._tb_region = region
    return region


def set_preference_cookie(request: HttpRequest, response: HttpResponse, name: str, value: str) -> None:
    if value:
        response.set_cookie(
            name,
            value,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(name, samesite="Lax")


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """Where to go back to after a preference form: only a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
