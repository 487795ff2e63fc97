"""Booking, cancelling, rescheduling, check-in, walk-ins and the window's calls, with every refusal."""

import datetime as dt

import pytest

from tests.appointments.conftest import MONDAY_10, make_slot
from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory
from tongban.appointments import selectors, services
from tongban.appointments.models import Booking, Slot, Suspension, Ticket
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.models import AuditEntry

TUESDAY = dt.date(2026, 12, 8)
NINE = dt.time(9, 0)


@pytest.fixture
def slot(hall, clock):
    return make_slot(hall["windows"][0], TUESDAY, NINE, quota=2)


def test_booking_takes_a_place_and_gets_a_number(hall, slot):
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    slot.refresh_from_db()
    assert slot.booked == 1
    assert (
        booking.status == Booking.Status.BOOKED and len(booking.number) == 14 and len(booking.check_code) == 6
    )
    assert AuditEntry.objects.filter(action="appointments.book", object_id=str(booking.pk)).exists()


def test_a_full_slot_is_refused_and_changes_nothing(hall, slot):
    for name in ("甲", "乙"):
        services.book(user=citizen(name), item=hall["item"], slot=slot)
    with pytest.raises(services.SlotFull):
        services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    slot.refresh_from_db()
    assert slot.booked == 2 and Booking.objects.count() == 2


def test_a_full_window_falls_back_to_another_window_at_the_same_time(hall, slot):
    other = make_slot(hall["windows"][1], TUESDAY, NINE, quota=1)
    for name in ("甲", "乙"):
        services.book(user=citizen(name), item=hall["item"], slot=slot)
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    assert booking.slot_id == other.pk


def test_one_active_booking_per_person_and_item(hall, slot):
    services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    later = make_slot(hall["windows"][0], TUESDAY, dt.time(10, 0))
    with pytest.raises(services.AlreadyBooked):
        services.book(user=hall["citizen"], item=hall["item"], slot=later)
    later.refresh_from_db()
    assert later.booked == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda w, s: setattr(w["item"], "supports_appointment", False) or w["item"].save(), "not_bookable"),
        (
            lambda w, s: Slot.objects.filter(pk=s.pk).update(date=dt.date(2026, 12, 7), start=dt.time(9, 0)),
            "slot_past",
        ),
        (lambda w, s: Slot.objects.filter(pk=s.pk).update(date=dt.date(2027, 3, 1)), "slot_too_far"),
        (lambda w, s: w["windows"][0].items.clear(), "slot_not_for_item"),
    ],
    ids=["item without 预约", "slot already begun", "beyond the horizon", "window not for the item"],
)
def test_booking_refusals(hall, slot, change, code):
    change(hall, slot)
    with pytest.raises(InvalidInput) as exc:
        services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    assert exc.value.code == code
    assert not Booking.objects.exists()


