"""Every write on applications and cases: one function per use case, each in a transaction,
each checking who may do it. Views and the API only parse input and call these.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tongban.catalog.models import Channel, MaterialRequirement, ServiceItem
from tongban.core import audit, rawsql
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.departments.models import Department
from tongban.forms.models import FormDefinition
from tongban.forms.schema import clean_data, validate_data
from tongban.forms.selectors import active_form
from tongban.forms.services import default_schema_for, save_form_version
from tongban.identity import permissions
from tongban.identity.actors import check_agent_scope
from tongban.identity.models import EnterpriseAccount, StaffRole
from tongban.workflow.engine import ProcessError, TaskInfo
from tongban.workflow.selectors import process_for, process_join, resolve_process

from . import clock
from .access import check_staff_role, is_applicant_side
from .document_templates import outcome
from .forms import materials_to_upload, registry_defaults
from .models import Application, Attachment, Case, CaseEvent, CorrectionRequest
from .numbering import next_case_number
from .signals import case_event, case_event_recorded
from .uploads import check_upload

DRAFT_DAYS = 30


class Conflict(ServiceError):
    code = "conflict"
    status = 409


def _label(user: Any) -> str:  # noqa: ANN401
    if user is None:
        return "系统"
    return getattr(user, "display_name", None) or user.get_username()


def _emit(case: Case, event: str, actor: Any) -> None:  # noqa: ANN401
    """In the step's transaction for writes that belong with it (the notification task), after
    commit for everything else."""
    case_event_recorded.send(sender=Case, case=case, event=event, actor=actor)
    transaction.on_commit(lambda: case_event.send(sender=Case, case=case, event=event, actor=actor))


def _log(
    case: Case,
    actor: Any,
    action: str,
    title: str,
    *,
    from_status: str = "",
    opinion: str = "",  # noqa: ANN401
    public: bool = True,
    step: str = "",
    emit: str = "",
) -> CaseEvent:
    """The history line, the case event for other apps (``emit``) and, last, the audit entry:
    appending locks the platform-wide chain head until commit, so nothing may follow it."""
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        actor_label=_label(actor),
        on_behalf_of=case.enterprise.name
        if case.enterprise_id and action in {"submit", "withdraw", "correct"}
        else "",
        action=action,
        title=title,
        from_status=from_status,
        to_status=case.status,
        step=step,
        opinion=opinion,
        public=public,
    )
    if emit:
        _emit(case, emit, actor)
    audit.append(
        f"cases.{action}",
        actor=actor,
        obj=case,
        on_behalf_of=event.on_behalf_of,
        summary={
            "number": case.number,
            "event": event.pk,
            "from": from_status,
            "to": case.status,
            "step": step,
            "opinion_sha256": audit.digest(opinion) if opinion else "",
        },
    )
    return event


# ---------------------------------------------------------------- applying


@dataclass(frozen=True)
class Prefill:
    values: dict


def _form_for(item: ServiceItem):  # noqa: ANN202
    form = active_form(item)
    if form is None:
        schema, layout = default_schema_for(item)
        form = save_form_version(
            actor=None, item=item, title=f"{item.name}申请表", schema=schema, layout=layout, activate=True
        )
    return form


def _prefill(form: Any, applicant: Any, enterprise: EnterpriseAccount | None) -> dict:  # noqa: ANN401
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
    *, user: Any, item: ServiceItem, enterprise: EnterpriseAccount | None = None
) -> Application:  # noqa: ANN401
    """A citizen or an enterprise's agent starts applying online."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", "citizen") != "citizen":
        raise PermissionDenied("请使用个人或企业账号登录后申请。")
    if item.status != ServiceItem.Status.PUBLISHED:
        raise NotFound()
    if enterprise is not None:
        check_agent_scope(user, enterprise, item)
    form = _form_for(item)
    return Application.objects.create(
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


@transaction.atomic
def start_window_application(
    *,
    staff: Any,
    item: ServiceItem,
    applicant: Any,  # noqa: ANN401
    enterprise: EnterpriseAccount | None = None,
) -> Application:
    """一窗受理: intake staff fill in the application for a person at the counter."""
    if item.status != ServiceItem.Status.PUBLISHED:
        raise NotFound()
    permissions.require_role(staff, StaffRole.INTAKE, item.department)
    form = _form_for(item)
    return Application.objects.create(
        item=item,
        form=form,
        applicant=applicant,
        enterprise=enterprise,
        created_by=staff,
        channel=Channel.WINDOW,
        data={
            **registry_defaults(
                form.schema,
                applicant,
                enterprise,
                accessor=staff,
                purpose="窗口受理时预填地址",
                department=item.department,
            ),
            **_prefill(form, applicant, enterprise),
        },
        expires_at=timezone.now() + dt.timedelta(days=DRAFT_DAYS),
    )


def counter_applicant(*, staff: Any, id_number: str, department: Any) -> Any:  # noqa: ANN401
    """The account of the person at the window, found by ID number or opened for them.

    The population registry is read (and the read logged with the purpose 窗口受理) every
    time, so staff see the registered name and nobody deceased or unknown gets a case. A new
    account is a citizen account at L2 (registry-confirmed) without a password or mobile
    number; the person can take it over later at a window.
    """
    from django.contrib.auth import get_user_model

    from tongban.identity.audit import record_action
    from tongban.registries.models import PopulationRecord
    from tongban.registries.selectors import read_person
    from tongban.registries.validators import parse_id_number

    permissions.require_role(staff, StaffRole.INTAKE, department)
    facts = parse_id_number(id_number)
    record = read_person(facts.number, accessor=staff, purpose="窗口受理", department=department)
    if record is None:
        raise InvalidInput("人口库中没有该身份证号码，请核对证件后重新输入。", field="id_number")
    if record.status == PopulationRecord.Status.DECEASED:
        raise InvalidInput("该身份证号码登记为已死亡人员，不能办理。", field="id_number")
    user_model = get_user_model()
    person = user_model.objects.filter(id_number=facts.number).first()
    if person is not None:
        if person.kind != user_model.Kind.CITIZEN or not person.is_active:
            raise InvalidInput("该身份证号码绑定的账号不能用于申请，请联系系统管理员。", field="id_number")
        return person
    person = user_model(
        username=f"window-{uuid.uuid4().hex[:20]}",
        kind=user_model.Kind.CITIZEN,
        real_name=record.name,
        id_number=record.id_number,
        real_name_level=user_model.RealNameLevel.L2,
        real_name_verified_at=timezone.now(),
    )
    person.set_unusable_password()
    # Not one transaction with the registry read: a refused lookup must stay in the log.
    try:
        with transaction.atomic():
            person.save()
            record_action(
                staff,
                "cases.window_account",
                target=person,
                department=department,
                summary="窗口受理时开立公众账号",
            )
    except IntegrityError:  # another window opened the account a moment ago
        return user_model.objects.get(id_number=facts.number)
    return person


def _editable_draft(user: Any, application: Application) -> Application:  # noqa: ANN401
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
def save_draft(*, user: Any, application: Application, data: dict, step: int | None = None) -> Application:  # noqa: ANN401
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


class FormInvalid(InvalidInput):
    code = "form_invalid"

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        first = next(iter(fields.values()))[0] if fields else "表单填写不完整。"
        super().__init__(first, field=next(iter(fields), None))


@transaction.atomic
def attach_file(
    *,
    user: Any,
    application: Application,
    requirement: MaterialRequirement | None,  # noqa: ANN401
    upload: Any,
) -> Attachment:  # noqa: ANN401
    draft = _editable_draft(user, application)
    return _store_attachment(user, draft, requirement, upload)


def _store_attachment(
    user: Any,
    application: Application,
    requirement: MaterialRequirement | None,  # noqa: ANN401
    upload: Any,
) -> Attachment:  # noqa: ANN401
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
def remove_attachment(*, user: Any, attachment: Attachment) -> None:  # noqa: ANN401
    _editable_draft(user, attachment.application)
    attachment.replaced = True
    attachment.save(update_fields=["replaced"])


# 免提交: apps above cases register functions returning the ids of required materials the
# platform already holds for an application (tongban.certificates: valid wallet certificates).
MATERIAL_PROVIDERS: list[Callable[[Application], set[int]]] = []


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
    if missing and MATERIAL_PROVIDERS:
        present: set[int] = set()
        for provider in MATERIAL_PROVIDERS:
            present |= provider(application)
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
def _draft_sql(with_key: bool, by_public_id: bool) -> str:
    """The submission's locked read (see ``_draft_to_submit``); parameters: the material
    flags' three, then the key's two (``with_key``), then the draft's id or public id."""
    app, item, department, form = _draft_columns()
    process_select, process_joins = process_join("a.item_id")
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
        f"SELECT {app.sql}, {item.sql}, {department.sql}, {form.sql}, {process_select}, "  # noqa: S608 (as above)
        f"EXISTS (SELECT 1 FROM {rawsql.table(MaterialRequirement)} r WHERE r.item_id = a.item_id "
        "AND r.necessity = %s AND NOT EXISTS (SELECT 1 FROM "
        f"{rawsql.table(Attachment)} t WHERE t.application_id = a.id AND t.requirement_id = r.id "
        f"AND t.replaced = %s)), EXISTS (SELECT 1 FROM {rawsql.table(Attachment)} w WHERE "
        "w.application_id = a.id AND w.replaced = %s AND w.certificate_identifier <> ''), "
        f"{used} "
        f"FROM {rawsql.table(Application)} a JOIN {rawsql.table(ServiceItem)} i ON i.id = a.item_id "
        f"JOIN {rawsql.table(Department)} d ON d.id = i.department_id "
        f"LEFT JOIN {rawsql.table(FormDefinition)} f ON f.id = a.form_id {process_joins} "
        f"WHERE a.{'public_id' if by_public_id else 'id'} = %s {lock}"
    )


