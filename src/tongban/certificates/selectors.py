"""Reads shared by the pages and the API: verification, published keys, wallets."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound
from tongban.core.masking import mask_id_number, mask_name, mask_uscc
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.actors import Actor, may_act_for
from tongban.identity.models import EnterpriseAccount

from . import identifiers, seals
from .access import manageable_departments
from .documents import check_document, stored_content
from .models import Certificate, CertificateEvent, CertificateType, HolderKind, SealKey, Share

STATUS_VALID = "valid"
STATUS_REVOKED = "revoked"
STATUS_EXPIRED = "expired"
STATUS_TAMPERED = "tampered"
STATUS_UNKNOWN = "unknown"
MAX_DOCUMENT_BYTES = 256 * 1024  # a signed certificate is a few kilobytes

MESSAGES = {
    STATUS_VALID: "证照真实有效。",
    STATUS_REVOKED: "证照已失效（吊销、注销或已换发）。",
    STATUS_EXPIRED: "证照已超过有效期。",
    STATUS_TAMPERED: "电子印章验证未通过：证照内容已被改动或不是本平台颁发。",
    STATUS_UNKNOWN: "查无此证照。",
}


def masked_holder(holder: dict) -> dict:
    number = holder.get("number") or ""
    kind = holder.get("kind")
    return {
        "kind": kind,
        "name": holder.get("name", "") if kind == HolderKind.ENTERPRISE else mask_name(holder.get("name")),
        "number": mask_uscc(number) if kind == HolderKind.ENTERPRISE else mask_id_number(number),
    }


def _answer(status: str, identifier: str, *, message: str = "", **extra: object) -> dict:
    return {
        "status": status,
        "identifier": identifier,
        "message": message or MESSAGES[status],
        "type": None,
        "issuer": None,
        "holder": None,
        "valid_from": None,
        "valid_until": None,
        "issued_at": None,
        "version": None,
        "reason": "",
        "replaced_by": None,
        "checked_at": timezone.now().isoformat(timespec="seconds"),
        **extra,
    }


def _status_of(certificate: Certificate, today: dt.date) -> tuple[str, str, str | None]:
    """(status, reason, replaced_by) as verification reports them."""
    state = certificate.state_on(today)
    if state == Certificate.Status.VALID:
        return STATUS_VALID, "", None
    if state == Certificate.Status.EXPIRED:
        return STATUS_EXPIRED, certificate.status_reason, None
    replaced_by = None
    if state == Certificate.Status.REPLACED:
        replaced_by = (
            Certificate.objects.filter(previous_id=certificate.pk)
            .values_list("identifier", flat=True)
            .first()
        )
    label = Certificate.Status(state).label
    reason = f"{label}：{certificate.status_reason}" if certificate.status_reason else str(label)
    return STATUS_REVOKED, reason, replaced_by


def _from_content(
    status: str, certificate: Certificate, content: dict, reason: str, replaced_by: str | None
) -> dict:
    return _answer(
        status,
        certificate.identifier,
        type=content.get("type"),
        issuer=content.get("issuer"),
        holder=masked_holder(content.get("holder") or {}),
        valid_from=content.get("valid_from"),
        valid_until=content.get("valid_until"),
        issued_at=content.get("issued_at"),
        version=content.get("version"),
        reason=reason,
        replaced_by=replaced_by,
    )


@dataclass(frozen=True)
class _Key:
    kid: str
    algorithm: str
    public_key: str
    issuer_uscc: str


@dataclass(frozen=True)
class _Row:
    """What verification reads of a certificate row (duck-types ``Certificate`` for it)."""

    Status = Certificate.Status
    state_on = Certificate.state_on

    pk: int
    identifier: str
    status: str
    status_reason: str
    valid_until: dt.date | None
    payload: str
    signature: str
    seal_key: _Key


def _load(identifier: str) -> _Row | None:
    """The row verification needs, with its seal key, in one hand-written query.

    Verification is the public hot path (thousands a second): building an ORM query, and even
    model instances, costs more than running the query, so the SQL is written once here.
    """
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_SQL, [identifier])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, ident, status, reason, until, payload, signature, kid, algorithm, public, uscc = row
    if isinstance(until, str):
        until = dt.date.fromisoformat(until)
    key = _Key(kid=kid, algorithm=algorithm, public_key=public, issuer_uscc=uscc)
    return _Row(pk, ident, status, reason, until, payload, signature, key)


def _verify_sql() -> str:
    c, k = Certificate._meta, SealKey._meta
    columns = ", ".join(
        f"c.{c.get_field(name).column}"
        for name in ("id", "identifier", "status", "status_reason", "valid_until", "payload", "signature")
    )
    key_columns = ", ".join(
        f"k.{k.get_field(name).column}" for name in ("kid", "algorithm", "public_key", "issuer_uscc")
    )
    return (
        f"SELECT {columns}, {key_columns} FROM {c.db_table} c "  # noqa: S608 (names from the models, value bound)
        f"JOIN {k.db_table} k ON k.{k.pk.column} = c.{c.get_field('seal_key').column} "
        f"WHERE c.{c.get_field('identifier').column} = %s"
    )


_VERIFY_SQL = _verify_sql()


def verify_identifier(identifier: str) -> dict:
    """``GET …/{identifier}/verify``: the stored certificate's seal, status and validity."""
    identifier = (identifier or "").strip()
    try:
        identifiers.parse(identifier)
    except identifiers.InvalidIdentifier as exc:
        return _answer(STATUS_UNKNOWN, identifier, message=str(exc))
    certificate = _load(identifier)
    if certificate is None:
        return _answer(STATUS_UNKNOWN, identifier)
    content = stored_content(certificate)
    if content is None:
        return _answer(STATUS_TAMPERED, identifier)
    status, reason, replaced_by = _status_of(certificate, timezone.localdate())
    return _from_content(status, certificate, content, reason, replaced_by)


