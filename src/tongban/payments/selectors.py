"""Reads shared by the payment pages and the API."""

from django.db.models import Q, QuerySet

from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity import permissions

from . import access
from .models import Mismatch, PaymentOrder


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
