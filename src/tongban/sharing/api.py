"""/api/v1/sharing/…: the public catalogue and the signed exchange for department systems."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from tongban.core.errors import NotFound

from . import exchange as exchanges
from . import selectors

router = Router(tags=["数据共享"])


class ItemOut(Schema):
    name: str
    label: str
    type: str
    meaning: str


class ResourceOut(Schema):
    code: str
    name: str
    provider: str
    summary: str
    kind: str
    subject: str
    sharing_class: str
    sharing_class_label: str
    condition: str
    legal_basis: str
    not_shared_reason: str
    openness: str
    update_cycle: str
    data_format: str
    decision_days: int
    items: list[ItemOut]


def _out(resource: Any) -> dict:
    return {
        "code": resource.code,
        "name": resource.name,
        "provider": resource.provider.name,
        "summary": resource.summary,
        "kind": resource.kind,
        "subject": resource.subject,
        "sharing_class": resource.sharing_class,
        "sharing_class_label": str(resource.get_sharing_class_display()),
        "condition": resource.condition,
        "legal_basis": resource.legal_basis,
        "not_shared_reason": resource.not_shared_reason,
        "openness": resource.openness,
        "update_cycle": resource.update_cycle,
        "data_format": resource.data_format,
        "decision_days": resource.decision_limit(),
        "items": resource.items,
    }


@router.get("/sharing/resources", response=list[ResourceOut], summary="数据资源目录", auth=None)
def list_resources(request: HttpRequest) -> list[dict]:
    return [_out(r) for r in selectors.published_resources()]


@router.get("/sharing/resources/{path:code}", response=ResourceOut, summary="数据资源详情", auth=None)
def get_resource(request: HttpRequest, code: str) -> dict:
    resource = selectors.published_resources().filter(code=code).first()
    if resource is None:
        raise NotFound("数据资源不存在或未发布。")
    return _out(resource)


@router.post(
    "/sharing/exchange",
    summary="共享数据交换（部门系统调用）",
    auth=None,
    openapi_extra={
        "description": (
            "请求头 Authorization: Bearer <客户端断言>（EdDSA 签名的 JWT，kid/iss 为系统标识，"
            "aud 为 tongban-sharing，含 jti、exp 与请求体的 body_sha256）。请求体："
            '{"resource", "subject", "fields", "purpose", "case"}。应答为 {"payload", "signature"}，'
            "signature 为资源提供部门电子印章对 payload 规范 JSON 的签名。"
        ),
        "responses": {401: {}, 403: {}, 404: {}},
    },
)
def exchange(request: HttpRequest) -> HttpResponse:
    answer = exchanges.exchange(request.headers.get("Authorization", ""), request.body)
    return HttpResponse(answer, content_type="application/json")


class SharingRequestOut(Schema):
    id: int
    resource: str
    consumer: str
    fields: list[str]
    purpose: str
    legal_basis: str
    valid_until: str
    status: str
    status_label: str
    due_on: str
    decision_note: str
    grant: str


def _request_out(found: Any) -> dict:
    grant = getattr(found, "grant", None)
    return {
        "id": found.pk,
        "resource": found.resource.code,
        "consumer": found.consumer.name,
        "fields": found.fields,
        "purpose": found.purpose,
        "legal_basis": found.legal_basis,
        "valid_until": found.valid_until.isoformat(),
        "status": found.status,
        "status_label": str(found.get_status_display()),
        "due_on": found.due_on.isoformat(),
        "decision_note": found.decision_note,
        "grant": grant.code if grant is not None else "",
    }


_SYSTEM_AUTH = (
    "请求头 Authorization: Bearer <客户端断言>，与数据交换相同（kid/iss 为在统一身份认证登记的接入系统标识，"
    "含 body_sha256；GET 请求对空请求体签名）。"
)


@router.post(
    "/sharing/requests",
    response={201: SharingRequestOut},
    summary="部门系统提交共享申请",
    auth=None,
    openapi_extra={
        "description": _SYSTEM_AUTH
        + '请求体：{"resource", "fields", "purpose", "legal_basis", "valid_until"}。无条件共享即时授权；有条件共享等待提供部门答复。',
        "responses": {401: {}, 404: {}, 422: {}},
    },
)
def file_request(request: HttpRequest) -> Status:
    found = exchanges.file_request(request.headers.get("Authorization", ""), request.body)
    return Status(201, _request_out(found))


@router.get(
    "/sharing/requests/{request_id}",
    response=SharingRequestOut,
    summary="部门系统查询本部门的共享申请",
    auth=None,
    openapi_extra={"description": _SYSTEM_AUTH, "responses": {401: {}, 404: {}}},
)
def request_status(request: HttpRequest, request_id: int) -> dict:
    return _request_out(exchanges.request_status(request.headers.get("Authorization", ""), request_id))
