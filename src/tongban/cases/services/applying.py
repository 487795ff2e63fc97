"""Applying online: the draft (start, save and return, files) and its submission."""

import datetime as dt
import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tongban.catalog.models import Channel, MaterialRequirement, ServiceItem
from tongban.core import rawsql
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.forms.models import FormDefinition
from tongban.forms.schema import clean_data, validate_data
from tongban.forms.selectors import active_form
from tongban.forms.services import default_schema_for, save_form_version
from tongban.identity.actors import check_agent_scope
from tongban.identity.models import EnterpriseAccount
from tongban.workflow.selectors import chosen_definition, resolve_process

from .. import clock, steps
from ..access import check_apply
from ..forms import materials_to_upload, registry_defaults
from ..models import Application, Attachment, Case, JointApplication, JointCase
from ..numbering import next_case_number
from ..uploads import check_upload
from . import crossregion
from ._common import (
    DRAFT_DAYS,
    Conflict,
    FormInvalid,
    _apply_ready,
    _log,
)

# What an item waiting for a prerequisite gets from it, not from the applicant: the 统一社会信用代码
# of the company the prerequisite (营业执照) creates (``joint_processing`` carries it over).
FROM_PREREQUISITE = frozenset({"enterprise.uscc"})


def from_prerequisite(schema: dict, path: str) -> bool:
    """A field a held item's prerequisite provides: not required at the joint submission."""
    prop = (schema.get("properties") or {}).get(path.split(".")[0]) or {}
    return prop.get("x-semantic") in FROM_PREREQUISITE


def _form_for(item: ServiceItem) -> FormDefinition:
    form = active_form(item)
    if form is None:
        schema, layout = default_schema_for(item)
        form = save_form_version(
            actor=None, item=item, title=f"{item.name}申请表", schema=schema, layout=layout, activate=True
        )
    return form


def _prefill(form: FormDefinition, applicant: User, enterprise: EnterpriseAccount | None) -> dict:
    """Values the platform already knows are filled in, never asked again (国务院令第716号)."""
    sources = {
        "person.name": applicant.real_name,
        "person.id_number": applicant.id_number or "",
        "person.mobile": applicant.mobile or "",
        "enterprise.name": enterprise.name if enterprise else "",
        "enterprise.uscc": enterprise.uscc if enterprise else "",
    }
    values = {}
    for name, prop in (form.schema.get("properties") or {}).items():
        source = prop.get("x-prefill")
        if source and sources.get(source):
            values[name] = sources[source]
    return values


def prefilled_fields(application: Application) -> set[str]:
    """Fields whose value came from the account or registries: shown, not editable."""
    if application.form is None:
        return set()
    known = _prefill(application.form, application.applicant, application.enterprise)
    return {k for k, v in known.items() if v}


@transaction.atomic
def start_application(
    *,
    user: User,
    item: ServiceItem,
    enterprise: EnterpriseAccount | None = None,
    joint: JointApplication | None = None,
) -> Application:
    """A citizen or an enterprise's agent starts applying online (``joint``: as one item of a
    一件事 application, whose draft holds the shared answers)."""
    check_apply(user, item, enterprise)
    form = _form_for(item)
    application = Application.objects.create(
        joint=joint,
        item=item,
        form=form,
        applicant=user,
        enterprise=enterprise,
        created_by=user,
        channel=Channel.ONLINE,
        data={
            **registry_defaults(form.schema, user, enterprise, accessor=user, purpose="在线申请时预填地址"),
            **_prefill(form, user, enterprise),
        },
        expires_at=timezone.now() + dt.timedelta(days=DRAFT_DAYS),
    )
    attach_held_materials(application, user)
    return application


def _editable_draft(user: User, application: Application) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item", "form")
        .get(pk=application.pk)
    )
    if locked.created_by_id != getattr(user, "pk", None):
        raise NotFound()
    if locked.status != Application.Status.DRAFT:
        raise InvalidInput("该申请已提交，不能再修改。", code="already_submitted")
    if locked.expires_at < timezone.now():
        raise InvalidInput("草稿已超过 30 天保留期，请重新申请。", code="draft_expired")
    return locked


