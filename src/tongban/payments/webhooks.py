"""Webhooks to department systems: one delivery per endpoint and event, signed with the
endpoint's secret (HMAC-SHA256 of the body), retried on GOV.UK Pay's ladder of 60 s, 5 min,
1 h, 1 day and 2 days, each attempt written to the delivery's log."""

import datetime as dt
import hashlib
import hmac
import json
import logging
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from django.db import transaction
from django.utils import timezone

from .models import PaymentOrder, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
LADDER = (
    dt.timedelta(seconds=60),
    dt.timedelta(minutes=5),
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=2),
)


def payload(order: PaymentOrder, event: str, extra: dict | None = None) -> dict:
    return {
        "event": event,
        "order": order.number,
        "payment_code": order.payment_code,
        "item": order.item.code if order.item_id else "",
        "case": order.case.number if order.case_id else "",
        "amount": str(order.amount),
        "refunded": str(order.refunded_amount),
        "status": order.status,
        "channel": order.channel,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "settlement_date": order.settlement_date.isoformat() if order.settlement_date else None,
        **(extra or {}),
    }


def enqueue(order: PaymentOrder, event: str, extra: dict | None = None) -> int:
    """Inside the caller's transaction (before its audit append): one pending delivery per
    active endpoint of the order's department; sent after commit."""
    endpoints = list(WebhookEndpoint.objects.filter(department_id=order.department_id, is_active=True))
    if not endpoints:
        return 0
    body = payload(order, event, extra)
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, payload=body, next_attempt_at=now) for e in endpoints]
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _queue(ids))
    return len(rows)


def _queue(ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for pk in ids:
        try:
            deliver_webhook.enqueue(pk)
        except Exception:
            logger.exception("could not queue webhook %s; the periodic sweep sends it", pk)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, signature: str) -> int:
    request = Request(  # noqa: S310 (an http(s) address staff configured)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Tongban-Signature": f"sha256={signature}"},
    )
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 (configured by staff)
            return response.status
    except HTTPError as exc:
        return exc.code


def attempt(delivery_id: int, *, send=post) -> str:
    """One try of a due delivery; the next try waits for the ladder's next rung."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None or delivery.next_attempt_at > timezone.now():
            return "skipped"
        body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
        try:
            code = send(delivery.endpoint.url, body, sign(delivery.endpoint.secret, body))
            error = "" if 200 <= code < 300 else f"HTTP {code}"
        except OSError as exc:
            code, error = 0, str(exc)[:200]
        now = timezone.now()
        delivery.attempts += 1
        delivery.log = [*delivery.log, {"at": now.isoformat(), "status": code, "error": error}]
        if not error:
            delivery.status = WebhookDelivery.Status.DELIVERED
        elif delivery.attempts > len(LADDER):
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + LADDER[delivery.attempts - 1]
        delivery.save(update_fields=["attempts", "log", "status", "next_attempt_at"])
        return delivery.status


def deliver_due() -> int:
    """Every delivery whose time has come (a tick duty, for retries and lost queue entries)."""
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:200]
    return sum(1 for pk in list(due) if attempt(pk) != "skipped")
