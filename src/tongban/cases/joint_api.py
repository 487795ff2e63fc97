"""A joint case (联办件) after its submission through the JSON API, with the pages' permissions
(``joint_access``): the staff view (the lead sees every child's status and deadline, other
departments see other children as status only), the applicant's view with the combined
notices and the public timeline, and the one answer to a combined correction notice."""

import datetime as dt
import json

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from tongban.core.errors import InvalidInput
from tongban.identity.oidc.auth import api_auth

from . import joint_access
from .joint_access import JointView
from .services import joint_processing

router = Router(tags=["一件事"], auth=api_auth)


class JointChildOut(Schema):
    item_name: str
    department: str
    essential: bool
    status: str
    status_label: str
    # Only for the child's own department and the lead (staff), or the applicant side.
    number: str | None = None
    current_step: str | None = None
    deadline: str | None = None
    due_date: dt.date | None = None
    result: str | None = None
    released: bool | None = None


class JointEventOut(Schema):
    at: dt.datetime
    number: str
    item_name: str
    title: str
    opinion: str


class JointNoticeOut(Schema):
    kind: str
    on_date: dt.date
    payload: dict
    answered: bool


class JointCaseOut(Schema):
    number: str
    bundle: str
    status: str
    status_label: str
    lead_department: str | None
    lead: bool
    joint_due: dt.date | None
    deadline: str
    released_at: dt.datetime | None
    children: list[JointChildOut]
    notices: list[JointNoticeOut]
    timeline: list[JointEventOut]


def _out(view: JointView, events, *, staff: bool, own_ids: set[int]) -> dict:
    joint = view.joint
    children = []
    for row in view.rows:
        case = row.case
        child = {
            "item_name": case.item.name,
            "department": case.department.name,
            "essential": case.essential,
            "status": case.status,
            "status_label": case.get_status_display(),
        }
        if staff and row.detailed:
            child |= {
                "number": case.number,
                "current_step": case.current_step_title if case.is_open else "",
                "deadline": row.colour,
                "due_date": row.due,
                "result": case.result,
            }
        elif not staff:
            released = case.released_at is not None
            child |= {"number": case.number, "released": released, "result": case.result if released else ""}
        children.append(child)
    return {
        "number": joint.number,
        "bundle": joint.bundle.name,
        "status": joint.status,
        "status_label": joint.get_status_display(),
        "lead_department": joint.lead_department.name if joint.lead_department_id else None,
        "lead": view.lead,
        "joint_due": joint.joint_due,
        "deadline": view.colour,
        "released_at": joint.released_at,
        "children": children,
        "notices": [
            {
                "kind": n.kind,
                "on_date": n.on_date,
                "payload": n.payload,
                "answered": n.answered_at is not None,
            }
            for n in view.notices
        ],
        "timeline": [
            {
                "at": e.at,
                "number": e.case.number,
                "item_name": e.case.item.name,
                "title": e.title,
                "opinion": e.opinion if (e.case_id in own_ids if staff else e.public) else "",
            }
            for e in events
        ],
    }


@router.get(
    "/staff/joint-cases/{number}",
    response=JointCaseOut,
    tags=["工作人员"],
    summary="联办件（牵头部门与参与部门）",
)
def staff_joint_case(request: HttpRequest, number: str) -> dict:
    joint = joint_access.get_joint_for_staff(request.user, number)
    view = joint_access.staff_view(request.user, joint)
    if view.lead:
        view.notices = list(joint.notices.order_by("-created_at", "-pk"))
    own = {r.case.pk for r in view.rows if r.own}
    events = joint_access.timeline(joint, request.user, staff=True)
    return _out(view, events, staff=True, own_ids=own)


@router.get("/joint-cases/{number}", response=JointCaseOut, summary="我的联办件：各事项状态、通知与进度")
def my_joint_case(request: HttpRequest, number: str) -> dict:
    joint = joint_access.get_joint_for_applicant(request.user, number)
    view = joint_access.applicant_view(joint)
    return _out(view, joint_access.timeline(joint, request.user, staff=False), staff=False, own_ids=set())


@router.post(
    "/joint-cases/{number}/correction",
    response=JointCaseOut,
    summary="一次补正：答复合并补正告知（仅限告知中列出的内容与材料）",
)
def answer_joint_correction(
    request: HttpRequest,
    number: str,
    data: Form[str] = "{}",
    files: File[list[UploadedFile]] = None,
    material_ids: Form[str] = "",
) -> dict:
    joint = joint_access.get_joint_for_applicant(request.user, number)
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
    joint_processing.answer_joint_correction(
        user=request.user, joint=joint, data=parsed, files=dict(zip(ids, uploads, strict=True))
    )
    joint.refresh_from_db()
    view = joint_access.applicant_view(joint)
    return _out(view, joint_access.timeline(joint, request.user, staff=False), staff=False, own_ids=set())
