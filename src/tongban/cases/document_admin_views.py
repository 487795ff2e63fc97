"""Staff pages for wording the letters per item type (/staff/documents/), with a live preview.

Department wording: that department's 事项管理 role; platform wording: platform admins.
The checks live in ``document_templates`` (shared with any later API); these views only parse,
call it and render.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.catalog.models import ItemType
from tongban.core.downloads import file_response
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.views import staff_required

from . import document_templates as wording_of
from . import selectors
from .documents import sample_letter, to_pdf
from .models import DocumentTemplate

PLATFORM = "platform"


def _scope(request: HttpRequest, scope: str) -> Department | None:
    """The department named in the address (None = platform), after the editor check."""
    department = None if scope == PLATFORM else selectors.wording_department(scope)
    wording_of.check_editor(request.user, department)
    return department


def _scopes(user: User) -> list[tuple[str, str, Department | None]]:
    scopes = [(str(d.pk), d.name, d) for d in wording_of.editable_departments(user)]
    if permissions.is_platform_admin(user):
        scopes.insert(0, (PLATFORM, _("全平台（各部门未修改时使用）"), None))
    return scopes


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    scopes = _scopes(request.user)
    if not scopes:
        raise PermissionDenied(_("需要“事项管理”或“系统管理”角色才能管理文书模板。"))
    sections = []
    for key, name, department in scopes:
        types = []
        for item_type in wording_of.department_item_types(department):
            texts = wording_of.wordings(item_type, department)
            types.append(
                {
                    "code": item_type,
                    "label": ItemType(item_type).label,
                    "kinds": [
                        {
                            "label": label,
                            "title": texts[kind].title,
                            "source": texts[kind].source,
                            "version": texts[kind].version,
                            "url": reverse("cases:document_template", args=[key, item_type, kind]),
                        }
                        for kind, label in DocumentTemplate.Kind.choices
                    ],
                }
            )
        sections.append({"key": key, "name": name, "types": types})
    return render(request, "cases/document_templates.html", {"sections": sections})


def _edit_context(
    department: Department | None, scope: str, item_type: str, kind: str, title: str, body: str
) -> dict[str, Any]:
    history = selectors.wording_history(department, item_type, kind)
    return {
        "scope": scope,
        "scope_name": department.name if department else _("全平台"),
        "item_type": item_type,
        "item_type_label": ItemType(item_type).label,
        "kind": kind,
        "kind_label": DocumentTemplate.Kind(kind).label,
        "title": title,
        "body": body,
        "placeholders": wording_of.PLACEHOLDERS,
        "history": history,
        "remedy": wording_of.has_remedy(item_type, kind),
        "preview_url": reverse("cases:document_template_preview", args=[scope, item_type, kind]),
    }


def _preview(department: Department | None, item_type: str, kind: str, title: str, body: str) -> dict:
    title, body = wording_of.clean_wording(title, body)
    return sample_letter(item_type=item_type, kind=kind, title=title, body=body, department=department)


def _checked(request: HttpRequest, scope: str, item_type: str, kind: str) -> Department | None:
    department = _scope(request, scope)
    if kind not in DocumentTemplate.Kind.values or item_type not in wording_of.department_item_types(
        department
    ):
        raise NotFound()
    return department


@staff_required
def edit(request: HttpRequest, scope: str, item_type: str, kind: str) -> HttpResponse:
    department = _checked(request, scope, item_type, kind)
    current = wording_of.own_wording(item_type, kind, department)
    if request.method != "POST":
        context = _edit_context(department, scope, item_type, kind, current.title, current.body)
        context["version"] = current.version
        context["letter"] = _preview(department, item_type, kind, current.title, current.body)
        return render(request, "cases/document_template.html", context)
    action = request.POST.get("action", "preview")
    title, body = request.POST.get("title", ""), request.POST.get("body", "")
    if action == "default":
        inherited = wording_of.wording(item_type, kind, None) if department else None
        if inherited is None or inherited.version == 0:
            title, body = wording_of.default_wording(item_type, kind)
        else:
            title, body = inherited.title, inherited.body
    context = _edit_context(department, scope, item_type, kind, title, body)
    context["version"] = request.POST.get("version", current.version)
    try:
        if action == "save":
            version = request.POST.get("version")
            wording_of.save_wording(
                actor=request.user,
                department=department,
                item_type=item_type,
                kind=kind,
                title=title,
                body=body,
                expected_version=int(version) if version and version.isdigit() else None,
            )
            messages.success(request, _("文书模板已保存，此后生成的文书使用新的措辞。"))
            return redirect(request.path)
        letter = _preview(department, item_type, kind, title, body)
        if action == "pdf":
            return file_response(to_pdf(letter), f"预览-{letter['title']}.pdf", "application/pdf")
        context["letter"] = letter
        return render(request, "cases/document_template.html", context)
    except InvalidInput as exc:
        context["error"] = exc.message
        context["error_field"] = exc.field
        return render(request, "cases/document_template.html", context, status=400)


@staff_required
@require_POST
def preview(request: HttpRequest, scope: str, item_type: str, kind: str) -> HttpResponse:
    """The preview fragment for htmx, re-rendered as the admin types."""
    try:
        department = _checked(request, scope, item_type, kind)
        letter = _preview(
            department, item_type, kind, request.POST.get("title", ""), request.POST.get("body", "")
        )
    except InvalidInput as exc:
        return render(request, "cases/partials/document_preview.html", {"error": exc.message})
    return render(request, "cases/partials/document_preview.html", {"letter": letter})
