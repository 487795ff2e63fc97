"""Every write of data sharing, and ``read_resource``: the one road for reading shared data.

Reads go through ``read_resource`` (also for other apps: decision tables, prefill): it checks
the purpose, the grant (fields, purpose, consumer, validity) and the case, returns only the
granted fields and leaves one row in the registries' ``DataAccessLog`` with the fields, case
and grant. The exchange API adds request/response digests to the audit chain (``exchange``).
"""

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User, actor_label
from tongban.departments.models import Department
from tongban.registries import selectors as registries
from tongban.registries.models import DataAccessLog
from tongban.registries.validators import id_number_error, normalize_id_number, normalize_uscc, uscc_error
from tongban.workdays.calendar import add_workdays

from . import access
from .models import ConsumerSystem, DataDispute, DataResource, Grant, ReadReport, SharingClass, SharingRequest

if TYPE_CHECKING:
    from tongban.cases.models import Case
    from tongban.registries.models import PopulationRecord

REPORT_DAYS = 5  # working days for supervisors to answer a reported read
DISPUTE_DAYS = 10  # working days for the provider to verify a disputed value


@dataclass
class ResourceRead:
    """What a read returns: only the granted fields of each record of the subject."""

    resource: DataResource
    grant: Grant | None
    fields: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    access: DataAccessLog | None = None

    @property
    def found(self) -> bool:
        return bool(self.records)

    @property
    def first(self) -> dict[str, Any]:
        return self.records[0] if self.records else {}


# ---------------------------------------------------------------- reading


def _require_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput("读取个人或企业数据必须说明用途。", field="purpose", code="purpose_required")
    return purpose[:200]


def _subject_number(resource: DataResource, subject: str) -> tuple[str, str]:
    """("person" | "enterprise", normalised number), or ``InvalidInput``."""
    raw = (subject or "").strip().upper()
    if resource.subject in (DataResource.Subject.PERSON, DataResource.Subject.ANY) and not id_number_error(
        raw
    ):
        return "person", normalize_id_number(raw)
    if resource.subject in (DataResource.Subject.ENTERPRISE, DataResource.Subject.ANY) and not uscc_error(
        raw
    ):
        return "enterprise", normalize_uscc(raw)
    wanted = {"person": "公民身份号码", "enterprise": "统一社会信用代码"}.get(
        resource.subject, "公民身份号码或统一社会信用代码"
    )
    raise InvalidInput(f"信息主体应为有效的{wanted}。", field="subject", code="bad_subject")


def grant_for(consumer: Department, resource: DataResource, fields: Iterable[str]) -> Grant | None:
    """The consumer's grant in force that covers every one of ``fields`` (newest first)."""
    wanted = set(fields)
    for grant in (
        Grant.objects.in_force().filter(consumer=consumer, resource=resource).order_by("-granted_at")
    ):
        if wanted <= set(grant.fields):
            return grant
    return None


def _grant_needed(consumer: Department, resource: DataResource, wanted: list[str]) -> Grant | None:
    """The grant a read of another department's resource goes under (None for its own data)."""
    if resource.provider_id == consumer.pk:
        return None
    grant = grant_for(consumer, resource, wanted)
    if grant is None:
        raise PermissionDenied(
            f"{consumer.name}未获得“{resource.name}”中这些信息项的有效共享授权（提供部门：{resource.provider.name}）。",
            code="no_grant",
        )
    return grant


def _check_case(case: "Case", consumer: Department, kind: str, number: str) -> None:
    if case.department_id != consumer.pk:
        raise PermissionDenied("该办件不属于使用部门，不能以此办件名义读取数据。", code="case_mismatch")
    if kind == "enterprise":
        ok = case.enterprise_id is not None and case.enterprise.uscc == number
    else:
        ok = case.enterprise_id is None and (case.applicant.id_number or "") == number
    if not ok:
        raise PermissionDenied("信息主体不是该办件的申请人。", code="case_mismatch")


def _population(number: str, log: dict) -> list[dict]:
    record = registries.read_person(number, **log)
    if record is None:
        return []
    return [
        {
            "name": record.name,
            "id_number": record.id_number,
            "sex": record.get_sex_display(),
            "birth_date": record.birth_date.isoformat(),
            "ethnicity": record.ethnicity,
            "address": record.address,
            "region_code": record.region.code,
            "status": record.get_status_display(),
        }
    ]


