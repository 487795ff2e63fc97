"""Electronic licences in the JSON API.

Public (no sign-in): verification by identifier or of a downloaded document, the seal keys
(JWKS) and shared certificates. Signed in (OIDC token or session): the wallet — list, show
(亮证), share (用证), download — and online proofs; staff: revoke and replace.
"""

import datetime as dt
import json
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator

from tongban.core.downloads import file_response
from tongban.core.masking import mask_id_number
from tongban.core.params import Id, date_in_range
from tongban.core.public import public_reverse
from tongban.identity.actors import Actor
from tongban.identity.oidc.auth import api_auth

from . import selectors, services
from .documents import document_bytes
from .models import Certificate, HolderKind, Share

router = Router(tags=["电子证照"])

VerificationStatus = Literal["valid", "revoked", "expired", "tampered", "unknown"]


class TypeOut(Schema):
    code: str
    name: str


class IssuerOut(Schema):
    name: str
    uscc: str


class HolderOut(Schema):
    kind: str
    name: str
    number: str


class VerifyOut(Schema):
    status: VerificationStatus
    identifier: str
    message: str
    type: TypeOut | None
    issuer: IssuerOut | None
    holder: HolderOut | None
    valid_from: str | None
    valid_until: str | None
    issued_at: str | None
    version: int | None
    reason: str
    replaced_by: str | None
    checked_at: str


class CertificateOut(Schema):
    identifier: str
    type: TypeOut
    issuer: IssuerOut
    holder: HolderOut
    fields: dict
    valid_from: dt.date
    valid_until: dt.date | None
    issued_at: dt.datetime
    version: int
    status: str
    status_label: str
    reason: str
    verify_url: str


class CertificateEventOut(Schema):
    at: dt.datetime
    action: str
    action_label: str
    actor: str
    detail: str


