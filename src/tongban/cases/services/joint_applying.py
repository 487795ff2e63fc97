"""一件事 applying: one form, one set of materials, one submission split into child cases.

A joint draft (``JointApplication``) has one ordinary child ``Application`` per selected item,
so every single-item rule — prefill from the account and registries, material providers
(免提交), missing materials, the submission and its steps — runs on each child unchanged. What
the applicant gives once lives on the joint draft and is handed to the children: the merged
form's answers through ``forms.merging.MergedForm.split``; a document asked by several items
is stored once and every child that needs it gets its own ``Attachment`` row pointing at the
same stored file (rows are only ever marked replaced, never deleted, so a shared file is never
removed while a row uses it).
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from tongban.catalog.bundles import BundlePlan, bundle_plan, bundle_queryset
from tongban.catalog.materials import material_code
from tongban.catalog.models import LifeEvent, MaterialRequirement
from tongban.core import audit, rawsql
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.forms.merging import MergedForm, merged_form
from tongban.forms.schema import clean_data, validate_data
from tongban.identity.models import EnterpriseAccount
from tongban.workdays import calendar
from tongban.workflow.selectors import chosen_definitions

from .. import steps
from ..access import applicant_filter, check_apply
from ..forms import materials_to_upload
from ..models import Application, Attachment, Case, CaseEvent, JointApplication, JointCase
from ..numbering import next_case_numbers, next_joint_number
from ..signals import case_event, joint_submitted
from . import crossregion
from ._common import DRAFT_DAYS, Conflict, FormInvalid, audit_entry, history_line
from .applying import (
    FROM_PREREQUISITE,
    _store_attachment,
    check_submittable,
    joint_drafts_to_submit,
    missing_materials,
    new_case,
    prefilled_fields,
    start_application,
)

EXPIRED = "草稿已超过 30 天保留期，请重新申请。"


# ---------------------------------------------------------------- reads


def get_joint_application_for(user: User | None, public_id: uuid.UUID | str) -> JointApplication:
    """A joint draft is visible only to whoever created it (as a single draft)."""
    joint = (
        JointApplication.objects.select_related("bundle", "enterprise").filter(public_id=public_id).first()
    )
    if joint is None or not getattr(user, "is_authenticated", False) or joint.created_by_id != user.pk:
        raise NotFound()
    return joint


def my_joint_cases(user: User | None):
    """Joint cases a citizen may see (their own and their enterprises', as for single cases),
    newest first, with their children."""
    return (
        JointCase.objects.filter(applicant_filter(user))
        .select_related("bundle", "lead_department")
        .prefetch_related(Prefetch("children", queryset=Case.objects.select_related("item").order_by("pk")))
        .order_by("-submitted_at")
    )


def my_joint_drafts(user: User | None):
    """Unsubmitted joint drafts the user may still continue (within 30 days)."""
    if not getattr(user, "is_authenticated", False):
        return JointApplication.objects.none()
    return (
        JointApplication.objects.filter(
            created_by=user, status=JointApplication.Status.DRAFT, expires_at__gt=timezone.now()
        )
        .select_related("bundle")
        .order_by("-updated_at")
    )


def children_of(joint: JointApplication) -> list[Application]:
    """The child drafts in the bundle's order (they are created in that order)."""
    return list(joint.children.select_related("item", "item__department", "form").order_by("pk"))


def _plan(joint: JointApplication) -> BundlePlan | None:
    """The joint draft's bundle plan, read once per draft object."""
    if not hasattr(joint, "_plan"):
        bundle = bundle_queryset().filter(pk=joint.bundle_id).first()
        joint._plan = bundle_plan(bundle, joint.answers, joint.region_code or None) if bundle else None
    return joint._plan


def held_items(joint: JointApplication) -> set[int]:
    """Items of the joint draft that wait for another item of the bundle (start held)."""
    plan = _plan(joint)
    return {p.item.pk for p in plan.selected if p.after} if plan else set()


def documents_before(joint: JointApplication) -> dict[int, frozenset[str]]:
    """Item id → material codes its prerequisites issue (``BundlePlan.documents_before``)."""
    plan = _plan(joint)
    return plan.documents_before() if plan else {}


def joint_form(children: list[Application]) -> MergedForm:
    """The merged form of the children, without what only held items ask and their
    prerequisites will provide (``FROM_PREREQUISITE``)."""
    form = merged_form([c.form for c in children], titles={c.item_id: c.item.name for c in children})
    held = held_items(children[0].joint) if children else set()
    if not held:
        return form
    props = form.schema.get("properties") or {}
    later = {
        name
        for name, targets in form.sources.items()
        if props.get(name, {}).get("x-semantic") in FROM_PREREQUISITE
        and all(item_id in held for item_id, _own in targets)
    }
    if later:
        form.schema["properties"] = {k: v for k, v in props.items() if k not in later}
        form.schema["required"] = [k for k in form.schema.get("required") or [] if k not in later]
        sections = [
            {**s, "fields": [f for f in s.get("fields") or [] if f not in later]}
            for s in form.layout.get("sections") or []
        ]
        form.layout["sections"] = [s for s in sections if s["fields"]]
        form.sources = {k: v for k, v in form.sources.items() if k not in later}
    return form


def prefilled_merged_fields(children: list[Application], form: MergedForm) -> set[str]:
    """Merged fields whose value came from the account or registries for some child: shown,
    not editable (as for single items)."""
    fixed: set[str] = set()
    for child in children:
        names = form.names_for(child.item_id)
        fixed |= {names[own] for own in prefilled_fields(child) if own in names}
    return fixed


@dataclass
class JointMaterial:
    """One document of the joint application: uploaded once, used by every child in ``needs``."""

    code: str
    name: str
    requirement: MaterialRequirement  # the first item's, for its description
    needs: list[tuple[Application, MaterialRequirement]] = field(default_factory=list)
    current: dict[int, Attachment] = field(default_factory=dict)  # application id -> current file
    missing_for: list[Application] = field(default_factory=list)

    @property
    def attachment(self) -> Attachment | None:
        """The file shown for the material (the same stored file for every child)."""
        return next(iter(self.current.values()), None)

    @property
    def provided(self) -> bool:
        return not self.missing_for

    @property
    def item_count(self) -> int:
        return len(self.needs)


def joint_materials(children: list[Application]) -> list[JointMaterial]:
    """The union of the children's materials to upload, one row per material code, with each
    child's current file and whether a required one is still missing (免提交 included)."""
    rows: dict[str, JointMaterial] = {}
    requirements = MaterialRequirement.objects.filter(item__in=[c.item_id for c in children]).order_by(
        "order", "id"
    )
    by_item: dict[int, list[MaterialRequirement]] = {}
    for requirement in requirements:
        by_item.setdefault(requirement.item_id, []).append(requirement)
    issued = documents_before(children[0].joint) if children else {}
    for child in children:
        for requirement in materials_to_upload(by_item.get(child.item_id, []), child.channel):
            code = requirement.material_code or material_code(requirement.name)
            if code in issued.get(child.item_id, ()):
                continue  # issued by a prerequisite (营业执照, 出生医学证明), not uploaded now
            row = rows.get(code)
            if row is None:
                row = rows[code] = JointMaterial(code=code, name=requirement.name, requirement=requirement)
            row.needs.append((child, requirement))
    current = Attachment.objects.filter(
        application__in=children, requirement__isnull=False, replaced=False
    ).order_by("uploaded_at", "pk")
    files = {(a.application_id, a.requirement_id): a for a in current}
    missing = {(c.pk, m.pk) for c in children for m in missing_materials(c)}
    for row in rows.values():
        for child, requirement in row.needs:
            attachment = files.get((child.pk, requirement.pk))
            if attachment is not None:
                row.current[child.pk] = attachment
            if (child.pk, requirement.pk) in missing:
                row.missing_for.append(child)
    return list(rows.values())


# ---------------------------------------------------------------- writes


@transaction.atomic
def start_joint_application(
    *,
    user: User,
    bundle: LifeEvent,
    answers: dict | None = None,
    region_code: str | None = None,
    enterprise: EnterpriseAccount | None = None,
) -> JointApplication:
    """Start a 一件事 application after the guidance questions: one child draft per selected
    item (each checked, prefilled and given its held materials as a single draft)."""
    if bundle.status != LifeEvent.Status.PUBLISHED:
        raise NotFound()
    plan = bundle_plan(bundle, answers, region_code or None)
    if not plan.selected:
        raise InvalidInput("按您的回答，没有需要办理的事项。", code="nothing_selected")
    if not plan.applicable:
        names = "、".join(m.entry.item.name for m in plan.missing if m.essential)
        raise InvalidInput(f"本地区暂不能办理：{names}。", code="bundle_unavailable")
    for entry in plan.selected:
        check_apply(user, entry.item, enterprise)
    joint = JointApplication.objects.create(
        bundle=bundle,
        bundle_version=plan.version,
        region_code=region_code or "",
        applicant=user,
        enterprise=enterprise,
        created_by=user,
        answers={str(k): v for k, v in plan.answers.items()},
        expires_at=timezone.now() + dt.timedelta(days=DRAFT_DAYS),
    )
    children = [
        start_application(user=user, item=entry.item, enterprise=enterprise, joint=joint)
        for entry in plan.selected
    ]
    joint.data = joint_form(children).join({c.item_id: c.data for c in children})
    joint.save(update_fields=["data", "updated_at"])
    return joint


def _editable(user: User, joint: JointApplication) -> tuple[JointApplication, list[Application]]:
    """The joint draft and its children, locked (children after the joint draft, in order)."""
    locked = JointApplication.objects.select_for_update().filter(pk=joint.pk).first()
    if locked is None or locked.created_by_id != getattr(user, "pk", None):
        raise NotFound()
    if locked.status != JointApplication.Status.DRAFT:
        raise InvalidInput("该申请已提交，不能再修改。", code="already_submitted")
    if locked.expires_at < timezone.now():
        raise InvalidInput(EXPIRED, code="draft_expired")
    children = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("item", "item__department", "form")
        .filter(joint=locked)
        .order_by("pk")
    )
    return locked, children


