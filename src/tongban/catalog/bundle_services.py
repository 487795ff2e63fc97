"""Writes of 一件事 bundles: the catalogue workspace, the Django admin and the demo use these.

A bundle is edited while it is a draft (or withdrawn) and published as a new numbered version
whose snapshot is kept in ``LifeEventVersion``: the public and the joint applications only ever
see published versions, and a joint case names the version it was submitted under. Editing a
published bundle is refused until it is withdrawn, as a published item's 办事指南 is not
changed under the applicant. Every write checks the actor (the lead department's 事项管理),
runs in one transaction and ends with the audit append.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.regions.codes import ancestor_codes

from .models import GuidanceQuestion, LifeEvent, LifeEventItem, LifeEventVersion, ServiceItem
from .services import _check_can_manage, history_actor

EDITABLE = {LifeEvent.Status.DRAFT, LifeEvent.Status.WITHDRAWN}
MAX_LIMIT_DAYS = 365


def can_manage_bundle(actor: User | None, bundle: LifeEvent) -> bool:
    try:
        _check_can_manage(actor, bundle.lead_department)
    except PermissionDenied:
        return False
    return True


def snapshot(bundle: LifeEvent) -> dict[str, Any]:
    """The whole bundle as plain data (what a version keeps)."""
    entries = list(
        bundle.entries.select_related("item").prefetch_related("after__item").order_by("order", "id")
    )
    questions = list(bundle.questions.prefetch_related("if_yes__item", "if_no__item").order_by("order", "id"))
    return {
        "name": bundle.name,
        "slug": bundle.slug,
        "summary": bundle.summary,
        "audience": bundle.audience,
        "region": bundle.region.code if bundle.region_id else "",
        "lead_department": bundle.lead_department_id,
        "joint_limit_days": bundle.joint_limit_days,
        "cross_region": bundle.cross_region,
        "entries": [
            {
                "id": e.pk,
                "item": e.item.code,
                "name": e.item.name,
                "essential": e.essential,
                "order": e.order,
                "after": sorted(a.item.code for a in e.after.all()),
                "on_refusal": e.on_refusal,
            }
            for e in entries
        ],
        "questions": [
            {
                "text": q.text,
                "help": q.help,
                "default_answer": q.default_answer,
                "if_yes": [e.item.code for e in q.if_yes.all()],
                "if_no": [e.item.code for e in q.if_no.all()],
            }
            for q in questions
        ],
    }


def _locked(actor: User | None, bundle: LifeEvent, *, editing: bool = True) -> LifeEvent:
    _check_can_manage(actor, bundle.lead_department)
    locked = (
        LifeEvent.objects.select_for_update(of=("self",))
        .select_related("region", "lead_department")
        .get(pk=bundle.pk)
    )
    if editing and locked.status not in EDITABLE:
        raise InvalidInput(
            "已发布的“一件事”不能直接修改，请先撤回，修改后再发布为新版本。", code="invalid_status"
        )
    return locked


def _record(actor: User | None, bundle: LifeEvent, action: str) -> LifeEventVersion:
    """Append the bundle's history entry; the audit append is the transaction's last write."""
    bundle.save(update_fields=["updated_at"])  # page caches listen to the bundle's saves
    row = LifeEventVersion.objects.create(
        bundle=bundle,
        version=bundle.version,
        action=action,
        status=bundle.status,
        actor=history_actor(actor),
        snapshot=snapshot(bundle),
    )
    audit.append(
        f"catalog.bundle_{action}",
        actor=actor,
        obj=bundle,
        summary={"slug": bundle.slug, "version": bundle.version, "status": bundle.status, "history": row.pk},
    )
    return row


def _clean_settings(data: dict[str, Any], actor: User | None) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput("请填写“一件事”名称。", field="name")
    if len(name) > 60:
        raise InvalidInput("“一件事”名称不能超过 60 个字。", field="name")
    try:
        limit = int(str(data.get("joint_limit_days") or 0).strip() or 0)
    except ValueError:
        raise InvalidInput("“联办承诺时限”应为整数（工作日）。", field="joint_limit_days") from None
    if not 0 <= limit <= MAX_LIMIT_DAYS:
        raise InvalidInput(
            f"“联办承诺时限”应在 0 到 {MAX_LIMIT_DAYS} 个工作日之间。", field="joint_limit_days"
        )
    lead = data.get("lead_department")
    if lead is not None and not isinstance(lead, Department):
        lead = Department.objects.filter(pk=int(lead)).first() if str(lead).isdigit() else None
        if lead is None:
            raise InvalidInput("请选择牵头部门。", field="lead_department")
    if lead is not None:
        _check_can_manage(actor, lead)  # one cannot hand a bundle to a department one does not manage
    return {
        "name": name,
        "summary": str(data.get("summary") or "").strip()[:2000],
        "joint_limit_days": limit,
        "cross_region": bool(data.get("cross_region")),
        "lead_department": lead,
    }


@transaction.atomic
def create_bundle(*, actor: User | None, data: dict[str, Any]) -> LifeEvent:
    """A new draft bundle led by ``data['lead_department']`` (which the actor must manage)."""
    cleaned = _clean_settings(data, actor)
    if cleaned["lead_department"] is None:
        raise InvalidInput("请选择牵头部门。", field="lead_department")
    _check_can_manage(actor, cleaned["lead_department"])
    slug = str(data.get("slug") or "").strip().lower()
    if not slug or not all(c.isascii() and (c.isalnum() or c == "-") for c in slug) or len(slug) > 80:
        raise InvalidInput("“标识”只能由小写字母、数字和连字符组成（不超过 80 个字符）。", field="slug")
    if LifeEvent.objects.filter(slug=slug).exists():
        raise InvalidInput("该标识已被其他“一件事”使用。", field="slug")
    audience = data.get("audience") or "person"
    if audience not in {"person", "enterprise"}:
        raise InvalidInput("“面向”只能是个人或法人。", field="audience")
    bundle = LifeEvent.objects.create(
        slug=slug,
        audience=audience,
        region=data.get("region") or cleaned["lead_department"].region,
        status=LifeEvent.Status.DRAFT,
        version=0,
        **cleaned,
    )
    _record(actor, bundle, "create")
    return bundle


@transaction.atomic
def update_bundle(*, actor: User | None, bundle: LifeEvent, data: dict[str, Any]) -> LifeEvent:
    """Name, summary, lead department, joint limit and 跨域通办 of a draft bundle."""
    bundle = _locked(actor, bundle)
    cleaned = _clean_settings(data, actor)
    if cleaned["lead_department"] is None:
        cleaned["lead_department"] = bundle.lead_department
    for name, value in cleaned.items():
        setattr(bundle, name, value)
    bundle.save()
    _record(actor, bundle, "update")
    return bundle


def _in_scope(bundle: LifeEvent, item: ServiceItem) -> bool:
    """An item of the bundle's region, a region above it or below it."""
    if bundle.region_id is None:
        return True
    code = bundle.region.code
    return item.region_code.startswith(code) or item.region_code in ancestor_codes(code)


