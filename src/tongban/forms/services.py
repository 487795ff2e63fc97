"""Catalogue admins edit forms; every saved version is checked and kept."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, PermissionDenied

from . import editing
from .models import FormDefinition
from .schema import FormSchemaError, check_definition


def _check_can_edit(actor, item: ServiceItem) -> None:
    """System (None), superusers, or catalogue admins of the item's department."""
    if actor is None or actor.is_superuser:
        return
    from tongban.catalog import services as catalog_services

    checker = getattr(catalog_services, "_check_can_manage", None)
    if checker is None:
        raise PermissionDenied()
    checker(actor, item.department)


@transaction.atomic
def save_form_version(
    *,
    actor,
    item: ServiceItem,
    title: str,
    schema: dict,
    layout: dict | None = None,
    activate: bool = False,
) -> FormDefinition:
    """Store a new version (never edits an existing one)."""
    _check_can_edit(actor, item)
    try:
        check_definition(schema, layout)
    except FormSchemaError as exc:
        raise InvalidInput("；".join(exc.errors), field="schema") from exc
    if not (title or "").strip():
        raise InvalidInput("请填写表单名称。", field="title")
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
    latest = FormDefinition.objects.filter(item=item).aggregate(v=Max("version"))["v"] or 0
    form = FormDefinition.objects.create(
        item=item,
        version=latest + 1,
        title=title.strip(),
        schema=schema,
        layout=layout or {},
        created_by=actor if actor is not None and actor.pk else None,
    )
    if activate:
        activate_form(actor=actor, form=form)
    return form


@transaction.atomic
def activate_form(*, actor, form: FormDefinition) -> FormDefinition:
    _check_can_edit(actor, form.item)
    FormDefinition.objects.filter(item=form.item, status=FormDefinition.Status.ACTIVE).exclude(
        pk=form.pk
    ).update(status=FormDefinition.Status.RETIRED)
    form.status = FormDefinition.Status.ACTIVE
    form.activated_at = timezone.now()
    form.save(update_fields=["status", "activated_at"])
    return form


def applicant_properties() -> dict:
    """The applicant's name, ID number and mobile, filled in from the signed-in account."""
    return {
        "applicant_name": {
            "type": "string",
            "x-widget": "text",
            "title": "申请人姓名",
            "maxLength": 50,
            "x-prefill": "person.name",
            "x-semantic": "applicant.name",
        },
        "applicant_id_number": {
            "type": "string",
            "x-widget": "id_number",
            "title": "身份证号码",
            "x-prefill": "person.id_number",
            "x-semantic": "applicant.id_number",
        },
        "mobile": {
            "type": "string",
            "x-widget": "mobile",
            "title": "联系电话",
            "x-prefill": "person.mobile",
            "x-semantic": "applicant.mobile",
        },
    }


def address_property(title: str, prefill: str, semantic: str = "") -> dict:
    """An address field (region and detail) filled in from ``prefill`` (a person's or enterprise's).

    ``semantic`` is the field's key in merged forms (一件事); by default the applicant's or the
    enterprise's address, after the prefill source."""
    return {
        "type": "object",
        "x-widget": "address",
        "title": title,
        "properties": {"region": {"type": "string"}, "detail": {"type": "string"}},
        "x-prefill": prefill,
        "x-semantic": semantic
        or ("enterprise.address" if prefill.startswith("enterprise") else "applicant.address"),
    }


def default_schema_for(item: ServiceItem) -> tuple[dict, dict]:
    """A sensible starting form for an item: applicant identity, contact, address, request."""
    person = item.for_person and not item.for_enterprise
    props: dict = {
        **applicant_properties(),
        "address": address_property("联系地址", "person.address" if person else "enterprise.address"),
        "request": {"type": "string", "x-widget": "textarea", "title": "申请事项说明", "maxLength": 1000},
    }
    required = ["applicant_name", "applicant_id_number", "mobile", "address"]
    sections = [
        {"title": "申请人信息", "fields": ["applicant_name", "applicant_id_number", "mobile", "address"]},
        {"title": "申请内容", "fields": ["request"]},
    ]
    if not person:
        props["enterprise_name"] = {
            "type": "string",
            "x-widget": "text",
            "title": "单位名称",
            "x-prefill": "enterprise.name",
            "x-semantic": "enterprise.name",
        }
        props["enterprise_uscc"] = {
            "type": "string",
            "x-widget": "uscc",
            "title": "统一社会信用代码",
            "x-prefill": "enterprise.uscc",
            "x-semantic": "enterprise.uscc",
        }
        required += ["enterprise_name", "enterprise_uscc"]
        sections.insert(0, {"title": "申请单位", "fields": ["enterprise_name", "enterprise_uscc"]})
    return {"type": "object", "properties": props, "required": required}, {"sections": sections}