@transaction.atomic
def save_joint_draft(
    *, user: User, joint: JointApplication, data: dict, step: int | None = None
) -> JointApplication:
    """Save and return for the merged form: checked for format, not completeness; each answer
    reaches every child whose form asks it."""
    locked, children = _editable(user, joint)
    form = joint_form(children)
    fixed = prefilled_merged_fields(children, form)
    merged = {**locked.data, **{k: v for k, v in data.items() if k not in fixed}}
    merged = clean_data(form.schema, form.layout, merged)
    errors = validate_data(form.schema, form.layout, merged, partial=True)
    if errors:
        raise FormInvalid(errors.fields)
    expires = timezone.now() + dt.timedelta(days=DRAFT_DAYS)
    parts = form.split(merged)
    for child in children:
        own_fixed = prefilled_fields(child)
        child.data = {
            **child.data,
            **{k: v for k, v in parts.get(child.item_id, {}).items() if k not in own_fixed},
        }
        child.expires_at = expires
        child.save(update_fields=["data", "expires_at", "updated_at"])
    locked.data = merged
    if step is not None:
        locked.step = max(0, step)
    locked.expires_at = expires
    locked.save(update_fields=["data", "step", "expires_at", "updated_at"])
    return locked


def _material(children: list[Application], code: str) -> JointMaterial:
    row = next((m for m in joint_materials(children) if m.code == code), None)
    if row is None:
        raise NotFound()
    return row