def test_staff_and_anonymous_cannot_book(hall, slot):
    from django.contrib.auth.models import AnonymousUser

    for user in (hall["clerk"], AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.book(user=user, item=hall["item"], slot=slot)


def test_cancel_gives_the_place_back_until_the_deadline(hall, slot, clock):
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    with pytest.raises(NotFound):
        services.cancel(user=citizen("别人"), booking=booking)
    services.cancel(user=hall["citizen"], booking=booking)
    slot.refresh_from_db()
    assert slot.booked == 0
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    again = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    clock.set(dt.datetime(2026, 12, 8, 8, 30))  # 30 minutes before the slot: deadline is 60
    with pytest.raises(InvalidInput) as exc:
        services.cancel(user=hall["citizen"], booking=again)
    assert exc.value.code == "change_deadline_passed"


def test_reschedule_keeps_the_number_and_moves_the_place(hall, slot):
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    later = make_slot(hall["windows"][0], TUESDAY, dt.time(10, 0))
    moved = services.reschedule(user=hall["citizen"], booking=booking, slot=later)
    slot.refresh_from_db()
    later.refresh_from_db()
    assert moved.number == booking.number and moved.slot_id == later.pk and moved.rescheduled == 1
    assert (slot.booked, later.booked) == (0, 1)
    with pytest.raises(InvalidInput):
        services.reschedule(user=hall["citizen"], booking=moved, slot=later)


def _today_slot(hall, clock, window=0, start=dt.time(9, 50)):
    return make_slot(hall["windows"][window], clock.today, start, minutes=30)


def test_check_in_turns_the_booking_into_a_ticket(hall, clock):
    clock.set(dt.datetime(2026, 12, 7, 9, 0))
    slot = _today_slot(hall, clock)
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    with pytest.raises(InvalidInput) as exc:
        services.check_in(
            hall=hall["hall"],
            number=booking.number,
            code="000000" if booking.check_code != "000000" else "111111",
        )
    assert exc.value.code == "bad_booking"
    clock.set(dt.datetime(2026, 12, 7, 9, 40))
    ticket = services.check_in(hall=hall["hall"], number=booking.number, code=booking.check_code)
    assert ticket.number == "Y001" and ticket.priority == 0
    assert ticket.queue_at.astimezone(slot_tz()).time() == dt.time(9, 50)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CHECKED_IN
    with pytest.raises(InvalidInput) as exc:
        services.check_in(hall=hall["hall"], number=booking.number, code=booking.check_code)
    assert exc.value.code == "already_checked_in"


def slot_tz():
    from django.utils import timezone

    return timezone.get_current_timezone()


@pytest.mark.parametrize(
    ("at", "code"), [((8, 40), "check_in_too_early"), ((10, 40), "check_in_too_late")], ids=["early", "late"]
)
def test_check_in_only_around_the_slot(hall, clock, at, code):
    clock.set(dt.datetime(2026, 12, 7, 8, 0))
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=_today_slot(hall, clock))
    clock.set(dt.datetime(2026, 12, 7, *at))
    with pytest.raises(InvalidInput) as exc:
        services.check_in(hall=hall["hall"], number=booking.number, code=booking.check_code)
    assert exc.value.code == code
    assert not Ticket.objects.exists()


def test_check_in_at_another_hall_is_refused(hall, clock):
    from tests.appointments.conftest import build_hall

    clock.set(dt.datetime(2026, 12, 7, 9, 0))
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=_today_slot(hall, clock))
    other = build_hall(DepartmentFactory())["hall"]
    with pytest.raises(InvalidInput):
        services.check_in(hall=other, number=booking.number, code=booking.check_code)


def test_walk_ins_take_the_walk_in_share(hall, clock):
    slot = make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=7, capacity=8)
    first = services.take_walk_in(hall=hall["hall"], item=hall["item"])
    assert first.number == "A001" and first.priority == 1
    slot.refresh_from_db()
    assert slot.walk_ins == 1
    with pytest.raises(InvalidInput) as exc:
        services.take_walk_in(hall=hall["hall"], item=hall["item"])
    assert exc.value.code == "walk_ins_full"


def test_walk_in_for_an_item_not_served_here(hall, clock):
    from tests.factories import PublishedItemFactory

    with pytest.raises(InvalidInput) as exc:
        services.take_walk_in(hall=hall["hall"], item=PublishedItemFactory())
    assert exc.value.code == "item_not_here"


def test_booked_people_come_first_within_their_slot(hall, clock):
    clock.set(dt.datetime(2026, 12, 7, 9, 30))
    slot = make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    booking = services.book(user=hall["citizen"], item=hall["item"], slot=slot)
    early_walk_in = services.take_walk_in(hall=hall["hall"], item=hall["item"])  # 09:30, before the slot
    clock.set(dt.datetime(2026, 12, 7, 9, 55))
    booked = services.check_in(hall=hall["hall"], number=booking.number, code=booking.check_code)
    clock.set(dt.datetime(2026, 12, 7, 10, 0))
    on_time_walk_in = services.take_walk_in(hall=hall["hall"], item=hall["item"])  # same moment as the slot
    window = hall["windows"][0]
    order = []
    for _ in range(3):
        ticket = services.call_next(clerk=hall["clerk"], window=window)
        order.append(ticket.pk)
        services.skip(clerk=hall["clerk"], ticket=ticket)
    assert order == [early_walk_in.pk, booked.pk, on_time_walk_in.pk]


