"""Pages: booking (the person), the kiosk and call screen (the hall), the window (the clerk)
and the figures (supervisors). Thin: parse, call a selector or a service, render."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.core.errors import InvalidInput, ServiceError
from tongban.core.public import public_reverse, public_url
from tongban.core.qr import qr_svg
from tongban.identity.views import staff_required

from . import access, selectors, services
from .models import Ticket

WINDOW_ACTIONS = {
    "call": lambda clerk, window, ticket: services.call_next(clerk=clerk, window=window),
    "recall": lambda clerk, window, ticket: services.recall(clerk=clerk, ticket=ticket),
    "skip": lambda clerk, window, ticket: services.skip(clerk=clerk, ticket=ticket),
    "serve": lambda clerk, window, ticket: services.start_service(clerk=clerk, ticket=ticket),
    "finish": lambda clerk, window, ticket: services.finish(clerk=clerk, ticket=ticket),
}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _slot_picker(request: HttpRequest, item: object, halls: list) -> dict:
    chosen = request.GET.get("hall") or request.POST.get("hall") or ""
    hall = next((h for h in halls if h.code == chosen), halls[0] if halls else None)
    days = selectors.open_days(item, hall) if hall else []
    return {"item": item, "halls": halls, "hall": hall, "days": days}


@login_required
def book(request: HttpRequest, item_id: int) -> HttpResponse:
    """Choose a hall, a day and a time; one click books it."""
    item = selectors.bookable_item(item_id)
    context = _slot_picker(request, item, selectors.halls_for_item(item))
    status = 200
    if request.method == "POST":
        try:
            booking = services.book(user=request.user, item=item, slot=_int(request.POST.get("slot")) or 0)
        except (InvalidInput, services.SlotFull, services.AlreadyBooked) as exc:
            context["error"], status = exc.message, exc.status
            context.update(_slot_picker(request, item, context["halls"]))
        else:
            messages.success(request, _("预约成功。"))
            return redirect("appointments:booking", booking.number)
    return render(request, "appointments/book.html", context, status=status)


@login_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    return render(request, "appointments/my_bookings.html", {"bookings": selectors.my_bookings(request.user)})


def _check_in_url(booking: object) -> str:
    path = reverse("appointments:kiosk", args=[booking.hall.code])
    return public_url(f"{path}?n={booking.number}&c={booking.check_code}")


@login_required
def booking_detail(request: HttpRequest, number: str) -> HttpResponse:
    booking = selectors.booking_for(request.user, number)
    ticket = getattr(booking, "ticket", None)
    url = _check_in_url(booking)
    context = {
        "booking": booking,
        "ticket": ticket,
        "qr": mark_safe(qr_svg(url, _("签到二维码"))),  # noqa: S308 (segno output, label escaped)
        "can_change": access.can_change_booking(request.user, booking),
        "ahead": selectors.people_ahead(ticket) if ticket else 0,
    }
    return render(request, "appointments/booking.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    booking = selectors.booking_for(request.user, number)
    try:
        services.cancel(user=request.user, booking=booking)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预约已取消。"))
    return redirect("appointments:booking", booking.number)


@login_required
def reschedule(request: HttpRequest, number: str) -> HttpResponse:
    booking = selectors.booking_for(request.user, number)
    access.check_change_booking(request.user, booking)
    context = _slot_picker(request, booking.item, [booking.hall]) | {"booking": booking}
    status = 200
    if request.method == "POST":
        try:
            services.reschedule(user=request.user, booking=booking, slot=_int(request.POST.get("slot")) or 0)
        except (InvalidInput, services.SlotFull) as exc:
            context["error"], status = exc.message, exc.status
        else:
            messages.success(request, _("已改约。"))
            return redirect("appointments:booking", booking.number)
    return render(request, "appointments/book.html", context, status=status)


# ---------------------------------------------------------------- the hall


def kiosk(request: HttpRequest, code: str) -> HttpResponse:
    """The hall's kiosk: check in with a booking (number and code, or its QR code) or take a
    walk-in ticket. The booking's QR code opens this page with both filled in."""
    hall = selectors.hall_by_code(code)
    context = {
        "hall": hall,
        "items": selectors.hall_items(hall),
        "number": request.POST.get("number", request.GET.get("n", ""))[:20],
        "check_code": request.POST.get("code", request.GET.get("c", ""))[:6],
    }
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "walk_in":
                item = next((i for i in context["items"] if i.pk == _int(request.POST.get("item"))), None)
                if item is None:
                    raise InvalidInput(_("请选择要办理的事项。"), field="item")
                ticket = services.take_walk_in(hall=hall, item=item, user=request.user)
            else:
                ticket = services.check_in(
                    hall=hall,
                    number=context["number"],
                    code=context["check_code"],
                    client_key=request.META.get("REMOTE_ADDR", ""),
                )
        except ServiceError as exc:
            context["error"], context["error_field"], status = exc.message, exc.field or "", exc.status
        else:
            return redirect("appointments:ticket", hall.code, ticket.token)
    return render(request, "appointments/kiosk.html", context, status=status)


