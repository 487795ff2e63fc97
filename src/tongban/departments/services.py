"""Writes to departments (实施主体)."""

from typing import Any

from django.db import IntegrityError, transaction

from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.types import User
from tongban.regions.models import Region

from .models import Department
from .validators import is_valid_uscc, normalize_uscc

EDITABLE_FIELDS = (
    "name",
    "short_name",
    "region",
    "uscc",
    "local_code",
    "description",
    "address",
    "phone",
    "office_hours",
    "is_active",
)


def _check_can_manage(actor: User) -> None:
    """System/CLI (actor None), superusers and holders of ``departments.change_department``."""
    if actor is None:
        return
    if getattr(actor, "is_superuser", False) or actor.has_perm("departments.change_department"):
        return
    raise PermissionDenied()


def _clean(data: dict[str, Any], *, instance: Department | None = None) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"未知字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise InvalidInput("“名称”不能为空。", field="name")
    if "region" in cleaned and not isinstance(cleaned["region"], Region):
        raise InvalidInput("“所属区划”无效。", field="region")
    if instance is None and "region" not in cleaned:
        raise InvalidInput("请选择“所属区划”。", field="region")
    if "uscc" in cleaned:
        value = normalize_uscc(cleaned["uscc"] or "")
        if value and not is_valid_uscc(value):
            raise InvalidInput(
                f"“统一社会信用代码”{value}无效：应为 18 位，且校验码正确。",
                field="uscc",
            )
        cleaned["uscc"] = value or None
        if value:
            clash = Department.objects.filter(uscc=value)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                raise InvalidInput(f"“统一社会信用代码”{value}已被其他实施主体使用。", field="uscc")
    region = cleaned.get("region", instance.region if instance else None)
    name = cleaned.get("name", instance.name if instance else None)
    if region is not None and name:
        clash = Department.objects.filter(region=region, name=name)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise InvalidInput(f"该区划已有名为“{name}”的实施主体。", field="name")
    return cleaned


@transaction.atomic
def create_department(*, actor: User, data: dict[str, Any]) -> Department:
    """Create a department; the USCC must pass its GB 32100 check character."""
    _check_can_manage(actor)
    cleaned = _clean(data)
    department = Department(**cleaned)
    try:
        department.save()
    except IntegrityError as exc:
        raise InvalidInput("实施主体与已有记录冲突（名称或统一社会信用代码重复）。", field="name") from exc
    return department


@transaction.atomic
def update_department(*, actor: User, department: Department, data: dict[str, Any]) -> Department:
    _check_can_manage(actor)
    cleaned = _clean(data, instance=department)
    for field, value in cleaned.items():
        setattr(department, field, value)
    department.save()
    return department


def classify_department_code(code: str) -> tuple[str | None, str]:
    """Split a code from a source file into ``(uscc, local_code)``: exactly one is filled."""
    code = (code or "").strip()
    compact = normalize_uscc(code)
    if compact and is_valid_uscc(compact):
        return compact, ""
    return None, code[:32]


def get_or_create_department_for_import(
    region: Region, name: str, code: str = "", *, cache: dict | None = None
) -> tuple[Department, bool]:
    """Find the department named ``name`` in ``region`` or create it.

    ``code`` may be a USCC (stored in ``uscc``) or a short local code (``local_code``).
    An existing department keeps what it has; only a missing USCC or local code is filled in,
    so importing the same file twice changes nothing. ``cache`` (keyed by region id and name)
    lets a bulk import avoid one query per row.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("“实施主体”名称不能为空。", field="department")
    key = (region.pk, name)
    department = cache.get(key) if cache is not None else None
    if department is None:
        department = Department.objects.filter(region=region, name=name).first()
    uscc, local_code = classify_department_code(code)
    created = False
    if department is None:
        if uscc and Department.objects.filter(uscc=uscc).exists():
            uscc, local_code = None, uscc
        department = Department.objects.create(
            region=region, name=name, uscc=uscc, local_code=local_code, short_name=name[:50]
        )
        created = True
    else:
        changed = []
        if uscc and not department.uscc and not Department.objects.filter(uscc=uscc).exists():
            department.uscc = uscc
            changed.append("uscc")
        elif local_code and not department.local_code:
            department.local_code = local_code
            changed.append("local_code")
        if changed:
            department.save(update_fields=[*changed, "updated_at"])
    if cache is not None:
        cache[key] = department
    return department, created
