"""Working-day arithmetic for legal and promised time limits.

A working day is a day the State Council's arrangement says people work: weekdays that are
not holidays, plus adjusted weekend workdays (调休). Sources, strongest first: admins'
``DayOverride`` rows, chinese-calendar (years it knows), and for a year nobody has published
yet, plain Monday–Friday — such results are returned with ``estimated=True`` so pages can
flag them. Periods follow the civil-law rule: the start day is not counted.
"""

import datetime as dt
from dataclasses import dataclass

import chinese_calendar

from .models import DayOverride, PublishedYear

WORKING_DAYS = "G"
NATURAL_DAYS = "Z"


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    estimated: bool  # True when a day in the span falls into a year without a published arrangement


class WorkCalendar:
    """Answers for a window of dates with one query for overrides and one for published years."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        self.overrides = {
            o.date: o.kind
            for o in DayOverride.objects.filter(date__gte=start, date__lte=end).only("date", "kind")
        }
        self.published = set(
            PublishedYear.objects.filter(year__gte=start.year, year__lte=end.year).values_list(
                "year", flat=True
            )
        )

    def year_known(self, year: int) -> bool:
        return year in self.published or _library_knows(year)

    def is_workday(self, day: dt.date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == DayOverride.Kind.WORKDAY
        if _library_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Like the module function, for dates inside this calendar's window."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + dt.timedelta(days=n))
        )


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    return WorkCalendar(day, day).is_workday(day)


def year_has_data(year: int) -> bool:
    return _library_knows(year) or PublishedYear.objects.filter(year=year).exists()


def add_workdays(start: dt.date, days: int) -> Deadline:
    """The date ``days`` working days after ``start`` (start not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    span_end = start + dt.timedelta(days=days * 2 + 40)
    cal = WorkCalendar(start, span_end)
    current, counted = start, 0
    while counted < days:
        current += dt.timedelta(days=1)
        if current > cal.end:
            cal = WorkCalendar(current, current + dt.timedelta(days=days * 2 + 40))
        if cal.is_workday(current):
            counted += 1
    estimated = any(not cal.year_known(y) for y in range(start.year, current.year + 1))
    return Deadline(current, estimated)


def subtract_workdays(end: dt.date, days: int) -> dt.date:
    """The earliest date ``d`` with ``workdays_between(d, end) <= days``.

    That is the (days + 1)-th working day counted back from ``end`` (inclusive): from it,
    exactly ``days`` working days remain.
    """
    cal = WorkCalendar(end - dt.timedelta(days=days * 2 + 40), end)
    current, counted = end, 0
    while True:
        if cal.is_workday(current):
            counted += 1
            if counted == days + 1:
                return current
        current -= dt.timedelta(days=1)


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
    if end < start:
        return -workdays_between(end, start)
    return WorkCalendar(start, end).workdays_between(start, end)


def add_period(start: dt.date, amount: int, unit: str) -> Deadline:
    """A legal or promised limit in 工作日 (G) or 自然日 (Z)."""
    if unit == WORKING_DAYS:
        return add_workdays(start, amount)
    if unit == NATURAL_DAYS:
        end = start + dt.timedelta(days=amount)
        return Deadline(end, not year_has_data(end.year))
    raise ValueError(f"unknown unit {unit!r}")
