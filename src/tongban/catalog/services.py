"""Writes to the service catalogue: create, edit, publish, withdraw, with history.

Every write validates through the model (``ServiceItem.check_rules`` and field validation), so
the national cross-checks hold whatever the caller; a broken rule becomes ``InvalidInput`` naming
the field, and nothing is saved. Items, their materials, steps, fees and FAQs change in one
transaction; each change bumps the version and appends an ``ItemChange`` with the diff.
"""

import importlib.util
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.regions.models import Region

from .models import FAQ, FeeItem, ItemChange, MaterialRequirement, ProcessStep, ServiceItem, Theme

# The guide's elements from summary to keywords, in export order: the workspace form, the
# spreadsheet layout and the writes below take them from here, so the three stay in step.
GUIDE_ELEMENTS = (
    "summary",
    "legal_basis",
    "conditions",
    "prohibited",
    "case_kind",
    "legal_limit",
    "legal_limit_unit",
    "promised_limit",
    "promised_limit_unit",
    "is_charged",
    "fee_basis",
    "handling_place",
    "handling_hours",
    "channels",
    "consult_phone",
    "consult_channels",
    "complaint_phone",
    "complaint_channels",
    "visits_required",
    "online_depth",
    "result_type",
    "result_name",
    "supports_appointment",
    "supports_online_payment",
    "supports_delivery",
    "keywords",
)

# Scalar elements a caller may set; relations are handled separately below.
SCALAR_FIELDS = (
    "code",
    "base_code",
    "name",
    "group",
    "item_type",
    "service_objects",
    *GUIDE_ELEMENTS,
    "popularity",
)
RELATED_FIELDS = ("department", "region")

# The elements of a material a caller sets, here and on the admin's material form.
MATERIAL_ELEMENTS = ("name", "forms", "copies", "necessity", "source", "source_note", "requirements")

# Child rows replaced as a whole: (model, fields compared and copied, ordered?)
CHILDREN: dict[str, tuple[type, tuple[str, ...]]] = {
    "materials": (MaterialRequirement, MATERIAL_ELEMENTS),
    "steps": (ProcessStep, ("name", "description", "time_limit")),
    "fees": (FeeItem, ("name", "standard", "basis", "may_reduce")),
    "faqs": (FAQ, ("question", "answer")),
}
ALL_FIELDS = (*SCALAR_FIELDS, *RELATED_FIELDS, "themes", *CHILDREN)

# Fields the model fills itself (and relations already given as instances): not re-validated.
_CLEAN_EXCLUDE = [
    "department",
    "region",
    "region_code",
    "for_person",
    "for_enterprise",
    "status",
    "version",
    "result_sample",
]


# ---------------------------------------------------------------------------------------------
# Permission and helpers


def _check_can_manage(actor: User | None, department: Department | None) -> None:
    """Who may write items of ``department``: the system (actor None), superusers, catalogue admins.

    Kept in one place so department-scoped catalogue-admin roles can extend it.
    """
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if actor.is_superuser or actor.has_perm("catalog.change_serviceitem"):
        return
    # 事项管理 staff: an object permission on their own department only (answered by identity's
    # StaffRoleBackend from the staff roles, so the catalogue need not import identity).
    if department is not None and actor.has_perm("catalog.change_serviceitem", department):
        return
    raise PermissionDenied("您没有维护该实施主体事项的权限。")


def history_actor(actor: User | None) -> str:
    """Who made a change, as an item's history (``ItemChange.actor``) stores it: the account's
    username, "system" for imports and commands. Not ``core.types.actor_label``, the display
    name for people: the history has always recorded the account, and its stored rows stay so."""
    return "system" if actor is None else actor.get_username()


def invalid_from(exc: ValidationError, prefix: str = "") -> InvalidInput:
    """Turn a model ``ValidationError`` into ``InvalidInput`` naming the (first) field."""
    if hasattr(exc, "error_dict"):
        items = [(name, [str(m) for m in msgs]) for name, msgs in exc.message_dict.items()]
    else:
        items = [("__all__", [str(m) for m in exc.messages])]
    first_field = next((name for name, _ in items if name != "__all__"), None)
    message = "；".join(m for _, msgs in items for m in msgs)
    error = InvalidInput(
        message, field=f"{prefix}{first_field}" if first_field else prefix.rstrip(".") or None
    )
    error.errors = {f"{prefix}{name}": msgs for name, msgs in items}
    return error