def ticket(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The person's ticket: number, people ahead, the window when called, the rating when done."""
    hall = selectors.hall_by_code(code)
    found = selectors.ticket_by_token(token)
    if found.hall_id != hall.pk:
        return redirect("appointments:ticket", found.hall.code, found.token)
    context = {
        "hall": hall,
        "ticket": found,
        "ahead": selectors.people_ahead(found),
        "refresh": found.status in (Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING),
    }
    return render(request, "appointments/ticket.html", context)


def screen(request: HttpRequest, code: str) -> HttpResponse:
    """叫号屏: large type, refreshed every few seconds (meta refresh without JavaScript, htmx
    polling of the list with it), the newest call announced."""
    hall = selectors.hall_by_code(code)
    context = {"screen": selectors.screen(hall), "now": timezone.localtime()}
    template = "appointments/_screen_calls.html" if request.htmx else "appointments/screen.html"
    return render(request, template, context)


# ---------------------------------------------------------------- the window


@staff_required
def windows(request: HttpRequest) -> HttpResponse:
    found = selectors.windows_for(request.user)
    if len(found) == 1:
        return redirect("appointments:window", found[0].pk)
    return render(request, "appointments/windows.html", {"windows": found})


@staff_required
def window(request: HttpRequest, pk: int) -> HttpResponse:
    """窗口叫号: call next, re-call, skip, serve, finish; after finishing, the rating QR code."""
    found = selectors.window_for(request.user, pk)
    if request.method == "POST":
        action = WINDOW_ACTIONS.get(request.POST.get("action", ""))
        current = selectors.window_state(found).current
        try:
            if action is None:
                raise InvalidInput(_("未知操作。"))
            done = (
                action(request.user, found, current) if current or request.POST["action"] == "call" else None
            )
            if done is None:
                raise InvalidInput(_("当前没有正在办理的号码。"))
        except InvalidInput as exc:
            messages.error(request, exc.message)
        return redirect("appointments:window", found.pk)
    state = selectors.window_state(found)
    rating_url = ""
    if state.last_done and state.last_done.rating_token and not state.current:
        rating_url = public_reverse("ratings:visit", state.last_done.rating_token)
    context = {
        "state": state,
        "rating_url": rating_url,
        "rating_qr": mark_safe(qr_svg(rating_url, _("评价二维码"))) if rating_url else "",  # noqa: S308 (as above)
    }
    return render(request, "appointments/window.html", context)


@staff_required
def figures(request: HttpRequest) -> HttpResponse:
    """预约与等候 by hall and hour, for supervisors (the last 30 days by default)."""
    today = timezone.localdate()
    try:
        days = max(1, min(int(request.GET.get("days", "30")), 366))
    except ValueError:
        days = 30
    start = today - dt.timedelta(days=days - 1)
    rows = selectors.figures(request.user, start, today)
    return render(
        request, "appointments/figures.html", {"rows": rows, "start": start, "end": today, "days": days}
    )
