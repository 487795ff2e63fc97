"""一件事 applying through the JSON API, with the pages' services and permissions: start a joint
application after the guidance answers, save the merged form, upload a material once for every
item that asks for it, submit once (``Idempotency-Key``: a retried request returns the joint case
of the first), and list the applicant's joint cases. A joint case itself is read at
``GET /joint-cases/{number}`` (``joint_api``)."""

import datetime as dt
import uuid
from typing import Annotated, Any

from annotated_types import Interval
from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tongban.catalog.bundles import get_bundle
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.params import MAX_PAGE, Id
from tongban.identity.oidc.auth import api_auth

from . import joint_access, selectors
from .joint_api import JointCaseOut, _out
from .models import JointApplication, JointCase
from .services import joint_applying as services

router = Router(tags=["一件事"], auth=api_auth)


class JointApplicationIn(Schema):
    bundle: str  # the bundle's slug
    answers: dict[str, bool | str] = {}  # guidance question id (or "q<id>") -> yes/no
    region_code: str | None = None
    enterprise_id: Id | None = None


class JointDraftIn(Schema):
    data: dict = {}
    step: Annotated[int, Interval(ge=0, le=100)] | None = None


class JointItemOut(Schema):
    item_code: str
    item_name: str
    department: str


class JointMaterialOut(Schema):
    code: str
    name: str
    items: list[str]
    uploaded: str | None
    provided: bool


class JointApplicationOut(Schema):
    id: uuid.UUID
    bundle: str
    bundle_name: str
    status: str
    step: int
    items: list[JointItemOut]
    form_schema: dict  # the merged form (JSON Schema): a field several items ask for, once
    data: dict
    prefilled: list[str]
    expires_at: dt.datetime
    materials: list[JointMaterialOut]
    joint_case_number: str | None


class JointCaseChildSummaryOut(Schema):
    number: str
    item_name: str
    status: str


class JointCaseSummaryOut(Schema):
    number: str
    bundle: str
    status: str
    status_label: str
    joint_due: dt.date | None
    submitted_at: dt.datetime
    children: list[JointCaseChildSummaryOut]


class JointCasePage(Schema):
    count: int
    results: list[JointCaseSummaryOut]


def _application_out(joint: JointApplication) -> dict[str, Any]:
    children = services.children_of(joint)
    form = services.joint_form(children)
    case = JointCase.objects.filter(joint_application=joint).only("number").first()
    return {
        "id": joint.public_id,
        "bundle": joint.bundle.slug,
        "bundle_name": joint.bundle.name,
        "status": joint.status,
        "step": joint.step,
        "items": [
            {"item_code": c.item.code, "item_name": c.item.name, "department": c.item.department.name}
            for c in children
        ],
        "form_schema": form.schema,
        "data": joint.data,
        "prefilled": sorted(services.prefilled_merged_fields(children, form)),
        "expires_at": joint.expires_at,
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "items": [c.item.name for c, _r in m.needs],
                "uploaded": m.attachment.display_name if m.attachment else None,
                "provided": m.provided,
            }
            for m in services.joint_materials(children)
        ],
        "joint_case_number": case.number if case else None,
    }


def _joint_case_out(request: HttpRequest, joint: JointCase) -> dict:
    made = getattr(joint, "made", None)
    if made is not None:  # just split: the children and their lines as the submission made them
        view = joint_access.JointView(
            joint,
            False,
            [joint_access.ChildRow(case, False, True, "none", None) for case, _event in made],
            joint_access.joint_colour(joint),
        )
        events = sorted((e for _case, e in made if e.public), key=lambda e: (e.at, e.pk))
        return _out(view, events, staff=False, own_ids=set())
    view = joint_access.applicant_view(joint)
    return _out(view, joint_access.timeline(joint, request.user, staff=False), staff=False, own_ids=set())


@router.post(
    "/joint-applications", response={201: JointApplicationOut}, summary="开始一件事申请（按情形引导的回答）"
)
def create_joint_application(request: HttpRequest, payload: JointApplicationIn) -> tuple[int, dict]:
    try:
        bundle = get_bundle(payload.bundle)
    except NotFound as exc:
        raise NotFound("找不到该“一件事”。", field="bundle") from exc
    enterprise = None
    if payload.enterprise_id is not None:
        enterprise = selectors.enterprise(payload.enterprise_id)
        if enterprise is None:
            raise NotFound("找不到该企业。", field="enterprise_id")
    joint = services.start_joint_application(
        user=request.user,
        bundle=bundle,
        answers=payload.answers,
        region_code=payload.region_code,
        enterprise=enterprise,
    )
    return Status(201, _application_out(joint))


@router.get("/joint-applications/{application_id}", response=JointApplicationOut, summary="一件事申请草稿")
def get_joint_application(request: HttpRequest, application_id: uuid.UUID) -> dict:
    return _application_out(services.get_joint_application_for(request.user, application_id))


@router.patch(
    "/joint-applications/{application_id}",
    response=JointApplicationOut,
    summary="保存一件事草稿（一张表，同一内容只填一次）",
)
def save_joint_application(request: HttpRequest, application_id: uuid.UUID, payload: JointDraftIn) -> dict:
    joint = services.get_joint_application_for(request.user, application_id)
    return _application_out(
        services.save_joint_draft(user=request.user, joint=joint, data=payload.data, step=payload.step)
    )


@router.post(
    "/joint-applications/{application_id}/materials/{code}",
    response={201: JointMaterialOut},
    summary="上传一件事材料（一次上传，供每个需要它的事项使用）",
)
def upload_joint_material(
    request: HttpRequest, application_id: uuid.UUID, code: str, file: File[UploadedFile]
) -> tuple[int, dict]:
    joint = services.get_joint_application_for(request.user, application_id)
    attached = services.attach_joint_file(user=request.user, joint=joint, code=code, upload=file)
    row = next(m for m in services.joint_materials(services.children_of(joint)) if m.code == code)
    return Status(
        201,
        {
            "code": code,
            "name": row.name,
            "items": [c.item.name for c, _r in row.needs],
            "uploaded": attached[0].display_name,
            "provided": row.provided,
        },
    )


@router.post(
    "/joint-applications/{application_id}/submit",
    response={201: JointCaseOut},
    summary="提交一件事申请（生成联办件和各事项办件；支持 Idempotency-Key 请求头）",
)
def submit_joint_application(request: HttpRequest, application_id: uuid.UUID) -> tuple[int, dict]:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise InvalidInput("Idempotency-Key 不能超过 100 个字符。", field="Idempotency-Key")
    joint = services.submit_joint_application(
        user=request.user, public_id=application_id, idempotency_key=key
    )
    return Status(201, _joint_case_out(request, joint))


@router.get("/joint-cases", response=JointCasePage, summary="我的联办件")
def list_my_joint_cases(request: HttpRequest, page: int = Query(1, ge=1, le=MAX_PAGE)) -> dict:
    cases = services.my_joint_cases(request.user)
    rows = cases[(page - 1) * 20 : page * 20]
    return {
        "count": cases.count(),
        "results": [
            {
                "number": j.number,
                "bundle": j.bundle.name,
                "status": j.status,
                "status_label": j.get_status_display(),
                "joint_due": j.joint_due,
                "submitted_at": j.submitted_at,
                "children": [
                    {"number": c.number, "item_name": c.item.name, "status": c.status}
                    for c in j.children.all()
                ],
            }
            for j in rows
        ],
    }
