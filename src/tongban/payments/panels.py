"""The payment panel on the case pages (``cases.panels``): the 缴款通知 of a charging case,
with the way to pay for the applicant and to the order's page for staff."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from tongban.cases.models import Case
from tongban.cases.panels import CasePanel

from .models import PaymentOrder
from .receipts import receipt_of


def render(request: HttpRequest, case: Case, page: str) -> str:
    if page == "done" or not case.item.is_charged:
        return ""
    from .services import order_for_case

    order = order_for_case(case)
    if order is None:
        return ""
    receipt = receipt_of(order) if order.status == PaymentOrder.Status.PAID and page == "applicant" else None
    return render_to_string(
        "payments/_panel.html", {"order": order, "page": page, "receipt": receipt}, request=request
    )


PANEL = CasePanel(name="payments", render=render)
