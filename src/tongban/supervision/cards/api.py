"""黄牌红牌 and 督办 through the JSON API: the same selectors, services and permissions as the pages
(supervisors of the region; the department's 审核/决定 staff for answers)."""

from django.http import HttpRequest
from ninja import Router, Schema

from tongban.identity.oidc.auth import api_auth

from . import selectors, services
from .models import Card

router = Router(tags=["电子监察：黄牌红牌与督办"], auth=api_auth)


class SupervisionAnswerOut(Schema):
    measures: str
    answered_at: str
    verdict: str
    review_opinion: str


class CardOut(Schema):
    id: int
    case: str
    department: str
    trigger: str
    trigger_label: str
    colour: str
    status: str
    detail: str
    raised_at: str
    upgraded_at: str | None
    order_due: str | None
    order_instruction: str | None
    escalated_at: str | None
    answers: list[SupervisionAnswerOut] = []


class OrderIn(Schema):
    instruction: str
    workdays: int


class AnswerIn(Schema):
    measures: str


class ReviewIn(Schema):
    accept: bool
    opinion: str = ""
    workdays: int | None = None


def _out(card: Card, with_answers: bool = False) -> dict:
    order = card.order if hasattr(card, "order") else None
    return {
        "id": card.pk,
        "case": card.case.number,
        "department": card.department.name,
        "trigger": card.trigger,
        "trigger_label": card.get_trigger_display(),
        "colour": card.colour,
        "status": card.status,
        "detail": card.detail,
        "raised_at": card.raised_at.isoformat(),
        "upgraded_at": card.upgraded_at.isoformat() if card.upgraded_at else None,
        "order_due": order.due.isoformat() if order else None,
        "order_instruction": order.instruction if order else None,
        "escalated_at": order.escalated_at.isoformat() if order and order.escalated_at else None,
        "answers": [
            {
                "measures": a.measures,
                "answered_at": a.answered_at.isoformat(),
                "verdict": a.verdict,
                "review_opinion": a.review_opinion,
            }
            for a in selectors.answers_of(card)
        ]
        if with_answers
        else [],
    }


@router.get("/supervision/cards", response=list[CardOut], summary="黄牌红牌列表（本区划或本部门）")
def list_cards(
    request: HttpRequest,
    status: str = "",
    colour: str = "",
    trigger: str = "",
    open_only: bool = True,
    limit: int = 100,
) -> list[dict]:
    cards = selectors.cards_for(
        request.user, status=status, colour=colour, trigger=trigger, open_only=open_only
    )
    return [_out(card) for card in cards[: max(1, min(limit, 500))]]


@router.get("/supervision/cards/{card_id}", response=CardOut, summary="黄牌红牌详情")
def get_card(request: HttpRequest, card_id: int) -> dict:
    return _out(selectors.card_for(request.user, card_id), with_answers=True)


def _fresh(request: HttpRequest, card_id: int) -> dict:
    return _out(selectors.card_for(request.user, card_id), with_answers=True)


@router.post("/supervision/cards/{card_id}/order", response=CardOut, summary="督办（监察）")
def issue_order(request: HttpRequest, card_id: int, payload: OrderIn) -> dict:
    card = selectors.card_for(request.user, card_id)
    services.issue_order(
        actor=request.user, card=card, instruction=payload.instruction, workdays=payload.workdays
    )
    return _fresh(request, card_id)


@router.post(
    "/supervision/cards/{card_id}/answer", response=CardOut, summary="答复督办（承办部门审核、决定人员）"
)
def answer(request: HttpRequest, card_id: int, payload: AnswerIn) -> dict:
    card = selectors.card_for(request.user, card_id)
    services.answer_order(actor=request.user, card=card, measures=payload.measures)
    return _fresh(request, card_id)


@router.post(
    "/supervision/cards/{card_id}/review", response=CardOut, summary="审核答复：认可办结或退回（监察）"
)
def review(request: HttpRequest, card_id: int, payload: ReviewIn) -> dict:
    card = selectors.card_for(request.user, card_id)
    services.review_answer(
        actor=request.user,
        card=card,
        accept=payload.accept,
        opinion=payload.opinion,
        workdays=payload.workdays,
    )
    return _fresh(request, card_id)
