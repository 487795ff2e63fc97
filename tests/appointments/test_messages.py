"""Messages about bookings go through notifications (inbox, and SMS for booking, reminder and
suspension), written in the booking's transaction; reminders are sent once, the day before."""

import datetime as dt

import pytest

from tests.appointments.conftest import make_slot
from tongban.appointments import services
from tongban.notifications.models import Delivery, Notification

TUESDAY = dt.date(2026, 12, 8)


@pytest.fixture
def booking(hall, clock):
    slot = make_slot(hall["windows"][0], TUESDAY, dt.time(9, 0))
    return services.book(user=hall["citizen"], item=hall["item"], slot=slot)


def test_a_booking_is_confirmed_in_the_inbox_and_by_sms(hall, booking):
    note = Notification.objects.get(user=hall["citizen"], event="booking.booked")
    assert (
        booking.number in note.body
        and "区政务服务中心" in note.body
        and note.link.endswith(f"{booking.number}/")
    )
    assert Delivery.objects.filter(user=hall["citizen"], channel="sms", event="booking.booked").count() == 1


def test_cancelling_says_so_in_the_inbox_only(hall, booking):
    services.cancel(user=hall["citizen"], booking=booking)
    assert Notification.objects.filter(user=hall["citizen"], event="booking.cancelled").count() == 1
    assert not Delivery.objects.filter(event="booking.cancelled").exists()


def test_a_refused_booking_sends_nothing(hall, booking):
    with pytest.raises(services.AlreadyBooked):
        services.book(user=hall["citizen"], item=hall["item"], slot=booking.slot)
    assert Notification.objects.filter(event="booking.booked").count() == 1


def test_reminders_go_out_once_the_day_before(hall, clock):
    clock.set(dt.datetime(2026, 12, 5, 10, 0))  # a Saturday: Tuesday is too far ahead
    slot = make_slot(hall["windows"][0], TUESDAY, dt.time(9, 0))
    services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    assert services.send_reminders() == 0
    clock.set(dt.datetime(2026, 12, 7, 10, 0))
    assert services.send_reminders() == 1
    clock.set(dt.datetime(2026, 12, 7, 18, 0))
    assert services.send_reminders() == 0
    assert Notification.objects.filter(event="booking.reminder").count() == 1
    assert Delivery.objects.filter(event="booking.reminder", channel="sms").count() == 1
