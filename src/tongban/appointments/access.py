"""Who may do what with bookings and windows: each rule once, for the services, pages and API.

``check_…`` raises the service error with its Chinese message, ``can_…`` says yes or no; pages
offer an action exactly when ``can_…`` says yes. Someone else's booking is NotFound.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from tongban.cases.access import refusal
from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Booking, Slot, Suspension, Window


def _allowed[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> bool:
    return refusal(check, *args, **kwargs) is None


def _signed_in(user: User | None) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def slot_starts(slot: Slot) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(slot.date, slot.start))


def slot_ends(slot: Slot) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(slot.date, slot.end))


def active_suspension(user: User, now: dt.datetime | None = None) -> Suspension | None:
    return (
        Suspension.objects.filter(user=user, ends_at__gt=now or timezone.now()).order_by("-ends_at").first()
    )


def check_bookable_item(item: ServiceItem) -> None:
    if not item.supports_appointment or item.status != ServiceItem.Status.PUBLISHED:
        raise InvalidInput("该事项不支持网上预约。", code="not_bookable")


def check_book(user: User | None, item: ServiceItem, slot: Slot, now: dt.datetime | None = None) -> None:
    """预约: a signed-in person, not suspended, a future slot within the hall's booking horizon
    of a window that serves the item. Whether a place is left is decided by the update itself."""
    now = now or timezone.now()
    if not _signed_in(user):
        raise PermissionDenied("请先登录。")
    if getattr(user, "kind", "") == "staff":
        raise PermissionDenied("工作人员账号不能预约，请使用个人账号。")
    check_bookable_item(item)
    suspension = active_suspension(user, now)
    if suspension is not None:
        until = timezone.localtime(suspension.ends_at)
        raise PermissionDenied(
            f"您 30 天内多次预约未到，预约功能暂停至 {until:%Y-%m-%d %H:%M}。", code="booking_suspended"
        )
    if (
        not slot.window.is_active
        or not slot.hall.is_active
        or not slot.window.items.filter(pk=item.pk).exists()
    ):
        raise InvalidInput("该时段不办理此事项。", code="slot_not_for_item", field="slot")
    if slot_starts(slot) <= now:
        raise InvalidInput("该时段已开始，请选择其他时段。", code="slot_past", field="slot")
    horizon = timezone.localdate(now) + dt.timedelta(days=slot.hall.book_days_ahead)
    if slot.date > horizon:
        raise InvalidInput(
            f"最多可提前 {slot.hall.book_days_ahead} 天预约。", code="slot_too_far", field="slot"
        )


def check_own_booking(user: User | None, booking: Booking) -> None:
    if not _signed_in(user) or booking.user_id != user.pk:
        raise NotFound()


def check_change_booking(user: User | None, booking: Booking, now: dt.datetime | None = None) -> None:
    """取消 / 改约: the person's own booking, still open, until the hall's deadline."""
    check_own_booking(user, booking)
    if booking.status != Booking.Status.BOOKED:
        raise InvalidInput("该预约已不能取消或改约。", code="booking_closed")
    deadline = slot_starts(booking.slot) - dt.timedelta(minutes=booking.hall.cancel_before_minutes)
    if (now or timezone.now()) >= deadline:
        raise InvalidInput(
            f"距预约时段开始不足 {booking.hall.cancel_before_minutes} 分钟，不能再取消或改约。",
            code="change_deadline_passed",
        )


def can_change_booking(user: User | None, booking: Booking) -> bool:
    return _allowed(check_change_booking, user, booking)


def check_check_in(booking: Booking, now: dt.datetime | None = None) -> None:
    """签到: on the day, from ``check_in_early_minutes`` before the slot to ``check_in_late_minutes`` after it."""
    now = now or timezone.now()
    if booking.status == Booking.Status.CHECKED_IN:
        raise InvalidInput("该预约已签到。", code="already_checked_in")
    if booking.status != Booking.Status.BOOKED:
        raise InvalidInput("该预约已取消或已失效。", code="booking_closed")
    hall = booking.hall
    if now < slot_starts(booking.slot) - dt.timedelta(minutes=hall.check_in_early_minutes):
        raise InvalidInput(
            f"请在预约时段开始前 {hall.check_in_early_minutes} 分钟内签到。", code="check_in_too_early"
        )
    if now > slot_ends(booking.slot) + dt.timedelta(minutes=hall.check_in_late_minutes):
        raise InvalidInput("已超过签到时间，请现场取号。", code="check_in_too_late")


def check_work_window(user: User | None, window: Window) -> None:
    """叫号: the 受理 staff of the window's department."""
    if not permissions.has_role(user, StaffRole.INTAKE, window.department):
        raise NotFound()


def can_work_window(user: User | None, window: Window) -> bool:
    return _allowed(check_work_window, user, window)


def check_see_figures(user: User | None) -> None:
    if not permissions.supervised_region_codes(user):
        raise NotFound()


def no_show_rule() -> tuple[int, int, int]:
    """(no-shows, within days, suspended for days): 3 within 30 days suspend for 30, configurable."""
    rule = getattr(settings, "TONGBAN_APPOINTMENT_NO_SHOWS", (3, 30, 30))
    return int(rule[0]), int(rule[1]), int(rule[2])
