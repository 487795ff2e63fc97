"""Working-day arithmetic for legal and promised time limits.

A working day is a day the State Council's arrangement says people work: weekdays that are
not holidays, plus adjusted weekend workdays (调休). Sources, strongest first: admins'
``DayOverride`` rows, chinese-calendar (years it knows), and for a year nobody has published
yet, plain Monday–Friday — such results are returned with ``estimated=True`` so pages can
flag them. Periods follow the civil-law rule: the start day is not counted.

The admins' table is small (a few dozen days a year) and read on every submission and step, so
each process keeps a snapshot of it, tied to a version number in the shared cache (Django's
cache framework: the database by default, Redis when configured): a change (model signals,
``publish_year``) drops the snapshot in the changing process at once and, when its transaction
commits, replaces the version; other processes compare it at most every
``VERSION_CHECK_SECONDS`` and reload when it moved. While a change is uncommitted, the changing
thread reads the table directly (its own transaction sees the change, others must not); a change
that is rolled back never reaches the shared version, and the direct reads stop the first time
the thread is outside any transaction again.
"""

import datetime as dt
import functools
import threading
import time
import uuid
from dataclasses import dataclass

import chinese_calendar
from django.core.cache import caches
from django.db import transaction

from .models import DayOverride, PublishedYear

WORKING_DAYS = "G"
NATURAL_DAYS = "Z"
VERSION_KEY = "workdays:calendar-version"
VERSION_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    estimated: bool  # True when a day in the span falls into a year without a published arrangement


@dataclass(frozen=True)
class _Snapshot:
    overrides: dict[dt.date, str]
    published: frozenset[int]


class _SnapshotCache:
    """The admins' table as of the shared version ``version``; see the module docstring.

    A per-process memo of data immutable by its key: the snapshot read at a version is the table
    at that version (a change that moves the table also moves the version).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: _Snapshot | None = None
        self.version: str | None = None
        self.checked = 0.0
        # Per thread (each has its own connection): whether it changed the table in a transaction
        # that has not committed yet.
        self.local = threading.local()

    def clear(self) -> None:
        with self.lock:
            self.snapshot, self.version, self.checked = None, None, 0.0

    def forget(self) -> None:
        """Forget the snapshot and this thread's pending change (tests, hand edits)."""
        self.clear()
        self.local.pending = False

    def changed(self) -> None:
        """Called for every change to the table, inside the changing transaction (if any)."""
        self.clear()
        if transaction.get_connection().in_atomic_block:
            self.local.pending = True
            transaction.on_commit(self.committed)
        else:
            self.committed()

    def committed(self) -> None:
        self.clear()
        if transaction.get_connection().in_atomic_block:
            return  # a test running commit callbacks early: the change may still be rolled back
        self.local.pending = False
        caches["default"].set(VERSION_KEY, uuid.uuid4().hex, None)

    def _in_pending_transaction(self) -> bool:
        if not getattr(self.local, "pending", False):
            return False
        if transaction.get_connection().in_atomic_block:
            return True  # the changing transaction, or one after its rollback: the table is right
        self.local.pending = False  # it ended without a commit: nothing changed for anyone
        self.clear()
        return False

    def get(self) -> _Snapshot:
        if self._in_pending_transaction():
            return _load()
        now = time.monotonic()
        with self.lock:
            snapshot, version, checked = self.snapshot, self.version, self.checked
        if snapshot is not None and now - checked < VERSION_CHECK_SECONDS:
            return snapshot
        shared = caches["default"]
        current = shared.get(VERSION_KEY)
        if current is None:
            shared.add(VERSION_KEY, uuid.uuid4().hex, None)
            current = shared.get(VERSION_KEY)
        if snapshot is None or current != version:
            snapshot = _load()  # read after the version: a change committed meanwhile moves it again
        with self.lock:
            self.snapshot, self.version, self.checked = snapshot, current, now
        return snapshot


def _load() -> _Snapshot:
    return _Snapshot(
        overrides=dict(DayOverride.objects.values_list("date", "kind")),
        published=frozenset(PublishedYear.objects.values_list("year", flat=True)),
    )


_cache = _SnapshotCache()


def changed(**kwargs: object) -> None:
    """Signal receiver and explicit hook: the holiday table changed."""
    _cache.changed()


def clear_cache() -> None:
    """Forget this process's snapshot (tests, or after editing the table by hand)."""
    _cache.forget()


class WorkCalendar:
    """Answers for a window of dates, from the process's snapshot of the admins' table."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        snapshot = _cache.get()
        self.overrides = snapshot.overrides
        self.published = snapshot.published

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


@functools.cache
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    return WorkCalendar(day, day).is_workday(day)


def year_has_data(year: int) -> bool:
    return _library_knows(year) or year in _cache.get().published


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
        return add_natural_days(start, amount)
    raise ValueError(f"unknown unit {unit!r}")


def add_natural_days(start: dt.date, days: int) -> Deadline:
    """``days`` calendar days after ``start``; a period that ends on a rest day ends on the next
    working day instead (民法典 第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的
    次日为期间的最后一日). Weekends count as rest days; 调休 workdays as working days."""
    if days < 0:
        raise ValueError("days must be >= 0")
    end = start + dt.timedelta(days=days)
    if days == 0:
        return Deadline(end, not year_has_data(end.year))
    cal = WorkCalendar(end, end + dt.timedelta(days=40))
    while not cal.is_workday(end):
        end += dt.timedelta(days=1)
    estimated = any(not cal.year_known(y) for y in range(start.year, end.year + 1))
    return Deadline(end, estimated)