def _search_module():
    if importlib.util.find_spec("tongban.catalog.search") is None:
        return None
    from tongban.catalog import search

    return search


def reindex(ids: Iterable[int]) -> None:
    """Ask the search module, when installed, to refresh the index rows of these items now."""
    ids = sorted(set(ids))
    search = _search_module()
    if ids and search is not None and hasattr(search, "index_items"):
        search.index_items(ids)


@contextmanager
def indexing(ids: list[int]) -> Iterator[None]:
    """Index the items written in the block once, when it ends without error.

    If the search module indexes on save and offers ``bulk_indexing()``, that batch collects the
    saved items; otherwise the ids the block appended to ``ids`` are indexed here.
    """
    search = _search_module()
    bulk = getattr(search, "bulk_indexing", None) if search is not None else None
    if bulk is not None:
        with bulk():
            yield
        return
    yield
    reindex(ids)


def _json_value(value: Any) -> Any:
    if isinstance(value, Department):
        return value.pk
    if isinstance(value, Region):
        return value.code
    return value


def snapshot(item: ServiceItem) -> dict[str, Any]:
    """Every element of a saved item in a plain, comparable form."""
    data: dict[str, Any] = {name: getattr(item, name) for name in SCALAR_FIELDS}
    data["department"] = item.department_id
    data["region"] = item.region.code if item.region_id else None
    data["themes"] = sorted(t.pk for t in item.themes.all())
    for name, (_, fields) in CHILDREN.items():
        data[name] = [{f: getattr(row, f) for f in fields} for row in getattr(item, name).all()]
    return data


