"""Django's database cache with a one-statement ``set`` on SQLite and PostgreSQL.

Why: Django's ``DatabaseCache.set`` counts the whole table, then reads the key and updates or
inserts inside a savepoint — four to six statements for every page the page cache keeps. On
PostgreSQL that made a cold guide page 10–30 % slower than the single upsert the old page cache
used (docs/performance.md). Here ``set`` is one ``INSERT … ON CONFLICT … DO UPDATE``, which both
databases support, and the table is bounded by counting it only every ``CULL_EVERY`` sets per
process (option ``CULL_EVERY``, default 50) instead of on each one, so the table may exceed
``MAX_ENTRIES`` by at most that many entries per process between two checks. Values are stored
exactly as Django's backend stores them (pickled, base64), so every other operation — ``get``,
``add``, ``touch``, ``delete``, culling itself — is Django's own and reads what this writes.
Other databases fall back to Django's ``set``.
"""

import base64
import pickle
import threading
from contextlib import nullcontext as _nothing
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

UPSERT_VENDORS = frozenset({"sqlite", "postgresql"})


class DatabaseCache(DjangoDatabaseCache):
    """The database cache with a single upsert per ``set`` (see the module's docstring)."""

    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        options = params.get("OPTIONS", {})
        self._cull_every = max(1, int(options.get("CULL_EVERY", 50)))
        self._sets_since_check = 0
        self._lock = threading.Lock()

    def set(
        self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in UPSERT_VENDORS:
            super().set(key, value, timeout, version)
            return
        key = self.make_and_validate_key(key, version=version)
        backend_timeout = self.get_backend_timeout(timeout)
        expires = (
            datetime.max
            if backend_timeout is None
            else datetime.fromtimestamp(backend_timeout, tz=UTC if settings.USE_TZ else None)
        ).replace(microsecond=0)
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        quote = connection.ops.quote_name
        table = quote(self._table)
        with connection.cursor() as cursor:
            if self._due_for_cull():
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - table name from settings
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, tz_now().replace(microsecond=0), count)
            try:
                # Inside a transaction a failed statement would poison it: take a savepoint there
                # (as Django's backend always does); in autocommit the statement stands alone.
                with transaction.atomic(using=db) if connection.in_atomic_block else _nothing():
                    cursor.execute(
                        f"INSERT INTO {table} ({quote('cache_key')}, {quote('value')}, {quote('expires')}) "  # noqa: S608
                        f"VALUES (%s, %s, %s) ON CONFLICT ({quote('cache_key')}) DO UPDATE SET "
                        f"{quote('value')} = excluded.{quote('value')}, "
                        f"{quote('expires')} = excluded.{quote('expires')}",
                        [key, encoded, connection.ops.adapt_datetimefield_value(expires)],
                    )
            except DatabaseError:
                # As in Django's backend: a cache write that fails is not the caller's error.
                return

    def _due_for_cull(self) -> bool:
        """True on the first set of a process and then on every ``CULL_EVERY``-th."""
        with self._lock:
            due = self._sets_since_check == 0
            self._sets_since_check = (self._sets_since_check + 1) % self._cull_every
        return due