@transaction.atomic
def attach_joint_file(
    *, user: User, joint: JointApplication, code: str, upload: UploadedFile
) -> list[Attachment]:
    """One upload for a material several items ask for: stored once (checked by the single
    item's upload rules), referenced by one ``Attachment`` row per child that needs it."""
    _, children = _editable(user, joint)
    row = _material(children, code)
    (first_child, first_requirement), *others = row.needs
    first = _store_attachment(user, first_child, first_requirement, upload)
    attached = [first]
    for child, requirement in others:
        Attachment.objects.filter(application=child, requirement=requirement, replaced=False).update(
            replaced=True
        )
        attached.append(
            Attachment.objects.create(
                application=child,
                requirement=requirement,
                file=first.file.name,  # the same stored file, not a copy
                display_name=first.display_name,
                content_type=first.content_type,
                size=first.size,
                sha256=first.sha256,
                uploaded_by=user,
            )
        )
    return attached


@transaction.atomic
def remove_joint_file(*, user: User, joint: JointApplication, code: str) -> int:
    """Remove the material's file from every child (rows marked replaced; the stored file stays
    for the rows that keep their history)."""
    _, children = _editable(user, joint)
    row = _material(children, code)
    pks = [a.pk for a in row.current.values()]
    return Attachment.objects.filter(pk__in=pks).update(replaced=True)


def _held(planned: dict, draft: Application) -> bool:
    entry = planned.get(draft.item_id)
    return bool(entry.after) if entry is not None else False


