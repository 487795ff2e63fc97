"""Queue numbers: prefix + the day's sequence per hall (Y001 预约, A001 现场).

One upsert takes the number (as case numbers do): it creates the day's counter row or
increments it and returns the new value, and the row stays locked until the transaction
commits, so numbers are unique across processes and a rolled-back check-in leaves no gap.
"""

import datetime as dt

from django.db import connection

from .models import TicketCounter

_TABLE = TicketCounter._meta.db_table
_SQL = (
    f'INSERT INTO "{_TABLE}" ("hall_id", "day", "prefix", "value") VALUES (%s, %s, %s, 1) '  # noqa: S608 (constants)
    f'ON CONFLICT ("hall_id", "day", "prefix") DO UPDATE SET "value" = "{_TABLE}"."value" + 1 '
    'RETURNING "value"'
)


def next_ticket_number(hall_id: int, day: dt.date, prefix: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [hall_id, connection.ops.adapt_datefield_value(day), prefix])
        value = cursor.fetchone()[0]
    return f"{prefix}{value:03d}"
