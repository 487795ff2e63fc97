"""Payments through the JSON API (the same services and permissions as the pages).

Every creating call honours ``Idempotency-Key``: a retried ``POST /payments/orders`` returns the
order the first one created, a retried refund the first refund (GOV.UK Pay's model).
"""

import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Router, Schema, Status

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, NotFound
from tongban.identity.oidc.auth import api_auth

from . import selectors, services
from .models import PaymentOrder, Refund

router = Router(tags=["统一支付"], auth=api_auth)


class PaymentOrderIn(Schema):
    item_code: str
    payer_id: int


class PaymentRefundIn(Schema):
    amount: Decimal
    reason: str


class PaymentOrderOut(Schema):
    id: uuid.UUID
    number: str
    payment_code: str
    case: str | None
    item_code: str
    subject: str
    amount: Decimal
    refunded_amount: Decimal
    status: str
    channel: str
    paid_at: str | None
    settlement_date: str | None
    expires_at: str


class PaymentRefundOut(Schema):
    number: str
    order: str
    amount: Decimal
    status: str


def _key(request: HttpRequest) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key and len(key) > 100:
        raise InvalidInput("Idempotency-Key 不能超过 100 个字符。", field="Idempotency-Key")
    return key


def _order_out(order: PaymentOrder) -> dict:
    return {
        "id": order.public_id,
        "number": order.number,
        "payment_code": order.payment_code,
        "case": order.case.number if order.case_id else None,
        "item_code": order.item.code,
        "subject": order.subject,
        "amount": order.amount,
        "refunded_amount": order.refunded_amount,
        "status": order.status,
        "channel": order.channel,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "settlement_date": order.settlement_date.isoformat() if order.settlement_date else None,
        "expires_at": order.expires_at.isoformat(),
    }


@router.post(
    "/payments/orders", response={201: PaymentOrderOut}, summary="生成缴款单（支持 Idempotency-Key 请求头）"
)
def create_order(request: HttpRequest, payload: PaymentOrderIn) -> tuple[int, dict]:
    item = ServiceItem.objects.filter(code=payload.item_code, status=ServiceItem.Status.PUBLISHED).first()
    payer = get_user_model().objects.filter(pk=payload.payer_id, kind="citizen").first()
    if item is None:
        raise NotFound("找不到该事项。", field="item_code")
    if payer is None:
        raise NotFound("找不到该缴款人。", field="payer_id")
    order = services.create_order(actor=request.user, item=item, payer=payer, idempotency_key=_key(request))
    return Status(201, _order_out(order))


@router.get("/payments/orders/{order_id}", response=PaymentOrderOut, summary="缴款单")
def get_order(request: HttpRequest, order_id: uuid.UUID) -> dict:
    return _order_out(selectors.order_for(request.user, str(order_id)))


@router.post(
    "/payments/orders/{order_id}/refunds",
    response={201: PaymentRefundOut},
    summary="退款（支持 Idempotency-Key 请求头）",
)
def refund(request: HttpRequest, order_id: uuid.UUID, payload: PaymentRefundIn) -> tuple[int, dict]:
    order = selectors.order_for(request.user, str(order_id))
    made: Refund = services.refund(
        actor=request.user,
        order=order,
        amount=payload.amount,
        reason=payload.reason,
        idempotency_key=_key(request),
    )
    return Status(
        201, {"number": made.number, "order": order.number, "amount": made.amount, "status": made.status}
    )