def _split(user: User, drafts: list[Application], joint_case: JointCase, planned: dict) -> list[Case]:
    """The child cases, inserted together; then the started children's submission steps (the
    wallet's check, 秒批), each step over all of them at once, and the drafts marked submitted.

    What every child would read alone is read once for all: the items' chosen processes and
    the children's numbers (one counter step per county)."""
    today = timezone.localdate()
    chosen = chosen_definitions([d.item_id for d in drafts])
    by_region: dict[str, list[Application]] = {}
    for draft in drafts:
        by_region.setdefault(draft.item.region_code, []).append(draft)
    numbers: dict[int, str] = {}
    for region_code, group in by_region.items():
        taken = next_case_numbers(region_code, today, len(group))
        numbers |= {draft.pk: number for draft, number in zip(group, taken, strict=True)}
    cases = []
    for draft in drafts:
        entry = planned.get(draft.item_id)
        cases.append(
            new_case(
                user,
                draft,
                joint=joint_case,
                essential=entry.essential if entry is not None else True,
                held=_held(planned, draft),
                number=numbers[draft.pk],
                chosen=chosen[draft.item_id],
            )
        )
    Case.objects.bulk_create(cases)
    started = [(d, c) for d, c in zip(drafts, cases, strict=True) if c.status != Case.Status.HELD]
    if started:
        for step in steps.submission_steps:
            step.run_all(started, user)
    Application.objects.filter(pk__in=[d.pk for d in drafts]).update(
        status=Application.Status.SUBMITTED, updated_at=timezone.now()
    )
    for draft in drafts:
        draft.status = Application.Status.SUBMITTED
    return cases


def _history(user: User, cases: list[Case], joint_case: JointCase) -> list[tuple[Case, CaseEvent]]:
    """Every child's submission line, inserted together; the children's "submitted" events for
    other apps, but one message to the applicant for the joint case (not one per department).
    After commit: each child's ``case_event`` (with the ``batch`` of all, so a receiver may
    queue one task for them), then every observer told of all the lines in one call
    (``EventObserver.notify_many``)."""
    events = CaseEvent.objects.bulk_create(
        [
            history_line(
                case,
                user,
                "submit",
                crossregion.submission_title(case),
                opinion=crossregion.submission_note(case),
            )
            for case in cases
        ]
    )
    joint_submitted.send(sender=JointCase, joint=joint_case, children=cases, actor=user)
    ids = [(case.pk, event.pk) for case, event in zip(cases, events, strict=True)]

    def after_commit() -> None:
        for case in cases:
            case_event.send(sender=Case, case=case, event="submitted", actor=user, batch=cases)
        for observer in steps.event_observers:
            observer.notify_all(ids)

    transaction.on_commit(after_commit)
    return list(zip(cases, events, strict=True))


@rawsql.statement
def _joint_lock_sql(by_public_id: bool) -> str:
    """The joint draft, locked, and the joint draft its submitter's idempotency key was already
    used for (NULL when none); parameters: the submitter, the key, the draft's id or public id."""
    joint = rawsql.columns(JointApplication, "j")
    lock = ""
    if connection.features.has_select_for_update:  # SQLite: the IMMEDIATE transaction holds the lock
        lock = connection.ops.for_update_sql(
            of=("j",) if connection.features.has_select_for_update_of else ()
        )
    return (
        f"SELECT {joint.sql}, (SELECT c.joint_application_id FROM {rawsql.table(JointCase)} c "  # noqa: S608 (names from the models, values bound)
        "WHERE c.submitted_by_id = %s AND c.idempotency_key = %s) "
        f"FROM {rawsql.table(JointApplication)} j WHERE j.{'public_id' if by_public_id else 'id'} = %s {lock}"
    )


def _lock_for_submit(
    user: User, joint: JointApplication | None, public_id: uuid.UUID | str | None, key: str | None
) -> tuple[JointApplication, int | None]:
    """The joint draft, locked, and the joint draft ``key`` was already used for, in one
    hand-written statement (``core.rawsql``, as ``applying._draft_to_submit``)."""
    by_public_id = joint is None
    ident = rawsql.param(JointApplication, "public_id", public_id) if by_public_id else joint.pk
    with connection.cursor() as cursor:
        cursor.execute(_joint_lock_sql(by_public_id), [user.pk, key or "", ident])
        row = cursor.fetchone()
    locked = rawsql.columns(JointApplication, "j").load(row) if row is not None else None
    if locked is None or locked.created_by_id != getattr(user, "pk", None):
        raise NotFound()
    return locked, (row[-1] if key else None)


def _bundle_for(locked: JointApplication, drafts: list[Application]) -> LifeEvent | None:
    """The bundle as ``bundle_plan`` reads it, its entries' items taken from the locked drafts
    (read with their departments already) instead of a second time; an entry whose item is not
    a draft's (an item of another region, an entry added since) reads it on first use."""
    bundle = bundle_queryset(items=False).filter(pk=locked.bundle_id).first()
    if bundle is not None:
        items = {draft.item_id: draft.item for draft in drafts}
        for entry in bundle.entries.all():
            if entry.item_id in items:
                entry.item = items[entry.item_id]
    return bundle


