"""Slots come from the windows' weekday templates on working days only: the holiday table
(chinese-calendar's State Council arrangement, admins' overrides) decides, an adjusted working
weekend day (调休) follows Monday's plan, and generating again changes nothing."""

import datetime as dt

import pytest

from tongban.appointments.models import Slot, SlotTemplate
from tongban.appointments.services import generate_slots
from tongban.workdays.models import DayOverride


@pytest.fixture
def planned(hall):
    window = hall["windows"][0]
    for weekday in range(5):
        for start in (dt.time(9, 0), dt.time(9, 30)):
            end = dt.time(start.hour, start.minute + 30) if start.minute == 0 else dt.time(10, 0)
            SlotTemplate.objects.create(
                window=window, weekday=weekday, start=start, end=end, capacity=6, online_quota=4
            )
    # Monday's plan has one more slot, so a 调休 Saturday shows whose plan it follows.
    SlotTemplate.objects.create(
        window=window, weekday=0, start=dt.time(10, 0), end=dt.time(10, 30), capacity=6, online_quota=4
    )
    return hall


def _days(hall):
    counts = {}
    for date in Slot.objects.filter(hall=hall["hall"]).values_list("date", flat=True):
        counts[date] = counts.get(date, 0) + 1
    return counts


def test_national_day_2026_has_no_slots_and_its_working_saturday_follows_monday(planned):
    made = generate_slots(planned["hall"], dt.date(2026, 9, 28), dt.date(2026, 10, 11))
    days = _days(planned)
    assert made == sum(days.values())
    assert days == {
        dt.date(2026, 9, 28): 3,  # Monday
        dt.date(2026, 9, 29): 2,
        dt.date(2026, 9, 30): 2,
        # 1–7 October: 国庆节, no slots
        dt.date(2026, 10, 8): 2,
        dt.date(2026, 10, 9): 2,
        dt.date(2026, 10, 10): 3,  # Saturday worked (调休): Monday's plan
    }
    assert generate_slots(planned["hall"], dt.date(2026, 9, 28), dt.date(2026, 10, 11)) == 0


def test_an_admins_holiday_removes_untaken_slots_and_keeps_booked_ones(planned):
    week = (dt.date(2026, 12, 14), dt.date(2026, 12, 20))
    generate_slots(planned["hall"], *week)
    wednesday = dt.date(2026, 12, 16)
    taken = Slot.objects.get(hall=planned["hall"], date=wednesday, start=dt.time(9, 0))
    Slot.objects.filter(pk=taken.pk).update(booked=1)
    DayOverride.objects.create(date=wednesday, kind=DayOverride.Kind.HOLIDAY, name="临时放假")
    DayOverride.objects.create(date=dt.date(2026, 12, 19), kind=DayOverride.Kind.WORKDAY, name="调休")
    generate_slots(planned["hall"], *week)
    days = _days(planned)
    assert days[wednesday] == 1 and Slot.objects.filter(date=wednesday).get().pk == taken.pk
    assert days[dt.date(2026, 12, 19)] == 3
    assert dt.date(2026, 12, 20) not in days


def test_a_late_opening_slot_on_a_rest_day_survives_the_refresh(planned):
    """延时服务 added by hand on a Saturday (what the demo adds for whoever tries it at night or at
    the weekend) is kept by the templates' refresh, which removes untaken template slots only."""
    saturday = dt.date(2026, 12, 19)
    window = planned["hall"].windows.first()
    late = Slot.objects.create(
        hall=planned["hall"],
        window=window,
        date=saturday,
        start=dt.time(20, 0),
        end=dt.time(20, 30),
        capacity=6,
        online_quota=4,
        extra=True,
    )
    plain = Slot.objects.create(
        hall=planned["hall"],
        window=window,
        date=saturday,
        start=dt.time(9, 0),
        end=dt.time(9, 30),
        capacity=6,
        online_quota=4,
    )
    generate_slots(planned["hall"], saturday, saturday)
    assert list(Slot.objects.filter(date=saturday)) == [late]
    assert not Slot.objects.filter(pk=plain.pk).exists()