@transaction.atomic
def save_draft(*, user: User, application: Application, data: dict, step: int | None = None) -> Application:
    """Save and return: partial data is checked for format, not completeness."""
    draft = _editable_draft(user, application)
    fixed = prefilled_fields(draft)
    merged = {**draft.data, **{k: v for k, v in data.items() if k not in fixed}}
    merged = clean_data(draft.form.schema, draft.form.layout, merged)
    errors = validate_data(draft.form.schema, draft.form.layout, merged, partial=True)
    if errors:
        raise FormInvalid(errors.fields)
    draft.data = merged
    if step is not None:
        draft.step = max(0, step)
    draft.expires_at = timezone.now() + dt.timedelta(days=DRAFT_DAYS)
    draft.save(update_fields=["data", "step", "expires_at", "updated_at"])
    return draft


@transaction.atomic
def attach_file(
    *,
    user: User,
    application: Application,
    requirement: MaterialRequirement | None,
    upload: UploadedFile,
) -> Attachment:
    draft = _editable_draft(user, application)
    return _store_attachment(user, draft, requirement, upload)


def _store_attachment(
    user: User,
    application: Application,
    requirement: MaterialRequirement | None,
    upload: UploadedFile,
) -> Attachment:
    if requirement is not None and requirement.item_id != application.item_id:
        raise NotFound()
    checked = check_upload(upload)
    if requirement is not None:
        # One current file per material; files of the form's own file fields (no requirement)
        # are many and are replaced one by one by whoever references them.
        Attachment.objects.filter(application=application, requirement=requirement, replaced=False).update(
            replaced=True
        )
    return Attachment.objects.create(
        application=application,
        requirement=requirement,
        file=checked.content,
        display_name=checked.display_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
    )


@transaction.atomic
def remove_attachment(*, user: User, attachment: Attachment) -> None:
    _editable_draft(user, attachment.application)
    attachment.replaced = True
    attachment.save(update_fields=["replaced"])


def attach_held_materials(application: Application, actor: User | None) -> list[Attachment]:
    """免提交: every material provider (``cases.steps``) attaches what it holds for the draft."""
    attached = []
    for provider in steps.material_providers:
        attached += provider.attach(application, actor)
    return attached


def missing_materials(application: Application) -> list[MaterialRequirement]:
    """Required materials without a current file, in one query; the providers (wallet
    certificates) are asked only about what is still missing."""
    attached = Attachment.objects.filter(application=application, requirement=OuterRef("pk"), replaced=False)
    missing = list(
        MaterialRequirement.objects.filter(
            item_id=application.item_id, necessity=MaterialRequirement.Necessity.REQUIRED
        ).exclude(Exists(attached))
    )
    missing = materials_to_upload(missing, application.channel)
    if missing and steps.material_providers:
        present: set[int] = set()
        for provider in steps.material_providers:
            present |= provider.held(application)
        missing = [m for m in missing if m.pk not in present]
    return missing


def _draft_columns() -> tuple[rawsql.Columns, ...]:
    return (
        rawsql.columns(Application, "a"),
        rawsql.columns(ServiceItem, "i"),
        rawsql.columns(Department, "d"),
        rawsql.columns(FormDefinition, "f"),
    )


