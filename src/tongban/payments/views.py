"""Pages: the 缴款通知 (pay online or see how to pay at the window), the provider callbacks,
and the staff pages (window payment, refunds, reconciliation)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tongban.cases.access import refusal
from tongban.core.errors import ServiceError
from tongban.core.qr import qr_svg
from tongban.identity.views import staff_required

from . import access, reconciliation, selectors, services
from . import figures as pay_figures
from .models import Mismatch, PaymentOrder
from .receipts import receipt_of


def _order_context(request: HttpRequest, order: PaymentOrder) -> dict:
    page = request.build_absolute_uri(reverse("payments:order", args=[order.public_id]))
    return {
        "order": order,
        "qr": qr_svg(page, _("缴款通知二维码：扫码打开本缴款单")),
        "receipt": receipt_of(order) if order.status == PaymentOrder.Status.PAID else None,
        "is_payer": access.is_payer(request.user, order),
        "refunds": order.refunds.all(),
    }


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/mine.html", {"orders": selectors.my_orders(request.user)[:50]})


@login_required
def order(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.order_for(request.user, public_id)
    return render(request, "payments/order.html", _order_context(request, found))


@login_required
@require_POST
def pay(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.order_for(request.user, public_id)
    channel = request.POST.get("channel", "")
    back = request.build_absolute_uri(reverse("payments:returned", args=[found.public_id]))
    try:
        target = services.start_online(
            user=request.user,
            order=found,
            channel=channel,
            notify_url=request.build_absolute_uri(reverse("payments:notify", args=[channel])),
            return_url=back,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("payments:order", found.public_id)
    context = _order_context(request, found)
    if channel == "alipay":
        # A link, not a redirect: the pages' CSP (form-action 'self') stops a form's redirect
        # to another site, and the payer should see where they are going anyway.
        context["cashier_url"] = target
        return render(request, "payments/alipay.html", context)
    context.update({"code_url": target, "code_qr": qr_svg(target, _("微信支付二维码：用微信扫码付款"))})
    return render(request, "payments/wechat.html", context)


@login_required
@require_POST
def reissue(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.order_for(request.user, public_id)
    fresh = services.reissue_order(user=request.user, order=found)
    messages.success(request, _("已重新生成缴款通知。"))
    return redirect("payments:order", fresh.public_id)


def returned(request: HttpRequest, public_id: str) -> HttpResponse:
    """Alipay brings the payer back with signed parameters: credited if the notice is late."""
    services.receive_alipay_return(request.GET.dict())
    return redirect("payments:order", public_id)


@csrf_exempt
@require_POST
def notify(request: HttpRequest, channel: str) -> HttpResponse:
    """The providers' server-to-server notifications; the SDKs verify them."""
    headers = {k: v for k, v in request.headers.items()}
    status, content_type, body = services.receive_callback(
        channel, headers, request.body, request.POST.dict()
    )
    return HttpResponse(body, status=status, content_type=content_type)


# ---------------------------------------------------------------- staff


@staff_required
def manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in PaymentOrder.Status.values:
        status = ""
    return render(
        request,
        "payments/manage.html",
        {
            "orders": selectors.department_orders(request.user, status)[:100],
            "status": status,
            "statuses": PaymentOrder.Status.choices,
            "is_finance": access.is_finance(request.user),
        },
    )


@staff_required
def staff_order(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.order_for(request.user, public_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "window":
                services.pay_at_window(
                    actor=request.user, order=found, voucher=request.POST.get("voucher", "")
                )
                messages.success(request, _("已登记窗口缴款。"))
            else:
                services.refund(
                    actor=request.user,
                    order=found,
                    amount=request.POST.get("amount", ""),
                    reason=request.POST.get("reason", ""),
                    idempotency_key=request.POST.get("key") or None,
                )
                messages.success(request, _("退款已完成。"))
            return redirect("payments:staff_order", found.public_id)
        except ServiceError as exc:
            messages.error(request, exc.message)
    context = _order_context(request, found)
    context.update(
        {
            "can_window": access.can_view(request.user, found)
            and found.status != PaymentOrder.Status.PAID
            and refusal(access.check_window, request.user, found) is None,
            "can_refund": found.status == PaymentOrder.Status.PAID
            and refusal(access.check_finance, request.user, found) is None,
        }
    )
    return render(request, "payments/staff_order.html", context)


@staff_required
def mismatches(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        found = get_object_or_404(selectors.open_mismatches(request.user), pk=request.POST.get("mismatch"))
        try:
            reconciliation.resolve(actor=request.user, mismatch=found, note=request.POST.get("note", ""))
            messages.success(request, _("已标记为已处理。"))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("payments:mismatches")
    return render(
        request,
        "payments/mismatches.html",
        {"mismatches": selectors.open_mismatches(request.user)[:200], "kinds": Mismatch.Kind},
    )


@staff_required
def figures(request: HttpRequest) -> HttpResponse:
    """缴费统计 for supervisors (their region) and 财务 staff (their department); this month by default."""
    pay_figures.check_see_figures(request.user)
    form = pay_figures.PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "payments/figures.html", {"form": form, "f": None}, status=400)
    period = form.cleaned_data
    result = pay_figures.payment_figures(request.user, period["start"], period["end"])
    return render(request, "payments/figures.html", {"form": form, "f": result})