def verify_document(raw: bytes) -> dict:
    """``POST …/verify``: a downloaded document — its seal, and the certificate's status now."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        return _answer(STATUS_TAMPERED, "", message="文件过大，不是本平台的电子证照文件。")
    check = check_document(raw)
    if not check.sealed:
        return _answer(STATUS_TAMPERED, "", message=f"{MESSAGES[STATUS_TAMPERED]}（{check.reason}）")
    identifier = str(check.content.get("identifier", ""))
    certificate = _load(identifier)
    if certificate is None:
        return _answer(STATUS_UNKNOWN, identifier)
    content = stored_content(certificate)
    if content is None or content != check.content:
        return _answer(STATUS_TAMPERED, identifier)
    status, reason, replaced_by = _status_of(certificate, timezone.localdate())
    return _from_content(status, certificate, content, reason, replaced_by)


def jwks() -> dict:
    """Every seal key ever used (active and retired), for offline verification."""
    keys = SealKey.objects.order_by("department_id", "created_at")
    return {"keys": [seals.jwk(key) for key in keys]}


# ---------------------------------------------------------------- wallets


def wallet(actor: Actor) -> QuerySet[Certificate]:
    """卡包: the certificates of the person, or of the enterprise the person acts for."""
    base = Certificate.objects.select_related("type", "department")
    if actor.user is None:
        return base.none()
    if actor.enterprise is not None:
        return base.filter(holder_enterprise=actor.enterprise)
    return base.filter(holder_user=actor.user, holder_enterprise__isnull=True)


def actor_for(user: User | None, enterprise_id: int | None) -> Actor:
    """The caller acting for themself, or for an enterprise they may act for (else NotFound)."""
    if enterprise_id is None:
        return Actor(user)
    enterprise = EnterpriseAccount.objects.filter(pk=enterprise_id).first()
    if enterprise is None or not may_act_for(user, enterprise):
        raise NotFound()
    return Actor(user, enterprise)


def wallet_certificate(actor: Actor, identifier: str) -> Certificate:
    certificate = wallet(actor).select_related("seal_key").filter(identifier=identifier).first()
    if certificate is None:
        raise NotFound()
    return certificate


def history(certificate: Certificate) -> QuerySet[CertificateEvent]:
    return certificate.events.select_related("share").order_by("-at", "-id")


def shares(certificate: Certificate) -> QuerySet[Share]:
    return certificate.shares.all()


def get_share_for(actor: Actor, share_id: int) -> Share:
    share = Share.objects.select_related("certificate").filter(pk=share_id).first()
    if share is None or not wallet(actor).filter(pk=share.certificate_id).exists():
        raise NotFound()
    return share


def valid_for_holder(
    *,
    user: User | None = None,
    enterprise: EnterpriseAccount | None = None,
    types: Iterable[CertificateType] | QuerySet[CertificateType] | None = None,
) -> QuerySet[Certificate]:
    """Certificates in force today held by ``enterprise`` (or by ``user`` personally)."""
    today = timezone.localdate()
    query = Certificate.objects.filter(status=Certificate.Status.VALID).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    if enterprise is not None:
        query = query.filter(holder_enterprise=enterprise)
    elif user is not None:
        query = query.filter(holder_user=user, holder_enterprise__isnull=True)
    else:
        return query.none()
    if types is not None:
        query = query.filter(type__in=types)
    return query


# ---------------------------------------------------------------- staff and proofs


def staff_certificate(user: User | None, identifier: str) -> Certificate:
    """A certificate as its issuing department's staff (and supervisors) see it; others get 404."""
    certificate = (
        Certificate.objects.select_related("type", "department", "department__region", "seal_key", "case")
        .filter(identifier=identifier)
        .first()
    )
    if certificate is None or not permissions.can_see_department(user, certificate.department):
        raise NotFound()
    return certificate