def _draft_to_submit(
    user: Any, application: Application | None, public_id: Any, key: str | None
) -> Application:  # noqa: ANN401
    """The draft, locked, with everything a submission reads, in one hand-written statement
    (``core.rawsql``: the ORM took twenty times longer to build it than the database to run it):
    item, department, form, the process a case of the item starts with, whether a required
    material has no file (only then are names and the wallet asked for), whether a file came
    from the wallet (only then does the certificates hook check them) and the application an
    idempotency key was already used for (``key_used_by``)."""
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
    app, item, department, form = _draft_columns()
    locked = app.load(row)
    if locked.created_by_id != getattr(user, "pk", None):
        raise NotFound()
    at = len(app)
    locked.item = item.load(row, at)
    locked.item.department = department.load(row, at + len(item))
    at += len(item) + len(department)
    locked.form = form.load(row, at)
    at += len(form)
    locked.wf_definition_id, locked.wf_definition_digest, unattached, wallet, locked.key_used_by = row[at:]
    locked.materials_unattached = bool(unattached)
    locked.wallet_attachments = bool(wallet)
    return locked


@transaction.atomic
def submit_application(
    *,
    user: Any,  # noqa: ANN401
    application: Application | None = None,
    public_id: Any = None,  # noqa: ANN401
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
    if locked.status == Application.Status.SUBMITTED:
        return Case.objects.select_related("item", "department").get(application=locked)
    if locked.expires_at < timezone.now():
        raise InvalidInput("草稿已超过 30 天保留期，请重新申请。", code="draft_expired")
    item = locked.item
    if item.status != ServiceItem.Status.PUBLISHED:
        raise InvalidInput("该事项已停止办理。", code="item_unavailable")
    if locked.enterprise_id and locked.channel == Channel.ONLINE:
        check_agent_scope(user, locked.enterprise, item)
    errors = validate_data(locked.form.schema, locked.form.layout, locked.data)
    if errors:
        raise FormInvalid(errors.fields)
    missing = missing_materials(locked) if locked.materials_unattached else []
    if missing:
        raise InvalidInput(
            "还缺少必要材料：" + "、".join(m.name for m in missing),
            field="materials",
            code="materials_missing",
        )
    definition_id, process = resolve_process(item, locked.wf_definition_id, locked.wf_definition_digest)
    state, ready = process.start({"item": item.code})
    now = timezone.now()
    today = timezone.localdate(now)
    applicant = user if locked.applicant_id == user.pk else locked.applicant
    case = Case(
        number=next_case_number(item.region_code, today),
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
        status=Case.Status.PENDING_INTAKE,
    )
    _apply_ready(case, ready)
    clock.set_intake_deadline(case, today)
    clock.refresh_due(case)
    try:
        case.save(force_insert=True)
    except IntegrityError as exc:  # the same key on two drafts at once; the transaction is undone
        raise Conflict("该申请正在提交，请勿重复操作。", code="duplicate_submit") from exc
    locked.status = Application.Status.SUBMITTED
    locked.save(update_fields=["status", "updated_at"])
    _log(
        case,
        user,
        "submit",
        "窗口收件" if case.channel == Channel.WINDOW else "网上申请提交",
        emit="submitted",
    )
    return case


# ---------------------------------------------------------------- processing

STATUS_BY_ROLE = {
    "intake": Case.Status.PENDING_INTAKE,
    "applicant": Case.Status.CORRECTION,
    "review": Case.Status.IN_REVIEW,
    "decide": Case.Status.PENDING_DECISION,
    "issue": Case.Status.PENDING_ISSUE,
}
STATUS_BY_END = {
    "end_concluded": Case.Status.CONCLUDED,
    "end_denied": Case.Status.DENIED,
    "end_refused": Case.Status.REFUSED,
    "end_forwarded": Case.Status.FORWARDED,
}
RESULT_BY_END = {
    "end_denied": Case.Result.RETURNED,
    "end_refused": Case.Result.RETURNED,
    "end_forwarded": Case.Result.FORWARDED,
}


def _apply_ready(case: Case, ready: list[TaskInfo]) -> None:
    task = ready[0] if ready else None
    case.current_step = task.spec if task else ""
    case.current_step_title = task.title if task else ""
    case.current_role = task.role if task else ""
    if task is not None:
        status = STATUS_BY_ROLE.get(task.role, Case.Status.IN_REVIEW)
        if task.spec.startswith("special"):
            status = Case.Status.SPECIAL
        case.status = status


def _save(case: Case) -> None:
    clock.refresh_due(case)
    case.save()


def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "department", "department__region", "process", "enterprise")
        .defer("process__bpmn")
        .get(pk=case.pk)
    )


