"""Catalogue admins pick a shipped template per item or upload their own BPMN."""

import hashlib
import uuid

from django.db import transaction

from tongban.catalog.models import CaseKind, ServiceItem
from tongban.core.errors import InvalidInput, PermissionDenied

from .engine import TEMPLATES, ProcessError, inspect_bpmn, template_xml
from .models import ItemProcess, ProcessDefinition

MAX_BPMN_BYTES = 512 * 1024


def _check_can_manage(actor, item: ServiceItem | None) -> None:  # noqa: ANN001
    if actor is None or actor.is_superuser:
        return
    from tongban.catalog import services as catalog_services

    checker = getattr(catalog_services, "_check_can_manage", None)
    if checker is None or item is None:
        raise PermissionDenied()
    checker(actor, item.department)


def ensure_template(name: str) -> ProcessDefinition:
    """The shipped template as a definition row (created on first use, refreshed if the file changed)."""
    xml = template_xml(name)
    digest = hashlib.sha256(xml.encode()).hexdigest()
    definition, created = ProcessDefinition.objects.get_or_create(
        key=f"template:{name}",
        defaults={"name": TEMPLATES[name], "bpmn": xml, "digest": digest, "is_template": True},
    )
    if not created and definition.digest != digest:
        # A new release ships a changed template: keep the old row for running cases.
        definition.key = f"template:{name}:{definition.digest[:12]}"
        definition.save(update_fields=["key"])
        definition = ProcessDefinition.objects.create(
            key=f"template:{name}", name=TEMPLATES[name], bpmn=xml, digest=digest, is_template=True
        )
    return definition


@transaction.atomic
def upload_process(*, actor, item: ServiceItem, name: str, bpmn: str | bytes) -> ProcessDefinition:  # noqa: ANN001
    """Validate an uploaded BPMN document and make it the item's process."""
    _check_can_manage(actor, item)
    data = bpmn.encode() if isinstance(bpmn, str) else bpmn
    if len(data) > MAX_BPMN_BYTES:
        raise InvalidInput("BPMN 文件过大（上限 512 KB）。", field="bpmn")
    try:
        inspect_bpmn(data)
        text = data.decode("utf-8")
    except (ProcessError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            str(exc) if isinstance(exc, ProcessError) else "BPMN 文件必须是 UTF-8 编码。", field="bpmn"
        ) from exc
    if not (name or "").strip():
        raise InvalidInput("请填写流程名称。", field="name")
    definition = ProcessDefinition.objects.create(
        key=f"custom:{uuid.uuid4().hex}",
        name=name.strip(),
        bpmn=text,
        digest=hashlib.sha256(data).hexdigest(),
        department=item.department,
        uploaded_by=actor if actor is not None else None,
    )
    ItemProcess.objects.update_or_create(item=item, defaults={"definition": definition})
    return definition


@transaction.atomic
def choose_template(*, actor, item: ServiceItem, template: str) -> ProcessDefinition:  # noqa: ANN001
    _check_can_manage(actor, item)
    if template not in TEMPLATES:
        raise InvalidInput("没有该流程模板。", field="template")
    if template == "instant" and item.case_kind != CaseKind.INSTANT:
        raise InvalidInput("只有即办件可以使用即办件流程。", field="template")
    definition = ensure_template(template)
    ItemProcess.objects.update_or_create(item=item, defaults={"definition": definition})
    return definition