def proof_items() -> QuerySet[ServiceItem]:
    """Items that issue a proof from registry data online (网上开证明)."""
    return (
        ServiceItem.objects.published()
        .filter(
            result_type=ServiceItem.ResultType.PROOF,
            issued_certificate_types__is_active=True,
            issued_certificate_types__registry_source__in=[
                CertificateType.RegistrySource.POPULATION,
                CertificateType.RegistrySource.ENTERPRISE,
            ],
        )
        .select_related("department")
        .distinct()
        .order_by("name")
    )


def proof_type(item: ServiceItem) -> CertificateType | None:
    """The active type ``item`` issues from registry data, with its department."""
    return (
        item.issued_certificate_types.filter(is_active=True)
        .exclude(registry_source="")
        .select_related("department")
        .first()
    )


def online_proof_type(item: ServiceItem) -> CertificateType:
    """The type a published 证明 item issues online from registry data; NotFound otherwise."""
    ctype = proof_type(item)
    if (
        ctype is None
        or item.status != ServiceItem.Status.PUBLISHED
        or item.result_type != ServiceItem.ResultType.PROOF
    ):
        raise NotFound("该事项不支持网上开具证明。")
    return ctype


def item_by_code(code: str) -> ServiceItem:
    item = ServiceItem.objects.filter(code=code).select_related("department").first()
    if item is None:
        raise NotFound()
    return item


# ---------------------------------------------------------------- certificate types (事项管理)


def manageable_type(user: User | None, pk: int) -> CertificateType:
    """A certificate type of a department whose types ``user`` maintains; NotFound otherwise."""
    ids = [d.pk for d in manageable_departments(user)]
    ctype = CertificateType.objects.filter(pk=pk, department_id__in=ids).select_related("department").first()
    if ctype is None:
        raise NotFound()
    return ctype


def types_of(departments: Iterable[Department]) -> QuerySet[CertificateType]:
    return (
        CertificateType.objects.filter(department__in=list(departments))
        .select_related("department")
        .order_by("department__name", "name")
    )


def department_items(department: Department) -> list[ServiceItem]:
    """The department's items a type may be issued by (the type page's checkboxes)."""
    return list(ServiceItem.objects.filter(department=department).order_by("name").only("pk", "name"))


def items_by_id(ids: Iterable[int]) -> list[ServiceItem]:
    return list(ServiceItem.objects.filter(pk__in=list(ids)))
