"""A certificate's own history: each change and each use appends one hash-chained event.

Every write locks the certificate's row first (``_lock``) and appends its event with
``log_event``, whose audit line is the last write of the transaction. ``certificates.reuse``
uses both when a certificate becomes an application's material.
"""

from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import ServiceError
from tongban.core.public import public_reverse
from tongban.core.types import User, actor_label

from ..models import Certificate, CertificateEvent, Share

GENESIS = "0" * 64


class Gone(ServiceError):
    """A presentation code or a share link whose time is over (HTTP 410)."""

    code = "expired"
    status = 410


def log_event(
    certificate: Certificate,
    action: str,
    *,
    actor: User | None = None,
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
        actor_label=(label or actor_label(actor))[:200],
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


def _lock(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update()
        .select_related("type", "type__department", "department", "seal_key")
        .get(pk=certificate.pk)
    )