# ---------------------------------------------------------------------------------------------
# The form editor: one working draft per item, published as a new version
#
# A draft is a version that no application can use (applications take the active version), so
# the editor may change it step by step; publishing makes it active and retires the previous
# one, which is never changed again.


def current_draft(item: ServiceItem) -> FormDefinition | None:
    return (
        FormDefinition.objects.filter(item=item, status=FormDefinition.Status.DRAFT)
        .order_by("-version")
        .first()
    )


@transaction.atomic
def start_draft(*, actor, item: ServiceItem) -> FormDefinition:
    """The item's working draft, made from the active version (or the default form) if none."""
    _check_can_edit(actor, item)
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
    draft = current_draft(item)
    if draft is not None:
        return draft
    active = FormDefinition.objects.filter(item=item, status=FormDefinition.Status.ACTIVE).first()
    if active is not None:
        title, schema, layout = active.title, active.schema, active.layout
    else:
        schema, layout = default_schema_for(item)
        title = f"{item.name}申请表"
    schema, layout = editing.normalized(schema, layout)
    latest = FormDefinition.objects.filter(item=item).aggregate(v=Max("version"))["v"] or 0
    return FormDefinition.objects.create(
        item=item,
        version=latest + 1,
        title=title,
        schema=schema,
        layout=layout,
        created_by=actor if actor is not None and actor.pk else None,
    )


@transaction.atomic
def change_draft(
    *, actor, item: ServiceItem, change: Callable[[dict, dict], tuple[dict, dict]]
) -> FormDefinition:
    """Apply one editor change (a function of ``editing``) to the item's draft, checked first."""
    draft = start_draft(actor=actor, item=item)
    draft = FormDefinition.objects.select_for_update().get(pk=draft.pk)
    if draft.status != FormDefinition.Status.DRAFT:
        raise InvalidInput("已发布的表单版本不能修改。", field="status")
    schema, layout = change(draft.schema, draft.layout)
    try:
        check_definition(schema, layout)
    except FormSchemaError as exc:
        raise InvalidInput("；".join(exc.errors), field="schema") from exc
    draft.schema, draft.layout = schema, layout
    draft.save(update_fields=["schema", "layout"])
    return draft


@transaction.atomic
def rename_draft(*, actor, item: ServiceItem, title: str) -> FormDefinition:
    if not (title or "").strip():
        raise InvalidInput("请填写表单名称。", field="title")
    draft = start_draft(actor=actor, item=item)
    draft.title = title.strip()[:200]
    draft.save(update_fields=["title"])
    return draft


@transaction.atomic
def publish_draft(*, actor, item: ServiceItem) -> FormDefinition:
    """The draft becomes the active version; the next application uses it."""
    _check_can_edit(actor, item)
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
    draft = current_draft(item)
    if draft is None:
        raise InvalidInput("没有待发布的修改。", field="status")
    try:
        check_definition(draft.schema, draft.layout)
    except FormSchemaError as exc:
        raise InvalidInput("；".join(exc.errors), field="schema") from exc
    errors = editing.problems(draft.schema, draft.layout)
    if errors:
        raise InvalidInput("；".join(errors), field="condition")
    form = activate_form(actor=actor, form=draft)
    audit.append(
        "forms.publish",
        actor=actor,
        obj=item,
        summary={
            "form": form.pk,
            "version": form.version,
            "fields": sorted(form.schema.get("properties") or {}),
        },
    )
    return form


@transaction.atomic
def discard_draft(*, actor, item: ServiceItem) -> None:
    """Throw the working draft away; the active version stays as it is."""
    _check_can_edit(actor, item)
    draft = current_draft(item)
    if draft is None:
        raise InvalidInput("没有待发布的修改。", field="status")
    draft.delete()
