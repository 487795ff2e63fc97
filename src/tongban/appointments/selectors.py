"""Reads shared by the pages and the API: halls and free times, a person's bookings, the
day's queue, the call screen and the waiting-time figures."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import ExtractHour
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity import permissions

from . import access
from .models import Booking, Hall, Slot, Ticket, Window

SCREEN_ROWS = 8


def bookable_item(item_id: int) -> ServiceItem:
    item = ServiceItem.objects.select_related("department").filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    access.check_bookable_item(item)
    return item


def halls_for_item(item: ServiceItem) -> list[Hall]:
    return list(
        Hall.objects.filter(is_active=True, windows__is_active=True, windows__items=item)
        .select_related("region")
        .distinct()
        .order_by("name")
    )


def hall_by_code(code: str) -> Hall:
    hall = Hall.objects.filter(code=code, is_active=True).first()
    if hall is None:
        raise NotFound()
    return hall


@dataclass
class Time:
    """One bookable time of a day: the windows' slots at that time added up."""

    slot_id: int
    start: dt.time
    end: dt.time
    left: int


@dataclass
class Day:
    date: dt.date
    times: list[Time] = field(default_factory=list)

    @property
    def left(self) -> int:
        return sum(t.left for t in self.times)


def open_days(item: ServiceItem, hall: Hall, now: dt.datetime | None = None) -> list[Day]:
    """The coming days with their times and places left for online booking (one query)."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    rows = (
        Slot.objects.filter(
            hall=hall,
            window__is_active=True,
            window__items=item,
            date__gte=today,
            date__lte=today + dt.timedelta(days=hall.book_days_ahead),
        )
        .order_by("date", "start", "window__number")
        .values("pk", "date", "start", "end", "online_quota", "booked")
    )
    days: dict[dt.date, Day] = {}
    for row in rows:
        if row["date"] == today and row["start"] <= now.time():
            continue
        day = days.setdefault(row["date"], Day(row["date"]))
        left = max(row["online_quota"] - row["booked"], 0)
        if day.times and day.times[-1].start == row["start"]:
            time = day.times[-1]
            if time.left == 0 and left:
                time.slot_id = row["pk"]
            time.left += left
        else:
            day.times.append(Time(row["pk"], row["start"], row["end"], left))
    return list(days.values())


def my_bookings(user: User) -> list[Booking]:
    return list(
        Booking.objects.filter(user=user)
        .select_related("slot", "hall", "item", "ticket")
        .order_by("-slot__date", "-slot__start")[:50]
    )


def booking_for(user: User, number: str) -> Booking:
    booking = (
        Booking.objects.select_related("slot__window", "hall", "item", "ticket__window")
        .filter(number=number[:20])
        .first()
    )
    if booking is None:
        raise NotFound()
    access.check_own_booking(user, booking)
    return booking


def ticket_by_token(token: object) -> Ticket:
    ticket = Ticket.objects.select_related("hall", "item", "window").filter(token=token).first()
    if ticket is None:
        raise NotFound()
    return ticket


def people_ahead(ticket: Ticket) -> int:
    """Waiting tickets of the same item before this one."""
    if ticket.status != Ticket.Status.WAITING:
        return 0
    before = Q(queue_at__lt=ticket.queue_at) | Q(queue_at=ticket.queue_at, priority__lt=ticket.priority)
    before |= Q(queue_at=ticket.queue_at, priority=ticket.priority, pk__lt=ticket.pk)
    return (
        Ticket.objects.filter(
            hall_id=ticket.hall_id, date=ticket.date, status=Ticket.Status.WAITING, item_id=ticket.item_id
        )
        .filter(before)
        .count()
    )


def hall_items(hall: Hall) -> list[ServiceItem]:
    """The items the kiosk offers for a walk-in ticket."""
    return list(
        ServiceItem.objects.filter(windows__hall=hall, windows__is_active=True)
        .distinct()
        .order_by("name")[:200]
    )


@dataclass
class Screen:
    hall: Hall
    calls: list[Ticket]
    waiting: int
    latest: Ticket | None


def screen(hall: Hall) -> Screen:
    """叫号屏: the latest calls first (a re-call moves a number to the top), and how many wait."""
    today = timezone.localdate()
    calls = list(
        Ticket.objects.filter(hall=hall, date=today, status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING])
        .select_related("window")
        .order_by("-last_called_at")[:SCREEN_ROWS]
    )
    waiting = Ticket.objects.filter(hall=hall, date=today, status=Ticket.Status.WAITING).count()
    return Screen(hall, calls, waiting, calls[0] if calls else None)


def windows_for(user: User) -> list[Window]:
    """The windows a clerk may work: 受理 role in the window's department."""
    departments = [m.department_id for m in permissions.memberships(user) if m.role == "intake"]
    return list(
        Window.objects.filter(department_id__in=departments, is_active=True, hall__is_active=True)
        .select_related("hall", "department")
        .order_by("hall__name", "number")
    )


def window_for(user: User, window_id: int) -> Window:
    window = Window.objects.select_related("hall", "department").filter(pk=window_id).first()
    if window is None:
        raise NotFound()
    access.check_work_window(user, window)
    return window


