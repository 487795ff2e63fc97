"""Applying and processing through the JSON API (same service functions and permissions as the pages).

Authentication: an OIDC access token (``Authorization: Bearer …``) or the web session.
``POST /applications/{id}/submit`` honours ``Idempotency-Key``: a retried request returns the
case created by the first one.
"""

import datetime as dt
import json
import uuid
from typing import Annotated, Any, Literal

from annotated_types import Interval
from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tongban.core.errors import InvalidInput, NotFound
from tongban.core.params import MAX_PAGE, Id
from tongban.identity.oidc.auth import api_auth
from tongban.identity.selectors import log_case_read

from . import clock, selectors, services
from .access import get_application_for, get_case_for, is_applicant_side
from .models import Application, Case
from .services.revealing import reveal_identifiers

router = Router(tags=["办件"], auth=api_auth)


class ApplicationMaterialOut(Schema):
    requirement_id: int
    name: str
    necessity: str
    uploaded: str | None


class ApplicationOut(Schema):
    id: uuid.UUID
    item_code: str
    item_name: str
    status: str
    step: int
    channel: str
    data: dict
    prefilled: list[str]
    expires_at: dt.datetime
    materials: list[ApplicationMaterialOut]
    case_number: str | None


class ApplicationIn(Schema):
    item_code: str
    enterprise_id: Id | None = None


class DraftIn(Schema):
    data: dict = {}
    step: Annotated[int, Interval(ge=0, le=100)] | None = None


class CaseEventOut(Schema):
    at: dt.datetime
    title: str
    actor: str
    opinion: str
    status: str


class CaseOut(Schema):
    number: str
    item_code: str
    item_name: str
    department: str
    applicant: str
    channel: str
    status: str
    status_label: str
    result: str
    current_step: str
    current_step_title: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    concluded_at: dt.datetime | None
    due_date: dt.date | None
    legal_due: dt.date | None
    promised_due: dt.date | None
    due_estimated: bool
    deadline_colour: str
    version: int


class CaseDetailOut(CaseOut):
    data: dict
    decision_reason: str
    timeline: list[CaseEventOut]
    correction: dict | None


class CasePage(Schema):
    total: int
    page: int
    items: list[CaseOut]


class ReasonIn(Schema):
    reason: str = ""
    expected_version: Id | None = None


class StepIn(Schema):
    action: Literal[
        "claim",
        "release",
        "accept",
        "refuse",
        "request_correction",
        "review",
        "special_start",
        "special_end",
        "forward",
        "decide",
        "conclude",
    ]
    opinion: str = ""
    grant: bool | None = None
    result: str | None = None
    uscc: str = ""
    kind: str = ""
    fields: list[str] = []
    material_ids: list[Id] = []
    expected_version: Id | None = None
    expected_step: str | None = None


def _application_out(application: Application) -> dict[str, Any]:
    uploaded = {a.requirement_id: a.display_name for a in selectors.current_attachments(application)}
    number = selectors.case_number_of(application)
    return {
        "id": application.public_id,
        "item_code": application.item.code,
        "item_name": application.item.name,
        "status": application.status,
        "step": application.step,
        "channel": application.channel,
        "data": application.data,
        "prefilled": sorted(services.prefilled_fields(application)),
        "expires_at": application.expires_at,
        "materials": [
            {"requirement_id": m.pk, "name": m.name, "necessity": m.necessity, "uploaded": uploaded.get(m.pk)}
            for m in application.item.materials.all()
        ],
        "case_number": number,
    }


def _case_out(case: Case, *, staff_view: bool) -> dict[str, Any]:
    return {
        "number": case.number,
        "item_code": case.item.code,
        "item_name": case.item.name,
        "department": case.department.name,
        "applicant": case.applicant_name,
        "channel": case.channel,
        "status": case.status,
        "status_label": case.get_status_display(),
        "result": case.result,
        "current_step": case.current_step,
        "current_step_title": case.current_step_title,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "concluded_at": case.concluded_at,
        "due_date": case.due_date,
        "legal_due": case.legal_due,
        "promised_due": case.promised_due,
        "due_estimated": case.due_estimated,
        "deadline_colour": clock.deadline_colour(case),
        "version": case.version,
    }


@router.post(
    "/applications", response={201: ApplicationOut}, summary="开始申请（生成草稿，自动填入已知信息）"
)
def create_application(request: HttpRequest, payload: ApplicationIn) -> tuple[int, dict]:
    item = selectors.published_item(payload.item_code)
    if item is None:
        raise NotFound("找不到该事项。", field="item_code")
    enterprise = None
    if payload.enterprise_id is not None:
        enterprise = selectors.enterprise(payload.enterprise_id)
        if enterprise is None:
            raise NotFound("找不到该企业。", field="enterprise_id")
    application = services.start_application(user=request.user, item=item, enterprise=enterprise)
    return Status(201, _application_out(application))