def _check_turn(actor: Any, case: Case, expected_step: str | None, expected_version: int | None) -> None:  # noqa: ANN401
    if not case.is_open:
        raise Conflict(f"办件已{case.get_status_display()}，不能再办理。", code="case_closed")
    if expected_step and case.current_step != expected_step:
        raise Conflict("该环节已由他人处理，请刷新后查看最新状态。", code="step_taken")
    if expected_version is not None and case.version != expected_version:
        raise Conflict("办件已被他人更新，请刷新后再操作。", code="stale")
    if case.current_role == "applicant":
        raise Conflict("办件正等待申请人补正。", code="awaiting_applicant")
    check_staff_role(actor, case, case.current_role)
    if case.assignee_id and case.assignee_id != actor.pk:
        raise Conflict(f"该办件已由 {_label(case.assignee)} 认领。", code="claimed_by_other")


def _advance(case: Case, actor: Any, decision: str | None, data: dict | None = None) -> str | None:  # noqa: ANN401
    process = process_for(case.process_id, case.process.digest)
    try:
        result = process.complete(case.workflow_state, case.current_step, decision, data)
    except ProcessError as exc:
        raise InvalidInput(str(exc), code="illegal_step") from exc
    case.workflow_state = result.state
    case.version += 1
    case.assignee = None
    case.claimed_at = None
    if result.end is not None:
        case.status = STATUS_BY_END[result.end]
        case.current_step = case.current_step_title = case.current_role = ""
        case.concluded_at = timezone.now()
        case.result = case.result or RESULT_BY_END.get(result.end, Case.Result.ISSUED)
    else:
        _apply_ready(case, result.ready)
    return result.end


