"""Every write of appointments: booking, cancelling, rescheduling, check-in, walk-ins, the
window's calls, no-shows, reminders and slot generation.

Quotas hold under concurrency without locks held in Python: a place is taken by one
conditional ``UPDATE … SET booked = booked + 1 WHERE booked < online_quota`` (PostgreSQL
re-checks the condition on the row it waited for; SQLite runs one writer at a time), and the
check constraints on ``Slot`` refuse anything beyond the share in any case. One active booking
per person and item is a partial unique index. Each change appends to the audit chain as the
last write of its transaction; messages go out through ``signals.booking_event_recorded``.
"""

import datetime as dt
import secrets
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.core.types import User
from tongban.identity import ratelimit
from tongban.workdays import calendar

from . import access, hooks
from .access import slot_ends, slot_starts
from .models import Booking, Hall, Slot, SlotTemplate, Suspension, Ticket, Window
from .numbering import next_ticket_number
from .signals import booking_event_recorded


class SlotFull(ServiceError):
    code = "slot_full"
    status = 409
    default_message = "该时段已约满，请选择其他时段。"


class AlreadyBooked(ServiceError):
    code = "already_booked"
    status = 409
    default_message = "您已预约该事项，请先取消原预约或改约。"


def _audit(action: str, actor: User | None, obj: Booking | Ticket, **summary: object) -> None:
    audit.append(f"appointments.{action}", actor=actor, obj=obj, summary=summary)


def _event(booking: Booking, event: str, **extra: object) -> None:
    booking_event_recorded.send(sender=Booking, booking=booking, event=event, **extra)


# ---------------------------------------------------------------- places in a slot


def _take_online_place(slot_id: int) -> bool:
    return Slot.objects.filter(pk=slot_id, booked__lt=F("online_quota")).update(booked=F("booked") + 1) == 1


def _release_online_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _take_place_at(slot: Slot, item: ServiceItem) -> Slot:
    """The chosen slot, or another window's slot for the same item at the same time."""
    if _take_online_place(slot.pk):
        return slot
    siblings = (
        Slot.objects.filter(
            hall_id=slot.hall_id,
            date=slot.date,
            start=slot.start,
            window__is_active=True,
            window__items=item,
            booked__lt=F("online_quota"),
        )
        .exclude(pk=slot.pk)
        .select_related("hall", "window")
        .order_by("window__number")
    )
    for sibling in siblings[:10]:
        if _take_online_place(sibling.pk):
            return sibling
    raise SlotFull()


def _load_slot(slot: Slot | int) -> Slot:
    found = Slot.objects.select_related("hall", "window").filter(pk=getattr(slot, "pk", slot)).first()
    if found is None:
        raise InvalidInput("请选择预约时段。", code="no_slot", field="slot")
    return found


def _new_booking(user: User, item: ServiceItem, slot: Slot) -> Booking:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    number=f"{slot.date:%y%m%d}{secrets.randbelow(10**8):08d}",
                    check_code=f"{secrets.randbelow(10**6):06d}",
                    user=user,
                    item=item,
                    hall=slot.hall,
                    slot=slot,
                )
        except IntegrityError as exc:
            if Booking.objects.filter(user=user, item=item, status=Booking.Status.BOOKED).exists():
                raise AlreadyBooked() from exc
    raise ServiceError("预约号生成失败，请重试。")


# ---------------------------------------------------------------- the person


@transaction.atomic
def book(*, user: User, item: ServiceItem, slot: Slot | int) -> Booking:
    """预约 one slot for one item (another window's slot at the same time when the chosen is full)."""
    slot = _load_slot(slot)
    access.check_book(user, item, slot)
    if Booking.objects.filter(user=user, item=item, status=Booking.Status.BOOKED).exists():
        raise AlreadyBooked()
    slot = _take_place_at(slot, item)
    booking = _new_booking(user, item, slot)
    _event(booking, "booked")
    _audit("book", user, booking, number=booking.number, item=item.pk, slot=slot.pk, window=slot.window_id)
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "hall", "item")
        .get(pk=booking.pk)
    )


