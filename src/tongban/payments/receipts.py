"""电子票据 of paid orders, into the payer's wallet (through the certificates services)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongban.certificates.models import Certificate
from tongban.certificates.services import issue_receipt

from .models import PaymentOrder


def receipt_of(order: PaymentOrder) -> Certificate | None:
    return (
        Certificate.objects.filter(origin=Certificate.Origin.RECEIPT, fields__order_number=order.number)
        .order_by("pk")
        .first()
    )


def issue_for_order(order_id: int) -> Certificate | None:
    """Issue the receipt of a paid order once (the order row lock makes a second run wait and
    then find it)."""
    with transaction.atomic():
        order = (
            PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("department", "payer")
            .filter(pk=order_id, status=PaymentOrder.Status.PAID)
            .first()
        )
        if order is None or order.payer is None:
            return None
        existing = receipt_of(order)
        if existing is not None:
            return existing
        return issue_receipt(
            department=order.department,
            payer=order.payer,
            holder_name=order.payer_name,
            fields={
                "payment_code": order.payment_code,
                "order_number": order.number,
                "payer": order.payer_name,
                "subject": order.subject,
                "amount": f"{order.amount:.2f}",
                "channel": order.get_channel_display(),
                "paid_at": timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M")
                if order.paid_at
                else "",
                "collector": order.department.name,
            },
        )


def issue_missing(days: int = 30) -> int:
    """The periodic sweep: paid orders of the last ``days`` days without their receipt."""
    since = timezone.now() - dt.timedelta(days=days)
    count = 0
    for pk in PaymentOrder.objects.filter(
        status=PaymentOrder.Status.PAID, paid_at__gte=since, payer__isnull=False
    ).values_list("pk", flat=True):
        order = PaymentOrder.objects.only("number").get(pk=pk)
        if receipt_of(order) is None and issue_for_order(pk) is not None:
            count += 1
    return count
