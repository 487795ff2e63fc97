"""A URLconf whose views raise each service error, for the error middleware's tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tongban.core.errors import InvalidInput, NotFound, PermissionDenied


def missing(request: HttpRequest) -> HttpResponse:
    raise NotFound("该办件不存在。")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("只有申请人本人可以撤回。")


def invalid(request: HttpRequest) -> HttpResponse:
    raise InvalidInput("撤回原因不能超过 200 字。")


def fine(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def broken(request: HttpRequest) -> HttpResponse:
    raise ValueError("not a service error")


urlpatterns = [
    path("missing/", missing),
    path("forbidden/", forbidden),
    path("invalid/", invalid),
    path("fine/", fine),
    path("broken/", broken),
    # The site's own pages, which the error pages link to.
    path("", include("tongban.urls")),
]
