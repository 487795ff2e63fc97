"""免提交: a material that a certificate type stands in for is taken from the applicant's wallet.

- ``wallet_materials`` is registered in ``cases.services.MATERIAL_PROVIDERS``: a required
  material the applicant holds a valid certificate for is never reported missing.
- When a draft is started (and again when the case is created, inside the submitting
  transaction) the certificate is attached as the material: an ``Attachment`` holding its sealed
  PDF, with ``certificate_identifier`` recorded and a name that tells staff it was verified.
- A wallet attachment whose certificate stopped being valid before submission stops the
  submission with a clear message.
"""

import hashlib
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from tongban.core import rawsql
from tongban.core.errors import InvalidInput

from .models import Certificate, CertificateEvent, CertificateType
from .selectors import valid_for_holder


@rawsql.statement
def _accepting_sql() -> str:
    through = CertificateType.accepted_for.through
    requirement = through._meta.get_field("materialrequirement")
    certificate_type = through._meta.get_field("certificatetype")
    return (
        f"SELECT x.{requirement.column}, x.{certificate_type.column} FROM {rawsql.table(through)} x "  # noqa: S608 (names from the models, values bound)
        f"JOIN {rawsql.table(CertificateType)} ct ON ct.id = x.{certificate_type.column} "
        f"JOIN {rawsql.table(requirement.related_model)} r ON r.id = x.{requirement.column} "
        "WHERE r.item_id = %s AND ct.is_active = %s"
    )


def _accepting(application: Any) -> dict[int, set[int]]:  # noqa: ANN401
    """Material requirement → certificate types accepted for it, for the application's item.

    Hand-written (``core.rawsql``): every submission asks, and building it with the ORM cost
    more than the rest of the certificates hook."""
    accepting: dict[int, set[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_accepting_sql(), [application.item_id, True])
        for requirement_id, type_id in cursor.fetchall():
            accepting.setdefault(requirement_id, set()).add(type_id)
    return accepting


def wallet_matches(application: Any) -> dict[int, Certificate]:  # noqa: ANN401
    """Requirement → the newest valid certificate the applicant (or enterprise) holds for it."""
    accepting = _accepting(application)
    if not accepting:
        return {}
    types = set().union(*accepting.values())
    held = list(
        valid_for_holder(
            user=application.applicant,
            enterprise=application.enterprise if application.enterprise_id else None,
            types=types,
        )
        .select_related("type", "department", "seal_key")
        .order_by("-issued_at")
    )
    matches = {}
    for requirement_id, type_ids in accepting.items():
        found = next((c for c in held if c.type_id in type_ids), None)
        if found is not None:
            matches[requirement_id] = found
    return matches


def wallet_materials(application: Any) -> set[int]:  # noqa: ANN401
    """Hook for ``cases.services.missing_materials``: requirements the wallet satisfies."""
    return set(wallet_matches(application))


def attach_from_wallet(application: Any, user: Any) -> list[Any]:  # noqa: ANN401
    """Attach wallet certificates for accepted materials that have no current file yet."""
    from tongban.cases.models import Attachment

    from .rendering import render_pdf
    from .services import _lock, log_event

    matches = wallet_matches(application)
    if not matches:
        return []
    present = set(
        application.attachments.filter(replaced=False, requirement_id__in=list(matches)).values_list(
            "requirement_id", flat=True
        )
    )
    attached = []
    for requirement_id, certificate in matches.items():
        if requirement_id in present:
            continue
        pdf = render_pdf(certificate)
        attachment = Attachment(
            application=application,
            requirement_id=requirement_id,
            display_name=f"{certificate.type.name}（电子证照·已核验）.pdf"[:120],
            content_type="application/pdf",
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            uploaded_by=user,
            certificate_identifier=certificate.identifier,
        )
        attachment.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf), save=False)
        attachment.save()
        log_event(
            _lock(certificate),
            CertificateEvent.Action.ATTACHED,
            actor=user,
            detail=f"申请“{application.item.name}”时免提交",
        )
        attached.append(attachment)
    return attached


def on_application_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:  # noqa: ANN401
    """A new draft gets its wallet materials at once, so the upload is not asked for."""
    if created and not raw:
        attach_from_wallet(instance, instance.created_by)


def on_case_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:  # noqa: ANN401
    """Inside the submitting transaction: wallet materials must still be valid, and are attached."""
    if not created or raw:
        return
    application = instance.application
    today = timezone.localdate()
    stale = []
    # The submission's locked read says whether the draft has wallet attachments at all.
    held = application.attachments.filter(replaced=False).exclude(certificate_identifier="")
    for attachment in held if getattr(application, "wallet_attachments", True) else ():
        certificate = Certificate.objects.filter(identifier=attachment.certificate_identifier).first()
        if certificate is None or certificate.state_on(today) != Certificate.Status.VALID:
            attachment.replaced = True
            attachment.save(update_fields=["replaced"])
            stale.append(attachment)
    attach_from_wallet(application, instance.submitted_by)
    for attachment in stale:
        required = attachment.requirement is not None and attachment.requirement.necessity == "required"
        if (
            required
            and not application.attachments.filter(
                replaced=False, requirement_id=attachment.requirement_id
            ).exists()
        ):
            raise InvalidInput(
                f"材料“{attachment.display_name}”所用的电子证照已失效，请重新上传该材料。",
                field="materials",
                code="certificate_invalid",
            )
