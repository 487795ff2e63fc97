"""Natural-day (自然日, unit Z) periods that end on a rest day end on the next working day
(民法典 第二百零三条), with the real 2026 arrangement from chinese-calendar and 2027 as admins
publish it (chinese-calendar has no 2027 data)."""

import datetime as dt
from types import SimpleNamespace

import pytest

from tongban.cases import clock
from tongban.workdays import calendar
from tongban.workdays.services import publish_year

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 9, 28), 5, D(2026, 10, 8)),  # ends 3 Oct (国庆) → first workday after the holiday
        (D(2026, 9, 24), 7, D(2026, 10, 8)),  # ends 1 Oct, 国庆 day one
        (D(2026, 10, 1), 9, D(2026, 10, 10)),  # ends 10 Oct, an adjusted Saturday workday: kept
        (D(2026, 2, 10), 5, D(2026, 2, 24)),  # ends 15 Feb, 春节 (15–23 Feb) → 24 Feb
        (D(2026, 2, 9), 5, D(2026, 2, 14)),  # ends 14 Feb, the adjusted Saturday before 春节: kept
        (D(2026, 11, 16), 5, D(2026, 11, 23)),  # ends on Saturday 21 Nov → Monday 23 Nov
        (D(2026, 11, 16), 4, D(2026, 11, 20)),  # ends on a Friday: unchanged
        (D(2026, 12, 26), 5, D(2026, 12, 31)),  # ends on a Thursday: unchanged
    ],
)
def test_a_natural_day_period_ending_on_a_rest_day_moves_to_the_next_working_day(start, days, due):
    result = calendar.add_period(start, days, "Z")
    assert result.date == due
    assert result.estimated is False


def test_zero_natural_days_is_the_day_itself():
    assert calendar.add_period(D(2026, 10, 3), 0, "Z").date == D(2026, 10, 3)


def test_2027_new_year_follows_the_published_arrangement():
    # 27 Dec 2026 + 5 natural days = Friday 1 Jan 2027. Without an arrangement for 2027 the
    # weekday counts as a working day and the date is flagged as estimated.
    before = calendar.add_period(D(2026, 12, 27), 5, "Z")
    assert before == calendar.Deadline(D(2027, 1, 1), True)
    # 元旦 (1 January) is a statutory holiday every year; once admins publish 2027, the period
    # ends on Monday 4 January.
    publish_year(actor=None, year=2027, holidays=[(D(2027, 1, 1), "元旦")], workdays=[], source="测试")
    assert calendar.add_period(D(2026, 12, 27), 5, "Z") == calendar.Deadline(D(2027, 1, 4), False)


def test_a_case_clock_with_a_natural_day_limit_uses_the_rule():
    item = SimpleNamespace(legal_limit=7, legal_limit_unit="Z", promised_limit=5, promised_limit_unit="Z")
    case = SimpleNamespace(item=item, legal_due=None, promised_due=None, due_estimated=False)
    clock.set_decision_deadlines(case, D(2026, 9, 24))
    assert case.legal_due == D(2026, 10, 8)  # 1 Oct, 国庆 → 8 Oct
    assert case.promised_due == D(2026, 9, 29)  # a Tuesday: unchanged
    assert case.due_estimated is False


def test_negative_natural_days_are_refused():
    with pytest.raises(ValueError):
        calendar.add_natural_days(D(2026, 11, 16), -1)
