"""``flush`` that also empties the audit log, whose triggers otherwise refuse the delete.

Flush erases every table (tests run it between transactional tests), so the append-only
triggers are lifted for that one run and put back afterwards, even when the flush fails.
"""

from contextlib import contextmanager
from typing import Any

from django.core.management.commands import flush
from django.db import connections

TABLE = "core_auditentry"


@contextmanager
def _guard_lifted(alias: str) -> Any:
    connection = connections[alias]
    with connection.cursor() as cursor:
        if TABLE not in connection.introspection.table_names(cursor):
            yield
            return
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                yield
            finally:
                with connection.cursor() as again:
                    for _name, sql in triggers:
                        again.execute(sql)
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "AND tgenabled <> 'D' AND (tgtype & 32) <> 0",
                [TABLE],
            )
            names = [row[0] for row in cursor.fetchall()]
            for name in names:
                cursor.execute(f'ALTER TABLE {TABLE} DISABLE TRIGGER "{name}"')
            try:
                yield
            finally:
                with connection.cursor() as again:
                    for name in names:
                        again.execute(f'ALTER TABLE {TABLE} ENABLE TRIGGER "{name}"')
        else:
            yield


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with _guard_lifted(options["database"]):
            super().handle(**options)