@router.get("/applications/{application_id}", response=ApplicationOut, summary="申请草稿")
def get_application(request: HttpRequest, application_id: uuid.UUID) -> dict:
    return _application_out(get_application_for(request.user, application_id))


@router.patch(
    "/applications/{application_id}", response=ApplicationOut, summary="保存草稿（只检查格式，不检查完整）"
)
def save_application(request: HttpRequest, application_id: uuid.UUID, payload: DraftIn) -> dict:
    application = get_application_for(request.user, application_id)
    return _application_out(
        services.save_draft(user=request.user, application=application, data=payload.data, step=payload.step)
    )


@router.post(
    "/applications/{application_id}/materials/{requirement_id}",
    response={201: ApplicationMaterialOut},
    summary="上传申请材料（PDF/JPG/PNG，按内容检查类型）",
)
def upload_material(
    request: HttpRequest, application_id: uuid.UUID, requirement_id: Id, file: File[UploadedFile]
) -> tuple[int, dict]:
    application = get_application_for(request.user, application_id)
    requirement = next(iter(selectors.item_materials(application, [requirement_id])), None)
    if requirement is None:
        raise NotFound("该事项没有这项材料。", field="requirement_id")
    attachment = services.attach_file(
        user=request.user, application=application, requirement=requirement, upload=file
    )
    return Status(
        201,
        {
            "requirement_id": requirement.pk,
            "name": requirement.name,
            "necessity": requirement.necessity,
            "uploaded": attachment.display_name,
        },
    )


@router.post(
    "/applications/{application_id}/submit",
    response={201: CaseOut},
    summary="提交申请（支持 Idempotency-Key 请求头）",
)
def submit_application(request: HttpRequest, application_id: uuid.UUID) -> tuple[int, dict]:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise InvalidInput("Idempotency-Key 不能超过 100 个字符。", field="Idempotency-Key")
    case = services.submit_application(user=request.user, public_id=application_id, idempotency_key=key)
    return Status(201, _case_out(case, staff_view=False))


@router.get("/cases", response=CasePage, summary="我的办件")
def list_my_cases(request: HttpRequest, page: int = Query(1, ge=1, le=MAX_PAGE)) -> dict:
    qs = selectors.my_cases(request.user)
    total = qs.count()
    items = [_case_out(c, staff_view=False) for c in qs[(page - 1) * 20 : page * 20]]
    return {"total": total, "page": page, "items": items}


@router.get("/cases/{number}", response=CaseDetailOut, summary="办件详情与进度")
def get_case(request: HttpRequest, number: str) -> dict:
    case = get_case_for(request.user, number)
    staff_view = not is_applicant_side(request.user, case)
    if staff_view:
        log_case_read(request.user, case, "办理办件", ("申请人信息", "申请表内容"))
    correction = selectors.open_correction(case)
    body = _case_out(case, staff_view=staff_view)
    body.update(
        # Staff see ID and mobile numbers masked; POST …/reveal shows them with a stated purpose.
        data=selectors.masked_data(case) if staff_view else case.data,
        decision_reason=case.decision_reason,
        timeline=[
            {
                "at": e.at,
                "title": e.title,
                "actor": e.actor_label if staff_view else "",
                "opinion": e.opinion,
                "status": e.to_status,
            }
            for e in selectors.timeline(case, staff_view=staff_view)
        ],
        correction=None
        if correction is None
        else {
            "notice": correction.notice,
            "fields": correction.fields,
            "material_ids": [m.pk for m in correction.materials.all()],
        },
    )
    return body


class RevealIn(Schema):
    purpose: str = Field(..., max_length=200, description="查看完整号码的用途，记入数据使用记录，申请人可见")


class RevealOut(Schema):
    fields: dict[str, str]


@router.post(
    "/staff/cases/{number}/reveal",
    response=RevealOut,
    tags=["工作人员"],
    summary="查看完整身份证号码和手机号码（须写明用途，记入数据使用记录）",
)
def reveal(request: HttpRequest, number: str, payload: RevealIn) -> dict:
    case = get_case_for(request.user, number)
    return {"fields": reveal_identifiers(actor=request.user, case=case, purpose=payload.purpose)}