@transaction.atomic
def cancel(*, user: User, booking: Booking) -> Booking:
    """取消 until the hall's deadline; the place goes back to the slot."""
    booking = _locked_booking(booking)
    access.check_change_booking(user, booking)
    booking.status, booking.cancelled_at = Booking.Status.CANCELLED, timezone.now()
    booking.save(update_fields=["status", "cancelled_at"])
    _release_online_place(booking.slot_id)
    _event(booking, "cancelled")
    _audit("cancel", user, booking, number=booking.number, slot=booking.slot_id)
    return booking


@transaction.atomic
def reschedule(*, user: User, booking: Booking, slot: Slot | int) -> Booking:
    """改约: the same booking (and number) moves to another slot, under the rules of both."""
    booking = _locked_booking(booking)
    access.check_change_booking(user, booking)
    new = _load_slot(slot)
    if new.pk == booking.slot_id:
        raise InvalidInput("新时段与原时段相同。", code="same_slot", field="slot")
    access.check_book(user, booking.item, new)
    new = _take_place_at(new, booking.item)
    old = booking.slot_id
    _release_online_place(old)
    booking.slot, booking.hall = new, new.hall
    booking.rescheduled += 1
    booking.reminded_at = None
    booking.save(update_fields=["slot", "hall", "rescheduled", "reminded_at"])
    _event(booking, "rescheduled")
    _audit("reschedule", user, booking, number=booking.number, old_slot=old, slot=new.pk)
    return booking


# ---------------------------------------------------------------- at the hall


def check_in(*, hall: Hall, number: str, code: str, client_key: str = "") -> Ticket:
    """签到 at the hall with the booking number and its check-in code (typed, or read from the
    booking's QR code): the booking becomes a ticket, queued at its slot's start, before the
    walk-ins of that slot."""
    number, code = (number or "").strip(), (code or "").strip()
    if not number or not code:
        raise InvalidInput("请输入预约号和签到码。", code="bad_booking", field="number")
    ratelimit.check(
        f"appointments:check-in:{hall.pk}:{number[:20]}", [(10, 3600)], "尝试次数过多，请到咨询台办理。"
    )
    if client_key:
        ratelimit.check(
            f"appointments:check-in-client:{client_key}", [(60, 3600)], "尝试次数过多，请到咨询台办理。"
        )
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot", "hall", "item", "user")
            .filter(number=number[:20], hall=hall)
            .first()
        )
        if booking is None or not secrets.compare_digest(booking.check_code, code[:6]):
            raise InvalidInput("预约号或签到码不正确。", code="bad_booking", field="number")
        access.check_check_in(booking)
        now = timezone.now()
        today = timezone.localdate(now)
        queue_at = slot_starts(booking.slot) if now <= slot_ends(booking.slot) else now
        ticket = Ticket.objects.create(
            hall=hall,
            date=today,
            number=next_ticket_number(hall.pk, today, "Y"),
            booking=booking,
            item=booking.item,
            user=booking.user,
            queue_at=queue_at,
            priority=0,
            checked_in_at=now,
        )
        booking.status, booking.checked_in_at = Booking.Status.CHECKED_IN, now
        booking.save(update_fields=["status", "checked_in_at"])
        _audit("check_in", None, ticket, booking=booking.number, ticket=ticket.number, hall=hall.pk)
        return ticket


@transaction.atomic
def take_walk_in(*, hall: Hall, item: ServiceItem, user: User | None = None) -> Ticket:
    """现场取号 at the kiosk: takes a walk-in place of today's current or next slot of a window
    serving the item, and queues the ticket by the time it was taken."""
    if not hall.is_active:
        raise NotFound()
    if not Window.objects.filter(hall=hall, is_active=True, items=item).exists():
        raise InvalidInput("本大厅不办理该事项。", code="item_not_here", field="item")
    now = timezone.now()
    today, time_now = timezone.localdate(now), timezone.localtime(now).time()
    room = F("capacity") - F("online_quota")
    candidates = Slot.objects.filter(
        hall=hall, date=today, end__gt=time_now, window__is_active=True, window__items=item, walk_ins__lt=room
    ).order_by("start", "window__number")
    for slot_id in candidates.values_list("pk", flat=True)[:20]:
        if Slot.objects.filter(pk=slot_id, walk_ins__lt=room).update(walk_ins=F("walk_ins") + 1):
            break
    else:
        raise InvalidInput(
            "今日该事项的现场号已取完，请网上预约其他日期。", code="walk_ins_full", field="item"
        )
    person = user if getattr(user, "is_authenticated", False) else None
    ticket = Ticket.objects.create(
        hall=hall,
        date=today,
        number=next_ticket_number(hall.pk, today, "A"),
        item=item,
        user=person,
        queue_at=now,
        priority=1,
        checked_in_at=now,
    )
    _audit("walk_in", person, ticket, ticket=ticket.number, hall=hall.pk, item=item.pk)
    return ticket


