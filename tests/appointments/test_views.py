"""The pages: booking, my bookings, cancel, the kiosk, the ticket, the call screen, the window."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.appointments.conftest import make_slot
from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory, login_verified
from tongban.appointments import selectors, services
from tongban.appointments.models import Booking, Ticket

TUESDAY = dt.date(2026, 12, 8)


@pytest.fixture
def slot(hall, clock):
    return make_slot(hall["windows"][0], TUESDAY, dt.time(9, 0), quota=1)


def test_the_booking_page_books_a_chosen_time(client, hall, slot):
    client.force_login(hall["citizen"])
    url = reverse("appointments:book", args=[hall["item"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "09:00–09:30" in page.text and f'value="{slot.pk}"' in page.text
    answer = client.post(url, {"slot": slot.pk, "hall": hall["hall"].code})
    booking = Booking.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "appointments:booking", args=[booking.number]
    )
    detail = client.get(answer["Location"])
    assert booking.number in detail.text and booking.check_code in detail.text and "<svg" in detail.text


def test_a_full_time_is_refused_with_a_message(client, hall, slot):
    services.book(user=citizen("甲"), item=hall["item"], slot=slot)
    client.force_login(hall["citizen"])
    url = reverse("appointments:book", args=[hall["item"].pk])
    assert "已约满" in client.get(url).text
    answer = client.post(url, {"slot": slot.pk})
    assert answer.status_code == 409 and "该时段已约满" in answer.text
    assert Booking.objects.count() == 1


def test_booking_asks_to_sign_in(client, hall, slot):
    answer = client.get(reverse("appointments:book", args=[hall["item"].pk]))
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_someone_elses_booking_is_not_found(client, hall, slot):
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    client.force_login(citizen("别人"))
    assert client.get(reverse("appointments:booking", args=[booking.number])).status_code == 404
    assert client.post(reverse("appointments:cancel", args=[booking.number])).status_code == 404
    assert Booking.objects.get().status == Booking.Status.BOOKED


def test_cancel_from_the_booking_page(client, hall, slot):
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    client.force_login(hall["citizen"])
    client.post(reverse("appointments:cancel", args=[booking.number]))
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    assert "取消" in client.get(reverse("appointments:my_bookings")).text


def test_the_kiosk_checks_in_from_the_qr_link_and_shows_the_ticket(client, hall, clock):
    clock.set(dt.datetime(2026, 12, 7, 9, 0))
    slot = make_slot(hall["windows"][0], clock.today, dt.time(9, 30))
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    kiosk = reverse("appointments:kiosk", args=[hall["hall"].code])
    page = client.get(f"{kiosk}?n={booking.number}&c={booking.check_code}")
    assert f'value="{booking.number}"' in page.text
    wrong = client.post(kiosk, {"action": "check_in", "number": booking.number, "code": "x"})
    assert wrong.status_code == 400 and "预约号或签到码不正确" in wrong.text
    answer = client.post(kiosk, {"action": "check_in", "number": booking.number, "code": booking.check_code})
    ticket = Ticket.objects.get()
    assert answer["Location"] == reverse("appointments:ticket", args=[hall["hall"].code, ticket.token])
    assert "Y001" in client.get(answer["Location"]).text


def test_the_kiosk_gives_walk_in_tickets(client, hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    kiosk = reverse("appointments:kiosk", args=[hall["hall"].code])
    answer = client.post(kiosk, {"action": "walk_in", "item": hall["item"].pk})
    assert answer.status_code == 302 and Ticket.objects.get().number == "A001"
    assert client.post(kiosk, {"action": "walk_in", "item": "999999"}).status_code == 400


def test_the_call_screen_shows_calls_and_refreshes_without_javascript(client, hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    screen = reverse("appointments:screen", args=[hall["hall"].code])
    page = client.get(screen)
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert "A001" in page.text and "1号窗口" in page.text and 'aria-live="assertive"' in page.text
    partial = client.get(screen, headers={"HX-Request": "true"})
    assert "A001" in partial.text and "<html" not in partial.text
    assert client.get(reverse("appointments:screen", args=["no-such-hall"])).status_code == 404


def test_the_window_page_calls_serves_finishes_and_shows_the_rating_code(client, hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    login_verified(client, hall["clerk"])
    url = reverse("appointments:window", args=[hall["windows"][0].pk])
    assert "叫下一个号" in client.get(url).text
    for action in ("call", "recall", "serve", "finish"):
        assert client.post(url, {"action": action}).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.DONE and ticket.call_count == 2
    page = client.get(url)
    assert reverse("ratings:visit", args=[ticket.rating_token]) in page.text and "<svg" in page.text
    client.post(url, {"action": "call"})
    assert "当前没有等候的号码" in client.get(url).text


def test_the_window_page_is_only_for_its_departments_intake_staff(client, hall):
    login_verified(client, staff(DepartmentFactory(), "intake"))
    assert client.get(reverse("appointments:window", args=[hall["windows"][0].pk])).status_code == 404
    client.force_login(hall["citizen"])
    assert client.get(reverse("appointments:window", args=[hall["windows"][0].pk])).status_code == 404


def test_supervisors_see_waiting_figures_others_do_not(client, hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    clock.advance(minutes=12)
    services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    login_verified(client, staff(hall["department"], "supervisor"))
    page = client.get(reverse("appointments:figures"))
    assert page.status_code == 200 and "区政务服务中心" in page.text and "12.0" in page.text
    login_verified(client, hall["clerk"])
    assert client.get(reverse("appointments:figures")).status_code == 404


def test_the_supervision_dashboard_reads_bookings_no_shows_and_waiting(hall, clock):
    tomorrow = clock.today + dt.timedelta(days=1)
    slot = make_slot(hall["windows"][0], tomorrow, dt.time(9, 0), quota=2, capacity=6)
    first, second = citizen("甲"), citizen("乙")
    for person in (first, second):
        services.book(user=person, item=hall["item"], slot=slot)
    Booking.objects.filter(user=second).update(status=Booking.Status.NO_SHOW)
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    clock.advance(minutes=12)
    services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    day = {"start": clock.today, "end": tomorrow}
    assert selectors.region_figures(region_code=hall["hall"].region.code, **day) == {
        "bookings": 2,
        "no_shows": 1,
        "average_wait_minutes": 12.0,
    }
    assert selectors.region_figures(department_id=hall["department"].pk, **day)["bookings"] == 2
    assert selectors.region_figures(region_code="110101", **day) == {
        "bookings": 0,
        "no_shows": 0,
        "average_wait_minutes": None,
    }