def _end_of_day(value: object) -> object:
    """A share "until 2026-12-31" lasts through that day, not to its first second."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(23, 59, 59))
        except ValueError:
            return value
    return value


class ShareIn(Schema):
    recipient: str
    purpose: str
    valid_until: Annotated[
        dt.datetime,
        BeforeValidator(_end_of_day),
        AfterValidator(date_in_range),
        Field(description="截止时间；只写日期（2026-12-31）表示到当天结束，不带时区按北京时间"),
    ]


class ShareOut(Schema):
    id: int
    recipient: str
    purpose: str
    valid_until: dt.datetime
    revoked_at: dt.datetime | None
    in_force: bool
    url: str


class PresentationOut(Schema):
    token: str
    url: str
    expires_at: dt.datetime


class RevokeIn(Schema):
    reason: str
    kind: Literal["revoke", "cancel"] = "revoke"


class ReplaceIn(Schema):
    reason: str
    renew: bool = False
    fields: dict = {}


def certificate_out(certificate: Certificate, *, staff: bool = False) -> dict:
    """A certificate as its holder sees it, or as staff see it (``staff``): a person's ID number
    masked, as on the staff page (an enterprise's 统一社会信用代码 is public and stays in full)."""
    state = certificate.state_on(timezone.localdate())
    number = certificate.holder_number
    if staff and certificate.holder_kind == HolderKind.PERSON:
        number = mask_id_number(number)
    return {
        "identifier": certificate.identifier,
        "type": {"code": certificate.type.code, "name": certificate.type.name},
        "issuer": {"name": certificate.department.name, "uscc": certificate.department.uscc or ""},
        "holder": {
            "kind": certificate.holder_kind,
            "name": certificate.holder_name,
            "number": number,
        },
        "fields": certificate.fields,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "issued_at": certificate.issued_at,
        "version": certificate.version,
        "status": state,
        "status_label": str(Certificate.Status(state).label),
        "reason": certificate.status_reason,
        "verify_url": services.verify_url(certificate.identifier),
    }


def share_out(request: HttpRequest, share: Share) -> dict:
    return {
        "id": share.pk,
        "recipient": share.recipient,
        "purpose": share.purpose,
        "valid_until": share.valid_until,
        "revoked_at": share.revoked_at,
        "in_force": share.in_force_at(timezone.now()),
        "url": public_reverse("certificates:shared", share.token),
    }


def _actor(request: HttpRequest, enterprise_id: Id | None) -> Actor:
    """Acting for oneself, or for an enterprise the caller may act for (else 404)."""
    return selectors.actor_for(request.user, enterprise_id)


# ---------------------------------------------------------------- public


@router.get("/certificates/keys", auth=None, summary="电子印章公钥（JWKS）")
def keys(request: HttpRequest) -> HttpResponse:
    """Every department's seal public keys, active and retired, as a JSON Web Key Set.

    Ed25519 keys are ``{"kty": "OKP", "crv": "Ed25519"}``; SM2 keys are
    ``{"kty": "EC", "crv": "SM2", "x", "y"}`` (SM3 digest, signer ID ``1234567812345678``).
    """
    response = JsonResponse(selectors.jwks(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get("/certificates/{identifier}/verify", auth=None, response=VerifyOut, summary="按标识核验证照")
def verify(request: HttpRequest, identifier: str) -> HttpResponse:
    """Seal, status and validity of a certificate; personal data masked.

    The public hot path answers with a plain JSON response (the schema documents it): the
    selector builds exactly that shape, and validating it again would cost a third of the time.
    """
    return JsonResponse(selectors.verify_identifier(identifier), json_dumps_params={"ensure_ascii": False})


@router.post(
    "/certificates/verify",
    auth=None,
    response=VerifyOut,
    summary="核验下载的证照文件",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "下载的签名证照 JSON 文件，原样提交（任何字节改动都会得到 tampered）",
        }
    },
)
def verify_file(request: HttpRequest) -> dict:
    return selectors.verify_document(request.body)


@router.get(
    "/certificates/shared/{token}",
    auth=None,
    summary="第三方用证（按授权链接）",
    openapi_extra={"responses": {410: {"description": "授权已撤销或已过期"}}},
)
def shared(request: HttpRequest, token: str) -> dict:
    """The signed document and current verification for a share link still in force; logged."""
    share = services.open_share(token, viewer=request.user, what="接口读取")
    certificate = share.certificate
    return {
        "recipient": share.recipient,
        "purpose": share.purpose,
        "valid_until": share.valid_until,
        "verification": selectors.verify_identifier(certificate.identifier),
        "document": json.loads(document_bytes(certificate)),
    }


# ---------------------------------------------------------------- wallet


@router.get("/wallet/certificates", auth=api_auth, response=list[CertificateOut], summary="我的卡包")
def wallet(request: HttpRequest, enterprise_id: Id | None = None) -> list[dict]:
    return [certificate_out(c) for c in selectors.wallet(_actor(request, enterprise_id))]


@router.get(
    "/wallet/certificates/{identifier}", auth=api_auth, response=CertificateOut, summary="卡包中的一张证照"
)
def wallet_one(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> dict:
    return certificate_out(selectors.wallet_certificate(_actor(request, enterprise_id), identifier))


@router.get("/wallet/certificates/{identifier}/document", auth=api_auth, summary="下载签名 JSON")
def wallet_document(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> HttpResponse:
    certificate = selectors.wallet_certificate(_actor(request, enterprise_id), identifier)
    return file_response(document_bytes(certificate), f"{identifier}.json", "application/json; charset=utf-8")


@router.get("/wallet/certificates/{identifier}/pdf", auth=api_auth, summary="下载 PDF")
def wallet_pdf(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> HttpResponse:
    from .rendering import render_pdf

    certificate = selectors.wallet_certificate(_actor(request, enterprise_id), identifier)
    return file_response(
        render_pdf(certificate), f"{certificate.type.name}-{identifier}.pdf", "application/pdf"
    )


@router.get(
    "/wallet/certificates/{identifier}/events",
    auth=api_auth,
    response=list[CertificateEventOut],
    summary="证照使用记录",
)
def wallet_events(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> list[dict]:
    certificate = selectors.wallet_certificate(_actor(request, enterprise_id), identifier)
    return [
        {
            "at": e.at,
            "action": e.action,
            "action_label": e.get_action_display(),
            "actor": e.actor_label,
            "detail": e.detail,
        }
        for e in selectors.history(certificate)
    ]


@router.post(
    "/wallet/certificates/{identifier}/present", auth=api_auth, response=PresentationOut, summary="亮证"
)
def present(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> dict:
    actor = _actor(request, enterprise_id)
    certificate = selectors.wallet_certificate(actor, identifier)
    shown = services.present_certificate(actor=actor, certificate=certificate)
    return {"token": shown.token, "url": shown.url, "expires_at": shown.expires_at}


@router.get(
    "/wallet/certificates/{identifier}/shares", auth=api_auth, response=list[ShareOut], summary="用证授权列表"
)
def share_list(request: HttpRequest, identifier: str, enterprise_id: Id | None = None) -> list[dict]:
    certificate = selectors.wallet_certificate(_actor(request, enterprise_id), identifier)
    return [share_out(request, s) for s in selectors.shares(certificate)]


@router.post(
    "/wallet/certificates/{identifier}/shares",
    auth=api_auth,
    response={201: ShareOut},
    summary="授权第三方用证",
)
def share_create(
    request: HttpRequest, identifier: str, body: ShareIn, enterprise_id: Id | None = None
) -> tuple[int, dict]:
    actor = _actor(request, enterprise_id)
    certificate = selectors.wallet_certificate(actor, identifier)
    share = services.share_certificate(
        actor=actor,
        certificate=certificate,
        recipient=body.recipient,
        purpose=body.purpose,
        valid_until=body.valid_until,
    )
    return Status(201, share_out(request, share))


@router.delete("/wallet/shares/{share_id}", auth=api_auth, response=ShareOut, summary="撤销用证授权")
def share_revoke(request: HttpRequest, share_id: Id, enterprise_id: Id | None = None) -> dict:
    actor = _actor(request, enterprise_id)
    share = services.revoke_share(actor=actor, share=selectors.get_share_for(actor, share_id))
    return share_out(request, share)


# ---------------------------------------------------------------- online proofs and staff


@router.post("/proofs/{item_code}", auth=api_auth, response={201: CertificateOut}, summary="网上开具证明")
def proof(request: HttpRequest, item_code: str, enterprise_id: Id | None = None) -> tuple[int, dict]:
    item = selectors.item_by_code(item_code)
    certificate = services.issue_online_proof(actor=_actor(request, enterprise_id), item=item)
    return Status(201, certificate_out(certificate))


@router.post("/certificates/{identifier}/revoke", auth=api_auth, response=CertificateOut, summary="吊销/注销")
def revoke(request: HttpRequest, identifier: str, body: RevokeIn) -> dict:
    certificate = selectors.staff_certificate(request.user, identifier)
    done = services.revoke_certificate(
        actor=request.user, certificate=certificate, reason=body.reason, cancel=body.kind == "cancel"
    )
    return certificate_out(done, staff=True)


@router.post(
    "/certificates/{identifier}/replace", auth=api_auth, response={201: CertificateOut}, summary="换发/补发"
)
def replace(request: HttpRequest, identifier: str, body: ReplaceIn) -> tuple[int, dict]:
    certificate = selectors.staff_certificate(request.user, identifier)
    new = services.replace_certificate(
        actor=request.user, certificate=certificate, reason=body.reason, fields=body.fields, renew=body.renew
    )
    return Status(201, certificate_out(new, staff=True))