# ---------------------------------------------------------------- the window


def _locked_ticket(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("window__department", "item", "booking")
        .get(pk=ticket.pk)
    )


@transaction.atomic
def call_next(*, clerk: User, window: Window) -> Ticket:
    """叫号: the first waiting ticket of an item this window serves (booked before walk-ins of
    the same moment); two windows calling at once never get the same ticket."""
    access.check_work_window(clerk, window)
    today = timezone.localdate()
    busy = Ticket.objects.filter(
        window=window, date=today, status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING]
    )
    if busy.exists():
        raise InvalidInput("请先办结或过号当前号码，再叫下一个。", code="window_busy")
    waiting = Ticket.objects.filter(
        hall_id=window.hall_id, date=today, status=Ticket.Status.WAITING, item__in=window.items.values("pk")
    ).order_by("queue_at", "priority", "id")
    now = timezone.now()
    for pk in waiting.values_list("pk", flat=True)[:10]:
        taken = Ticket.objects.filter(pk=pk, status=Ticket.Status.WAITING).update(
            status=Ticket.Status.CALLED,
            window=window,
            clerk=clerk,
            called_at=now,
            last_called_at=now,
            call_count=1,
        )
        if taken:
            ticket = Ticket.objects.get(pk=pk)
            ticket.wait_seconds = max(int((now - ticket.checked_in_at).total_seconds()), 0)
            ticket.save(update_fields=["wait_seconds"])
            _audit(
                "call",
                clerk,
                ticket,
                ticket=ticket.number,
                window=window.pk,
                wait_seconds=ticket.wait_seconds,
            )
            return ticket
    raise InvalidInput("当前没有等候的号码。", code="queue_empty")


def _step(clerk: User, ticket: Ticket, expected: str) -> Ticket:
    ticket = _locked_ticket(ticket)
    if ticket.window is None:
        raise NotFound()
    access.check_work_window(clerk, ticket.window)
    if ticket.status != expected:
        raise InvalidInput("号码状态已变化，请刷新页面。", code="ticket_state")
    return ticket


@transaction.atomic
def recall(*, clerk: User, ticket: Ticket) -> Ticket:
    """重呼: the call screen shows and announces the number again."""
    ticket = _step(clerk, ticket, Ticket.Status.CALLED)
    ticket.call_count += 1
    ticket.last_called_at = timezone.now()
    ticket.save(update_fields=["call_count", "last_called_at"])
    _audit("recall", clerk, ticket, ticket=ticket.number, calls=ticket.call_count)
    return ticket


@transaction.atomic
def skip(*, clerk: User, ticket: Ticket) -> Ticket:
    """过号: the person did not come to the window."""
    ticket = _step(clerk, ticket, Ticket.Status.CALLED)
    ticket.status = Ticket.Status.SKIPPED
    ticket.save(update_fields=["status"])
    _audit("skip", clerk, ticket, ticket=ticket.number)
    return ticket


@transaction.atomic
def start_service(*, clerk: User, ticket: Ticket) -> Ticket:
    ticket = _step(clerk, ticket, Ticket.Status.CALLED)
    ticket.status, ticket.serve_started_at = Ticket.Status.SERVING, timezone.now()
    ticket.save(update_fields=["status", "serve_started_at"])
    _audit("serve", clerk, ticket, ticket=ticket.number)
    return ticket


@transaction.atomic
def finish(*, clerk: User, ticket: Ticket) -> Ticket:
    """办结: service time recorded; the visit is opened for 好差评 and linked from the ticket."""
    ticket = _step(clerk, ticket, Ticket.Status.SERVING)
    now = timezone.now()
    ticket.status, ticket.finished_at = Ticket.Status.DONE, now
    ticket.service_seconds = max(int((now - ticket.serve_started_at).total_seconds()), 0)
    ticket.rating_token = hooks.open_visit(clerk, ticket.window.department, ticket.item)
    ticket.save(update_fields=["status", "finished_at", "service_seconds", "rating_token"])
    _audit("finish", clerk, ticket, ticket=ticket.number, service_seconds=ticket.service_seconds)
    return ticket


