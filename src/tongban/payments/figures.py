"""缴费统计 for supervision: amounts paid by item and by department, refunds, orders still open
or expired, and reconciliation mismatches, for a period and the viewer's scope.

Supervisors see their region's departments (``permissions.supervised_region_codes``, as the
appointments and ratings figures do); 财务 staff see only the departments where they hold that role."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Mismatch, PaymentOrder, Refund

MAX_DAYS = 366
ZERO = Decimal("0.00")


class PeriodForm(forms.Form):
    """The page's from/to filter; both optional, default this month up to today."""

    start = forms.DateField(
        label=_("开始日期"),
        required=False,
        error_messages={"invalid": _("开始日期格式不正确，请按“2026-01-31”填写。")},
    )
    end = forms.DateField(
        label=_("结束日期"),
        required=False,
        error_messages={"invalid": _("结束日期格式不正确，请按“2026-01-31”填写。")},
    )

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end.replace(day=1)
        if start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("统计期间最长 366 天，请缩短日期范围。"))
        data["start"], data["end"] = start, end
        return data


def money(value: Decimal | None) -> Decimal:
    """Yuan to the fen: SQLite's SUM drops trailing zeros, PostgreSQL's keeps them."""
    return (value or ZERO).quantize(Decimal("0.01"))


@dataclass
class Line:
    label: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class PaymentFigures:
    start: dt.date
    end: dt.date
    departments: list[Department]
    paid: Line
    refunds: Line
    by_item: list[Line] = field(default_factory=list)
    by_department: list[Line] = field(default_factory=list)
    refund_list: list[Refund] = field(default_factory=list)
    outstanding: int = 0
    expired: int = 0
    mismatches_open: int = 0
    mismatches_resolved: int = 0
    unattributed_open: int = 0

    @property
    def net(self) -> Decimal:
        return self.paid.amount - self.refunds.amount


def scope(user: User | None) -> QuerySet[Department]:
    """Departments whose payment figures ``user`` may see; none means the page does not exist."""
    own_finance = [m.department_id for m in permissions.memberships(user) if m.role == StaffRole.FINANCE]
    query = Q(pk__in=own_finance)
    for code in permissions.supervised_region_codes(user):
        query |= Q(region__code__startswith=code)
    if not own_finance and not permissions.supervised_region_codes(user):
        return Department.objects.none()
    return Department.objects.filter(query).order_by("name")


def check_see_figures(user: User | None) -> None:
    if not scope(user).exists():
        raise NotFound()


def payment_figures(user: User | None, start: dt.date, end: dt.date) -> PaymentFigures:
    """The figures for ``start``..``end`` (local dates, inclusive) over ``scope(user)``."""
    departments = list(scope(user))
    if not departments:
        raise NotFound()
    orders = PaymentOrder.objects.filter(department__in=departments)
    paid = orders.filter(status=PaymentOrder.Status.PAID, paid_at__date__range=(start, end))
    by_item = [
        Line(row["item__name"], row["n"], money(row["total"]))
        for row in paid.values("item_id", "item__name")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("-total", "item__name")
    ]
    by_department = [
        Line(row["department__name"], row["n"], money(row["total"]))
        for row in paid.values("department_id", "department__name")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("-total", "department__name")
    ]
    totals = paid.aggregate(n=Count("pk"), total=Sum("amount"))
    refunds = Refund.objects.filter(
        order__department__in=departments,
        status=Refund.Status.SUCCEEDED,
        created_at__date__range=(start, end),
    )
    refund_totals = refunds.aggregate(n=Count("pk"), total=Sum("amount"))
    mismatches = Mismatch.objects.filter(
        order__department__in=departments, statement__bill_date__range=(start, end)
    ).aggregate(
        open=Count("pk", filter=Q(resolved_at__isnull=True)),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
    )
    unattributed = 0
    if any(m.role == StaffRole.FINANCE for m in permissions.memberships(user)):
        # Money the channel has and no order here knows: finance staff handle these (see
        # selectors.open_mismatches), supervisors cannot place them in a department.
        unattributed = Mismatch.objects.filter(
            order__isnull=True, resolved_at__isnull=True, statement__bill_date__range=(start, end)
        ).count()
    return PaymentFigures(
        start=start,
        end=end,
        departments=departments,
        paid=Line(str(_("已缴")), totals["n"], money(totals["total"])),
        refunds=Line(str(_("退款")), refund_totals["n"], money(refund_totals["total"])),
        by_item=by_item,
        by_department=by_department,
        refund_list=list(refunds.select_related("order", "order__department").order_by("-created_at")[:50]),
        outstanding=orders.filter(
            status__in=[PaymentOrder.Status.CREATED, PaymentOrder.Status.PAYING],
            created_at__date__range=(start, end),
        ).count(),
        expired=orders.filter(
            status=PaymentOrder.Status.EXPIRED, expires_at__date__range=(start, end)
        ).count(),
        mismatches_open=mismatches["open"],
        mismatches_resolved=mismatches["resolved"],
        unattributed_open=unattributed,
    )
