"""Pages of the open-data portal (/opendata/): the list, a dataset's landing page, downloads
and metadata. Anyone may read them; the only write is the download counter."""

import json

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import exports, metadata, selectors, services
from .datasets import Field

PREVIEW_SIZE = 20


def _display(field: Field, value) -> dict:
    """One preview cell: its text, and whether it is a suppressed statistic."""
    if value is None:
        return {"suppressed": field.suppressible, "text": "" if field.suppressible else "—"}
    if isinstance(value, bool):
        return {"suppressed": False, "text": _("是") if value else _("否")}
    if field.name.endswith("_rate"):
        return {"suppressed": False, "text": f"{value * 100:.1f}%"}
    return {"suppressed": False, "text": str(value)}


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/index.html",
        {
            "summaries": selectors.summaries(),
            "licence_url": metadata.LICENSE_URL,
            "licence": metadata.LICENSE_NAME,
        },
    )


@require_safe
def dataset(request: HttpRequest, slug: str) -> HttpResponse:
    """The landing page; a bad filter or page number is shown beside the filters (422)."""
    summary = selectors.summary(slug)
    spec = summary.spec
    error = None
    try:
        filters = selectors.parse_filters(spec, {k: v for k, v in request.GET.items() if k in spec.filters})
        page_number, _size = selectors.parse_page(request.GET.get("page", 1), PREVIEW_SIZE)
        page = selectors.page_of(spec, filters, page_number, PREVIEW_SIZE)
    except selectors.BadFilter as exc:
        error = exc.message
        page = selectors.page_of(spec, {}, 1, PREVIEW_SIZE)
    columns = [f for f in spec.fields if not spec.preview or f.name in spec.preview]
    table = [[_display(f, row[f.name]) for f in columns] for row in page.rows]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "summary": summary,
        "spec": spec,
        "columns": columns,
        "table": table,
        "page": page,
        "error": error,
        "filters": {name: request.GET.get(name, "") for name in spec.filters},
        "filter_query": "" if error else query.urlencode(),
        "formats": metadata.FORMATS,
        "licence_url": metadata.LICENSE_URL,
        "licence": metadata.LICENSE_NAME,
        "suppressed_note": spec.suppression_note,
    }
    return render(request, "opendata/dataset.html", context, status=422 if error else 200)


@require_safe
def download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    spec = selectors.get_spec(slug)
    filters = selectors.parse_filters(spec, {k: v for k, v in request.GET.items() if k in spec.filters})
    services.record_download(slug)
    rows = spec.rows(filters)
    name = f"{slug}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_chunks(spec, rows), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "json":
        head = {"name": spec.slug, "title": str(spec.title), "licence": metadata.LICENSE_URL}
        response = StreamingHttpResponse(
            exports.json_chunks(spec, rows, head), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(exports.xlsx_bytes(spec, rows), content_type=metadata.FORMATS["xlsx"][1])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def datapackage(request: HttpRequest, slug: str) -> HttpResponse:
    summary = selectors.summary(slug)
    body = json.dumps(metadata.datapackage(summary.spec, summary.modified), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _rdf(graph, fmt: str) -> HttpResponse:
    if fmt == "ttl":
        return HttpResponse(metadata.to_turtle(graph), content_type="text/turtle; charset=utf-8")
    return HttpResponse(metadata.to_jsonld(graph), content_type="application/ld+json; charset=utf-8")


@require_safe
def dataset_metadata(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    summary = selectors.summary(slug)
    return _rdf(metadata.catalogue_graph({slug: summary.modified}, only=slug), fmt)


@require_safe
def catalogue(request: HttpRequest, fmt: str) -> HttpResponse:
    modified = {s.spec.slug: s.modified for s in selectors.summaries()}
    return _rdf(metadata.catalogue_graph(modified), fmt)
