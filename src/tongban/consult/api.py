"""咨询投诉 in the JSON API: ask the assistant (public), submit a request, follow it and rate
its answer (signed in). Client systems without an account use Open311 (``open311``)."""

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound
from tongban.identity.oidc.auth import api_auth

from . import access, assistant, selectors, services
from .models import Category, Petition

router = Router(tags=["咨询投诉"])


class AskIn(Schema):
    q: str
    region: str = ""


class AnswerOut(Schema):
    outcome: str
    text: str
    item_code: str | None
    item_name: str | None
    section: str
    section_label: str
    link: str
    lines: list[str]
    choices: list[str]


class PetitionIn(Schema):
    kind: str
    title: str
    body: str
    category: str = ""
    item: str = ""
    case: str = ""
    region: str = ""
    address: str = ""
    anonymous: bool = False


class PetitionOut(Schema):
    number: str
    kind: str
    status: str
    status_label: str
    title: str
    department: str | None
    due_date: dt.date | None
    answer: str
    satisfaction: str
    created_at: dt.datetime


class RateIn(Schema):
    satisfaction: str
    comment: str = ""


class RateOut(Schema):
    outcome: str
    petition: PetitionOut


def _out(p: Petition) -> dict:
    return {
        "number": p.number,
        "kind": p.kind,
        "status": p.status,
        "status_label": p.get_status_display(),
        "title": p.title,
        "department": p.department.name if p.department else None,
        "due_date": p.due_date,
        "answer": p.answer,
        "satisfaction": p.satisfaction,
        "created_at": p.created_at,
    }


@router.get("/consult/ask", response=AnswerOut, summary="智能客服：从办事指南回答问题")
def ask(request: HttpRequest, params: Query[AskIn]) -> dict:
    reply = assistant.answer(params.q, region_code=params.region or None)
    return {
        "outcome": reply.outcome,
        "text": reply.text,
        "item_code": reply.item.code if reply.item else None,
        "item_name": reply.item.name if reply.item else None,
        "section": reply.section,
        "section_label": reply.section_label,
        "link": reply.link,
        "lines": reply.lines,
        "choices": [c.label for c in reply.choices],
    }


@router.post("/consult/requests", response={201: PetitionOut}, auth=api_auth, summary="提交诉求")
def submit(request: HttpRequest, payload: PetitionIn) -> Status:
    case = None
    if payload.case:
        from tongban.cases.access import get_case_for

        case = get_case_for(request.user, payload.case)
    petition = services.submit(
        user=request.user,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        channel=Petition.Channel.API,
        category=Category.objects.filter(code=payload.category, active=True).first()
        if payload.category
        else None,
        item=ServiceItem.objects.filter(code=payload.item).first() if payload.item else None,
        case=case,
        region_code=payload.region,
        address=payload.address,
        anonymous=payload.anonymous,
    )
    return Status(201, _out(petition))


@router.get("/consult/requests", response=list[PetitionOut], auth=api_auth, summary="我的诉求")
def mine(request: HttpRequest) -> list[dict]:
    return [_out(p) for p in selectors.my_petitions(request.user)[:100]]


def _own(request: HttpRequest, number: str) -> Petition:
    petition = selectors.petition_for(request.user, number)
    if not access.is_requester(request.user, petition):
        raise NotFound()
    return petition


@router.get("/consult/requests/{number}", response=PetitionOut, auth=api_auth, summary="诉求进度")
def detail(request: HttpRequest, number: str) -> dict:
    return _out(_own(request, number))


@router.post("/consult/requests/{number}/rating", response=RateOut, auth=api_auth, summary="评价答复")
def rate(request: HttpRequest, number: str, payload: RateIn) -> dict:
    petition = _own(request, number)
    outcome = services.rate(
        user=request.user, petition=petition, satisfaction=payload.satisfaction, comment=payload.comment
    )
    return {"outcome": outcome, "petition": _out(selectors.by_number(number))}
