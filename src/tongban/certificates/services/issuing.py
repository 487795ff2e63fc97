"""Issuing: the content of a licence from its type's fields, sealed and numbered; 出证 from a case.

A case concluded with 出证 gets its certificates from a task after commit (``on_case_event``
enqueues it); ``issue_pending`` issues whatever is still missing, and issuing twice is
impossible (one certificate per case and type).
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.cases import steps
from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, ServiceError
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity.models import EnterpriseAccount

from .. import identifiers, seals
from ..documents import canonical
from ..models import Certificate, CertificateEvent, CertificateType, HolderKind, SerialCounter
from .events import log_event, verify_url

logger = logging.getLogger("tongban.certificates.services")


def next_serial(ctype: CertificateType, department: Department) -> int:
    """The next serial for this type and issuer, from a counter row (safe across processes)."""
    for _ in range(3):
        if SerialCounter.objects.filter(type=ctype, department=department).update(value=F("value") + 1):
            break
        try:
            with transaction.atomic():
                SerialCounter.objects.create(type=ctype, department=department, value=1)
            break
        except IntegrityError:
            continue  # another process created the row first; increment it instead
    return SerialCounter.objects.get(type=ctype, department=department).value


def _display(value: Any) -> Any:
    """A field value as it goes into the signed content: text, integers, booleans or null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        if "detail" in value or "region" in value:
            from tongban.regions.models import Region

            region = Region.objects.filter(code=value.get("region") or "").first()
            return f"{region.full_name if region else value.get('region', '')}{value.get('detail', '')}"
        return "；".join(f"{k}：{_display(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(str(_display(v)) for v in value)
    return str(value)


def _resolve(path: str, sources: dict[str, Any]) -> Any:
    head, _, rest = path.partition(".")
    value = sources.get(head)
    for part in rest.split(".") if rest else []:
        if isinstance(value, dict):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    return value


def build_fields(ctype: CertificateType, sources: dict[str, Any]) -> dict[str, Any]:
    """Field values by the type's schema: ``x-source`` paths (default ``data.<name>``)."""
    required = set((ctype.field_schema or {}).get("required") or [])
    values = {}
    for name, prop in ctype.fields:
        value = _display(_resolve(prop.get("x-source") or f"data.{name}", sources))
        if value in (None, "") and name in required:
            raise InvalidInput(
                f"证照“{ctype.name}”的必填项“{prop.get('title', name)}”没有数据，无法出证。",
                code="certificate_field_missing",
            )
        values[name] = "" if value is None else value
    return values


@dataclass(frozen=True)
class Holder:
    kind: str
    name: str
    number: str
    user: User | None = None
    enterprise: EnterpriseAccount | None = None


def _issue(
    *,
    ctype: CertificateType,
    holder: Holder,
    fields: dict,
    valid_from: dt.date,
    valid_until: dt.date | None,
    origin: str,
    actor: User | None = None,
    case: Case | None = None,
    item: ServiceItem | None = None,
    previous: Certificate | None = None,
) -> Certificate:
    department = ctype.department
    if not department.uscc:
        raise InvalidInput(f"“{department.name}”没有统一社会信用代码，不能颁发电子证照。", code="no_uscc")
    key = seals.active_key(department)
    serial = previous.serial if previous else next_serial(ctype, department)
    version = previous.version + 1 if previous else 1
    if version > 999:
        raise InvalidInput("该证照换发次数已达上限（999）。", code="version_limit")
    identifier = identifiers.build(ctype.code, department.uscc, serial, version)
    issued_at = timezone.now()
    content = {
        "identifier": identifier,
        "version": version,
        "type": {"code": ctype.code, "name": ctype.name},
        "issuer": {"name": department.name, "uscc": department.uscc},
        "holder": {"kind": holder.kind, "name": holder.name, "number": holder.number},
        "fields": fields,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "issued_at": timezone.localtime(issued_at).isoformat(timespec="seconds"),
        "replaces": previous.identifier if previous else None,
        "verify_url": verify_url(identifier),
    }
    payload = canonical(content)
    certificate = Certificate.objects.create(
        identifier=identifier,
        type=ctype,
        department=department,
        serial=serial,
        version=version,
        holder_kind=holder.kind,
        holder_user=holder.user,
        holder_enterprise=holder.enterprise,
        holder_name=holder.name,
        holder_number=holder.number,
        fields=fields,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=issued_at,
        origin=origin,
        case=case,
        item=item,
        previous=previous,
        payload=payload,
        signature=seals.b64url(seals.sign(key, payload.encode("utf-8"))),
        seal_key=key,
    )
    detail = f"办件 {case.number}" if case is not None else (item.name if item is not None else "")
    log_event(certificate, CertificateEvent.Action.ISSUED, actor=actor, detail=detail, first=True)
    return certificate


def _case_holder(case: Case) -> Holder:
    if case.enterprise_id:
        return Holder(
            HolderKind.ENTERPRISE, case.enterprise.name, case.enterprise.uscc, enterprise=case.enterprise
        )
    applicant = case.applicant
    return Holder(
        HolderKind.PERSON,
        applicant.real_name or case.applicant_name,
        applicant.id_number or "",
        user=applicant,
    )


def issue_for_case(case: Case, actor: User | None = None) -> list[Certificate]:
    """出证: the certificates the case's item issues, at most one per type; safe to call again."""
    case = Case.objects.select_related("item", "department", "applicant", "enterprise").get(pk=case.pk)
    if case.status != Case.Status.CONCLUDED or case.result != Case.Result.ISSUED or steps.result_held(case):
        return []  # a joint child's licences wait for 统一出件 (``release_case_certificates``)
    issued = []
    for ctype in CertificateType.objects.filter(issued_by_items=case.item, is_active=True).select_related(
        "department"
    ):
        existing = Certificate.objects.filter(case=case, type=ctype, origin=Certificate.Origin.CASE).first()
        if existing is not None:
            issued.append(existing)
            continue
        holder = _case_holder(case)
        concluded = timezone.localdate(case.concluded_at or timezone.now())
        sources = {
            "data": case.data,
            "case": case,
            "item": case.item,
            "department": ctype.department,
            "holder": {"name": holder.name, "number": holder.number},
        }
        try:
            with transaction.atomic():
                certificate = _issue(
                    ctype=ctype,
                    holder=holder,
                    fields=build_fields(ctype, sources),
                    valid_from=concluded,
                    valid_until=ctype.valid_until(concluded),
                    origin=Certificate.Origin.CASE,
                    actor=actor,
                    case=case,
                    item=case.item,
                )
        except IntegrityError:  # another process issued it a moment ago
            certificate = Certificate.objects.get(case=case, type=ctype, origin=Certificate.Origin.CASE)
        issued.append(certificate)
    return issued


def on_case_event(
    sender: object, case: Case, event: str, actor: User | None = None, **kwargs: object
) -> None:
    """``case_event`` receiver (after commit): a case concluded with 出证 gets its certificates
    from a task (``tasks.issue_case_certificates``), never in the staff member's request.

    The task retries with back-off; ``tongban tick`` (``issue_pending``) also issues whatever
    is still missing, and issuing twice is impossible (one per case and type).
    """
    if event != "concluded" or getattr(case, "result", "") != "issued" or steps.result_held(case):
        return
    _enqueue_issuing(case, actor)


def release_case_certificates(case: Case, actor: User | None = None) -> None:
    """``cases.steps.ReleaseStep``: a joint child's result is released (统一出件), so its
    licences are issued now, by the same task after commit, all children's at once."""
    if case.status == Case.Status.CONCLUDED and case.result == Case.Result.ISSUED:
        transaction.on_commit(lambda: _enqueue_issuing(case, actor))


def _enqueue_issuing(case: Case, actor: User | None) -> None:
    from ..tasks import issue_case_certificates

    try:
        issue_case_certificates.enqueue(case.pk, actor_id=getattr(actor, "pk", None))
    except Exception:
        logger.exception("could not queue issuing for case %s; the periodic sweep issues it", case.number)


def issue_pending(days: int = 30) -> int:
    """Issue for cases concluded with 出证 in the last ``days`` days that still lack a certificate."""
    since = timezone.now() - dt.timedelta(days=days)
    cases = (
        Case.objects.filter(
            status=Case.Status.CONCLUDED,
            result=Case.Result.ISSUED,
            concluded_at__gte=since,
            item__issued_certificate_types__is_active=True,
        )
        .exclude(joint__isnull=False, released_at__isnull=True)
        .distinct()
    )
    count = 0
    for case in cases.iterator():
        wanted = CertificateType.objects.filter(issued_by_items=case.item_id, is_active=True).count()
        have = Certificate.objects.filter(case=case, origin=Certificate.Origin.CASE).count()
        if have < wanted:
            try:
                count += len(issue_for_case(case)) - have
            except ServiceError as exc:
                logger.warning("case %s: %s", case.number, exc.message)
    return count
