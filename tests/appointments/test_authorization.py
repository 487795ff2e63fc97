"""Appointments (预约取号): every object URL in the shared authorization table
(tests/identity/test_authorization.py). Owners: the person who booked (their booking, cancel,
reschedule), and the 受理 staff of a window's department (the window and its calls). The hall's
kiosk, call screen and ticket page, and the halls and free times of a published item, are public
by design and listed in ``PUBLIC_URLS``."""

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PublishedItemFactory
from tests.identity.authorization import ObjectURL, World, api_url, outsiders_test, owner_test
from tongban.appointments import services
from tongban.appointments.models import Hall, Slot, Window


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Overrides this folder's MD5-only hashers: the world's staff sign in with argon2 hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


def _hall(w: World) -> dict[str, Any]:
    """A hall of the world's department, one window serving a bookable item, two free slots."""
    if "_appointments" not in w.__dict__:
        item = PublishedItemFactory(name="失业保险金申领", department=w.department, supports_appointment=True)
        hall = Hall.objects.create(
            code="hall-auth",
            name="区政务服务中心",
            address="建设路 1 号",
            region=w.department.region,
            department=w.department,
            book_days_ahead=30,
        )
        window = Window.objects.create(hall=hall, number="7号窗口", department=w.department)
        window.items.add(item)
        day = timezone.localdate() + dt.timedelta(days=3)
        slots = [
            Slot.objects.create(
                hall=hall, window=window, date=day, start=start, end=end, capacity=8, online_quota=5
            )
            for start, end in ((dt.time(9, 0), dt.time(9, 30)), (dt.time(9, 30), dt.time(10, 0)))
        ]
        w.__dict__["_appointments"] = {"item": item, "hall": hall, "window": window, "slots": slots}
    return w.__dict__["_appointments"]


def _booking(w: World) -> Any:
    if "_booking" not in w.__dict__:
        found = _hall(w)
        w.__dict__["_booking"] = services.book(user=w.citizen, item=found["item"], slot=found["slots"][0].pk)
    return w.__dict__["_booking"]


def _waiting_window(w: World) -> Any:
    """The window with a walk-in ticket waiting, so calling the next one changes something."""
    found = _hall(w)
    Slot.objects.create(
        hall=found["hall"],
        window=found["window"],
        date=timezone.localdate(),
        start=dt.time(0, 0),
        end=dt.time(23, 59, 59),
        capacity=8,
        online_quota=5,
    )
    services.take_walk_in(hall=found["hall"], item=found["item"], user=None)
    return found["window"]


ROWS = [
    ObjectURL(
        "page: booking",
        "get",
        lambda w: reverse("appointments:booking", args=[_booking(w).number]),
        "citizen",
        shows=lambda w: _booking(w).check_code,
    ),
    ObjectURL(
        "page: cancel booking",
        "post",
        lambda w: reverse("appointments:cancel", args=[_booking(w).number]),
        "citizen",
    ),
    ObjectURL(
        "page: reschedule booking",
        "post",
        lambda w: reverse("appointments:reschedule", args=[_booking(w).number]),
        "citizen",
        data=lambda w: {"slot": _hall(w)["slots"][1].pk},
    ),
    ObjectURL(
        "page: window",
        "get",
        lambda w: reverse("appointments:window", args=[_hall(w)["window"].pk]),
        "staff",
        shows=lambda w: _hall(w)["window"].number,
    ),
    ObjectURL(
        "page: call the next number at a window",
        "post",
        lambda w: reverse("appointments:window", args=[_waiting_window(w).pk]),
        "staff",
        data=lambda w: {"action": "call"},
    ),
    ObjectURL(
        "api: cancel booking",
        "post",
        lambda w: api_url(f"/appointments/bookings/{_booking(w).number}/cancel"),
        "citizen",
    ),
    ObjectURL(
        "api: reschedule booking",
        "post",
        lambda w: api_url(f"/appointments/bookings/{_booking(w).number}/reschedule"),
        "citizen",
        data=lambda w: {"slot": _hall(w)["slots"][1].pk},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
