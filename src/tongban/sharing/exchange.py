"""The exchange: a department system asks for a subject and gets only the granted fields.

The request is authenticated as the consuming system by its signed client assertion
(``signing.check_assertion``: signature, audience, lifetime, body digest; each ``jti`` once);
the read goes through ``services.read_resource`` (purpose, grant, case, data-access log); the
answer is signed by the provider's seal; and the exchange is appended to the audit chain with
consumer, provider, subject digest, fields, purpose, grant, request and response digests (the
X-Road message log), so ``tongban audit verify`` covers it.
"""

import json
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from tongban.certificates import seals
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, ServiceError

from . import services, signing
from .models import ConsumerSystem


class Unauthenticated(ServiceError):
    code = "unauthenticated"
    status = 401
    default_message = "调用方身份无法核验：请使用本系统登记的密钥签发的客户端断言。"


def authenticate(authorization: str, body: bytes) -> tuple[ConsumerSystem, dict]:
    """The consumer system behind ``Authorization: Bearer <assertion>`` for ``body``."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    try:
        header, claims, signing_input, signature = signing.read_assertion(token.strip())
        system = (
            ConsumerSystem.objects.select_related("department", "oidc_client")
            .filter(client_id=str(header.get("kid", "")), is_active=True)
            .first()
        )
        # A system calls as the OIDC client it is registered as: no client, a client switched
        # off or moved to another department, and it is no longer let in.
        if system is None or system.oidc_client is None or not system.oidc_client.is_active:
            raise Unauthenticated()
        if system.oidc_client.department_id != system.department_id:
            raise Unauthenticated()
        signing.check_assertion(header, claims, signing_input, signature, system.public_key, body)
    except signing.BadSignature as exc:
        raise Unauthenticated() from exc
    if not cache.add(f"sharing:jti:{system.client_id}:{claims['jti']}", 1, signing.MAX_LIFETIME * 2):
        raise Unauthenticated("该请求已使用过（重放），请重新签发客户端断言。", code="replayed")
    return system, claims


def _body_with_fields(body: bytes) -> tuple[dict[str, Any], list[str]]:
    """A system's JSON object and its ``fields``, checked alike for a read and for a 共享申请."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput("请求体应为 JSON。") from exc
    if not isinstance(data, dict):
        raise InvalidInput("请求体应为 JSON 对象。")
    fields = data.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise InvalidInput("fields 应为信息项名称的列表。", field="fields")
    return data, fields


def _request(body: bytes) -> dict[str, Any]:
    data, fields = _body_with_fields(body)
    return {
        "resource": str(data.get("resource", "")),
        "subject": str(data.get("subject", "")),
        "fields": fields,
        "purpose": str(data.get("purpose", "")),
        "case": str(data.get("case", "") or ""),
    }


def exchange(authorization: str, body: bytes) -> bytes:
    """One exchange; returns the signed answer's bytes (canonical JSON)."""
    system, claims = authenticate(authorization, body)
    asked = _request(body)
    case = None
    if asked["case"]:
        from tongban.cases.models import Case

        case = Case.objects.select_related("applicant", "enterprise").filter(number=asked["case"]).first()
        if case is None:
            raise NotFound("办件不存在。")
    with transaction.atomic():
        read = services.read_resource(
            system.department,
            asked["resource"],
            asked["subject"],
            asked["fields"],
            asked["purpose"],
            case,
            accessor_label=system.name,
            channel="exchange",
        )
        resource = read.resource
        payload = {
            "exchange_id": claims["jti"],
            "resource": resource.code,
            "provider": {"name": resource.provider.name, "uscc": resource.provider.uscc},
            "consumer": {"client_id": system.client_id, "department": system.department.name},
            "grant": read.grant.code if read.grant else "",
            "purpose": asked["purpose"].strip(),
            "case": asked["case"],
            "fields": read.fields,
            "records": read.records,
            "request_sha256": signing.sha256(body),
            "at": timezone.now().isoformat(),
        }
        answer = signing.canonical(signing.sign_payload(seals.active_key(resource.provider), payload))
        audit.append(
            "sharing.exchange",
            actor_label=system.name,
            object_type="sharing.exchange",
            object_id=claims["jti"],
            summary={
                "consumer": system.client_id,
                "consumer_department": system.department.name,
                "provider": resource.provider.name,
                "resource": resource.code,
                "subject_sha256": signing.sha256(asked["subject"].strip().upper().encode()),
                "fields": read.fields,
                "purpose": payload["purpose"],
                "grant": payload["grant"],
                "case": asked["case"],
                "request_sha256": payload["request_sha256"],
                "response_sha256": signing.sha256(answer),
            },
        )
    return answer


def _request_fields(body: bytes) -> dict[str, Any]:
    """The body of a system's 共享申请: resource, fields, purpose, legal_basis, valid_until."""
    import datetime as dt

    data, fields = _body_with_fields(body)
    try:
        valid_until = dt.date.fromisoformat(str(data.get("valid_until", "")))
    except ValueError as exc:
        raise InvalidInput("valid_until 应为日期（YYYY-MM-DD）。", field="valid_until") from exc
    return {
        "resource": str(data.get("resource", "")),
        "fields": fields,
        "purpose": str(data.get("purpose", "")),
        "legal_basis": str(data.get("legal_basis", "")),
        "valid_until": valid_until,
    }


def file_request(authorization: str, body: bytes) -> Any:
    """A department system files a 共享申请 for its own department, as itself."""
    from . import selectors

    system, _claims = authenticate(authorization, body)
    asked = _request_fields(body)
    resource = selectors.get_resource(asked["resource"])
    if resource is None:
        raise NotFound("数据资源不存在。")
    return services.request_sharing_by_system(
        system=system,
        resource=resource,
        fields=asked["fields"],
        purpose=asked["purpose"],
        legal_basis=asked["legal_basis"],
        valid_until=asked["valid_until"],
    )


def request_status(authorization: str, request_id: int) -> Any:
    """A system reads one of its department's requests; any other is not found."""
    from .models import SharingRequest

    system, _claims = authenticate(authorization, b"")
    found = (
        SharingRequest.objects.select_related("resource", "consumer")
        .filter(pk=request_id, consumer=system.department)
        .first()
    )
    if found is None:
        raise NotFound("共享申请不存在。")
    return found