@transaction.atomic
def claim_case(*, actor: Any, case: Case, expected_version: int | None = None) -> Case:  # noqa: ANN401
    """Take a task from the queue; when two claim at once exactly one wins."""
    locked = _lock(case)
    if not locked.is_open or locked.current_role == "applicant":
        raise Conflict("该办件当前没有可认领的环节。", code="nothing_to_claim")
    check_staff_role(actor, locked, locked.current_role)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict("办件已被他人更新，请刷新后再操作。", code="stale")
    won = Case.objects.filter(pk=locked.pk, assignee__isnull=True, version=locked.version).update(
        assignee=actor, claimed_at=timezone.now(), version=locked.version + 1
    )
    if not won:
        holder = Case.objects.select_related("assignee").get(pk=locked.pk).assignee
        if holder is not None and holder.pk == actor.pk:
            return Case.objects.get(pk=locked.pk)
        raise Conflict(f"该办件已由 {_label(holder)} 认领。", code="claimed_by_other")
    locked.refresh_from_db()
    _log(
        locked, actor, "claim", f"认领：{locked.current_step_title}", from_status=locked.status, public=False
    )
    return locked


@transaction.atomic
def release_case(*, actor: Any, case: Case) -> Case:  # noqa: ANN401
    locked = _lock(case)
    check_staff_role(actor, locked, locked.current_role or StaffRole.INTAKE)
    if locked.assignee_id != actor.pk:
        raise Conflict("只能释放自己认领的办件。", code="not_yours")
    locked.assignee, locked.claimed_at = None, None
    locked.version += 1
    locked.save(update_fields=["assignee", "claimed_at", "version"])
    _log(locked, actor, "release", "释放认领", from_status=locked.status, public=False)
    return locked