def normalize_children(name: str, rows: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Child rows with every compared field present, defaults filled, as ``snapshot`` has them."""
    model, fields = CHILDREN[name]
    result = []
    for row in rows or []:
        unknown = set(row) - set(fields) - {"blank_form", "sample", "order"}
        if unknown:
            raise InvalidInput(f"“{name}”含未知字段：{'、'.join(sorted(unknown))}。", field=name)
        full = {}
        for f in fields:
            default = model._meta.get_field(f).get_default()
            value = row.get(f, default)
            full[f] = default if value is None else value
        result.append(full)
    return result


def _normalized_input(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(ALL_FIELDS)
    if unknown:
        raise InvalidInput(f"未知字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    out = dict(data)
    for name in ("department", "region"):
        if name in out and out[name] is not None:
            expected = Department if name == "department" else Region
            if not isinstance(out[name], expected):
                raise InvalidInput(
                    f"“{ServiceItem._meta.get_field(name).verbose_name}”无效。",
                    field=name,
                )
    if "themes" in out:
        out["themes"] = sorted({t.pk if isinstance(t, Theme) else int(t) for t in out["themes"] or []})
    for name in CHILDREN:
        if name in out:
            out[name] = normalize_children(name, out[name])
    return out


def compare(before: dict[str, Any], data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields of ``data`` whose value differs from ``before``: ``{field: {from, to}}``."""
    diff = {}
    for name, value in data.items():
        new = _json_value(value)
        old = before.get(name)
        if old != new:
            diff[name] = {"from": old, "to": new}
    return diff


# ---------------------------------------------------------------------------------------------
# Building and validating without saving (shared with the importer)


@dataclass
class Prepared:
    """An item validated in memory, with its child rows, ready to be written."""

    item: ServiceItem
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    themes: list[int] | None = None


def prepare(item: ServiceItem, data: dict[str, Any]) -> Prepared:
    """Apply ``data`` to ``item`` in memory and validate every rule; raises ``InvalidInput``."""
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    for name in RELATED_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if item.department_id is None:
        raise InvalidInput("请选择“实施主体”。", field="department")
    if item.region_id is None:
        item.region = item.department.region
    if item.region_id:
        item.region_code = item.region.code
    try:
        item.full_clean(exclude=_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise invalid_from(exc) from exc
    prepared = Prepared(item=item, themes=data.get("themes"))
    for name, (model, _) in CHILDREN.items():
        if name not in data:
            continue
        rows = data[name]
        for index, row in enumerate(rows):
            child = model(item=item, **row)
            try:
                child.full_clean(exclude=["item", "blank_form", "sample", "order"])
            except ValidationError as exc:
                raise invalid_from(exc, prefix=f"{name}.{index + 1}.") from exc
        prepared.children[name] = rows
    if "fees" in data and data["fees"] and not item.is_charged:
        raise InvalidInput("填写了收费项目的事项，“是否收费”应为是。", field="is_charged")
    return prepared


def write_children(prepared: Prepared) -> None:
    """Replace the child rows named in ``prepared`` (keeping uploaded files of same-named materials)."""
    item = prepared.item
    for name, rows in prepared.children.items():
        model, _ = CHILDREN[name]
        kept_files: dict[str, MaterialRequirement] = {}
        if model is MaterialRequirement:
            kept_files = {m.name: m for m in item.materials.all() if m.blank_form or m.sample}
        model.objects.filter(item=item).delete()
        objs = []
        for order, row in enumerate(rows, start=1):
            obj = model(item=item, **row)
            if hasattr(obj, "order"):
                obj.order = order
            old = kept_files.get(row.get("name", ""))
            if old is not None:
                obj.blank_form, obj.sample = old.blank_form, old.sample
            objs.append(obj)
        model.objects.bulk_create(objs)
    if prepared.themes is not None:
        item.themes.set(prepared.themes)


def _check_code_free(code: str, exclude_pk: int | None = None) -> None:
    qs = ServiceItem.objects.filter(code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise InvalidInput(f"“实施编码”{code}已存在。", field="code")


def _audit(actor: User | None, change: ItemChange) -> None:
    """Every history entry of an item is also a link of the audit chain (DESIGN §6)."""
    audit.append(
        f"catalog.{change.action}",
        actor=actor,
        obj=change.item,
        summary={
            "code": change.item.code,
            "version": change.version,
            "from": change.from_status,
            "to": change.to_status,
            "fields": sorted(change.changes or {}),
            "change": change.pk,
        },
    )


def _record(actor: User | None, item: ServiceItem, action: str, **fields: Any) -> ItemChange:
    """Append a history entry for ``item`` and link it into the audit chain."""
    change = ItemChange.objects.create(item=item, actor=history_actor(actor), action=action, **fields)
    _audit(actor, change)
    return change


def _record_update(actor: User | None, item: ServiceItem, diff: dict[str, Any], version: int) -> ItemChange:
    """History of an edit that leaves the status as it is."""
    return _record(
        actor, item, "update", from_status=item.status, to_status=item.status, changes=diff, version=version
    )


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What changed between two snapshots, as ``{field: {"from": …, "to": …}}``."""
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}


# ---------------------------------------------------------------------------------------------
# Use cases


def create_item(*, actor: User | None, data: dict[str, Any]) -> ServiceItem:
    """Create a draft item with its elements; version 1 and a ``create`` history entry."""
    data = _normalized_input(data)
    _check_can_manage(actor, data.get("department"))
    written: list[int] = []
    with indexing(written), transaction.atomic():
        if not (data.get("code") or "").strip():
            raise InvalidInput("“实施编码”不能为空。", field="code")
        _check_code_free(data["code"])
        prepared = prepare(ServiceItem(status=ServiceItem.Status.DRAFT, version=1), data)
        item = prepared.item
        item.save()
        written.append(item.pk)
        write_children(prepared)
        _record(actor, item, "create", to_status=item.status, version=item.version)
    return item


def update_item(*, actor: User | None, item: ServiceItem, data: dict[str, Any]) -> ServiceItem:
    """Change elements of an item; a change bumps the version and is recorded with its diff.

    Data equal to what is stored changes nothing (no new version, no history entry).
    """
    data = _normalized_input(data)
    _check_can_manage(actor, item.department)
    if "department" in data and data["department"] != item.department:
        _check_can_manage(actor, data["department"])
    written: list[int] = []
    with indexing(written), transaction.atomic():
        item = ServiceItem.objects.select_for_update().select_related("department", "region").get(pk=item.pk)
        before = snapshot(item)
        diff = compare(before, data)
        if not diff:
            return item
        if "code" in diff:
            _check_code_free(data["code"], exclude_pk=item.pk)
        prepared = prepare(item, {k: v for k, v in data.items() if k in diff})
        item.version += 1
        item.save()
        written.append(item.pk)
        write_children(prepared)
        _record_update(actor, item, diff, item.version)
    return item


_TRANSITIONS = {
    "publish": ({ServiceItem.Status.DRAFT, ServiceItem.Status.WITHDRAWN}, ServiceItem.Status.PUBLISHED),
    "withdraw": ({ServiceItem.Status.PUBLISHED}, ServiceItem.Status.WITHDRAWN),
    "return_to_draft": (
        {ServiceItem.Status.PUBLISHED, ServiceItem.Status.WITHDRAWN},
        ServiceItem.Status.DRAFT,
    ),
}


def _transition(
    actor: User | None, item: ServiceItem, action: str, changes: dict | None = None
) -> ServiceItem:
    _check_can_manage(actor, item.department)
    allowed, target = _TRANSITIONS[action]
    written: list[int] = []
    with indexing(written), transaction.atomic():
        item = ServiceItem.objects.select_for_update().select_related("department", "region").get(pk=item.pk)
        if item.status not in allowed:
            raise InvalidInput(
                f"事项当前状态为“{item.get_status_display()}”，不能执行该操作。",
                code="invalid_status",
                field="status",
            )
        previous = item.status
        item.status = target
        if target == ServiceItem.Status.PUBLISHED:
            item.published_at = timezone.now()
        try:
            item.save()
        except ValidationError as exc:
            raise invalid_from(exc) from exc
        written.append(item.pk)
        _record(
            actor,
            item,
            action,
            from_status=previous,
            to_status=target,
            changes=changes or {},
            version=item.version,
        )
    return item


def publish_item(*, actor: User | None, item: ServiceItem) -> ServiceItem:
    """Make an item public (from draft or withdrawn); the cross-checks are run again."""
    return _transition(actor, item, "publish")


def withdraw_item(*, actor: User | None, item: ServiceItem, reason: str) -> ServiceItem:
    """Take a published item off the public catalogue; the reason is kept in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写撤回原因。", field="reason")
    return _transition(actor, item, "withdraw", {"reason": reason})


def return_to_draft(*, actor: User | None, item: ServiceItem) -> ServiceItem:
    """Send an item back to draft for rework."""
    return _transition(actor, item, "return_to_draft")


def record_change(
    *, actor: User | None, item: ServiceItem, before: dict[str, Any] | None
) -> ItemChange | None:
    """History for an edit made outside ``update_item`` (the admin's forms and inlines).

    ``before`` is the item's ``snapshot`` taken before the edit, or None for a new item. A real
    change bumps the version and is recorded with its diff; no change records nothing.
    """
    _check_can_manage(actor, item.department)
    with transaction.atomic():
        item = ServiceItem.objects.select_related("department", "region").get(pk=item.pk)
        if before is None:
            change = _record(actor, item, "create", to_status=item.status, version=item.version)
        else:
            after = snapshot(item)
            diff = _diff(before, after)
            if not diff:
                return None
            ServiceItem.objects.filter(pk=item.pk).update(version=item.version + 1)
            change = _record_update(actor, item, diff, item.version + 1)
    reindex([item.pk])
    return change


# ---------------------------------------------------------------------------------------------
# Catalogue workspace: child rows edited one at a time, in place
#
# ``update_item`` replaces child rows as a whole, which gives every material a new id; the
# workspace edits one row where it stands, so uploaded files, case attachments and the
# certificate types that stand in for a material keep pointing at it.

EDITABLE_CHILDREN: dict[str, type] = {
    "materials": MaterialRequirement,
    "steps": ProcessStep,
    "fees": FeeItem,
    "faqs": FAQ,
}


def _child_model(kind: str) -> type:
    model = EDITABLE_CHILDREN.get(kind)
    if model is None:
        raise InvalidInput("未知的事项要素类型。", field="kind")
    return model


def _edit_children(actor: User | None, item: ServiceItem, edit: Any) -> ServiceItem:
    """Run ``edit(locked_item)``; a real change bumps the version and is recorded with its diff."""
    _check_can_manage(actor, item.department)
    written: list[int] = []
    with indexing(written), transaction.atomic():
        item = ServiceItem.objects.select_for_update().select_related("department", "region").get(pk=item.pk)
        before = snapshot(item)
        edit(item)
        after = snapshot(item)
        diff = _diff(before, after)
        if not diff:
            return item
        item.version += 1
        ServiceItem.objects.filter(pk=item.pk).update(version=item.version, updated_at=timezone.now())
        written.append(item.pk)
        _record_update(actor, item, diff, item.version)
    return item


def _own_row(model: type, item: ServiceItem, row_id: int) -> Any:
    row = model.objects.filter(pk=row_id, item_id=item.pk).first()
    if row is None:
        raise NotFound()
    return row


def _renumber(model: type, item: ServiceItem, rows: list[Any] | None = None) -> None:
    rows = rows if rows is not None else list(model.objects.filter(item=item).order_by("order", "id"))
    for position, row in enumerate(rows, start=1):
        if row.order != position:
            row.order = position
            row.save(update_fields=["order"])


def save_child(
    *,
    actor: User | None,
    item: ServiceItem,
    kind: str,
    data: dict[str, Any],
    row_id: int | None = None,
) -> ServiceItem:
    """Add (``row_id`` None) or change one material, step, fee or FAQ of ``item``, validated first."""
    model = _child_model(kind)
    fields = CHILDREN[kind][1]
    if kind == "materials":
        # The material's identity across items (一件事 asks a document once); empty: from the name.
        fields = (*fields, "material_code")
        if len(str(data.get("material_code") or "").strip()) > 60:
            raise InvalidInput("“材料编码”不能超过 60 个字符。", field="material_code")
    unknown = set(data) - set(fields)
    if unknown:
        raise InvalidInput(f"未知字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])

    def edit(locked: ServiceItem) -> None:
        if kind == "fees" and not locked.is_charged:
            raise InvalidInput(
                "该事项的“是否收费”为否：请先在基本要素中设为收费并填写收费依据，再添加收费项目。",
                field="is_charged",
            )
        if row_id is None:
            row = model(item=locked)
            if hasattr(row, "order"):
                row.order = model.objects.filter(item=locked).count() + 1
        else:
            row = _own_row(model, locked, row_id)
        for name in fields:
            if name in data:
                setattr(row, name, data[name].strip() if name == "material_code" else data[name])
        try:
            row.full_clean(exclude=["item", "blank_form", "sample", "order", "material_code"])
        except ValidationError as exc:
            raise invalid_from(exc) from exc
        row.save()

    return _edit_children(actor, item, edit)


def remove_child(*, actor: User | None, item: ServiceItem, kind: str, row_id: int) -> ServiceItem:
    """Delete one material, step, fee or FAQ; the others keep their order."""
    model = _child_model(kind)

    def edit(locked: ServiceItem) -> None:
        _own_row(model, locked, row_id).delete()
        if kind != "fees":
            _renumber(model, locked)

    return _edit_children(actor, item, edit)


def move_child(
    *, actor: User | None, item: ServiceItem, kind: str, row_id: int, direction: str
) -> ServiceItem:
    """Move a material, step or FAQ one place up or down (the guide lists them in this order)."""
    model = _child_model(kind)
    if kind == "fees":
        raise InvalidInput("收费项目没有顺序。", field="kind")
    if direction not in {"up", "down"}:
        raise InvalidInput("移动方向只能是上移或下移。", field="direction")

    def edit(locked: ServiceItem) -> None:
        rows = list(model.objects.filter(item=locked).order_by("order", "id"))
        index = next((i for i, r in enumerate(rows) if r.pk == row_id), None)
        if index is None:
            _own_row(model, locked, row_id)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(rows):
            rows[index], rows[target] = rows[target], rows[index]
        _renumber(model, locked, rows)

    return _edit_children(actor, item, edit)