@transaction.atomic
def add_entry(
    *, actor: User | None, bundle: LifeEvent, item_code: str, essential: bool = True
) -> LifeEventItem:
    """Add the item with implementation code ``item_code`` at the end of the bundle."""
    bundle = _locked(actor, bundle)
    item = ServiceItem.objects.filter(code=str(item_code or "").strip()).first()
    if item is None:
        raise InvalidInput("找不到该实施编码的事项。", field="item")
    if not _in_scope(bundle, item):
        raise InvalidInput("该事项不属于本“一件事”所在区划。", field="item")
    if bundle.entries.filter(item=item).exists():
        raise InvalidInput("该事项已在本“一件事”中。", field="item")
    last = bundle.entries.order_by("-order").values_list("order", flat=True).first()
    entry = LifeEventItem.objects.create(bundle=bundle, item=item, essential=essential, order=(last or 0) + 1)
    _record(actor, bundle, "update")
    return entry


def _entry(bundle: LifeEvent, entry_id: Any) -> LifeEventItem:
    entry = (
        bundle.entries.filter(pk=int(entry_id)).select_related("item").first()
        if str(entry_id).isdigit()
        else None
    )
    if entry is None:
        raise NotFound("找不到该事项。")
    return entry


def _creates_cycle(entry: LifeEventItem, after: list[LifeEventItem]) -> bool:
    graph: dict[int, set[int]] = {}
    for source, target in LifeEventItem.after.through.objects.filter(
        from_lifeeventitem__bundle_id=entry.bundle_id
    ).values_list("from_lifeeventitem_id", "to_lifeeventitem_id"):
        graph.setdefault(source, set()).add(target)
    graph[entry.pk] = {a.pk for a in after}
    seen: set[int] = set()
    stack = list(graph[entry.pk])
    while stack:
        node = stack.pop()
        if node == entry.pk:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


@transaction.atomic
def update_entry(
    *,
    actor: User | None,
    bundle: LifeEvent,
    entry_id: Any,
    essential: bool,
    order: Any,
    after: Iterable[Any],
    on_refusal: str,
) -> LifeEventItem:
    """Essential flag, place, prerequisites and refusal rule of one entry."""
    bundle = _locked(actor, bundle)
    entry = _entry(bundle, entry_id)
    try:
        position = int(str(order).strip())
    except ValueError:
        raise InvalidInput("“序号”应为整数。", field="order") from None
    if not 0 <= position <= 999:
        raise InvalidInput("“序号”应在 0 到 999 之间。", field="order")
    if on_refusal not in LifeEventItem.OnRefusal.values:
        raise InvalidInput("请选择“不予办理时”的处理方式。", field="on_refusal")
    wanted = {int(a) for a in after if str(a).isdigit()}
    if len(wanted) != len([a for a in after if str(a).strip()]):
        raise InvalidInput("前置事项无效。", field="after")
    prerequisites = list(bundle.entries.filter(pk__in=wanted))
    if len(prerequisites) != len(wanted) or entry.pk in wanted:
        raise InvalidInput("前置事项必须是本“一件事”中的其他事项。", field="after")
    if _creates_cycle(entry, prerequisites):
        raise InvalidInput("前置事项不能形成循环（甲在乙之后，乙又在甲之后）。", field="after")
    entry.essential = bool(essential)
    entry.order = position
    entry.on_refusal = on_refusal
    entry.save()
    entry.after.set(prerequisites)
    _record(actor, bundle, "update")
    return entry


