"""Every write on certificates: issuing (from a case or from a registry), lifecycle, showing and sharing.

Each function runs in a transaction and checks who may call it; each change appends a
hash-chained ``CertificateEvent``, and verification reads the same rows, so a revocation or a
replacement shows in the very next verification.
"""

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.public import public_reverse
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.actors import Actor, check_actor_scope
from tongban.identity.audit import record_action
from tongban.identity.models import StaffRole

from . import identifiers, seals
from .documents import canonical
from .models import (
    Certificate,
    CertificateEvent,
    CertificateType,
    HolderKind,
    SerialCounter,
    Share,
)
from .selectors import proof_type

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
PRESENT_SALT = "tongban.certificates.present"
LIFECYCLE_ROLES = (StaffRole.ISSUE, StaffRole.DECIDE)


class Gone(ServiceError):
    """A presentation code or a share link whose time is over (HTTP 410)."""

    code = "expired"
    status = 410


# ---------------------------------------------------------------- helpers


def _label(user: Any) -> str:  # noqa: ANN401
    if user is None or getattr(user, "pk", None) is None:
        return "系统"
    return (getattr(user, "display_name", None) or user.get_username())[:200]


def log_event(
    certificate: Certificate,
    action: str,
    *,
    actor: Any = None,  # noqa: ANN401
    detail: str = "",
    share: Share | None = None,
    label: str | None = None,
    first: bool = False,
) -> CertificateEvent:
    """Append one event, chained to the certificate's previous one (caller holds the row lock).

    ``first``: the certificate was created in this transaction, so there is nothing before it.
    """
    last = None
    if not first:
        last = CertificateEvent.objects.filter(certificate=certificate).order_by("-id").values("hash").first()
    event = CertificateEvent(
        certificate=certificate,
        at=timezone.now(),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(label or _label(actor))[:200],
        detail=detail[:300],
        share=share,
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    audit.append(
        f"certificates.{action}",
        actor=event.actor,
        actor_label=label or (event.actor_label if event.actor is None else None),
        obj=certificate,
        summary={"identifier": certificate.identifier, "event": event.pk, "event_hash": event.hash},
    )
    return event


def verify_url(identifier: str) -> str:
    return public_reverse("certificates:verify_identifier", identifier)


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


def _display(value: Any) -> Any:  # noqa: ANN401
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


def _resolve(path: str, sources: dict[str, Any]) -> Any:  # noqa: ANN401
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
    user: Any = None
    enterprise: Any = None


def _issue(
    *,
    ctype: CertificateType,
    holder: Holder,
    fields: dict,
    valid_from: dt.date,
    valid_until: dt.date | None,
    origin: str,
    actor: Any = None,  # noqa: ANN401
    case: Any = None,  # noqa: ANN401
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


# ---------------------------------------------------------------- issuing from a case


def _case_holder(case: Any) -> Holder:  # noqa: ANN401
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


def issue_for_case(case: Any, actor: Any = None) -> list[Certificate]:  # noqa: ANN401
    """出证: the certificates the case's item issues, at most one per type; safe to call again."""
    from tongban.cases.models import Case

    case = Case.objects.select_related("item", "department", "applicant", "enterprise").get(pk=case.pk)
    if case.status != Case.Status.CONCLUDED or case.result != Case.Result.ISSUED:
        return []
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


def on_case_event(sender: Any, case: Any, event: str, actor: Any = None, **kwargs: Any) -> None:
    """``case_event`` receiver (after commit): a case concluded with 出证 gets its certificates
    from a task (``tasks.issue_case_certificates``), never in the staff member's request.

    The task retries with back-off; ``tongban tick`` (``issue_pending``) also issues whatever
    is still missing, and issuing twice is impossible (one per case and type).
    """
    if event != "concluded" or getattr(case, "result", "") != "issued":
        return
    from .tasks import issue_case_certificates

    try:
        issue_case_certificates.enqueue(case.pk, actor_id=getattr(actor, "pk", None))
    except Exception:
        logger.exception("could not queue issuing for case %s; the periodic sweep issues it", case.number)


def issue_pending(days: int = 30) -> int:
    """Issue for cases concluded with 出证 in the last ``days`` days that still lack a certificate."""
    from tongban.cases.models import Case

    since = timezone.now() - dt.timedelta(days=days)
    cases = Case.objects.filter(
        status=Case.Status.CONCLUDED,
        result=Case.Result.ISSUED,
        concluded_at__gte=since,
        item__issued_certificate_types__is_active=True,
    ).distinct()
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


# ---------------------------------------------------------------- online proofs (网上开证明)


def _registry_fields(ctype: CertificateType, record: Any) -> dict:  # noqa: ANN401
    values = {
        field.name: getattr(record, field.name)
        for field in record._meta.concrete_fields
        if not field.is_relation and field.name not in {"id", "updated_at"}
    }
    for name in ("sex", "status", "kind"):
        if hasattr(record, f"get_{name}_display"):
            values[name] = getattr(record, f"get_{name}_display")()
    values["region"] = record.region.full_name if record.region_id else ""
    return values


def proof_type_for(item: ServiceItem) -> CertificateType:
    ctype = proof_type(item)
    if (
        ctype is None
        or item.status != ServiceItem.Status.PUBLISHED
        or item.result_type != ServiceItem.ResultType.PROOF
    ):
        raise NotFound("该事项不支持网上开具证明。")
    return ctype


def issue_online_proof(*, actor: Actor, item: ServiceItem) -> Certificate:
    """网上开证明: a proof from registry data, no human step; the registry read is logged.

    The read is not in one transaction with the issue: a refused request stays in the log.
    """
    from tongban.registries.models import EnterpriseRecord, PopulationRecord
    from tongban.registries.selectors import read_enterprise, read_person

    ctype = proof_type_for(item)
    user = actor.user
    if user is None or getattr(user, "kind", "") != "citizen":
        raise PermissionDenied("请使用个人或企业账号登录后开具证明。")
    purpose = f"网上开具{ctype.name}"
    if ctype.registry_source == CertificateType.RegistrySource.POPULATION:
        if actor.enterprise is not None:
            raise InvalidInput("户籍类证明只能以个人身份开具，请切换为个人身份。", code="wrong_actor")
        if user.real_name_level < 2 or not user.id_number:
            raise PermissionDenied("开具证明需要完成实名核验（L2 及以上）。")
        record = read_person(user.id_number, accessor=user, purpose=purpose, department=ctype.department)
        if record is None:
            raise InvalidInput("人口库中没有您的户籍信息，请到户籍窗口办理。", code="not_in_registry")
        if record.status != PopulationRecord.Status.ALIVE:
            raise InvalidInput(
                f"人口库登记状态为“{record.get_status_display()}”，不能网上开具，请到窗口办理。",
                code="registry_status",
            )
        holder = Holder(HolderKind.PERSON, record.name, record.id_number, user=user)
    else:
        if actor.enterprise is None:
            raise InvalidInput("企业类证明需以企业身份开具，请先切换到所代表的企业。", code="wrong_actor")
        check_actor_scope(actor, item)
        record = read_enterprise(
            actor.enterprise.uscc, accessor=user, purpose=purpose, department=ctype.department
        )
        if record is None:
            raise InvalidInput("法人库中没有该企业的登记信息，请到窗口办理。", code="not_in_registry")
        if record.status != EnterpriseRecord.Status.ACTIVE:
            raise InvalidInput(
                f"企业登记状态为“{record.get_status_display()}”，不能网上开具，请到窗口办理。",
                code="registry_status",
            )
        holder = Holder(HolderKind.ENTERPRISE, record.name, record.uscc, enterprise=actor.enterprise)
    today = timezone.localdate()
    sources = {
        "registry": _registry_fields(ctype, record),
        "holder": {"name": holder.name, "number": holder.number},
        "item": item,
        "department": ctype.department,
        "data": {},
    }
    with transaction.atomic():
        certificate = _issue(
            ctype=ctype,
            holder=holder,
            fields=build_fields(ctype, sources),
            valid_from=today,
            valid_until=ctype.valid_until(today),
            origin=Certificate.Origin.PROOF,
            actor=user,
            item=item,
        )
        record_action(
            actor, "certificates.proof", target=certificate, summary=f"{ctype.name} {certificate.identifier}"
        )
    return certificate


# ---------------------------------------------------------------- lifecycle (staff)


def _lock(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update()
        .select_related("type", "type__department", "department", "seal_key")
        .get(pk=certificate.pk)
    )


def _require_lifecycle_role(actor: Any, certificate: Certificate) -> None:  # noqa: ANN401
    permissions.check_department(actor, certificate.department)
    if not any(permissions.has_role(actor, role, certificate.department) for role in LIFECYCLE_ROLES):
        raise PermissionDenied("需要颁发机构的“制证”或“决定”角色。")


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"请填写{what}。", field="reason")
    return reason[:300]


@transaction.atomic
def revoke_certificate(
    *, actor: Any, certificate: Certificate, reason: str, cancel: bool = False
) -> Certificate:  # noqa: ANN401
    """吊销 (a sanction) or 注销 (``cancel``: the holder gave it up, it ended lawfully), with the reason."""
    reason = _reason(reason, "注销原因" if cancel else "吊销原因")
    locked = _lock(certificate)
    _require_lifecycle_role(actor, locked)
    if locked.status not in (Certificate.Status.VALID, Certificate.Status.EXPIRED):
        raise InvalidInput(f"该证照{locked.get_status_display()}，不能再变更。", code="not_valid")
    locked.status = Certificate.Status.CANCELLED if cancel else Certificate.Status.REVOKED
    locked.status_reason = reason
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_reason", "status_changed_at"])
    action = CertificateEvent.Action.CANCELLED if cancel else CertificateEvent.Action.REVOKED
    log_event(locked, action, actor=actor, detail=reason)
    record_action(
        actor, f"certificates.{action}", target=locked, department=locked.department, summary=reason
    )
    return locked


@transaction.atomic
def replace_certificate(
    *,
    actor: Any,  # noqa: ANN401
    certificate: Certificate,
    reason: str,
    fields: dict | None = None,
    renew: bool = False,
) -> Certificate:
    """换发 (``renew``: new validity from today, changed fields allowed) or 补发 (same content).

    The new certificate keeps the serial with the next version; the old one reads as replaced.
    """
    reason = _reason(reason, "换发/补发原因")
    locked = _lock(certificate)
    _require_lifecycle_role(actor, locked)
    if locked.status not in (Certificate.Status.VALID, Certificate.Status.EXPIRED):
        raise InvalidInput(f"该证照{locked.get_status_display()}，不能换发或补发。", code="not_valid")
    changes = dict(fields or {})
    known = {name for name, _ in locked.type.fields}
    unknown = [k for k in changes if k not in known]
    if unknown:
        raise InvalidInput(f"证照中没有这些字段：{'、'.join(unknown)}。", field="fields")
    if changes and not renew:
        raise InvalidInput("补发只能照原内容重新颁发；需要变更内容请选择换发。", field="fields")
    merged = {**locked.fields, **{k: _display(v) for k, v in changes.items()}}
    if renew:
        valid_from = timezone.localdate()
        valid_until = locked.type.valid_until(valid_from)
    else:
        valid_from, valid_until = locked.valid_from, locked.valid_until
    holder = Holder(
        locked.holder_kind,
        locked.holder_name,
        locked.holder_number,
        user=locked.holder_user,
        enterprise=locked.holder_enterprise,
    )
    locked.status = Certificate.Status.REPLACED
    locked.status_reason = reason
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_reason", "status_changed_at"])
    new = _issue(
        ctype=locked.type,
        holder=holder,
        fields=merged,
        valid_from=valid_from,
        valid_until=valid_until,
        origin=Certificate.Origin.REPLACEMENT,
        actor=actor,
        case=locked.case,
        item=locked.item,
        previous=locked,
    )
    kind = "换发" if renew else "补发"
    log_event(
        locked, CertificateEvent.Action.REPLACED, actor=actor, detail=f"{kind}为 {new.identifier}：{reason}"
    )
    record_action(
        actor, "certificates.replace", target=new, department=locked.department, summary=f"{kind}：{reason}"
    )
    return new


def expire_due(today: dt.date | None = None) -> int:
    """Mark certificates past their last day as expired (verification already says so by date)."""
    today = today or timezone.localdate()
    count = 0
    for pk in Certificate.objects.filter(status=Certificate.Status.VALID, valid_until__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            locked = Certificate.objects.select_for_update().get(pk=pk)
            if locked.status != Certificate.Status.VALID:
                continue
            locked.status = Certificate.Status.EXPIRED
            locked.status_reason = f"有效期至 {locked.valid_until:%Y-%m-%d}"
            locked.status_changed_at = timezone.now()
            locked.save(update_fields=["status", "status_reason", "status_changed_at"])
            log_event(locked, CertificateEvent.Action.EXPIRED, detail=locked.status_reason)
            count += 1
    return count


# ---------------------------------------------------------------- holder: show and share


def holds(actor: Actor, certificate: Certificate) -> bool:
    if actor.user is None:
        return False
    if actor.enterprise is not None:
        return certificate.holder_enterprise_id == actor.enterprise.pk
    return certificate.holder_user_id == actor.user.pk and certificate.holder_enterprise_id is None


def _require_holder(actor: Actor, certificate: Certificate) -> None:
    if not holds(actor, certificate):
        raise NotFound()
    if actor.enterprise is not None:
        check_actor_scope(actor)


def _require_usable(certificate: Certificate) -> None:
    state = certificate.state_on(timezone.localdate())
    if state != Certificate.Status.VALID:
        raise InvalidInput(
            f"该证照{Certificate.Status(state).label}，不能亮证或授权使用。", code="certificate_not_valid"
        )


@dataclass(frozen=True)
class Presentation:
    token: str
    url: str
    expires_at: dt.datetime


def present_seconds() -> int:
    return int(getattr(settings, "TONGBAN_CERTIFICATE_PRESENT_SECONDS", 300))


@transaction.atomic
def present_certificate(
    *, actor: Actor, certificate: Certificate, now: dt.datetime | None = None
) -> Presentation:
    """亮证: a signed code, valid a few minutes, that opens the certificate for whoever scans it."""
    locked = _lock(certificate)
    _require_holder(actor, locked)
    _require_usable(locked)
    now = now or timezone.now()
    expires_at = now + dt.timedelta(seconds=present_seconds())
    token = signing.dumps(
        {"i": locked.identifier, "e": int(expires_at.timestamp()), "n": secrets.token_hex(4)},
        salt=PRESENT_SALT,
    )
    log_event(
        locked,
        CertificateEvent.Action.PRESENTED,
        actor=actor.user,
        detail=f"有效至 {timezone.localtime(expires_at):%H:%M:%S}",
    )
    url = public_reverse("certificates:presented", token)
    return Presentation(token=token, url=url, expires_at=expires_at)


@transaction.atomic
def open_presentation(token: str, *, viewer: Any = None, now: dt.datetime | None = None) -> Certificate:  # noqa: ANN401
    """What a scanned 亮证 code shows; refused (410) once its minutes are over. Each view is logged."""
    try:
        data = signing.loads(token, salt=PRESENT_SALT)
    except signing.BadSignature as exc:
        raise NotFound("亮证二维码无效。") from exc
    now = now or timezone.now()
    if now.timestamp() >= data.get("e", 0):
        raise Gone("亮证二维码已过期，请持证人重新亮证。")
    certificate = Certificate.objects.filter(identifier=data.get("i")).first()
    if certificate is None:
        raise NotFound("亮证二维码无效。")
    locked = _lock(certificate)
    log_event(locked, CertificateEvent.Action.PRESENTATION_VIEWED, actor=viewer, label=_viewer_label(viewer))
    return locked


def _viewer_label(viewer: Any) -> str:  # noqa: ANN401
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return "扫码查看（未登录）"
    return _label(viewer)


def share_max_days() -> int:
    return int(getattr(settings, "TONGBAN_CERTIFICATE_SHARE_MAX_DAYS", 180))


@transaction.atomic
def share_certificate(
    *,
    actor: Actor,
    certificate: Certificate,
    recipient: str,
    purpose: str,
    valid_until: dt.datetime,
) -> Share:
    """用证: let ``recipient`` see the certificate for ``purpose`` until ``valid_until``."""
    recipient = (recipient or "").strip()[:100]
    purpose = (purpose or "").strip()[:200]
    if not recipient:
        raise InvalidInput("请填写使用方（单位或个人名称）。", field="recipient")
    if not purpose:
        raise InvalidInput("请填写用途。", field="purpose")
    now = timezone.now()
    if valid_until is None or valid_until <= now:
        raise InvalidInput("授权截止时间必须晚于现在。", field="valid_until")
    if valid_until > now + dt.timedelta(days=share_max_days()):
        raise InvalidInput(f"授权期限不能超过 {share_max_days()} 天。", field="valid_until")
    locked = _lock(certificate)
    _require_holder(actor, locked)
    _require_usable(locked)
    share = Share.objects.create(
        certificate=locked,
        token=secrets.token_urlsafe(24),
        recipient=recipient,
        purpose=purpose,
        created_by=actor.user,
        valid_until=valid_until,
    )
    log_event(
        locked,
        CertificateEvent.Action.SHARED,
        actor=actor.user,
        share=share,
        detail=f"{recipient}：{purpose}（至 {timezone.localtime(valid_until):%Y-%m-%d %H:%M}）",
    )
    return share


@transaction.atomic
def revoke_share(*, actor: Actor, share: Share) -> Share:
    locked = _lock(share.certificate)
    _require_holder(actor, locked)
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        log_event(
            locked,
            CertificateEvent.Action.SHARE_REVOKED,
            actor=actor.user,
            share=share,
            detail=share.recipient,
        )
    return share


@transaction.atomic
def open_share(token: str, *, viewer: Any = None, what: str = "查看") -> Share:  # noqa: ANN401
    """A third party opens a share link; refused (410) after its period or a revocation. Logged."""
    share = Share.objects.select_related("certificate").filter(token=token or "").first()
    if share is None:
        raise NotFound("用证链接无效。")
    now = timezone.now()
    if share.revoked_at is not None:
        raise Gone("持证人已撤销该用证授权。")
    if not share.in_force_at(now):
        raise Gone("用证授权已过期，请联系持证人重新授权。")
    locked = _lock(share.certificate)
    log_event(
        locked,
        CertificateEvent.Action.SHARE_USED,
        actor=viewer,
        share=share,
        label=share.recipient,
        detail=f"{what}（{share.purpose}）",
    )
    share.certificate = locked
    return share


# ---------------------------------------------------------------- certificate types (事项管理)

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


def manageable_departments(actor: Any) -> list[Department]:  # noqa: ANN401
    """Departments whose certificate types ``actor`` maintains (事项管理)."""
    ids = {m.department_id for m in permissions.memberships(actor) if m.role == StaffRole.CATALOGUE}
    return list(Department.objects.filter(pk__in=ids).order_by("name"))


def _require_type_admin(actor: Any, department: Department) -> None:  # noqa: ANN401
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if not permissions.can_manage_items(actor, department):
        raise PermissionDenied("您没有维护该部门证照类型的权限。")


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
    actor: Any,  # noqa: ANN401
    department: Department,
    values: dict[str, Any],
    fields: list[FieldSpec],
    items: list[ServiceItem] | None = None,
    ctype: CertificateType | None = None,
) -> CertificateType:
    """Create or change a certificate or proof type of ``department``; errors in Chinese, nothing saved."""
    from django.core.exceptions import ValidationError

    _require_type_admin(actor, department)
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
