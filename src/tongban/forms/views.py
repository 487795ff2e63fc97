"""The form editor: catalogue admins change an item's application form in pages, not JSON.

Every change goes to the item's working draft through ``services.change_draft``; publishing
makes it a new active version. Works without JavaScript (up/down buttons); ``editor.js`` adds
drag-and-drop, posting the same ``reorder`` form.
"""

import json
from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.forms import add_service_errors, describe_hints
from tongban.catalog.models import ServiceItem
from tongban.catalog.views import catalogue_staff
from tongban.core.errors import InvalidInput, ServiceError

from . import editing, preview, selectors, services
from .editor_forms import NEW_SECTION, FieldForm
from .models import FormDefinition


def _item(request: HttpRequest, pk: int) -> ServiceItem:
    return catalog_selectors.workspace_item(request.user, pk)


def _working(item: ServiceItem) -> tuple[FormDefinition | None, FormDefinition | None]:
    """(draft, active) of the item."""
    return services.current_draft(item), selectors.active_form(item)


def _shown(item: ServiceItem) -> tuple[dict, dict, str]:
    """The definition the editor shows: the draft, else the active version, else the default."""
    draft, active = _working(item)
    source = draft or active
    if source is not None:
        schema, layout = editing.normalized(source.schema, source.layout)
        return schema, layout, source.title
    schema, layout = services.default_schema_for(item)
    schema, layout = editing.normalized(schema, layout)
    return schema, layout, f"{item.name}申请表"


@catalogue_staff
def editor(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    draft, active = _working(item)
    schema, layout, title = _shown(item)
    props = schema["properties"]
    required = set(schema.get("required") or [])
    conditions = layout.get("conditions") or {}
    sections = []
    for index, section in enumerate(layout["sections"]):
        rows = []
        for name in section["fields"]:
            prop = props[name]
            condition = conditions.get(name)
            rows.append(
                {
                    "name": name,
                    "title": prop.get("title", name),
                    "required": name in required,
                    "notes": editing.describe(prop),
                    "condition": _("仅当“%(field)s”为“%(value)s”时显示")
                    % {"field": props.get(condition["field"], {}).get("title"), "value": condition["equals"]}
                    if condition
                    else "",
                    "editable": prop.get("x-widget") != "rows",
                }
            )
        sections.append({"index": index, "title": section["title"], "fields": rows})
    context = {
        "item": item,
        "draft": draft,
        "active": active,
        "title": title,
        "sections": sections,
        "versions": selectors.recent_versions(item),
    }
    return render(request, "forms/editor.html", context)


def _field_page(request: HttpRequest, item: ServiceItem, original: str | None) -> HttpResponse:
    schema, layout, _title = _shown(item)
    if original is not None and original not in schema["properties"]:
        raise Http404()
    initial = None
    if original is not None:
        initial = FieldForm.initial_for(schema, editing.spec_of(schema, layout, original))
    form = FieldForm(request.POST or None, initial=initial, schema=schema, layout=layout, original=original)
    if request.method == "POST" and form.is_valid():
        try:
            spec = editing.spec_from(form.cleaned_data)
            spec.section = form.section_title()
            if form.cleaned_data.get("section") == NEW_SECTION and not spec.section:
                raise InvalidInput("请填写新步骤名称。", field="new_section")
            spec.condition_field, spec.condition_value = editing.parse_condition(
                schema, form.cleaned_data.get("condition") or ""
            )
            services.change_draft(
                actor=request.user, item=item, change=partial(_put, spec=spec, original=original)
            )
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("字段已保存到草稿，发布后生效。"))
            return redirect("forms:editor", pk=item.pk)
    context = {
        "item": item,
        "form": form,
        "original": original,
        "heading": _("添加字段") if original is None else _("修改字段"),
    }
    describe_hints(form)
    return render(request, "forms/field.html", context, status=400 if form.errors else 200)


def _put(schema: dict, layout: dict, *, spec: editing.FieldSpec, original: str | None) -> tuple[dict, dict]:
    return editing.put_field(schema, layout, spec, original)


@catalogue_staff
def field_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _field_page(request, _item(request, pk), None)


@catalogue_staff
def field_edit(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    return _field_page(request, _item(request, pk), name)


def _apply(
    request: HttpRequest, item: ServiceItem, change: Callable[[dict, dict], tuple[dict, dict]], done: str
) -> HttpResponse:
    try:
        services.change_draft(actor=request.user, item=item, change=change)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("forms:editor", pk=item.pk)


@require_POST
@catalogue_staff
def field_remove(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    item = _item(request, pk)
    return _apply(request, item, lambda s, lay: editing.remove_field(s, lay, name), _("字段已从草稿中删除。"))


@require_POST
@catalogue_staff
def field_move(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    item = _item(request, pk)
    direction = request.POST.get("direction", "")
    return _apply(
        request, item, lambda s, lay: editing.move_field(s, lay, name, direction), _("顺序已调整。")
    )


@require_POST
@catalogue_staff
def reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Drag-and-drop: ``order`` is JSON, a list of each section's field names."""
    item = _item(request, pk)
    try:
        sections = json.loads(request.POST.get("order", ""))
        if not isinstance(sections, list) or not all(
            isinstance(s, list) and all(isinstance(n, str) for n in s) for s in sections
        ):
            raise ValueError
    except ValueError:
        sections = None
    if request.headers.get("Accept", "").startswith("application/json"):
        try:
            if sections is None:
                raise InvalidInput("排序数据无效。", field="order")
            services.change_draft(
                actor=request.user, item=item, change=lambda s, lay: editing.reorder(s, lay, sections)
            )
        except ServiceError as exc:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
        return JsonResponse({"ok": True})
    if sections is None:
        messages.error(request, _("排序数据无效。"))
        return redirect("forms:editor", pk=item.pk)
    return _apply(request, item, lambda s, lay: editing.reorder(s, lay, sections), _("顺序已调整。"))


@require_POST
@catalogue_staff
def draft_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the draft as the new version, discard it, or rename the form."""
    item = _item(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            form = services.publish_draft(actor=request.user, item=item)
            messages.success(
                request, _("已发布为第 %(v)s 版，之后的申请使用这个版本。") % {"v": form.version}
            )
        elif action == "discard":
            services.discard_draft(actor=request.user, item=item)
            messages.success(request, _("草稿已放弃，申请人仍使用当前版本。"))
        elif action == "rename":
            services.rename_draft(actor=request.user, item=item, title=request.POST.get("title", ""))
            messages.success(request, _("表单名称已保存到草稿。"))
        else:
            raise Http404()
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("forms:editor", pk=item.pk)


@catalogue_staff
def form_preview(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    draft, active = _working(item)
    schema, layout, title = _shown(item)
    html = preview.render(request, schema, layout)
    context = {
        "item": item,
        "title": title,
        "draft": draft,
        "active": active,
        "preview": mark_safe(html) if html is not None else None,  # noqa: S308 - rendered by our templates
        "fields": [(n, p.get("title", n)) for n, p in schema["properties"].items()],
    }
    return render(request, "forms/preview.html", context)