@dataclass
class WindowState:
    window: Window
    current: Ticket | None
    waiting: int
    served_today: int
    average_wait: float | None
    last_done: Ticket | None


def window_state(window: Window) -> WindowState:
    today = timezone.localdate()
    mine = Ticket.objects.filter(window=window, date=today)
    current = (
        mine.filter(status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING])
        .select_related("item", "booking")
        .first()
    )
    waiting = Ticket.objects.filter(
        hall_id=window.hall_id, date=today, status=Ticket.Status.WAITING, item__in=window.items.values("pk")
    ).count()
    done = mine.filter(status=Ticket.Status.DONE)
    stats = done.aggregate(n=Count("pk"), wait=Avg("wait_seconds"))
    last_done = done.order_by("-finished_at").first()
    return WindowState(window, current, waiting, stats["n"], stats["wait"], last_done)


@dataclass
class HallFigures:
    hall: Hall
    bookings: int
    checked_in: int
    no_shows: int
    cancelled: int
    tickets: int
    average_wait_minutes: float | None
    average_service_minutes: float | None
    by_hour: list[tuple[int, int, float]]  # (hour, tickets called, average wait in minutes)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def figures(user: User, start: dt.date, end: dt.date) -> list[HallFigures]:
    """预约与等候: bookings, no-shows and waiting time by hall and hour, for the halls in the
    regions the supervisor oversees."""
    access.check_see_figures(user)
    codes = permissions.supervised_region_codes(user)
    region = Q()
    for code in codes:
        region |= Q(region__code__startswith=code)
    halls = Hall.objects.filter(region).order_by("name")
    booking_rows = {
        row["hall_id"]: row
        for row in Booking.objects.filter(hall__in=halls, slot__date__range=(start, end))
        .values("hall_id")
        .annotate(
            n=Count("pk"),
            checked_in=Count("pk", filter=Q(status=Booking.Status.CHECKED_IN)),
            no_shows=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
            cancelled=Count("pk", filter=Q(status=Booking.Status.CANCELLED)),
        )
    }
    tickets = Ticket.objects.filter(hall__in=halls, date__range=(start, end))
    ticket_rows = {
        row["hall_id"]: row
        for row in tickets.values("hall_id").annotate(
            n=Count("pk"), wait=Avg("wait_seconds"), service=Avg("service_seconds")
        )
    }
    hours: dict[int, list[tuple[int, int, float]]] = {}
    for row in (
        tickets.filter(called_at__isnull=False)
        .annotate(hour=ExtractHour("called_at"))
        .values("hall_id", "hour")
        .annotate(n=Count("pk"), wait=Avg("wait_seconds"))
        .order_by("hall_id", "hour")
    ):
        hours.setdefault(row["hall_id"], []).append((row["hour"], row["n"], _minutes(row["wait"]) or 0.0))
    result = []
    for hall in halls:
        b, t = booking_rows.get(hall.pk, {}), ticket_rows.get(hall.pk, {})
        result.append(
            HallFigures(
                hall=hall,
                bookings=b.get("n", 0),
                checked_in=b.get("checked_in", 0),
                no_shows=b.get("no_shows", 0),
                cancelled=b.get("cancelled", 0),
                tickets=t.get("n", 0),
                average_wait_minutes=_minutes(t.get("wait")),
                average_service_minutes=_minutes(t.get("service")),
                by_hour=hours.get(hall.pk, []),
            )
        )
    return result


def places_left(hall: Hall, day: dt.date) -> int:
    return (
        Slot.objects.filter(hall=hall, date=day).aggregate(n=Sum(F("online_quota") - F("booked")))["n"] or 0
    )


FIGURES_TTL = 300


def region_figures(
    *, region_code: str | None = None, department_id: int | None = None, start: dt.date, end: dt.date
) -> dict:
    """预约办事's figures for 电子监察 over the days ``start`` … ``end``: bookings, no-shows and
    the average wait of the tickets called, in the halls of a region (code prefix, summed
    upwards) or of one department. Two aggregates, cached ``FIGURES_TTL``."""
    key = f"appointments:figures:{region_code}:{department_id}:{start}:{end}"

    def compute() -> dict:
        halls = Hall.objects.all()
        if region_code:
            halls = halls.filter(region__code__startswith=region_code)
        if department_id is not None:
            halls = halls.filter(department_id=department_id)
        bookings = Booking.objects.filter(hall__in=halls, slot__date__range=(start, end)).aggregate(
            n=Count("pk"), no_shows=Count("pk", filter=Q(status=Booking.Status.NO_SHOW))
        )
        wait = Ticket.objects.filter(
            hall__in=halls, date__range=(start, end), wait_seconds__isnull=False
        ).aggregate(avg=Avg("wait_seconds"))["avg"]
        return {
            "bookings": bookings["n"] or 0,
            "no_shows": bookings["no_shows"] or 0,
            "average_wait_minutes": None if wait is None else round(wait / 60, 1),
        }

    return cache.get_or_set(key, compute, FIGURES_TTL)
