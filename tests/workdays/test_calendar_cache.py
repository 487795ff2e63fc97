"""The per-process snapshot of the holiday table and how changes reach it."""

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import transaction

from tongban.workdays import calendar
from tongban.workdays.models import DayOverride
from tongban.workdays.services import publish_year

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)  # 11-24 is an ordinary Tuesday


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    """Some tests here write behind the signals' back; their snapshot must not outlive them."""
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_a_holiday_entered_here_counts_at_once():
    assert calendar.add_workdays(MONDAY, 1).date == dt.date(2026, 11, 24)
    DayOverride.objects.create(date=dt.date(2026, 11, 24), kind=DayOverride.Kind.HOLIDAY, name="测试")
    assert calendar.add_workdays(MONDAY, 1).date == dt.date(2026, 11, 25)
    DayOverride.objects.filter(date=dt.date(2026, 11, 24)).delete()
    assert calendar.add_workdays(MONDAY, 1).date == dt.date(2026, 11, 24)


def test_the_snapshot_is_reused_until_the_shared_stamp_moves(monkeypatch):
    """Another process's commit only replaces the stamp in the shared cache."""
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 0)
    calendar.clear_cache()
    assert calendar.is_workday(dt.date(2026, 11, 24))
    # Written behind this process's back (bulk_create sends no signal), as another process would.
    DayOverride.objects.bulk_create([DayOverride(date=dt.date(2026, 11, 24), kind=DayOverride.Kind.HOLIDAY)])
    assert calendar.is_workday(dt.date(2026, 11, 24)), "served from the snapshot"
    caches["default"].set(calendar.VERSION_KEY, "moved-by-another-process", None)
    assert not calendar.is_workday(dt.date(2026, 11, 24))


def test_the_stamp_is_read_at_most_every_few_seconds(monkeypatch):
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 3600)
    calendar.clear_cache()
    assert calendar.is_workday(dt.date(2026, 11, 24))
    DayOverride.objects.bulk_create([DayOverride(date=dt.date(2026, 11, 24), kind=DayOverride.Kind.HOLIDAY)])
    caches["default"].set(calendar.VERSION_KEY, "moved", None)
    assert calendar.is_workday(dt.date(2026, 11, 24))
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 0)
    assert not calendar.is_workday(dt.date(2026, 11, 24))


def test_a_change_that_is_rolled_back_is_not_kept():
    assert calendar.is_workday(dt.date(2026, 11, 24))
    with pytest.raises(RuntimeError), transaction.atomic():
        DayOverride.objects.create(date=dt.date(2026, 11, 24), kind=DayOverride.Kind.HOLIDAY)
        assert not calendar.is_workday(dt.date(2026, 11, 24)), "the changing transaction sees its change"
        raise RuntimeError
    assert calendar.is_workday(dt.date(2026, 11, 24))


def test_publishing_a_year_in_bulk_takes_effect_at_once():
    assert calendar.add_workdays(dt.date(2027, 3, 1), 1).estimated
    publish_year(
        actor=None, year=2027, holidays=[(dt.date(2027, 3, 2), "测试假日")], workdays=[], source="测试"
    )
    result = calendar.add_workdays(dt.date(2027, 3, 1), 1)
    assert result == calendar.Deadline(dt.date(2027, 3, 3), estimated=False)


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_moves_the_shared_stamp():
    calendar.is_workday(MONDAY)
    before = caches["default"].get(calendar.VERSION_KEY)
    DayOverride.objects.create(date=dt.date(2026, 11, 24), kind=DayOverride.Kind.HOLIDAY)
    after = caches["default"].get(calendar.VERSION_KEY)
    assert after is not None and after != before
    assert not calendar.is_workday(dt.date(2026, 11, 24))