@router.post(
    "/cases/{number}/withdraw",
    response=CaseOut,
    summary="撤回申请",
    openapi_extra={"responses": {409: {"description": "办件已被他人办理或状态已变化，请刷新后重试"}}},
)
def withdraw(request: HttpRequest, number: str, payload: ReasonIn) -> dict:
    case = get_case_for(request.user, number)
    return _case_out(
        services.withdraw_case(user=request.user, case=case, reason=payload.reason), staff_view=False
    )


@router.post("/cases/{number}/correction", response=CaseOut, summary="提交补正（仅限告知中列出的内容与材料）")
def answer_correction(
    request: HttpRequest,
    number: str,
    data: Form[str] = "{}",
    files: File[list[UploadedFile]] = None,
    material_ids: Form[str] = "",
) -> dict:
    case = get_case_for(request.user, number)
    try:
        parsed = json.loads(data or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput("data 必须是 JSON 对象。", field="data") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("data 必须是 JSON 对象。", field="data")
    ids = [int(x) for x in material_ids.split(",") if x.strip().isdigit()]
    uploads = list(files or [])
    if len(ids) != len(uploads):
        raise InvalidInput("material_ids 与上传文件的数量不一致。", field="material_ids")
    case = services.answer_correction(
        user=request.user, case=case, data=parsed, files=dict(zip(ids, uploads, strict=True))
    )
    return _case_out(case, staff_view=False)


@router.get("/staff/queue", response=CasePage, tags=["工作人员"], summary="待办队列")
def queue(
    request: HttpRequest,
    item: Id | None = None,
    status: str | None = None,
    deadline: Literal["red", "yellow", "green", "paused"] | None = None,
    applicant: str | None = None,
    mine: bool = False,
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> dict:
    if status is not None and status not in Case.Status.values:
        raise InvalidInput("状态参数无效。", field="status")
    result = selectors.staff_queue(
        request.user,
        item_id=item,
        status=status,
        deadline=deadline,
        applicant=applicant,
        mine=mine,
        page=page,
    )
    return {
        "total": result.total,
        "page": result.page,
        "items": [_case_out(row.case, staff_view=True) for row in result.rows],
    }


@router.post(
    "/staff/cases/{number}/steps",
    response=CaseOut,
    tags=["工作人员"],
    summary="办理操作",
    openapi_extra={"responses": {409: {"description": "办件已被他人办理或状态已变化，请刷新后重试"}}},
)
def act(request: HttpRequest, number: str, payload: StepIn) -> dict:
    user = request.user
    case = get_case_for(user, number)
    common = {"expected_version": payload.expected_version}
    step = {"expected_step": payload.expected_step, **common}
    match payload.action:
        case "claim":
            case = services.claim_case(actor=user, case=case, **common)
        case "release":
            case = services.release_case(actor=user, case=case)
        case "accept":
            case = services.accept_case(
                actor=user, case=case, opinion=payload.opinion, uscc=payload.uscc, **step
            )
        case "refuse":
            case = services.refuse_case(actor=user, case=case, reason=payload.opinion, **step)
        case "request_correction":
            materials = selectors.item_materials(case, payload.material_ids)
            if len(materials) != len(set(payload.material_ids)):
                raise InvalidInput("所选材料不属于该事项。", field="material_ids")
            services.request_correction(
                actor=user,
                case=case,
                notice=payload.opinion,
                fields=payload.fields,
                materials=materials,
                **step,
            )
        case "review":
            case = services.review_case(actor=user, case=case, opinion=payload.opinion, **step)
        case "special_start":
            case = services.start_special_procedure(
                actor=user, case=case, kind=payload.kind, notice=payload.opinion, **step
            )
        case "special_end":
            case = services.end_special_procedure(actor=user, case=case, outcome=payload.opinion, **common)
        case "forward":
            case = services.forward_case(actor=user, case=case, reason=payload.opinion, **step)
        case "decide":
            if payload.grant is None:
                raise InvalidInput("请选择准予或不予。", field="grant")
            case = services.decide_case(
                actor=user, case=case, grant=payload.grant, reason=payload.opinion, **step
            )
        case "conclude":
            case = services.conclude_case(
                actor=user,
                case=case,
                result=payload.result or "",
                opinion=payload.opinion,
                uscc=payload.uscc,
                **step,
            )
    return _case_out(selectors.case_with_item(case.pk), staff_view=True)


# 一件事 after the submission (the joint case's staff and applicant views, the one correction).
from .joint_api import router as joint_router  # noqa: E402 - mounted under this router

router.add_router("/", joint_router)

# 一件事 applying (one form, one set of materials, one submission) and the list of joint cases.
from .joint_applying_api import router as joint_applying_router  # noqa: E402 - mounted under this router

router.add_router("/", joint_applying_router)
