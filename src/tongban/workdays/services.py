"""Admin writes to the holiday table."""

import datetime as dt

from django.db import transaction

from tongban.core.errors import InvalidInput, PermissionDenied

from . import calendar
from .models import DayOverride, PublishedYear


def _check_admin(actor) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_perm("workdays.change_dayoverride")):
        raise PermissionDenied()


@transaction.atomic
def publish_year(
    *,
    actor,
    year: int,
    holidays: list[tuple[dt.date, str]],
    workdays: list[dt.date],
    source: str = "",
) -> PublishedYear:
    """Enter a year's full arrangement: holiday dates with names and adjusted workdays."""
    _check_admin(actor)
    dates = [d for d, _ in holidays] + list(workdays)
    if any(d.year != year for d in dates):
        raise InvalidInput(f"所有日期都应在 {year} 年内。", field="date")
    if len(set(dates)) != len(dates):
        raise InvalidInput("同一日期不能既放假又上班。", field="date")
    DayOverride.objects.filter(date__year=year).delete()
    DayOverride.objects.bulk_create(
        [DayOverride(date=d, kind=DayOverride.Kind.HOLIDAY, name=name) for d, name in holidays]
        + [DayOverride(date=d, kind=DayOverride.Kind.WORKDAY) for d in workdays]
    )
    published, _ = PublishedYear.objects.update_or_create(year=year, defaults={"source": source})
    calendar.changed()  # bulk_create sends no signal
    return published