def _enterprise(number: str, log: dict) -> list[dict]:
    record = registries.read_enterprise(number, **log)
    if record is None:
        return []
    return [
        {
            "name": record.name,
            "uscc": record.uscc,
            "legal_rep_name": record.legal_rep_name,
            "legal_rep_id_number": record.legal_rep_id_number,
            "kind": record.get_kind_display(),
            "address": record.address,
            "region_code": record.region.code,
            "established_on": record.established_on.isoformat() if record.established_on else "",
            "status": record.get_status_display(),
        }
    ]


def _log_subject(kind: str, number: str, log: dict, found: bool) -> None:
    from tongban.registries.models import EnterpriseRecord, PopulationRecord

    if kind == "person":
        subject = {
            "person": PopulationRecord.objects.filter(id_number=number).only("pk").first(),
            "subject_id_number": number,
        }
    else:
        subject = {"enterprise": EnterpriseRecord.objects.filter(uscc=number).only("pk").first()}
    registries.record_access(
        log.pop("accessor"), log.pop("purpose"), log.pop("department"), found, **log, **subject
    )


def _certificates(resource: DataResource, kind: str, number: str, log: dict) -> list[dict]:
    from tongban.certificates.models import Certificate

    today = timezone.localdate()
    rows = [
        {
            "identifier": c.identifier,
            "holder_name": c.holder_name,
            "holder_number": c.holder_number,
            "valid_from": c.valid_from.isoformat(),
            "valid_until": c.valid_until.isoformat() if c.valid_until else "",
            "status": c.get_status_display(),
            "department": c.department.name,
            "content": c.fields,
        }
        for c in Certificate.objects.filter(
            type_id=resource.certificate_type_id, holder_number=number, status=Certificate.Status.VALID
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("department")
        .order_by("-issued_at")[:20]
    ]
    _log_subject(kind, number, log, bool(rows))
    return rows


def _case_results(kind: str, number: str, log: dict) -> list[dict]:
    from tongban.cases.models import Case

    cases = Case.objects.filter(concluded_at__isnull=False)
    if kind == "person":
        cases = cases.filter(applicant__id_number=number, enterprise__isnull=True)
    else:
        cases = cases.filter(enterprise__uscc=number)
    rows = [
        {
            "number": c.number,
            "item_name": c.item.name,
            "department": c.department.name,
            "result": c.get_result_display(),
            "concluded_at": c.concluded_at.isoformat(),
        }
        for c in cases.select_related("item", "department").order_by("-concluded_at")[:50]
    ]
    _log_subject(kind, number, log, bool(rows))
    return rows


def read_resource(
    consumer: Department,
    resource_code: str,
    subject: str,
    fields: Iterable[str],
    purpose: str,
    case: "Case | None" = None,
    *,
    accessor: User | None = None,
    accessor_label: str = "",
    channel: str = "sharing",
) -> ResourceRead:
    """Read ``fields`` of ``subject`` (ID number or USCC) from a catalogue resource for the
    consuming department ``consumer``; the one road for reading shared data.

    Refused (nothing read, nothing logged) without a purpose, for a resource not shared, for
    fields the catalogue does not list, and without a grant in force covering every field
    (the provider's own department needs none). With ``case``, the case must be the consumer's
    and the subject its applicant. Logged with fields, case and grant; returns only ``fields``.
    """
    purpose = _require_purpose(purpose)
    resource = (
        DataResource.objects.select_related("provider").filter(code=resource_code, is_active=True).first()
    )
    if resource is None:
        raise NotFound("数据资源不存在或未发布。")
    if resource.sharing_class == SharingClass.NONE:
        raise PermissionDenied(f"“{resource.name}”不予共享：{resource.not_shared_reason}", code="not_shared")
    wanted = list(dict.fromkeys(f for f in fields if f))
    unknown = [f for f in wanted if f not in resource.item_names]
    if not wanted or unknown:
        raise InvalidInput(
            f"信息项不在资源目录中：{'、'.join(unknown)}。" if unknown else "请指明要读取的信息项。",
            field="fields",
            code="bad_fields",
        )
    kind, number = _subject_number(resource, subject)
    grant = _grant_needed(consumer, resource, wanted)
    if case is not None:
        _check_case(case, consumer, kind, number)
    log = {
        "accessor": accessor,
        "purpose": purpose,
        "department": consumer,
        "fields": resource.item_labels(wanted),
        "case_number": case.number if case is not None else "",
        "grant_code": grant.code if grant is not None else "",
        "channel": channel,
        "accessor_label": accessor_label,
    }
    if resource.kind == DataResource.Kind.POPULATION:
        records = _population(number, log)
    elif resource.kind == DataResource.Kind.ENTERPRISE:
        records = _enterprise(number, log)
    elif resource.kind == DataResource.Kind.CERTIFICATE:
        records = _certificates(resource, kind, number, dict(log))
    else:
        records = _case_results(kind, number, dict(log))
    return ResourceRead(
        resource=resource,
        grant=grant,
        fields=wanted,
        records=[{f: r.get(f) for f in wanted} for r in records],
    )


SYSTEM_CHUNK = 2000  # population records read (and logged) per batch by a platform task


def read_population_records(
    consumer: Department,
    fields: Iterable[str],
    purpose: str,
    *,
    accessor: User | None = None,
    accessor_label: str = "",
    id_numbers: Iterable[str] | None = None,
    channel: str = "system",
) -> Iterator["PopulationRecord"]:
    """The population records a platform task reads for ``consumer`` (every record, or those
    of ``id_numbers``), each read logged before it is handed over: the road of background
    work such as the 免申即享 sweep, which reads many people at once and has no case.

    Refused like ``read_resource`` (nothing read, nothing logged) without a purpose, an
    ``accessor`` or an ``accessor_label`` naming the system, fields of the catalogue and a grant in force; one log
    row per person per read, written in bulk per chunk of ``SYSTEM_CHUNK`` records."""
    from tongban.registries.models import PopulationRecord

    purpose = _require_purpose(purpose)
    if accessor is None and not (accessor_label or "").strip():
        raise InvalidInput(
            "系统读取个人数据必须说明读取的系统。", field="accessor_label", code="system_required"
        )
    resource = (
        DataResource.objects.select_related("provider")
        .filter(kind=DataResource.Kind.POPULATION, is_active=True)
        .first()
    )
    if resource is None:
        raise NotFound("人口基础信息未在共享目录中发布。")
    wanted = list(dict.fromkeys(f for f in fields if f))
    unknown = [f for f in wanted if f not in resource.item_names]
    if not wanted or unknown:
        raise InvalidInput(f"信息项不在资源目录中：{'、'.join(unknown)}。", field="fields", code="bad_fields")
    grant = _grant_needed(consumer, resource, wanted)
    labels = resource.item_labels(wanted)
    label = (accessor_label or actor_label(accessor))[:100]
    records = PopulationRecord.objects.select_related("region").order_by("pk")
    if id_numbers is not None:
        numbers = [n for n in (normalize_id_number(x) for x in id_numbers) if n]
        records = records.filter(id_number__in=numbers)
    chunk: list[PopulationRecord] = []

    def logged(batch: list[PopulationRecord]) -> list[PopulationRecord]:
        DataAccessLog.objects.bulk_create(
            DataAccessLog(
                person=record,
                subject_id_number=record.id_number,
                accessor=accessor,
                accessor_label=label,
                department=consumer,
                purpose=purpose,
                fields=labels,
                grant_code=grant.code if grant is not None else "",
                channel=channel[:20],
            )
            for record in batch
        )
        return batch

    for record in records.iterator(chunk_size=SYSTEM_CHUNK):
        chunk.append(record)
        if len(chunk) >= SYSTEM_CHUNK:
            yield from logged(chunk)
            chunk = []
    if chunk:
        yield from logged(chunk)


# ---------------------------------------------------------------- requests and grants


def _new_grant(
    *,
    resource: DataResource,
    consumer: Department,
    fields: list[str],
    purpose: str,
    valid_until: dt.date,
    request: SharingRequest | None,
) -> Grant:
    return Grant.objects.create(
        code=f"SQ{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}",
        request=request,
        resource=resource,
        consumer=consumer,
        fields=fields,
        purpose=purpose,
        valid_from=timezone.localdate(),
        valid_until=valid_until,
    )


def request_sharing(
    *,
    actor: User,
    resource: DataResource,
    consumer: Department,
    fields: Iterable[str],
    purpose: str,
    legal_basis: str,
    valid_until: dt.date,
) -> SharingRequest:
    """共享申请 filed by staff: 无条件 resources are granted at once; 有条件 ones wait for the
    provider, whose answer is due within the resource's working-day limit (5 by default)."""
    if not access.can_manage_sharing(actor, consumer):
        raise PermissionDenied("只有本部门的事项管理员可以申请共享数据。")
    return _file_request(
        resource, consumer, fields, purpose, legal_basis, valid_until, requested_by=actor, system=None
    )


def request_sharing_by_system(
    *,
    system: ConsumerSystem,
    resource: DataResource,
    fields: Iterable[str],
    purpose: str,
    legal_basis: str,
    valid_until: dt.date,
) -> SharingRequest:
    """共享申请 filed by a department system through the API, for its own department, under the
    same rules as staff requests; the system was authenticated by its client assertion."""
    return _file_request(
        resource,
        system.department,
        fields,
        purpose,
        legal_basis,
        valid_until,
        requested_by=None,
        system=system,
    )


def _file_request(
    resource: DataResource,
    consumer: Department,
    fields: Iterable[str],
    purpose: str,
    legal_basis: str,
    valid_until: dt.date,
    *,
    requested_by: User | None,
    system: ConsumerSystem | None,
) -> SharingRequest:
    if resource.sharing_class == SharingClass.NONE or not resource.is_active:
        raise InvalidInput(f"“{resource.name}”不予共享：{resource.not_shared_reason}", code="not_shared")
    if resource.provider_id == consumer.pk:
        raise InvalidInput("本部门提供的数据无需申请共享。", code="own_resource")
    wanted = list(dict.fromkeys(f for f in fields if f))
    unknown = [f for f in wanted if f not in resource.item_names]
    if not wanted or unknown:
        raise InvalidInput("请从资源目录的信息项中选择要申请的字段。", field="fields", code="bad_fields")
    purpose, legal_basis = (purpose or "").strip(), (legal_basis or "").strip()
    if not purpose:
        raise InvalidInput("请填写用途。", field="purpose", code="purpose_required")
    if not legal_basis:
        raise InvalidInput("请填写使用依据。", field="legal_basis", code="basis_required")
    today = timezone.localdate()
    if valid_until <= today:
        raise InvalidInput("使用期限应晚于今天。", field="valid_until")
    due = add_workdays(today, resource.decision_limit())
    with transaction.atomic():
        request = SharingRequest.objects.create(
            resource=resource,
            consumer=consumer,
            fields=wanted,
            purpose=purpose[:200],
            legal_basis=legal_basis[:300],
            valid_until=valid_until,
            requested_by=requested_by,
            requested_by_system=system,
            due_on=due.date,
            due_estimated=due.estimated,
        )
        if resource.sharing_class == SharingClass.UNCONDITIONAL:
            request.status = SharingRequest.Status.GRANTED
            request.decided_at = timezone.now()
            request.decision_note = "无条件共享，自动授权"
            request.save(update_fields=["status", "decided_at", "decision_note"])
            _new_grant(
                resource=resource,
                consumer=consumer,
                fields=wanted,
                purpose=request.purpose,
                valid_until=valid_until,
                request=request,
            )
        audit.append(
            "sharing.request",
            actor=requested_by,
            actor_label=system.name if system is not None else None,
            obj=request,
            summary={
                "resource": resource.code,
                "consumer": consumer.name,
                "fields": wanted,
                "status": request.status,
                **({"system": system.client_id} if system is not None else {}),
            },
        )
    return request


def register_system(*, actor: User | None, client: Any, public_key: str, name: str = "") -> ConsumerSystem:
    """Let a department system registered as an OIDC client call the exchange: its assertion key
    is recorded against the client, for the client's own department. The platform administrator
    (or the operator at the command line, ``actor=None``) or that department's sharing manager."""
    department = getattr(client, "department", None)
    if department is None:
        raise InvalidInput("该接入系统未登记所属部门，不能接入数据共享。", field="client")
    if actor is not None and not access.can_manage_sharing(actor, department):
        raise PermissionDenied("只有本部门的事项管理员或平台管理员可以登记共享接入系统。")
    if not client.is_active:
        raise InvalidInput("该接入系统已停用。", field="client")
    try:
        key = bytes.fromhex(public_key or "")
    except ValueError:
        key = b""
    if len(key) != 32:
        raise InvalidInput("公钥应为 32 字节 Ed25519 公钥的十六进制（64 个字符）。", field="public_key")
    with transaction.atomic():
        # A system registered before it was an OIDC client keeps its row (and history).
        system = (
            ConsumerSystem.objects.select_for_update()
            .filter(Q(oidc_client=client) | Q(client_id=client.client_id))
            .first()
        ) or ConsumerSystem()
        system.oidc_client = client
        system.client_id = client.client_id
        system.name = (name or client.name)[:100]
        system.department = department
        system.public_key = key.hex()
        system.is_active = True
        system.save()
        audit.append(
            "sharing.system",
            actor=actor,
            actor_label=None if actor is not None else "命令行",
            obj=system,
            summary={"client_id": system.client_id, "department": department.name},
        )
    return system


def decide_request(*, actor: User, request: SharingRequest, grant: bool, note: str = "") -> SharingRequest:
    """The provider answers a 有条件 request: grant (the fields asked) or refuse with a reason."""
    with transaction.atomic():
        locked = SharingRequest.objects.select_for_update().select_related("resource").get(pk=request.pk)
        if not access.can_manage_sharing(actor, locked.resource.provider):
            raise PermissionDenied("只有资源提供部门的事项管理员可以答复共享申请。")
        if locked.status != SharingRequest.Status.PENDING:
            raise InvalidInput("该申请已答复。", code="already_decided")
        note = (note or "").strip()
        if not grant and not note:
            raise InvalidInput("不予同意时请说明理由。", field="note", code="reason_required")
        locked.status = SharingRequest.Status.GRANTED if grant else SharingRequest.Status.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note[:300]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if grant:
            _new_grant(
                resource=locked.resource,
                consumer=locked.consumer,
                fields=locked.fields,
                purpose=locked.purpose,
                valid_until=locked.valid_until,
                request=locked,
            )
        audit.append(
            "sharing.decide", actor=actor, obj=locked, summary={"status": locked.status, "note": note}
        )
    return locked


def revoke_grant(*, actor: User, grant: Grant, reason: str) -> Grant:
    """The provider (or the consumer giving it up) revokes a grant; later reads are refused."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请说明撤销理由。", field="reason", code="reason_required")
    with transaction.atomic():
        locked = Grant.objects.select_for_update().select_related("resource").get(pk=grant.pk)
        if not (
            access.can_manage_sharing(actor, locked.resource.provider)
            or access.can_manage_sharing(actor, locked.consumer)
        ):
            raise PermissionDenied("只有提供部门或使用部门的事项管理员可以撤销授权。")
        if locked.revoked_at is not None:
            raise InvalidInput("该授权已撤销。", code="already_revoked")
        locked.revoked_at, locked.revoked_by, locked.revoke_reason = timezone.now(), actor, reason[:300]
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.append("sharing.revoke", actor=actor, obj=locked, summary={"reason": reason})
    return locked


def clock_colour(request: SharingRequest, today: dt.date | None = None) -> str:
    """green / yellow (due within one working day) / red (overdue) for a pending request."""
    if request.status != SharingRequest.Status.PENDING:
        return ""
    today = today or timezone.localdate()
    if today > request.due_on:
        return "red"
    if add_workdays(today, 1).date >= request.due_on:
        return "yellow"
    return "green"


# ---------------------------------------------------------------- the person's side


def is_subject(log: DataAccessLog, user: User) -> bool:
    """Is ``user`` the person the logged read was about, or the legal representative of the
    enterprise it was about?"""
    from tongban.identity.models import EnterpriseAccount

    if log.subject_id_number and user.id_number and log.subject_id_number == user.id_number:
        return True
    if log.enterprise_id:
        return EnterpriseAccount.objects.filter(record_id=log.enterprise_id, legal_rep=user).exists()
    return False


def report_read(*, actor: User, access_id: int, reason: str) -> ReadReport:
    """The person (or an enterprise's legal representative) reports a read they think wrong;
    supervisors answer within ``REPORT_DAYS`` working days."""
    log = DataAccessLog.objects.select_related("enterprise").filter(pk=access_id).first()
    if log is None or not is_subject(log, actor):
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请说明您认为这次使用有什么问题。", field="reason", code="reason_required")
    with transaction.atomic():
        report = ReadReport.objects.create(
            access=log,
            reporter=actor,
            reason=reason[:500],
            due_on=add_workdays(timezone.localdate(), REPORT_DAYS).date,
        )
        audit.append("sharing.report_read", actor=actor, obj=report, summary={"access": log.pk})
    return report


def answer_report(*, actor: User, report: ReadReport, answer: str) -> ReadReport:
    if not access.is_supervisor(actor):
        raise PermissionDenied("只有监察人员可以处理数据使用异议。")
    if not access.can_answer_report(actor, report):
        raise NotFound()
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput("请填写处理结果。", field="answer", code="answer_required")
    with transaction.atomic():
        locked = ReadReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != ReadReport.Status.OPEN:
            raise InvalidInput("该异议已处理。", code="already_answered")
        locked.status, locked.answer = ReadReport.Status.ANSWERED, answer[:500]
        locked.answered_by, locked.answered_at = actor, timezone.now()
        locked.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit.append("sharing.answer_report", actor=actor, obj=locked, summary={"answer": answer})
    return locked


def dispute_value(
    *, actor: User, resource: DataResource, field_name: str, claimed_value: str, reason: str = ""
) -> DataDispute:
    """数据纠错: the person says a value the provider holds about them is wrong; the provider
    verifies it within ``DISPUTE_DAYS`` working days and the outcome is shown to them."""
    if not actor.id_number:
        raise PermissionDenied("完成实名核验后才能提出数据纠错。")
    if field_name not in resource.item_names:
        raise InvalidInput("请选择要纠错的信息项。", field="field", code="bad_fields")
    claimed_value = (claimed_value or "").strip()
    if not claimed_value:
        raise InvalidInput("请填写正确的值。", field="claimed_value", code="value_required")
    with transaction.atomic():
        dispute = DataDispute.objects.create(
            resource=resource,
            provider=resource.provider,
            reporter=actor,
            subject_number=actor.id_number,
            field=field_name,
            claimed_value=claimed_value[:200],
            reason=(reason or "").strip()[:500],
            due_on=add_workdays(timezone.localdate(), DISPUTE_DAYS).date,
        )
        audit.append(
            "sharing.dispute",
            actor=actor,
            obj=dispute,
            summary={"resource": resource.code, "field": field_name},
        )
    return dispute


def decide_dispute(*, actor: User, dispute: DataDispute, corrected: bool, outcome: str) -> DataDispute:
    outcome = (outcome or "").strip()
    if not outcome:
        raise InvalidInput("请填写核实结果。", field="outcome", code="outcome_required")
    with transaction.atomic():
        locked = DataDispute.objects.select_for_update().get(pk=dispute.pk)
        if not access.can_manage_sharing(actor, locked.provider):
            raise PermissionDenied("只有资源提供部门的事项管理员可以核实数据纠错。")
        if locked.status != DataDispute.Status.OPEN:
            raise InvalidInput("该纠错已处理。", code="already_decided")
        locked.status = DataDispute.Status.CORRECTED if corrected else DataDispute.Status.REJECTED
        locked.outcome, locked.decided_by, locked.decided_at = outcome[:500], actor, timezone.now()
        locked.save(update_fields=["status", "outcome", "decided_by", "decided_at"])
        audit.append("sharing.decide_dispute", actor=actor, obj=locked, summary={"status": locked.status})
    return locked