def test_the_window_calls_serves_and_finishes_and_the_visit_can_be_rated(hall, clock):
    from tongban.ratings import services as ratings
    from tongban.ratings.models import Rating

    slot = make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    window = hall["windows"][0]
    with pytest.raises(NotFound):  # not called yet: no window has it
        services.skip(clerk=hall["clerk"], ticket=Ticket.objects.get())
    clock.advance(minutes=7)
    ticket = services.call_next(clerk=hall["clerk"], window=window)
    assert ticket.status == Ticket.Status.CALLED and ticket.wait_seconds == 420 and ticket.window == window
    with pytest.raises(InvalidInput) as exc:
        services.call_next(clerk=hall["clerk"], window=window)
    assert exc.value.code == "window_busy"
    ticket = services.recall(clerk=hall["clerk"], ticket=ticket)
    assert ticket.call_count == 2
    services.start_service(clerk=hall["clerk"], ticket=ticket)
    clock.advance(minutes=5)
    ticket = services.finish(clerk=hall["clerk"], ticket=ticket)
    assert ticket.status == Ticket.Status.DONE and ticket.service_seconds == 300
    assert ticket.rating_token is not None
    rating = ratings.rate_visit(token=ticket.rating_token, level=5)
    assert rating.channel == Rating.Channel.WINDOW and rating.department == hall["department"]
    assert slot.pk


def test_only_the_departments_intake_staff_work_the_window(hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    for outsider in (
        staff(DepartmentFactory(), "intake"),
        staff(hall["department"], "review"),
        hall["citizen"],
    ):
        with pytest.raises(NotFound):
            services.call_next(clerk=outsider, window=hall["windows"][0])
    assert Ticket.objects.get().status == Ticket.Status.WAITING


def test_an_empty_queue_says_so(hall, clock):
    with pytest.raises(InvalidInput) as exc:
        services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    assert exc.value.code == "queue_empty"


def test_two_windows_never_call_the_same_ticket(hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    services.take_walk_in(hall=hall["hall"], item=hall["item"])
    a = services.call_next(clerk=hall["clerk"], window=hall["windows"][0])
    b = services.call_next(clerk=hall["clerk"], window=hall["windows"][1])
    assert a.pk != b.pk


def test_three_no_shows_in_30_days_suspend_booking(hall, clock):
    person = hall["citizen"]
    for n in range(3):
        day = dt.date(2026, 12, 8) + dt.timedelta(days=n)
        clock.set(dt.datetime(2026, 12, 7, 10, 0))
        booking = services.book(user=person, item=hall["item"], slot=make_slot(hall["windows"][0], day, NINE))
        clock.set(dt.datetime.combine(day, dt.time(9, 44)))
        assert services.mark_no_shows() == 0  # still within the check-in time
        clock.set(dt.datetime.combine(day, dt.time(9, 46)))
        assert services.mark_no_shows() == 1
        assert Booking.objects.get(pk=booking.pk).status == Booking.Status.NO_SHOW
        assert Suspension.objects.filter(user=person).exists() == (n == 2)
    later = make_slot(hall["windows"][0], dt.date(2026, 12, 14), NINE)
    with pytest.raises(PermissionDenied) as exc:
        services.book(user=person, item=hall["item"], slot=later)
    assert exc.value.code == "booking_suspended"
    clock.set(dt.datetime(2027, 1, 9, 10, 0))  # 30 days on
    assert selectors_active(person) is None


def selectors_active(person):
    from tongban.appointments import access

    return access.active_suspension(person)


def test_no_shows_limit_is_configurable(hall, clock, settings):
    settings.TONGBAN_APPOINTMENT_NO_SHOWS = (1, 30, 7)
    booking = services.book(
        user=hall["citizen"], item=hall["item"], slot=make_slot(hall["windows"][0], TUESDAY, NINE)
    )
    clock.set(dt.datetime(2026, 12, 8, 12, 0))
    services.mark_no_shows()
    suspension = Suspension.objects.get(user=hall["citizen"])
    assert (suspension.ends_at - suspension.starts_at).days == 7
    assert booking.pk


def test_the_queue_position_counts_people_ahead(hall, clock):
    make_slot(hall["windows"][0], clock.today, dt.time(10, 0), quota=2, capacity=6)
    first = services.take_walk_in(hall=hall["hall"], item=hall["item"])
    clock.advance(seconds=1)
    second = services.take_walk_in(hall=hall["hall"], item=hall["item"])
    assert (selectors.people_ahead(first), selectors.people_ahead(second)) == (0, 1)
    assert MONDAY_10