@transaction.atomic
def submit_joint_application(
    *,
    user: User,
    joint: JointApplication | None = None,
    public_id: uuid.UUID | str | None = None,
    idempotency_key: str | None = None,
) -> JointCase:
    """Submit → one joint case (联办件, its own number) and one child case per item in its own
    department, all in this transaction: an error in any child leaves nothing. A double click
    or a retried request (the same Idempotency-Key) gets the same joint case.

    Children whose bundle entry waits for other entries start held (``Case.Status.HELD``); the
    lead department and the joint deadline (working days) are set on the joint case. Each child
    is checked and made as a single submission is (``check_submittable``, ``new_case``), but
    what is the joint's is done once: one locked read of the drafts, the cases, their history
    lines and the drafts' status written together, one "submitted" message to the applicant
    naming every child (``joint_submitted``), and the audit entries of the children and of the
    joint case appended together as the transaction's last writes.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    locked, key_used_by = _lock_for_submit(user, joint, public_id, idempotency_key)
    if key_used_by is not None and key_used_by != locked.pk:
        raise Conflict("该幂等键已用于另一份申请。", code="idempotency_key_reused")
    if locked.status == JointApplication.Status.SUBMITTED:
        return JointCase.objects.get(joint_application=locked)
    if locked.expires_at < timezone.now():
        raise InvalidInput(EXPIRED, code="draft_expired")
    drafts = joint_drafts_to_submit(user, locked)
    bundle = _bundle_for(locked, drafts)
    if bundle is None or bundle.status != LifeEvent.Status.PUBLISHED:
        raise InvalidInput("该“一件事”已停止办理。", code="bundle_unavailable")
    if not drafts:
        raise InvalidInput("没有需要办理的事项。", code="nothing_selected")
    plan = bundle_plan(bundle, locked.answers, locked.region_code or None, materials=False)
    planned = {p.item.pk: p for p in plan.selected}
    issued = plan.documents_before()
    for draft in drafts:  # every refusal before anything is written
        check_submittable(
            user, draft, held=_held(planned, draft), issued=issued.get(draft.item_id, frozenset())
        )
    now = timezone.now()
    today = timezone.localdate(now)
    first_item = drafts[0].item
    region_code = locked.region_code or first_item.region_code
    limit = plan.joint_limit_days
    applicant = user if locked.applicant_id == user.pk else locked.applicant
    joint_case = JointCase(
        number=next_joint_number(region_code, today),
        joint_application=locked,
        bundle=bundle,
        bundle_version=locked.bundle_version,
        applicant=applicant,
        enterprise=locked.enterprise,
        submitted_by=user,
        applicant_name=locked.enterprise.name
        if locked.enterprise_id
        else (applicant.real_name or applicant.get_username()),
        channel=locked.channel,
        lead_department=bundle.lead_department or first_item.department,
        region_code=region_code,
        joint_limit_days=limit,
        joint_due=calendar.add_workdays(today, limit).date if limit else None,
        submitted_at=now,
        idempotency_key=idempotency_key or None,
    )
    try:
        with transaction.atomic():
            joint_case.save(force_insert=True)
    except IntegrityError as exc:  # the same key on two joint drafts at once
        raise Conflict("该申请正在提交，请勿重复操作。", code="duplicate_submit") from exc
    cases = _split(user, drafts, joint_case, planned)
    by_entry = {planned[c.item_id].entry.pk: c for c in cases if c.item_id in planned}
    through = Case.prerequisites.through
    through.objects.bulk_create(
        [
            through(from_case_id=case.pk, to_case_id=by_entry[pk].pk)
            for case in cases
            for pk in (planned[case.item_id].after if case.item_id in planned else [])
            if pk in by_entry
        ]
    )
    if len({c.item.region_code for c in drafts}) > 1:  # 多地联办
        Case.objects.filter(joint=joint_case).update(handling_mode=Case.HandlingMode.MULTI)
    locked.status = JointApplication.Status.SUBMITTED
    locked.save(update_fields=["status", "updated_at"])
    events = _history(user, cases, joint_case)
    # The last writes: the children's entries, then the joint case's, as one stretch of the chain.
    audit.append_many(
        [
            *(audit_entry(case, event, user, "submit", opinion=event.opinion) for case, event in events),
            {
                "action": "cases.joint_submit",
                "actor": user,
                "obj": joint_case,
                "summary": {
                    "number": joint_case.number,
                    "bundle": bundle.slug,
                    "version": joint_case.bundle_version,
                    "children": [c.number for c in by_entry.values()],
                },
            },
        ]
    )
    # What the split made, for the submitter's answer (as a single submission answers with the
    # case it made, not a fresh read).
    joint_case.made = events
    return joint_case