@transaction.atomic
def remove_entry(*, actor: User | None, bundle: LifeEvent, entry_id: Any) -> None:
    bundle = _locked(actor, bundle)
    _entry(bundle, entry_id).delete()
    _record(actor, bundle, "update")


@transaction.atomic
def add_question(
    *,
    actor: User | None,
    bundle: LifeEvent,
    text: str,
    help: str = "",
    default_answer: bool = False,
    if_yes: Iterable[Any] = (),
    if_no: Iterable[Any] = (),
) -> GuidanceQuestion:
    """A yes/no question; ``if_yes`` / ``if_no`` are the ids of the entries each answer selects."""
    bundle = _locked(actor, bundle)
    text = str(text or "").strip()
    if not text:
        raise InvalidInput("请填写引导问题。", field="text")
    if len(text) > 200:
        raise InvalidInput("引导问题不能超过 200 个字。", field="text")
    yes_ids = {int(a) for a in if_yes if str(a).isdigit()}
    no_ids = {int(a) for a in if_no if str(a).isdigit()}
    if not yes_ids and not no_ids:
        raise InvalidInput("请选择该问题回答“是”或“否”时办理的事项。", field="if_yes")
    if yes_ids & no_ids:
        raise InvalidInput("同一事项不能既在回答“是”时办理又在回答“否”时办理。", field="if_no")
    yes = list(bundle.entries.filter(pk__in=yes_ids))
    no = list(bundle.entries.filter(pk__in=no_ids))
    if len(yes) != len(yes_ids) or len(no) != len(no_ids):
        raise InvalidInput("所选事项不属于本“一件事”。", field="if_yes")
    last = bundle.questions.order_by("-order").values_list("order", flat=True).first()
    question = GuidanceQuestion.objects.create(
        bundle=bundle,
        order=(last or 0) + 1,
        text=text,
        help=str(help or "").strip()[:300],
        default_answer=bool(default_answer),
    )
    question.if_yes.set(yes)
    question.if_no.set(no)
    _record(actor, bundle, "update")
    return question


@transaction.atomic
def remove_question(*, actor: User | None, bundle: LifeEvent, question_id: Any) -> None:
    bundle = _locked(actor, bundle)
    question = bundle.questions.filter(pk=int(question_id)).first() if str(question_id).isdigit() else None
    if question is None:
        raise NotFound("找不到该引导问题。")
    question.delete()
    _record(actor, bundle, "update")


@transaction.atomic
def publish_bundle(*, actor: User | None, bundle: LifeEvent) -> LifeEvent:
    """Publish the draft as the next version (its snapshot is kept); it needs an essential item."""
    bundle = _locked(actor, bundle)
    if not bundle.entries.filter(essential=True, item__status=ServiceItem.Status.PUBLISHED).exists():
        raise InvalidInput("发布前请至少加入一个已发布的必办事项。", field="entries")
    bundle.status = LifeEvent.Status.PUBLISHED
    bundle.version += 1
    bundle.published_at = timezone.now()
    bundle.save()
    _record(actor, bundle, "publish")
    return bundle


@transaction.atomic
def withdraw_bundle(*, actor: User | None, bundle: LifeEvent) -> LifeEvent:
    """Take a published bundle off the public pages, so that it can be edited."""
    bundle = _locked(actor, bundle, editing=False)
    if bundle.status != LifeEvent.Status.PUBLISHED:
        raise InvalidInput("只有已发布的“一件事”可以撤回。", code="invalid_status")
    bundle.status = LifeEvent.Status.WITHDRAWN
    bundle.save()
    _record(actor, bundle, "withdraw")
    return bundle


@transaction.atomic
def record_admin_change(*, actor: User | None, bundle: LifeEvent, created: bool) -> LifeEventVersion:
    """An edit saved in the Django admin (superusers): a published bundle gets a new version."""
    bundle = LifeEvent.objects.select_for_update().get(pk=bundle.pk)
    if bundle.status == LifeEvent.Status.PUBLISHED:
        bundle.version += 1
        bundle.published_at = timezone.now()
        bundle.save()
        return _record(actor, bundle, "publish")
    return _record(actor, bundle, "create" if created else "update")
