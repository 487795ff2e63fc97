"""Reads shared by the payment pages and the API."""

import datetime as dt
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum

from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity import permissions

from . import access
from .models import Mismatch, PaymentOrder, Refund


def order_for(user: User | None, public_id: str) -> PaymentOrder:
    order = (
        PaymentOrder.objects.select_related("item", "department", "case", "payer")
        .filter(public_id=public_id)
        .first()
    )
    if order is None:
        raise NotFound()
    access.check_view(user, order)
    return order


def my_orders(user: User) -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.filter(payer=user).select_related("item", "case").order_by("-created_at")


def department_orders(user: User, status: str = "") -> QuerySet[PaymentOrder]:
    orders = PaymentOrder.objects.filter(permissions.department_filter(user)).select_related(
        "item", "department"
    )
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at")


def open_mismatches(user: User) -> QuerySet[Mismatch]:
    """Finance staff see their departments' mismatches and the payments nobody here knows."""
    if not access.is_finance(user):
        return Mismatch.objects.none()
    mine = permissions.department_filter(user, "order__department")
    return (
        Mismatch.objects.filter(resolved_at__isnull=True)
        .filter(mine | Q(order__isnull=True))
        .select_related("statement", "order")
    )


FIGURES_TTL = 300


def region_figures(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict:
    """统一支付's figures for 电子监察 over ``[since, until)``: orders paid and the amount paid
    (by the time of payment), the amount refunded (by the refund's time) and the reconciliation
    mismatches still open (whenever found), for the departments of a region (code prefix, summed
    upwards) or one department. Three aggregates, cached ``FIGURES_TTL``."""
    key = f"payments:figures:{region_code}:{department_id}:{since}:{until}".replace(" ", "T")

    def compute() -> dict:
        scope = _scope_kwargs(region_code, department_id)
        of_order = {f"order__{k}": v for k, v in scope.items()}
        paid = PaymentOrder.objects.filter(paid_at__isnull=False, **scope)
        refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED, **of_order)
        if since is not None:
            paid, refunds = paid.filter(paid_at__gte=since), refunds.filter(created_at__gte=since)
        if until is not None:
            paid, refunds = paid.filter(paid_at__lt=until), refunds.filter(created_at__lt=until)
        totals = paid.aggregate(n=Count("pk"), amount=Sum("amount"))
        return {
            "paid_orders": totals["n"] or 0,
            "paid_amount": totals["amount"] or Decimal("0"),
            "refunded_amount": refunds.aggregate(s=Sum("amount"))["s"] or Decimal("0"),
            "open_mismatches": Mismatch.objects.filter(resolved_at__isnull=True, **of_order).count(),
        }

    return cache.get_or_set(key, compute, FIGURES_TTL)


def _scope_kwargs(region_code: str | None, department_id: int | None) -> dict:
    kwargs: dict = {}
    if region_code:
        kwargs["department__region__code__startswith"] = region_code
    if department_id is not None:
        kwargs["department_id"] = department_id
    return kwargs
