"""The holder's wallet: 亮证 (a code valid a few minutes) and 用证 (a link for a purpose and a
period), and what a third party sees when opening either; every use is logged."""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from tongban.core.errors import InvalidInput, NotFound
from tongban.core.public import public_reverse
from tongban.core.types import User, actor_label
from tongban.identity.actors import Actor

from .. import access
from ..models import Certificate, CertificateEvent, Share
from .events import Gone, _lock, log_event

PRESENT_SALT = "tongban.certificates.present"


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
    access.check_use(actor, locked)
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
def open_presentation(
    token: str, *, viewer: User | None = None, now: dt.datetime | None = None
) -> Certificate:
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


def _viewer_label(viewer: User | None) -> str:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return "扫码查看（未登录）"
    return actor_label(viewer)[:200]


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
    """用证: let ``recipient`` see the certificate for ``purpose`` until ``valid_until``.

    A time without a zone is China's local time (the API and the page both send such times).
    """
    recipient = (recipient or "").strip()[:100]
    purpose = (purpose or "").strip()[:200]
    if not recipient:
        raise InvalidInput("请填写使用方（单位或个人名称）。", field="recipient")
    if not purpose:
        raise InvalidInput("请填写用途。", field="purpose")
    now = timezone.now()
    if valid_until is not None and timezone.is_naive(valid_until):
        valid_until = timezone.make_aware(valid_until)
    if valid_until is None or valid_until <= now:
        raise InvalidInput("授权截止时间必须晚于现在。", field="valid_until")
    if valid_until > now + dt.timedelta(days=share_max_days()):
        raise InvalidInput(f"授权期限不能超过 {share_max_days()} 天。", field="valid_until")
    locked = _lock(certificate)
    access.check_use(actor, locked)
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
    access.check_holder(actor, locked)
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
def open_share(token: str, *, viewer: User | None = None, what: str = "查看") -> Share:
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
