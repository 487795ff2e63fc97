"""Deadlines of a case: 5 working days to decide on intake, then the legal and promised limits.

The clock stops while the applicant corrects (补正) or a special procedure (特别程序) runs, and
every open deadline moves by the stopped span when it resumes.
"""

import datetime as dt

from django.utils import timezone

from tongban.workdays import calendar

from .models import Case

INTAKE_WORKDAYS = 5


def today() -> dt.date:
    return timezone.localdate()


def set_intake_deadline(case: Case, day: dt.date) -> None:
    result = calendar.add_workdays(day, INTAKE_WORKDAYS if case.limit_days else 0)
    case.intake_due = result.date
    case.due_estimated = case.due_estimated or result.estimated


def set_decision_deadlines(case: Case, day: dt.date) -> None:
    item = case.item
    legal = calendar.add_period(day, item.legal_limit, item.legal_limit_unit)
    promised = calendar.add_period(day, item.promised_limit, item.promised_limit_unit)
    case.legal_due, case.promised_due = legal.date, promised.date
    case.due_estimated = legal.estimated or promised.estimated


def pause(case: Case, reason: str) -> None:
    if case.paused_since is None:
        case.paused_since = timezone.now()
        case.paused_reason = reason


def resume(case: Case) -> None:
    if case.paused_since is None:
        return
    start = timezone.localtime(case.paused_since).date()
    end = today()
    working = max(calendar.workdays_between(start, end), 0)
    natural = max((end - start).days, 0)
    for field, unit in (
        ("intake_due", "G"),
        ("legal_due", case.item.legal_limit_unit),
        ("promised_due", case.limit_unit),
    ):
        due = getattr(case, field)
        if due is None:
            continue
        moved = calendar.add_workdays(due, working) if unit == "G" else calendar.add_period(due, natural, "Z")
        setattr(case, field, moved.date)
        case.due_estimated = case.due_estimated or moved.estimated
    case.paused_since = None
    case.paused_reason = ""


def current_due(case: Case) -> dt.date | None:
    if case.accepted_at is None:
        return case.intake_due
    return case.promised_due


def warning_span(case: Case) -> int:
    """Working days before the deadline at which a case turns yellow: 2, or 20 % of the limit."""
    total = case.limit_days if case.accepted_at else INTAKE_WORKDAYS
    return max(2, int(0.2 * total))


def refresh_due(case: Case) -> None:
    """Keep ``due_date``/``warn_date`` in step with the deadlines and the clock."""
    due = current_due(case) if case.is_open and case.paused_since is None else None
    case.due_date = due
    case.warn_date = calendar.subtract_workdays(due, warning_span(case)) if due else None


def deadline_colour(case: Case, on: dt.date | None = None) -> str:
    """green; yellow at <= 2 working days or <= 20 % of the limit left; red when overdue;
    "paused" while the clock stops, "none" for closed cases."""
    if not case.is_open:
        return "none"
    if case.paused_since is not None:
        return "paused"
    if case.due_date is None:
        return "none"
    on = on or today()
    if on > case.due_date:
        return "red"
    if case.warn_date is not None and on >= case.warn_date:
        return "yellow"
    return "green"
