"""A hall with two windows of one department, a bookable item and a clock the tests move."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory, PublishedItemFactory
from tongban.appointments.models import Hall, Slot, Window

_codes = itertools.count(1)
# A Monday, 10:00 in the hall's time zone: every test sees the same day and hour.
MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0)


def build_hall(department=None, *, quota: int = 5, capacity: int = 8, windows: int = 2) -> dict:
    """Hall, windows serving one item, and one 09:00–09:30 slot per window on the next days."""
    department = department or DepartmentFactory(name="区人力资源和社会保障局")
    item = PublishedItemFactory(name="失业保险金申领", department=department, supports_appointment=True)
    hall = Hall.objects.create(
        code=f"hall-{next(_codes)}",
        name="区政务服务中心",
        address="建设路 1 号",
        region=department.region,
        department=department,
        book_days_ahead=30,
    )
    made = []
    for n in range(1, windows + 1):
        window = Window.objects.create(hall=hall, number=f"{n}号窗口", department=department)
        window.items.add(item)
        made.append(window)
    return {"department": department, "item": item, "hall": hall, "windows": made}


def make_slot(
    window, day: dt.date, start: dt.time, minutes: int = 30, *, quota: int = 5, capacity: int = 8
) -> Slot:
    end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=minutes)).time()
    return Slot.objects.create(
        hall=window.hall, window=window, date=day, start=start, end=end, capacity=capacity, online_quota=quota
    )


class Clock:
    """``timezone.now`` under the test's control (local time of the hall)."""

    def __init__(self, monkeypatch, at: dt.datetime):
        self.at = timezone.make_aware(at)
        monkeypatch.setattr(timezone, "now", lambda: self.at)

    def set(self, at: dt.datetime) -> None:
        self.at = timezone.make_aware(at)

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)

    @property
    def today(self) -> dt.date:
        return timezone.localtime(self.at).date()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_10)


@pytest.fixture
def hall(db):
    world = build_hall()
    world["clerk"] = staff(world["department"], "intake", name="窗口")
    world["citizen"] = citizen("张晓明")
    return world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The factories hash a password per person; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
