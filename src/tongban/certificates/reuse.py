"""免提交: a material that a certificate type stands in for is taken from the applicant's wallet.

Registered with ``cases.steps`` by ``CertificatesConfig.ready`` and called by name from the
cases services (no signals):

- ``WALLET`` (material provider): a required material the applicant holds a valid certificate
  for is never reported missing; when a draft is started, and again inside the submission, the
  certificate is attached as the material: an ``Attachment`` with ``certificate_identifier``
  recorded and a name that tells staff it was verified, pending its file until the task
  ``render_wallet_attachment`` writes the sealed PDF (a download before that renders it).
- ``WALLET_STILL_VALID`` (submission step): a wallet attachment whose certificate stopped being
  valid before submission stops the submission with a clear message.
"""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from tongban.cases.models import Application, Attachment, Case
from tongban.cases.steps import MaterialProvider, SubmissionStep
from tongban.core import rawsql
from tongban.core.errors import InvalidInput
from tongban.core.types import User

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


@rawsql.statement
def _accepting_many_sql(count: int) -> str:
    through = CertificateType.accepted_for.through
    requirement = through._meta.get_field("materialrequirement")
    certificate_type = through._meta.get_field("certificatetype")
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT r.item_id, x.{requirement.column}, x.{certificate_type.column} FROM {rawsql.table(through)} x "  # noqa: S608 (names from the models, values bound)
        f"JOIN {rawsql.table(CertificateType)} ct ON ct.id = x.{certificate_type.column} "
        f"JOIN {rawsql.table(requirement.related_model)} r ON r.id = x.{requirement.column} "
        f"WHERE r.item_id IN ({marks}) AND ct.is_active = %s"
    )


def _accepting_many(item_ids: set[int]) -> dict[int, dict[int, set[int]]]:
    """``_accepting`` of several items in one statement: item → requirement → types."""
    accepting: dict[int, dict[int, set[int]]] = {pk: {} for pk in item_ids}
    ids = sorted(item_ids)
    if not ids:
        return accepting
    with connection.cursor() as cursor:
        cursor.execute(_accepting_many_sql(len(ids)), [*ids, True])
        for item_id, requirement_id, type_id in cursor.fetchall():
            accepting[item_id].setdefault(requirement_id, set()).add(type_id)
    return accepting


def _accepting(application: Application) -> dict[int, set[int]]:
    """Material requirement → certificate types accepted for it, for the application's item.

    Hand-written (``core.rawsql``): every submission asks, and building it with the ORM cost
    more than the rest of the certificates hook."""
    accepting: dict[int, set[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_accepting_sql(), [application.item_id, True])
        for requirement_id, type_id in cursor.fetchall():
            accepting.setdefault(requirement_id, set()).add(type_id)
    return accepting


def wallet_matches(
    application: Application, accepting: dict[int, set[int]] | None = None
) -> dict[int, Certificate]:
    """Requirement → the newest valid certificate the applicant (or enterprise) holds for it
    (``accepting``: the item's accepted types when already read)."""
    if accepting is None:
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


def wallet_materials(application: Application) -> set[int]:
    """For ``cases.services.missing_materials``: requirements the wallet satisfies."""
    return set(wallet_matches(application))


def attach_from_wallet(
    application: Application, actor: User | None, accepting: dict[int, set[int]] | None = None
) -> list[Attachment]:
    """Attach wallet certificates for accepted materials that have no current file yet.

    The rows are written here, in the caller's transaction, pending their file; the sealed PDF
    is rendered by ``tasks.render_wallet_attachment``, whose row commits with them."""
    from .tasks import render_wallet_attachment

    matches = wallet_matches(application, accepting)
    if not matches:
        return []
    present = set(
        application.attachments.filter(replaced=False, requirement_id__in=list(matches)).values_list(
            "requirement_id", flat=True
        )
    )
    attached = [
        Attachment.objects.create(
            application=application,
            requirement_id=requirement_id,
            display_name=f"{certificate.type.name}（电子证照·已核验）.pdf"[:120],
            content_type="application/pdf",
            size=0,
            sha256="",
            uploaded_by=actor or application.created_by,
            certificate_identifier=certificate.identifier,
        )
        for requirement_id, certificate in matches.items()
        if requirement_id not in present
    ]
    for attachment in attached:
        render_wallet_attachment.enqueue(attachment.pk)
    return attached


def is_pending(attachment: Attachment) -> bool:
    return bool(attachment.certificate_identifier) and not attachment.file


def render_attachment(attachment: Attachment) -> bytes | None:
    """The PDF of a wallet attachment whose file the task has not written yet (a download that
    comes first); None for any other attachment."""
    from .rendering import render_pdf

    if not is_pending(attachment):
        return None
    certificate = Certificate.objects.filter(identifier=attachment.certificate_identifier).first()
    return render_pdf(certificate) if certificate is not None else None


def fill_attachment(attachment_id: int) -> bool:
    """The task's work: render the PDF into the pending attachment and record, in the
    certificate's own chain, that it was used (免提交). Its own transaction, audit last."""
    from .rendering import render_pdf
    from .services import _lock, log_event

    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update(of=("self",))
            .select_related("application__item", "uploaded_by")
            .filter(pk=attachment_id)
            .first()
        )
        if attachment is None or not is_pending(attachment):
            return False
        certificate = Certificate.objects.filter(identifier=attachment.certificate_identifier).first()
        if certificate is None:
            return False
        pdf = render_pdf(certificate)
        attachment.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf), save=False)
        attachment.size = len(pdf)
        attachment.sha256 = hashlib.sha256(pdf).hexdigest()
        attachment.save(update_fields=["file", "size", "sha256"])
        log_event(
            _lock(certificate),
            CertificateEvent.Action.ATTACHED,
            actor=attachment.uploaded_by,
            detail=f"申请“{attachment.application.item.name}”时免提交",
        )
    return True


def check_wallet_attachments(
    application: Application, case: Case, actor: User, accepting: dict[int, set[int]] | None = None
) -> None:
    """Submission step, inside the submitting transaction before its history line and audit:
    wallet materials must still be valid, and what the wallet holds is attached."""
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
    attach_from_wallet(application, actor, accepting)
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


def check_wallet_attachments_many(submitted: list[tuple[Application, Case]], actor: User) -> None:
    """The step for every case of a 一件事 split: the items' accepted certificate types read in
    one statement, then each draft checked as alone."""
    accepting = _accepting_many({application.item_id for application, _case in submitted})
    for application, case in submitted:
        check_wallet_attachments(application, case, actor, accepting[application.item_id])


WALLET = MaterialProvider(
    name="certificates.wallet", held=wallet_materials, attach=attach_from_wallet, render=render_attachment
)
WALLET_STILL_VALID = SubmissionStep(
    name="certificates.wallet_still_valid",
    run=check_wallet_attachments,
    run_many=check_wallet_attachments_many,
)