# ---------------------------------------------------------------- periodic duties


def generate_slots(hall: Hall, start: dt.date, end: dt.date) -> int:
    """Slots from the windows' templates for the working days from ``start`` to ``end``
    (the holiday table decides; an adjusted working weekend day follows Monday's plan).
    Idempotent; an untaken template slot on a day that has become a holiday is removed (a
    延时服务 slot, ``Slot.extra``, stays)."""
    by_weekday: dict[int, list[SlotTemplate]] = defaultdict(list)
    for template in SlotTemplate.objects.filter(window__hall=hall, window__is_active=True):
        by_weekday[template.weekday].append(template)
    work = calendar.WorkCalendar(start, end)
    rows, rest_days = [], []
    day = start
    while day <= end:
        if not work.is_workday(day):
            rest_days.append(day)
        else:
            for t in by_weekday[day.weekday() if day.weekday() < 5 else 0]:
                rows.append(
                    Slot(
                        hall=hall,
                        window_id=t.window_id,
                        date=day,
                        start=t.start,
                        end=t.end,
                        capacity=t.capacity,
                        online_quota=t.online_quota,
                    )
                )
        day += dt.timedelta(days=1)
    with transaction.atomic():
        before = Slot.objects.filter(hall=hall, date__range=(start, end)).count()
        Slot.objects.filter(hall=hall, date__in=rest_days, booked=0, walk_ins=0, extra=False).delete()
        Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        return Slot.objects.filter(hall=hall, date__range=(start, end)).count() - before


def generate_upcoming_slots(today: dt.date | None = None) -> int:
    """``tongban tick``: every active hall has its slots for the booking horizon."""
    today = today or timezone.localdate()
    return sum(
        generate_slots(hall, today, today + dt.timedelta(days=hall.book_days_ahead))
        for hall in Hall.objects.filter(is_active=True)
    )


def mark_no_shows(now: dt.datetime | None = None) -> int:
    """Bookings whose check-in time has passed become 爽约; 3 within 30 days (configurable,
    ``TONGBAN_APPOINTMENT_NO_SHOWS``) suspend booking for 30 days."""
    now = now or timezone.now()
    limit, within, suspend = access.no_show_rule()
    due = (
        Booking.objects.filter(status=Booking.Status.BOOKED, slot__date__lte=timezone.localdate(now))
        .select_related("slot", "hall", "item", "user")
        .order_by("slot__date", "slot__start")[:2000]
    )
    marked = 0
    for booking in due:
        if now <= slot_ends(booking.slot) + dt.timedelta(minutes=booking.hall.check_in_late_minutes):
            continue
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
                status=Booking.Status.NO_SHOW, no_show_at=now
            ):
                continue
            booking.status, booking.no_show_at = Booking.Status.NO_SHOW, now
            _event(booking, "no_show")
            count = Booking.objects.filter(
                user_id=booking.user_id,
                status=Booking.Status.NO_SHOW,
                no_show_at__gt=now - dt.timedelta(days=within),
            ).count()
            suspended = None
            if count >= limit and access.active_suspension(booking.user, now) is None:
                suspended = Suspension.objects.create(
                    user_id=booking.user_id,
                    starts_at=now,
                    ends_at=now + dt.timedelta(days=suspend),
                    no_shows=count,
                )
                _event(booking, "suspended", until=suspended.ends_at)
            _audit(
                "no_show",
                None,
                booking,
                number=booking.number,
                no_shows=count,
                suspended_until=suspended.ends_at.isoformat() if suspended else None,
            )
            marked += 1
    return marked


def send_reminders(now: dt.datetime | None = None) -> int:
    """短信提醒 the day before (bookings made later are reminded at once): one message each."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        reminded_at__isnull=True,
        slot__date__gte=today,
        slot__date__lte=today + dt.timedelta(days=1),
    ).select_related("slot", "hall", "item", "user")[:2000]
    sent = 0
    for booking in due:
        if slot_starts(booking.slot) <= now:
            continue
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(reminded_at=now):
                booking.reminded_at = now
                _event(booking, "reminder")
                sent += 1
    return sent
