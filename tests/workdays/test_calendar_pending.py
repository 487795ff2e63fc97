"""A rolled-back change to the holiday table: the changing thread reads the table only while it
may still see its own change, then uses the shared snapshot again."""

import datetime as dt

import pytest
from django.db import transaction

from tongban.workdays import calendar
from tongban.workdays.models import DayOverride

TUESDAY = dt.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_after_a_rollback_the_snapshot_is_used_again(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 3600)
    assert calendar.is_workday(TUESDAY)
    with pytest.raises(RuntimeError), transaction.atomic():
        DayOverride.objects.create(date=TUESDAY, kind=DayOverride.Kind.HOLIDAY)
        assert not calendar.is_workday(TUESDAY)
        raise RuntimeError
    assert calendar.is_workday(TUESDAY)
    # Written behind the signals' back: a thread still reading the table directly would see it.
    DayOverride.objects.bulk_create([DayOverride(date=TUESDAY, kind=DayOverride.Kind.HOLIDAY)])
    with django_assert_num_queries(0):
        assert calendar.is_workday(TUESDAY), "served from the snapshot, no query"


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_inside_a_transaction_reaches_the_snapshot():
    assert calendar.is_workday(TUESDAY)
    with transaction.atomic():
        DayOverride.objects.create(date=TUESDAY, kind=DayOverride.Kind.HOLIDAY)
        assert not calendar.is_workday(TUESDAY)
    assert not calendar.is_workday(TUESDAY)
    DayOverride.objects.filter(date=TUESDAY).delete()
    assert calendar.is_workday(TUESDAY)


def test_clear_cache_forgets_a_pending_change(db):
    with transaction.atomic():
        DayOverride.objects.create(date=TUESDAY, kind=DayOverride.Kind.HOLIDAY)
        calendar.clear_cache()
        assert not calendar._cache._in_pending_transaction()
