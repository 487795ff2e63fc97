"""Payments: every object URL (the 缴款通知 pages, the staff order page, the API) in the shared
authorization table (tests/identity/test_authorization.py). Owners: the payer, and staff of the
charging department (财务 for refunds). The providers' notifications and Alipay's signed return
are public by design (the signature is the permission) and listed in ``PUBLIC_URLS``."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import FeeItemFactory, PublishedItemFactory
from tests.identity.authorization import ObjectURL, World, api_url, outsiders_test, owner_test
from tongban.payments import services
from tongban.payments.models import PaymentOrder


def _order(w: World, *, paid: bool = False, expired: bool = False) -> PaymentOrder:
    key = f"_payment_order_{paid}_{expired}"
    if key not in w.__dict__:
        item = PublishedItemFactory(department=w.department, is_charged=True, fee_basis="《收费标准》")
        FeeItemFactory(item=item, standard="每件 20 元")
        order = services.create_order(actor=w.intake, item=item, payer=w.citizen)
        if paid:
            services.pay_at_window(actor=w.intake, order=order, voucher="POS-1")
        if expired:
            PaymentOrder.objects.filter(pk=order.pk).update(
                status=PaymentOrder.Status.EXPIRED, expires_at=timezone.now() - dt.timedelta(days=1)
            )
        w.__dict__[key] = PaymentOrder.objects.get(pk=order.pk)
    return w.__dict__[key]


ROWS = [
    ObjectURL(
        "page: payment order",
        "get",
        lambda w: reverse("payments:order", args=[_order(w).public_id]),
        "citizen",
        shows=lambda w: _order(w).payment_code,
    ),
    ObjectURL(
        "page: pay an order online",
        "post",
        lambda w: reverse("payments:pay", args=[_order(w).public_id]),
        "citizen",
        data=lambda w: {"channel": "cash"},  # refused with a message: no channel is started here
        changes=False,
    ),
    ObjectURL(
        "page: reissue an expired order",
        "post",
        lambda w: reverse("payments:reissue", args=[_order(w, expired=True).public_id]),
        "citizen",
    ),
    ObjectURL(
        "page: staff payment order",
        "get",
        lambda w: reverse("payments:staff_order", args=[_order(w).public_id]),
        "staff",
        shows=lambda w: _order(w).payment_code,
    ),
    ObjectURL(
        "page: window payment",
        "post",
        lambda w: reverse("payments:staff_order", args=[_order(w).public_id]),
        "staff",
        data=lambda w: {"action": "window", "voucher": "POS-2"},
    ),
    ObjectURL(
        "api: payment order",
        "get",
        lambda w: api_url(f"/payments/orders/{_order(w).public_id}"),
        "citizen",
        shows=lambda w: _order(w).payment_code,
    ),
    ObjectURL(
        "api: refund",
        "post",
        lambda w: api_url(f"/payments/orders/{_order(w, paid=True).public_id}/refunds"),
        "staff",
        data=lambda w: {"amount": "5", "reason": "多收退还"},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