def _require_opinion(opinion: str, what: str) -> str:
    opinion = (opinion or "").strip()
    if not opinion:
        raise InvalidInput(f"请填写{what}。", field="opinion")
    return opinion


@transaction.atomic
def accept_case(
    *,
    actor: Any,
    case: Case,
    opinion: str = "",
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    """受理 (or, for an instant item, accept and conclude at once)."""
    locked = _lock(case)
    _check_turn(actor, locked, expected_step, expected_version)
    if locked.current_step not in {"intake", "handle"} and locked.current_role != "intake":
        raise InvalidInput("当前环节不是受理。", code="illegal_step")
    before = locked.status
    outcome = "grant" if "grant" in _outcomes(locked) else "accept"
    end = _advance(locked, actor, outcome)
    locked.accepted_at = timezone.now()
    if end is None:
        clock.set_decision_deadlines(locked, timezone.localdate())
    _save(locked)
    _log(
        locked,
        actor,
        "accept",
        "受理" if end is None else "受理并办结",
        from_status=before,
        opinion=opinion,
        emit="accepted" if end is None else "concluded",
    )
    return locked


@transaction.atomic
def submit_at_window(
    *,
    staff: Any,  # noqa: ANN401
    application: Application,
    idempotency_key: str | None = None,
    opinion: str = "",
) -> Case:
    """一窗受理当场受理: the intake clerk submits at the counter and, the form being valid and the
    materials complete (``submit_application`` refuses otherwise), accepts at once.

    The acceptance is the ordinary ``accept_case`` by the clerk (same clock, events, audit and
    notification as an accept from the queue). A repeated request returns the accepted case.
    """
    if application.channel != Channel.WINDOW:
        raise InvalidInput("只有窗口收件的申请可以当场受理。", code="not_window")
    permissions.require_role(staff, StaffRole.INTAKE, application.item.department)
    case = submit_application(user=staff, application=application, idempotency_key=idempotency_key)
    if case.status == Case.Status.PENDING_INTAKE and case.current_role == StaffRole.INTAKE:
        case = accept_case(
            actor=staff, case=case, opinion=opinion.strip() or "窗口收件，材料齐全，当场受理。"
        )
    return case


def _outcomes(case: Case) -> tuple[str, ...]:
    shape = process_for(case.process_id, case.process.digest).shape
    task = shape.tasks.get(case.current_step)
    return task.outcomes if task else ()


@transaction.atomic
def refuse_case(
    *,
    actor: Any,
    case: Case,
    reason: str,
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    """不予受理, with the reason written into the decision letter."""
    reason = _require_opinion(reason, "不予受理的理由")
    locked = _lock(case)
    _check_turn(actor, locked, expected_step, expected_version)
    if "refuse" not in _outcomes(locked):
        raise InvalidInput("当前环节不能作出不予受理决定。", code="illegal_step")
    before = locked.status
    _advance(locked, actor, "refuse")
    locked.decision_reason = reason
    _save(locked)
    _log(locked, actor, "refuse", "不予受理", from_status=before, opinion=reason, emit="refused")
    return locked


@transaction.atomic
def request_correction(
    *,
    actor: Any,
    case: Case,
    notice: str,
    fields: list[str] | None = None,  # noqa: ANN401
    materials: list[MaterialRequirement] | None = None,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> CorrectionRequest:
    """补正 (一次性告知): everything missing in one notice; the clock stops until answered."""
    notice = _require_opinion(notice, "补正告知内容")
    fields, materials = list(fields or []), list(materials or [])
    if not fields and not materials:
        raise InvalidInput("请至少选择一项需要补正的内容或材料。", field="fields")
    locked = _lock(case)
    _check_turn(actor, locked, expected_step, expected_version)
    if "correct" not in _outcomes(locked):
        raise InvalidInput("当前环节不能要求补正。", code="illegal_step")
    known = set((locked.form.schema.get("properties") or {}).keys()) if locked.form else set()
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise InvalidInput(f"表单中没有这些字段：{'、'.join(unknown)}。", field="fields")
    if any(m.item_id != locked.item_id for m in materials):
        raise InvalidInput("所选材料不属于该事项。", field="materials")
    before = locked.status
    _advance(locked, actor, "correct")
    clock.pause(locked, "correction")
    _save(locked)
    correction = CorrectionRequest.objects.create(
        case=locked, requested_by=actor, fields=fields, notice=notice
    )
    correction.materials.set(materials)
    _log(
        locked,
        actor,
        "request_correction",
        "一次性告知补正",
        from_status=before,
        opinion=notice,
        emit="correction_requested",
    )
    return correction


def open_correction(case: Case) -> CorrectionRequest | None:
    return case.corrections.filter(answered_at__isnull=True).prefetch_related("materials").first()


@transaction.atomic
def answer_correction(
    *,
    user: Any,
    case: Case,
    data: dict | None = None,  # noqa: ANN401
    files: dict[int, Any] | None = None,
) -> Case:
    """The applicant fixes only what the notice listed; the clock resumes."""
    locked = _lock(case)
    if not is_applicant_side(user, locked):
        raise NotFound()
    if locked.status != Case.Status.CORRECTION:
        raise Conflict("该办件当前不需要补正。", code="no_correction")
    correction = open_correction(locked)
    data, files = dict(data or {}), dict(files or {})
    not_listed = [k for k in data if k not in correction.fields]
    if not_listed:
        raise InvalidInput("只能修改补正告知中列出的内容。", field=not_listed[0], code="not_in_notice")
    allowed_materials = {m.pk: m for m in correction.materials.all()}
    if any(pk not in allowed_materials for pk in files):
        raise InvalidInput("只能补交补正告知中列出的材料。", field="materials", code="not_in_notice")
    missing = [m.name for pk, m in allowed_materials.items() if pk not in files]
    if missing:
        raise InvalidInput("请补交：" + "、".join(missing), field="materials", code="materials_missing")
    merged = {**locked.data, **data}
    merged = clean_data(locked.form.schema, locked.form.layout, merged)
    errors = validate_data(locked.form.schema, locked.form.layout, merged)
    if errors:
        raise FormInvalid(errors.fields)
    for pk, upload in files.items():
        _store_attachment(user, locked.application, allowed_materials[pk], upload)
    locked.data = merged
    locked.application.data = merged
    locked.application.save(update_fields=["data", "updated_at"])
    before = locked.status
    _advance(locked, user, None, {"corrected": True})
    clock.resume(locked)
    _save(locked)
    correction.answered_at = timezone.now()
    correction.save(update_fields=["answered_at"])
    _log(locked, user, "correct", "申请人已补正", from_status=before, emit="corrected")
    return locked


@transaction.atomic
def review_case(
    *,
    actor: Any,
    case: Case,
    opinion: str,
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    opinion = _require_opinion(opinion, "审查意见")
    return _simple_step(actor, case, "pass", "reviewed", "审查通过", opinion, expected_step, expected_version)


@transaction.atomic
def start_special_procedure(
    *,
    actor: Any,
    case: Case,
    kind: str,
    notice: str,  # noqa: ANN401
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """特别程序 (听证、检验、检测、专家评审…): written notice; the clock is suspended."""
    notice = _require_opinion(notice, "特别程序告知内容")
    kind = _require_opinion(kind, "特别程序种类")
    locked = _simple_step(
        actor,
        case,
        "special",
        "special_started",
        f"进入特别程序：{kind}",
        notice,
        expected_step,
        expected_version,
        save=False,
    )
    clock.pause(locked, "special")
    _save(locked)
    return locked


@transaction.atomic
def end_special_procedure(
    *, actor: Any, case: Case, outcome: str, expected_version: int | None = None
) -> Case:  # noqa: ANN401
    outcome = _require_opinion(outcome, "特别程序结果")
    locked = _lock(case)
    if locked.status != Case.Status.SPECIAL:
        raise Conflict("办件不在特别程序中。", code="not_special")
    _check_turn(actor, locked, None, expected_version)
    before = locked.status
    _advance(locked, actor, None)
    clock.resume(locked)
    _save(locked)
    _log(
        locked,
        actor,
        "special_end",
        "特别程序结束",
        from_status=before,
        opinion=outcome,
        emit="special_ended",
    )
    return locked


@transaction.atomic
def forward_case(
    *,
    actor: Any,
    case: Case,
    reason: str,
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    """转报: the decision belongs to the upper level."""
    reason = _require_opinion(reason, "转报理由")
    locked = _simple_step(
        actor,
        case,
        "forward",
        "forwarded",
        "转报上级机关",
        reason,
        expected_step,
        expected_version,
        save=False,
    )
    locked.decision_reason = reason
    _save(locked)
    return locked


@transaction.atomic
def decide_case(
    *,
    actor: Any,
    case: Case,
    grant: bool,
    reason: str,
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    """决定: grant or deny, always with reasons; the event names it as the item's type does
    (准予行政许可, 予以给付, 予以确认 …)."""
    reason = _require_opinion(reason, "决定理由")
    words = outcome(case.item.item_type)
    title = words.grant_words if grant else words.deny_words
    locked = _simple_step(
        actor,
        case,
        "grant" if grant else "deny",
        "decided",
        title,
        reason,
        expected_step,
        expected_version,
        save=False,
    )
    locked.decision_reason = reason
    _save(locked)
    return locked


@transaction.atomic
def conclude_case(
    *,
    actor: Any,
    case: Case,
    result: str,
    opinion: str = "",
    expected_step: str | None = None,  # noqa: ANN401
    expected_version: int | None = None,
) -> Case:
    """办结 with a result code of DESIGN §4 (出证 issues the licence in a later step)."""
    if result not in Case.Result.values:
        raise InvalidInput("办结结果代码无效。", field="result")
    locked = _lock(case)
    _check_turn(actor, locked, expected_step, expected_version)
    if locked.status != Case.Status.PENDING_ISSUE:
        raise InvalidInput("当前环节不能办结。", code="illegal_step")
    before = locked.status
    locked.result = result
    _advance(locked, actor, None)
    _save(locked)
    _log(
        locked,
        actor,
        "conclude",
        f"办结（{Case.Result(result).label}）",
        from_status=before,
        opinion=opinion,
        emit="concluded",
    )
    return locked


def _simple_step(
    actor: Any,
    case: Case,
    decision: str,
    event: str,
    title: str,
    opinion: str,  # noqa: ANN401
    expected_step: str | None,
    expected_version: int | None,
    save: bool = True,
) -> Case:
    locked = _lock(case)
    _check_turn(actor, locked, expected_step, expected_version)
    if decision not in _outcomes(locked):
        raise InvalidInput("当前环节不能执行该操作。", code="illegal_step")
    before = locked.status
    _advance(locked, actor, decision)
    if save:
        _save(locked)
    _log(locked, actor, event, title, from_status=before, opinion=opinion, emit=event)
    return locked


WITHDRAWABLE = {Case.Status.PENDING_INTAKE, Case.Status.CORRECTION, Case.Status.IN_REVIEW}


@transaction.atomic
def withdraw_case(*, user: Any, case: Case, reason: str = "") -> Case:  # noqa: ANN401
    """撤回: allowed until the review is finished; afterwards the decision must be made."""
    locked = _lock(case)
    if not is_applicant_side(user, locked):
        raise NotFound()
    if locked.status not in WITHDRAWABLE:
        raise Conflict(f"办件{locked.get_status_display()}，已不能撤回。", code="not_withdrawable")
    if locked.enterprise_id and locked.enterprise.legal_rep_id != user.pk:
        check_agent_scope(user, locked.enterprise, locked.item)
    before = locked.status
    locked.status = Case.Status.WITHDRAWN
    locked.result = Case.Result.VOIDED
    locked.current_step = locked.current_step_title = locked.current_role = ""
    locked.assignee = None
    locked.concluded_at = timezone.now()
    locked.paused_since = None
    locked.version += 1
    _save(locked)
    _log(
        locked,
        user,
        "withdraw",
        "申请人撤回",
        from_status=before,
        opinion=(reason or "").strip(),
        emit="withdrawn",
    )
    return locked
