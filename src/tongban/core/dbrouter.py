"""Reads that tolerate lag go to a streaming replica; everything else stays on the primary.

Active only when ``DATABASE_REPLICA_URL`` names a replica (settings add the ``replica`` alias,
this router and ``ReplicaMiddleware``). The replica is opt-in per web request: only a GET, HEAD
or OPTIONS request may read from it, only for the models of ``TONGBAN_REPLICA_APPS`` (the public
catalogue and its search, regions, departments), and never:

- in a request of a client that wrote something less than ``TONGBAN_REPLICA_PIN_SECONDS`` ago
  (a cookie set on every other method, so every web node honours it: one reads one's own writes);
- after the request itself wrote, or inside a transaction on the primary;
- while the replica is down or lags more than ``TONGBAN_REPLICA_MAX_LAG_SECONDS`` (checked at
  most every ``TONGBAN_REPLICA_CHECK_SECONDS`` per process): reads fail over to the primary and
  the replica is tried again after that interval.

Workers, ``tongban tick`` and management commands never read from the replica.
"""

import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "tongban_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)

logger = logging.getLogger(__name__)

# Whether the current request may read from the replica (set by ReplicaMiddleware).
_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tongban_replica_allowed", default=False
)


class ReplicaState:
    """What this process last learnt about the replica: usable or not, and until when to trust it."""

    def __init__(self) -> None:
        self.usable = True
        self.checked_at = float("-inf")
        self.lag_seconds = 0.0

    def mark_down(self, reason: str) -> None:
        if self.usable:
            logger.warning(
                "Read replica not used for %s s: %s", settings.TONGBAN_REPLICA_CHECK_SECONDS, reason
            )
        self.usable = False
        self.checked_at = time.monotonic()

    def available(self) -> bool:
        """Whether reads may go to the replica now; connects and measures the lag when due."""
        now = time.monotonic()
        conn = connections[REPLICA]
        if now - self.checked_at < settings.TONGBAN_REPLICA_CHECK_SECONDS:
            if not self.usable:
                return False
            try:
                conn.close_if_health_check_failed()
                conn.ensure_connection()
            except DatabaseError as exc:
                _close_quietly(conn)
                self.mark_down(type(exc).__name__)
                return False
            return True
        try:
            conn.close_if_health_check_failed()
            with conn.cursor() as cursor:
                cursor.execute(LAG_SQL if conn.vendor == "postgresql" else "SELECT 0")
                self.lag_seconds = float(cursor.fetchone()[0])
        except DatabaseError as exc:
            _close_quietly(conn)
            self.mark_down(type(exc).__name__)
            return False
        self.checked_at = now
        if self.lag_seconds > settings.TONGBAN_REPLICA_MAX_LAG_SECONDS:
            self.mark_down(f"lag {self.lag_seconds:.1f} s")
            return False
        if not self.usable:
            logger.warning("Read replica in use again (lag %.1f s)", self.lag_seconds)
        self.usable = True
        return True


state = ReplicaState()


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except DatabaseError:
        conn.connection = None


def _on_replica_error(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    """Execute wrapper on replica connections: a failing replica is left alone from then on."""
    try:
        return execute(sql, params, many, context)
    except DatabaseError as exc:
        if context["connection"].is_usable() is False:
            state.mark_down(type(exc).__name__)
        raise


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _replica_allowed.get() or model._meta.app_label not in settings.TONGBAN_REPLICA_APPS:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        if connections[DEFAULT_DB_ALIAS].in_atomic_block or not state.available():
            return None
        conn = connections[REPLICA]
        if _on_replica_error not in conn.execute_wrappers:
            conn.execute_wrappers.append(_on_replica_error)
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        # What this request reads from here on may depend on what it just wrote.
        _replica_allowed.set(False)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == DEFAULT_DB_ALIAS


def primary_pinned(request: HttpRequest, now: float) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > now
    except ValueError:
        return False


class ReplicaMiddleware:
    """Allows replica reads for safe requests of clients that have not just written; after a write
    pins the client to the primary for ``TONGBAN_REPLICA_PIN_SECONDS`` with a cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        safe = request.method in SAFE_METHODS
        token = _replica_allowed.set(safe and not primary_pinned(request, now))
        try:
            response = self.get_response(request)
        finally:
            _replica_allowed.reset(token)
        if not safe:
            pin = settings.TONGBAN_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{now + pin:.0f}",
                max_age=pin,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
