"""The API answers as the pages do: free times, booking (201, 409 when full), my bookings,
cancel, reschedule, and the hall's current calls."""

import datetime as dt

import pytest

from tests.appointments.conftest import make_slot
from tests.cases.conftest import citizen
from tongban.appointments import services

TUESDAY = dt.date(2026, 12, 8)


@pytest.fixture
def slot(hall, clock):
    return make_slot(hall["windows"][0], TUESDAY, dt.time(9, 0), quota=1)


def test_days_list_the_places_left(client, hall, slot):
    answer = client.get(f"/api/v1/appointments/items/{hall['item'].pk}/halls/{hall['hall'].code}/days")
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "date": "2026-12-08",
            "times": [{"slot": slot.pk, "start": "09:00:00", "end": "09:30:00", "left": 1}],
        }
    ]
    assert (
        client.get(f"/api/v1/appointments/items/{hall['item'].pk}/halls").json()[0]["code"]
        == hall["hall"].code
    )


def test_book_cancel_and_reschedule_through_the_api(client, hall, slot):
    assert (
        client.post(
            "/api/v1/appointments/bookings",
            {"item": hall["item"].pk, "slot": slot.pk},
            content_type="application/json",
        ).status_code
        == 401
    )
    client.force_login(hall["citizen"])
    made = client.post(
        "/api/v1/appointments/bookings",
        {"item": hall["item"].pk, "slot": slot.pk},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["status"] == "booked"
    number = made.json()["number"]
    assert [b["number"] for b in client.get("/api/v1/appointments/bookings").json()] == [number]
    later = make_slot(hall["windows"][0], TUESDAY, dt.time(10, 0))
    moved = client.post(
        f"/api/v1/appointments/bookings/{number}/reschedule",
        {"slot": later.pk},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["start"] == "10:00:00"
    assert client.post(f"/api/v1/appointments/bookings/{number}/cancel").json()["status"] == "cancelled"


def test_a_full_slot_is_409_with_its_code(client, hall, slot):
    services.book(user=citizen("甲"), item=hall["item"], slot=slot)
    client.force_login(hall["citizen"])
    answer = client.post(
        "/api/v1/appointments/bookings",
        {"item": hall["item"].pk, "slot": slot.pk},
        content_type="application/json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "slot_full"


def test_someone_elses_booking_is_404(client, hall, slot):
    booking = services.book(user=citizen("甲"), item=hall["item"], slot=slot)
    client.force_login(hall["citizen"])
    assert client.post(f"/api/v1/appointments/bookings/{booking.number}/cancel").status_code == 404


def test_the_screen_is_public(client, hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    answer = client.get(f"/api/v1/appointments/halls/{hall['hall'].code}/screen")
    assert answer.json() == {
        "hall": "区政务服务中心",
        "waiting": 0,
        "calls": [{"number": "A001", "window": "1号窗口", "status": "called"}],
    }
