"""预约 API: halls and free times for an item, booking, cancelling and rescheduling, and the
hall's current calls. The same services and selectors as the pages."""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from tongban.identity.oidc.auth import api_auth

from . import selectors, services
from .models import Booking

router = Router(tags=["预约取号"])


class HallOut(Schema):
    code: str
    name: str
    address: str


class TimeOut(Schema):
    slot: int
    start: dt.time
    end: dt.time
    left: int


class DayOut(Schema):
    date: dt.date
    times: list[TimeOut]


class BookIn(Schema):
    item: int
    slot: int


class SlotIn(Schema):
    slot: int


class BookingOut(Schema):
    number: str
    check_code: str
    status: str
    item: int
    hall: str
    date: dt.date
    start: dt.time
    end: dt.time


class CallOut(Schema):
    number: str
    window: str
    status: str


class ScreenOut(Schema):
    hall: str
    waiting: int
    calls: list[CallOut]


def _booking_out(booking: Booking) -> dict:
    return {
        "number": booking.number,
        "check_code": booking.check_code,
        "status": booking.status,
        "item": booking.item_id,
        "hall": booking.hall.code,
        "date": booking.slot.date,
        "start": booking.slot.start,
        "end": booking.slot.end,
    }


@router.get("/appointments/items/{item_id}/halls", response=list[HallOut], summary="可预约该事项的大厅")
def halls(request: HttpRequest, item_id: int) -> list:
    return selectors.halls_for_item(selectors.bookable_item(item_id))


@router.get(
    "/appointments/items/{item_id}/halls/{code}/days", response=list[DayOut], summary="可预约的日期与时段"
)
def days(request: HttpRequest, item_id: int, code: str) -> list[dict]:
    item = selectors.bookable_item(item_id)
    found = selectors.open_days(item, selectors.hall_by_code(code))
    return [
        {
            "date": d.date,
            "times": [{"slot": t.slot_id, "start": t.start, "end": t.end, "left": t.left} for t in d.times],
        }
        for d in found
    ]


@router.post("/appointments/bookings", response={201: BookingOut}, auth=api_auth, summary="预约时段")
def book(request: HttpRequest, payload: BookIn) -> tuple[int, dict]:
    item = selectors.bookable_item(payload.item)
    booking = services.book(user=request.user, item=item, slot=payload.slot)
    return Status(201, _booking_out(booking))


@router.get("/appointments/bookings", response=list[BookingOut], auth=api_auth, summary="我的预约")
def my_bookings(request: HttpRequest) -> list[dict]:
    return [_booking_out(b) for b in selectors.my_bookings(request.user)]


@router.post("/appointments/bookings/{number}/cancel", response=BookingOut, auth=api_auth, summary="取消预约")
def cancel(request: HttpRequest, number: str) -> dict:
    booking = selectors.booking_for(request.user, number)
    return _booking_out(services.cancel(user=request.user, booking=booking))


@router.post(
    "/appointments/bookings/{number}/reschedule",
    response=BookingOut,
    auth=api_auth,
    summary="改约（预约号不变）",
)
def reschedule(request: HttpRequest, number: str, payload: SlotIn) -> dict:
    booking = selectors.booking_for(request.user, number)
    return _booking_out(services.reschedule(user=request.user, booking=booking, slot=payload.slot))


@router.get("/appointments/halls/{code}/screen", response=ScreenOut, summary="大厅当前叫号（公开）")
def screen(request: HttpRequest, code: str) -> dict:
    found = selectors.screen(selectors.hall_by_code(code))
    return {
        "hall": found.hall.name,
        "waiting": found.waiting,
        "calls": [{"number": t.number, "window": t.window.number, "status": t.status} for t in found.calls],
    }
