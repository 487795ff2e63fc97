"""Certificate and proof types for 事项管理: fields with where each value comes from, validity,
template and the items that issue them."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity.audit import record_action

from .. import access
from ..models import CertificateType

FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


SOURCE_RE = re.compile(r"^(data|holder|case|item|department|registry)(\.[A-Za-z_][A-Za-z0-9_]*)+$")


# Where a licence field's value may come from, as the 事项管理 page offers it.
SOURCE_KINDS = {
    "data": "申请表字段",
    "holder.name": "持证人姓名 / 企业名称",
    "holder.number": "持证人证件号码 / 统一社会信用代码",
    "case.number": "办件编号",
    "item.name": "事项名称",
    "department.name": "颁发机构名称",
    "registry": "登记库字段（网上开证明）",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field a licence carries: its key, printed title, source path and whether it is required."""

    key: str
    title: str
    source: str
    required: bool = False


def field_schema(fields: list[FieldSpec]) -> dict:
    """The stored JSON Schema for the fields (``x-source`` says where each value comes from)."""
    problems, seen = [], set()
    for spec in fields:
        label = spec.title or spec.key
        if not FIELD_KEY_RE.match(spec.key):
            problems.append(f"字段“{label}”的标识只能由小写字母、数字和下划线组成，并以字母开头。")
        elif spec.key in seen:
            problems.append(f"字段标识“{spec.key}”重复。")
        seen.add(spec.key)
        if not spec.title.strip():
            problems.append(f"字段“{spec.key}”缺少名称。")
        if not SOURCE_RE.match(spec.source):
            problems.append(
                f"字段“{label}”的取值来源“{spec.source}”不正确（例如 data.字段名、holder.name）。"
            )
    if problems:
        raise InvalidInput("；".join(problems), field="fields")
    return {
        "type": "object",
        "properties": {
            s.key: {"type": "string", "title": s.title.strip(), "x-source": s.source} for s in fields
        },
        "required": [s.key for s in fields if s.required],
    }


@transaction.atomic
def save_certificate_type(
    *,
    actor: User,
    department: Department,
    values: dict[str, Any],
    fields: list[FieldSpec],
    items: list[ServiceItem] | None = None,
    ctype: CertificateType | None = None,
) -> CertificateType:
    """Create or change a certificate or proof type of ``department``; errors in Chinese, nothing saved."""
    access.check_manage_types(actor, department)
    if ctype is not None:
        ctype = CertificateType.objects.select_for_update().get(pk=ctype.pk)
        if ctype.department_id != department.pk:
            raise NotFound()
    else:
        ctype = CertificateType(department=department)
    schema = field_schema(fields)
    for name in ("name", "code", "holder_kind", "validity", "template", "registry_source"):
        if name in values:
            setattr(
                ctype, name, (values[name] or "").strip() if isinstance(values[name], str) else values[name]
            )
    ctype.validity_count = int(values.get("validity_count") or 0)
    ctype.is_active = bool(values.get("is_active", ctype.is_active))
    ctype.field_schema = schema
    if not (ctype.name or "").strip():
        raise InvalidInput("请填写证照名称。", field="name")
    if CertificateType.objects.filter(code=ctype.code).exclude(pk=ctype.pk).exists():
        raise InvalidInput("证照类型代码已被使用，请换一个。", field="code")
    if ctype.registry_source and any(
        not s.source.startswith(("registry.", "holder.", "item.", "department.")) for s in fields
    ):
        raise InvalidInput("网上开证明的字段只能取自登记库、持证人、事项或颁发机构。", field="fields")
    if not ctype.registry_source and any(s.source.startswith("registry.") for s in fields):
        raise InvalidInput("只有网上开证明的证明类型可以取用登记库字段。", field="fields")
    try:
        ctype.full_clean(exclude=["issued_by_items", "accepted_for"])
    except ValidationError as exc:
        first = next(iter(exc.message_dict.items()))
        raise InvalidInput(str(first[1][0]), field=first[0]) from exc
    ctype.save()
    if items is not None:
        foreign = [i for i in items if i.department_id != department.pk]
        if foreign:
            raise InvalidInput("出证事项只能是本部门的事项。", field="items")
        ctype.issued_by_items.set(items)
    record_action(
        actor,
        "certificate_type.save",
        target=ctype,
        summary=f"{ctype.code} {ctype.name}",
        department=department,
    )
    return ctype
