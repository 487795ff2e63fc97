"""The issuing department's changes: 吊销 / 注销 with a reason, 换发 / 补发, and expiry by date."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongban.core.errors import InvalidInput
from tongban.core.types import User
from tongban.identity.audit import record_action

from .. import access
from ..models import Certificate, CertificateEvent
from .events import _lock, log_event
from .issuing import Holder, _display, _issue


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"请填写{what}。", field="reason")
    return reason[:300]


@transaction.atomic
def revoke_certificate(
    *, actor: User, certificate: Certificate, reason: str, cancel: bool = False
) -> Certificate:
    """吊销 (a sanction) or 注销 (``cancel``: the holder gave it up, it ended lawfully), with the reason."""
    reason = _reason(reason, "注销原因" if cancel else "吊销原因")
    locked = _lock(certificate)
    access.check_revoke(actor, locked)
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
    actor: User,
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
    access.check_replace(actor, locked)
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