@rawsql.statement
def _draft_sql(with_key: bool, by_public_id: bool, by_joint: bool = False) -> str:
    """The submission's locked read (see ``_draft_to_submit``); parameters: the material
    flags' three, then the key's two (``with_key``), then the draft's id or public id, or
    (``by_joint``) the joint draft's id, for every child draft in order."""
    app, item, department, form = _draft_columns()
    used = "NULL"
    if with_key:
        used = (
            f"(SELECT c.application_id FROM {rawsql.table(Case)} c "  # noqa: S608 (names from the models, values bound)
            "WHERE c.submitted_by_id = %s AND c.idempotency_key = %s)"
        )
    lock = ""
    if connection.features.has_select_for_update:  # SQLite: the IMMEDIATE transaction holds the lock
        lock = connection.ops.for_update_sql(
            of=("a",) if connection.features.has_select_for_update_of else ()
        )
    return (
        f"SELECT {app.sql}, {item.sql}, {department.sql}, {form.sql}, "  # noqa: S608 (as above)
        f"EXISTS (SELECT 1 FROM {rawsql.table(MaterialRequirement)} r WHERE r.item_id = a.item_id "
        "AND r.necessity = %s AND NOT EXISTS (SELECT 1 FROM "
        f"{rawsql.table(Attachment)} t WHERE t.application_id = a.id AND t.requirement_id = r.id "
        f"AND t.replaced = %s)), EXISTS (SELECT 1 FROM {rawsql.table(Attachment)} w WHERE "
        "w.application_id = a.id AND w.replaced = %s AND w.certificate_identifier <> ''), "
        f"{used} "
        f"FROM {rawsql.table(Application)} a JOIN {rawsql.table(ServiceItem)} i ON i.id = a.item_id "
        f"JOIN {rawsql.table(Department)} d ON d.id = i.department_id "
        f"LEFT JOIN {rawsql.table(FormDefinition)} f ON f.id = a.form_id "
        + (
            f"WHERE a.joint_id = %s ORDER BY a.id {lock}"
            if by_joint
            else f"WHERE a.{'public_id' if by_public_id else 'id'} = %s {lock}"
        )
    )


