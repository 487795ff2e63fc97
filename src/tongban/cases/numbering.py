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

from .models import CaseNumberCounter

_SQL = (
    'INSERT INTO "cases_casenumbercounter" ("region_code", "day", "value") VALUES (%s, %s, 1) '
    'ON CONFLICT ("region_code", "day") DO UPDATE SET "value" = "cases_casenumbercounter"."value" + 1 '
    'RETURNING "value"'
)
assert CaseNumberCounter._meta.db_table == "cases_casenumbercounter"


def next_case_number(region_code: str, day: dt.date) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [region_code, connection.ops.adapt_datefield_value(day)])
        value = cursor.fetchone()[0]
    return f"{region_code}-{day:%Y%m%d}-{value:06d}"
