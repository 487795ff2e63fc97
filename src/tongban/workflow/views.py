"""The process modeller for 事项管理 staff: list the department's items' processes, draw or upload
a new version, pick which version the next cases run.

Without JavaScript the page shows the process as an SVG picture and takes a .bpmn upload; with
it, bpmn-js (installed from npm into the static files) edits the diagram in the page and the
same form posts the edited document.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongban.catalog.models import ServiceItem
from tongban.core.errors import ServiceError
from tongban.identity.views import staff_required

from . import selectors, services
from .diagram import for_modeller, render_svg, with_diagram
from .models import ProcessDefinition


def _require_catalogue(request: HttpRequest) -> None:
    if not selectors.catalogue_department_ids(request.user):
        raise Http404()


@staff_required
@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    _require_catalogue(request)
    query = request.GET.get("q", "").strip()[:60]
    page = Paginator(selectors.managed_items(request.user, query), 50).get_page(request.GET.get("page"))
    items = selectors.with_current(page.object_list)
    return render(request, "workflow/process_list.html", {"items": items, "page": page, "q": query})


def _detail(
    request: HttpRequest, item: ServiceItem, *, error: str = "", bpmn: str | None = None, status: int = 200
) -> HttpResponse:
    current = selectors.definition_for_item(item)
    shown = current
    wanted = request.GET.get("version")
    all_versions = selectors.versions(item)
    if wanted and wanted.isdigit():
        shown = next((v for v in all_versions if v.pk == int(wanted)), current)
        if shown.pk != current.pk:
            shown = ProcessDefinition.objects.get(pk=shown.pk)
    document = bpmn if bpmn is not None else for_modeller(shown.bpmn)
    try:
        svg = render_svg(shown.bpmn, shown.name)
    except Exception:  # a stored document always parses; never break the page for its picture
        svg = ""
    context = {
        "item": item,
        "current": current,
        "shown": shown,
        "versions": all_versions,
        "svg": svg,
        "document": document,
        "errors": [line for line in error.split("；") if line.strip()],
    }
    return render(request, "workflow/process_detail.html", context, status=status)


@staff_required
@require_GET
def process_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    return _detail(request, selectors.managed_item(request.user, item_id))


@staff_required
@require_POST
def process_save(request: HttpRequest, item_id: int) -> HttpResponse:
    """A new version from the modeller (field ``bpmn``) or an uploaded file (``bpmn_file``)."""
    item = selectors.managed_item(request.user, item_id)
    upload = request.FILES.get("bpmn_file")
    if upload is not None:
        if upload.size > services.MAX_BPMN_BYTES:
            return _detail(request, item, error=_("BPMN 文件过大（上限 512 KB）。"), status=400)
        document: str | bytes = upload.read()
    else:
        document = request.POST.get("bpmn", "")
    try:
        definition = services.save_version(
            actor=request.user, item=item, bpmn=document, name=request.POST.get("name", "")
        )
    except ServiceError as exc:
        text = document if isinstance(document, str) else None
        return _detail(request, item, error=exc.message, bpmn=text, status=400)
    messages.success(
        request, _("已保存为第 %(version)s 版，下一件申请起使用。") % {"version": definition.version}
    )
    return redirect("workflow:process_detail", item_id=item.pk)


@staff_required
@require_POST
def process_assign(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.managed_item(request.user, item_id)
    raw = request.POST.get("definition", "")
    try:
        definition = services.assign_version(
            actor=request.user, item=item, definition_id=int(raw) if raw.isdigit() else 0
        )
    except ServiceError as exc:
        return _detail(request, item, error=exc.message, status=400)
    messages.success(request, _("下一件申请起使用“%(name)s”。") % {"name": definition.name})
    return redirect("workflow:process_detail", item_id=item.pk)


@staff_required
@require_GET
def process_download(request: HttpRequest, item_id: int, definition_id: int) -> HttpResponse:
    """One version as a .bpmn file (with a diagram), to edit elsewhere and upload again."""
    item = selectors.managed_item(request.user, item_id)
    if not any(v.pk == definition_id for v in selectors.versions(item)):
        raise Http404()
    definition = ProcessDefinition.objects.get(pk=definition_id)
    response = HttpResponse(with_diagram(definition.bpmn), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="process-{item.pk}-v{definition.version}.bpmn"'
    return response
