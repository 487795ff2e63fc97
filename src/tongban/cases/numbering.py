"""Case numbers: region code + date + sequence, e.g. ``511602-20261122-000042``.

The sequence comes from a counter row per region and day, incremented inside the submitting
transaction, so numbers are unique across processes and machines without gaps caused by
in-memory state. The region is the implementing item's region code (2–12 digits).

One statement takes the number: an upsert that creates the day's row or increments it and
returns the new value (PostgreSQL and SQLite ≥ 3.35 both have ``ON CONFLICT … RETURNING``). The
row stays locked until the submission commits, so a rolled-back submission leaves no gap.
"""

import datetime as dt

from django.db import connection

from .models import CaseNumberCounter, JointNumberCounter


def _upsert(table: str) -> str:
    return (
        f'INSERT INTO "{table}" ("region_code", "day", "value") VALUES (%s, %s, 1) '  # noqa: S608 (a model's table)
        f'ON CONFLICT ("region_code", "day") DO UPDATE SET "value" = "{table}"."value" + 1 '
        'RETURNING "value"'
    )


_SQL = _upsert("cases_casenumbercounter")
_MANY_SQL = (
    'INSERT INTO "cases_casenumbercounter" ("region_code", "value", "day") VALUES (%s, %s, %s) '
    'ON CONFLICT ("region_code", "day") DO UPDATE SET "value" = "cases_casenumbercounter"."value" + %s '
    'RETURNING "value"'
)
_JOINT_SQL = _upsert("cases_jointnumbercounter")
assert CaseNumberCounter._meta.db_table == "cases_casenumbercounter"
assert JointNumberCounter._meta.db_table == "cases_jointnumbercounter"


def _next(sql: str, region_code: str, day: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, [region_code, connection.ops.adapt_datefield_value(day)])
        return cursor.fetchone()[0]


def next_case_number(region_code: str, day: dt.date) -> str:
    return f"{region_code}-{day:%Y%m%d}-{_next(_SQL, region_code, day):06d}"


def _take(region_code: str, day: dt.date, count: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_MANY_SQL, [region_code, count, connection.ops.adapt_datefield_value(day), count])
        return cursor.fetchone()[0]


def next_case_numbers(region_code: str, day: dt.date, count: int) -> list[str]:
    """``count`` consecutive case numbers of one region and day in one statement (the children
    of a 一件事 split in one county)."""
    if count < 1:
        return []
    last = _take(region_code, day, count)
    return [f"{region_code}-{day:%Y%m%d}-{value:06d}" for value in range(last - count + 1, last + 1)]


def next_joint_number(region_code: str, day: dt.date) -> str:
    """联办件 numbers: ``LB`` + region + date + their own sequence, e.g. ``LB511602-20261203-000007``."""
    return f"LB{region_code}-{day:%Y%m%d}-{_next(_JOINT_SQL, region_code, day):06d}"
