"""Who may see and act on a payment order: one predicate per rule, for services and pages.
Outsiders get NotFound (no IDOR)."""

from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import PaymentOrder


def is_payer(user: User | None, order: PaymentOrder) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and order.payer_id == user.pk


def can_view(user: User | None, order: PaymentOrder) -> bool:
    return is_payer(user, order) or permissions.can_see_department(user, order.department)


def check_view(user: User | None, order: PaymentOrder) -> None:
    if not can_view(user, order):
        raise NotFound()


def check_pay(user: User | None, order: PaymentOrder) -> None:
    """Paying online: only the payer, and only an order still open."""
    if not is_payer(user, order):
        raise NotFound()


def check_window(user: User | None, order: PaymentOrder) -> None:
    """窗口缴款: the department's window (受理) or finance staff record money taken at the counter."""
    check_view(user, order)
    if not (
        permissions.has_role(user, StaffRole.INTAKE, order.department)
        or permissions.has_role(user, StaffRole.FINANCE, order.department)
    ):
        raise PermissionDenied("只有本部门窗口或财务人员可以登记窗口缴款。")


def check_finance(user: User | None, order: PaymentOrder) -> None:
    """Refunds and reconciliation: the department's finance staff."""
    check_view(user, order)
    if not permissions.has_role(user, StaffRole.FINANCE, order.department):
        raise PermissionDenied("只有本部门财务人员可以办理退款。")


def is_finance(user: User | None) -> bool:
    return StaffRole.FINANCE in permissions.roles(user)
