import datetime as dt

import pytest

from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.workdays import calendar
from tongban.workdays.models import DayOverride, PublishedYear
from tongban.workdays.services import publish_year

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 16), False),  # Spring Festival holiday (Monday)
        (D(2026, 2, 14), True),  # adjusted Saturday workday before the festival
        (D(2026, 2, 28), True),  # adjusted Saturday workday after
        (D(2026, 10, 1), False),  # National Day
        (D(2026, 10, 10), True),  # adjusted Saturday workday
        (D(2026, 9, 20), True),  # adjusted Sunday workday
        (D(2026, 11, 23), True),  # ordinary Monday
        (D(2026, 11, 22), False),  # ordinary Sunday
    ],
)
def test_is_workday_2026(day, expected):
    assert calendar.is_workday(day) is expected


def test_five_working_days_from_2026_09_28_cross_national_day():
    # 9-29, 9-30 work; 10-1..10-7 holidays; 10-8, 10-9 work and Saturday 10-10 is an adjusted
    # workday -> the fifth working day is 10-10 (the start day is not counted).
    result = calendar.add_workdays(D(2026, 9, 28), 5)
    assert result == calendar.Deadline(D(2026, 10, 10), estimated=False)
    assert calendar.add_workdays(D(2026, 9, 28), 6).date == D(2026, 10, 12)  # Sunday 10-11 is a rest day


def test_working_days_across_the_2026_spring_festival():
    # From Friday 2026-02-13: Saturday 2-14 is an adjusted workday (day 1); 2-15..2-23 are the
    # festival; 2-24 is day 2; the adjusted Saturday 2-28 is day 6.
    assert calendar.add_workdays(D(2026, 2, 13), 1).date == D(2026, 2, 14)
    assert calendar.add_workdays(D(2026, 2, 13), 2).date == D(2026, 2, 24)
    assert calendar.add_workdays(D(2026, 2, 13), 6).date == D(2026, 2, 28)


def test_workdays_between_is_inverse_of_add():
    start = D(2026, 9, 1)
    for n in (0, 1, 5, 20, 30):
        end = calendar.add_workdays(start, n).date
        assert calendar.workdays_between(start, end) == n
    assert calendar.workdays_between(D(2026, 10, 10), D(2026, 9, 28)) == -5


def test_year_without_data_is_computed_and_flagged():
    result = calendar.add_workdays(D(2026, 12, 28), 10)
    assert result.estimated is True
    assert result.date.year == 2027
    assert calendar.year_has_data(2027) is False
    inside_2026 = calendar.add_workdays(D(2026, 11, 2), 10)
    assert inside_2026.estimated is False


def test_natural_days_and_unknown_unit():
    # 5 natural days end on 3 October, a National Day holiday: the period ends on the next
    # working day, 8 October (民法典 第二百零三条; see test_natural_days.py).
    assert calendar.add_period(D(2026, 9, 28), 5, "Z") == calendar.Deadline(D(2026, 10, 8), False)
    assert calendar.add_period(D(2026, 9, 28), 2, "Z") == calendar.Deadline(D(2026, 9, 30), False)
    assert calendar.add_period(D(2026, 9, 28), 5, "G").date == D(2026, 10, 10)
    with pytest.raises(ValueError):
        calendar.add_period(D(2026, 9, 28), 5, "X")


def test_admin_publishes_2027_and_deadlines_become_exact(admin_user):
    holidays = [(D(2027, 1, 1), "元旦")] + [(D(2027, 2, d), "春节") for d in range(6, 13)]
    publish_year(actor=admin_user, year=2027, holidays=holidays, workdays=[D(2027, 2, 14)], source="测试通知")
    assert PublishedYear.objects.filter(year=2027).exists()
    assert calendar.year_has_data(2027)
    assert calendar.is_workday(D(2027, 2, 8)) is False  # Monday in the published holiday
    assert calendar.is_workday(D(2027, 2, 14)) is True  # adjusted Sunday
    result = calendar.add_workdays(D(2027, 2, 5), 1)
    assert result == calendar.Deadline(D(2027, 2, 14), estimated=False)


def test_publish_year_refusals(django_user_model):
    plain = django_user_model.objects.create_user(username="plain", password="x-Strong-pass-1")
    with pytest.raises(PermissionDenied):
        publish_year(actor=plain, year=2027, holidays=[], workdays=[])
    with pytest.raises(InvalidInput):
        publish_year(actor=None, year=2027, holidays=[(D(2028, 1, 1), "元旦")], workdays=[])
    with pytest.raises(InvalidInput):
        publish_year(actor=None, year=2027, holidays=[(D(2027, 1, 2), "元旦")], workdays=[D(2027, 1, 2)])
    assert not DayOverride.objects.exists()
    assert not PublishedYear.objects.exists()


def test_override_beats_library():
    DayOverride.objects.create(date=D(2026, 11, 23), kind=DayOverride.Kind.HOLIDAY, name="测试")
    assert calendar.is_workday(D(2026, 11, 23)) is False


@pytest.mark.parametrize(
    ("end", "days", "expected"),
    [
        (D(2026, 11, 24), 2, D(2026, 11, 20)),  # Tue, 2 left from the Friday before
        (D(2026, 11, 27), 2, D(2026, 11, 25)),  # Fri, 2 left from Wednesday
        (D(2026, 10, 12), 2, D(2026, 10, 9)),  # across the adjusted Saturday 10-10
    ],
)
def test_subtract_workdays_is_the_start_of_the_warning_span(end, days, expected):
    start = calendar.subtract_workdays(end, days)
    assert start == expected
    assert calendar.workdays_between(start, end) == days
    assert calendar.workdays_between(start - dt.timedelta(days=1), end) > days