def _draft_to_submit(
    user: User, application: Application | None, public_id: uuid.UUID | str | None, key: str | None
) -> Application:
    """The draft, locked, with what a submission reads, in one hand-written statement
    (``core.rawsql``: the ORM took twenty times longer to build it than the database to run it):
    item, department, form, whether a required material has no file (only then are names and
    the wallet asked for), whether a file came from the wallet (only then does the wallet's
    submission step check them) and the application an idempotency key was already used for
    (``key_used_by``). The process the item chose is workflow's to read (``chosen_definition``)."""
    params: list[Any] = [MaterialRequirement.Necessity.REQUIRED, False, False]
    if key:
        params += [user.pk, key]
    if application is not None:
        params.append(application.pk)
    else:
        params.append(rawsql.param(Application, "public_id", public_id))
    with connection.cursor() as cursor:
        cursor.execute(_draft_sql(bool(key), application is None), params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    locked = _load_draft(row)
    if locked.created_by_id != getattr(user, "pk", None):
        raise NotFound()
    return locked


def joint_drafts_to_submit(user: User, joint: JointApplication) -> list[Application]:
    """Every child draft of a joint draft, locked in order, read as ``_draft_to_submit`` reads
    one, in one statement."""
    params: list[Any] = [MaterialRequirement.Necessity.REQUIRED, False, False, joint.pk]
    with connection.cursor() as cursor:
        cursor.execute(_draft_sql(False, False, True), params)
        rows = cursor.fetchall()
    drafts = [_load_draft(row) for row in rows]
    if any(d.created_by_id != getattr(user, "pk", None) for d in drafts):
        raise NotFound()
    return drafts


def _load_draft(row: tuple) -> Application:
    app, item, department, form = _draft_columns()
    locked = app.load(row)
    at = len(app)
    locked.item = item.load(row, at)
    locked.item.department = department.load(row, at + len(item))
    at += len(item) + len(department)
    locked.form = form.load(row, at)
    at += len(form)
    unattached, wallet, locked.key_used_by = row[at:]
    locked.materials_unattached = bool(unattached)
    locked.wallet_attachments = bool(wallet)
    return locked


@transaction.atomic
def submit_application(
    *,
    user: User,
    application: Application | None = None,
    public_id: uuid.UUID | str | None = None,
    idempotency_key: str | None = None,
) -> Case:
    """Submit → a case with its number. A double click or a retried request gets the same case.

    The draft is named by the instance or by its ``public_id`` (the API: no separate read).
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    locked = _draft_to_submit(user, application, public_id, idempotency_key)
    used_by = getattr(locked, "key_used_by", None)
    if used_by is not None and used_by != locked.pk:
        raise Conflict("该幂等键已用于另一份申请。", code="idempotency_key_reused")
    if locked.joint_id:  # one item of a 一件事 application is submitted only with the others
        raise NotFound()
    if locked.status == Application.Status.SUBMITTED:
        return Case.objects.select_related("item", "department").get(application=locked)
    return _create_case(user, locked, idempotency_key=idempotency_key)


def _create_case(user: User, locked: Application, *, idempotency_key: str | None = None) -> Case:
    """The submission of one locked draft (from ``_draft_to_submit``): its checks, the case with
    its number, process and clock, the submission steps, the history line and the audit entry.

    A joint submission (``joint_applying``) makes its children from the same parts
    (``check_submittable``, ``new_case``), inserting them together; a ``held`` child waits
    there for its prerequisites.
    """
    check_submittable(user, locked)
    case = new_case(user, locked, idempotency_key=idempotency_key)
    try:
        case.save(force_insert=True)
    except IntegrityError as exc:  # the same key on two drafts at once; the transaction is undone
        raise Conflict("该申请正在提交，请勿重复操作。", code="duplicate_submit") from exc
    for step in steps.submission_steps:  # before the history line and the audit
        step.run(locked, case, user)
    locked.status = Application.Status.SUBMITTED
    locked.save(update_fields=["status", "updated_at"])
    _log(
        case,
        user,
        "submit",
        crossregion.submission_title(case),
        opinion=crossregion.submission_note(case),
        emit="submitted",
    )
    return case


def check_submittable(
    user: User, locked: Application, *, held: bool = False, issued: frozenset[str] = frozenset()
) -> None:
    """What refuses a submission of the locked draft: expiry, a withdrawn item, an agent's
    scope, the form, missing materials (for a held child, the documents its prerequisites
    issue, ``issued`` material codes, excepted)."""
    if locked.expires_at < timezone.now():
        raise InvalidInput("草稿已超过 30 天保留期，请重新申请。", code="draft_expired")
    item = locked.item
    if item.status != ServiceItem.Status.PUBLISHED:
        raise InvalidInput("该事项已停止办理。", code="item_unavailable")
    if locked.enterprise_id and locked.channel == Channel.ONLINE:
        check_agent_scope(user, locked.enterprise, item)
    errors = validate_data(locked.form.schema, locked.form.layout, locked.data).fields
    if held:  # what the prerequisites provide (the new company's USCC) comes at release
        errors = {path: m for path, m in errors.items() if not from_prerequisite(locked.form.schema, path)}
    if errors:
        raise FormInvalid(errors)
    missing = missing_materials(locked) if locked.materials_unattached else []
    if held:
        missing = [m for m in missing if m.material_code not in issued]
    if missing:
        raise InvalidInput(
            "还缺少必要材料：" + "、".join(m.name for m in missing),
            field="materials",
            code="materials_missing",
        )


def new_case(
    user: User,
    locked: Application,
    *,
    idempotency_key: str | None = None,
    joint: JointCase | None = None,
    essential: bool = False,
    held: bool = False,
    number: str | None = None,
    chosen: tuple[int | None, str | None] | None = None,
) -> Case:
    """The case of a checked draft, unsaved: its number (taken now), process and clock. A joint
    split takes its children's numbers and the items' chosen processes together and passes
    them (``number``, ``chosen``)."""
    item = locked.item
    definition_id, process = resolve_process(item, *(chosen or chosen_definition(item.pk)))
    state, ready = ("", []) if held else process.start({"item": item.code})
    now = timezone.now()
    today = timezone.localdate(now)
    applicant = user if locked.applicant_id == user.pk else locked.applicant
    case = Case(
        number=number or next_case_number(item.region_code, today),
        application=locked,
        item=item,
        department=item.department,
        region_code=item.region_code,
        applicant=applicant,
        enterprise=locked.enterprise,
        submitted_by=user,
        applicant_name=locked.enterprise.name
        if locked.enterprise_id
        else (applicant.real_name or applicant.get_username()),
        channel=locked.channel,
        form=locked.form,
        data=locked.data,
        process_id=definition_id,
        workflow_state=state,
        submitted_at=now,
        limit_days=item.promised_limit,
        limit_unit=item.promised_limit_unit,
        idempotency_key=idempotency_key or None,
        status=Case.Status.HELD if held else Case.Status.PENDING_INTAKE,
        joint=joint,
        essential=essential,
        **crossregion.case_fields(locked, item),
    )
    if not held:
        _apply_ready(case, ready)
        clock.set_intake_deadline(case, today)
        clock.refresh_due(case)
    return case
