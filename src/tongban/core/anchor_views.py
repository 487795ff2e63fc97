"""The public page and files of the audit anchors (/opendata/audit-anchors/): anyone may read and
copy them, so that an anchor outlives any later change to the database."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import anchors
from .models import AuditAnchor
from .public import public_reverse

PER_PAGE = 30


@require_GET
def anchor_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(AuditAnchor.objects.order_by("-seq"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/anchors.html",
        {
            "page_obj": page,
            "keys": anchors.published_keys()["keys"],
            "json_url": public_reverse("anchors:json"),
        },
    )


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def anchors_json(request: HttpRequest) -> JsonResponse:
    return _json(anchors.document())


@require_GET
def keys_json(request: HttpRequest) -> JsonResponse:
    return _json(anchors.published_keys())
