"""Tasks at least once on django-tasks-db: leases, retries, dead letters and effect keys.

django-tasks-db marks a claimed row RUNNING and never looks at it again, so a worker killed
in the middle of a task left it RUNNING for good. Tongban's worker (``tongban db_worker``,
``tongban.core.tasks_worker``) adds what a queue with at-least-once semantics needs:

- every worker writes a heartbeat (``WorkerHeartbeat``) every third of the lease;
- a RUNNING row whose worker has not been seen for a whole lease goes back to READY
  (``reclaim_stale``, run by every worker and by ``tongban tick``);
- a task that raises is tried again with back-off; after ``MAX_ATTEMPTS`` claims (raised or
  abandoned) the row becomes FAILED with a ``DeadLetter`` that staff may replay;
- ``first_time(key)`` lets a task record its effect in the effect's own transaction, so a
  task that runs twice has its effect once.

Settings: ``TASKS["default"]["OPTIONS"]`` ``LEASE_SECONDS`` (30), ``MAX_ATTEMPTS`` (5) and
``RETRY_SECONDS`` (10, doubled per attempt, at most ten minutes).
"""

import datetime as dt
import logging
import os
import socket
from traceback import format_exception
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Count, Min, Q
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from . import audit
from .errors import InvalidInput, PermissionDenied
from .models import DeadLetter, TaskEffect, WorkerHeartbeat
from .types import User

logger = logging.getLogger(__name__)

# What a lost or restarting database raises: the worker reconnects instead of exiting.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_CAP = dt.timedelta(minutes=10)
FORGET_WORKERS_AFTER = dt.timedelta(days=1)


def _option(name: str, default: int) -> int:
    return int(task_backends["default"].options.get(name, default))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=_option("LEASE_SECONDS", 30))


def max_attempts() -> int:
    return _option("MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> dt.timedelta:
    """After the ``attempts``-th attempt failed: 10 s, 20 s, 40 s … at most ten minutes."""
    base = dt.timedelta(seconds=_option("RETRY_SECONDS", 10))
    return min(base * 2 ** max(attempts - 1, 0), RETRY_CAP)


def beat(worker_id: str, started_at: dt.datetime) -> None:
    """The worker is alive (``seen_at`` now)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now},
        create_defaults={
            "seen_at": now,
            "started_at": started_at,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def forget(worker_id: str) -> None:
    """A worker that stops cleanly says so: its rows need no lease to expire."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _alive_workers(now: dt.datetime) -> set[str]:
    return set(WorkerHeartbeat.objects.filter(seen_at__gte=now - lease()).values_list("worker_id", flat=True))


def _stale(now: dt.datetime) -> list[DBTaskResult]:
    """RUNNING rows claimed more than a lease ago by a worker not seen for a lease."""
    alive = _alive_workers(now)
    rows = DBTaskResult.objects.running().filter(started_at__lt=now - lease())
    return [row for row in rows if not row.worker_ids or row.worker_ids[-1] not in alive]


def _unless_changed(row: DBTaskResult) -> Any:
    """The row as it was read: an update that matches nothing lost a race to another worker."""
    return DBTaskResult.objects.filter(pk=row.pk, status=row.status, started_at=row.started_at)


def reclaim_stale(now: dt.datetime | None = None) -> int:
    """Put back in the queue every task whose worker died under it; bury those that have been
    tried ``MAX_ATTEMPTS`` times. Returns how many rows it changed."""
    now = now or timezone.now()
    changed = 0
    for row in _stale(now):
        attempts = len(row.worker_ids)
        note = (
            f"处理进程 {row.worker_ids[-1] if row.worker_ids else '?'} 中断，租约已过期（第 {attempts} 次）。"
        )
        with transaction.atomic():
            if attempts < max_attempts():
                changed += _unless_changed(row).update(status=TaskResultStatus.READY, traceback=note)
                logger.warning("task %s (%s) taken up again: %s", row.pk, row.task_path, note)
                continue
            buried = _unless_changed(row).update(
                status=TaskResultStatus.FAILED, finished_at=now, traceback=note, exception_class_path=""
            )
            if buried:
                _bury(row, DeadLetter.Reason.ABANDONED, attempts, "", note)
                changed += 1
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_WORKERS_AFTER).delete()
    return changed


def _bury(row: DBTaskResult, reason: str, attempts: int, exception: str, traceback: str) -> None:
    DeadLetter.objects.create(
        task_id=row.pk,
        task_path=row.task_path,
        reason=reason,
        attempts=attempts,
        worker_ids=list(row.worker_ids),
        exception_class_path=exception,
        traceback=traceback,
    )
    logger.error("task %s (%s) given up after %s attempts", row.pk, row.task_path, attempts)


def task_failed(row: DBTaskResult, exc: BaseException) -> str:
    """The attempt the worker just made raised: try again later, or give up. Returns
    ``"retry"`` or ``"dead"``."""
    attempts = len(row.worker_ids)
    exception = f"{type(exc).__module__}.{type(exc).__qualname__}"
    traceback = "".join(format_exception(exc))
    with transaction.atomic():
        if attempts < max_attempts():
            row.status = TaskResultStatus.READY
            row.run_after = timezone.now() + retry_delay(attempts)
            row.exception_class_path, row.traceback = exception, traceback
            row.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
            return "retry"
        row.set_failed(exc)
        _bury(row, DeadLetter.Reason.FAILED, attempts, exception, traceback)
    return "dead"


def first_time(key: str) -> bool:
    """True the first time ``key`` is recorded, False ever after. Call it inside the
    transaction that has the effect: if that rolls back, so does the key."""
    try:
        with transaction.atomic():
            TaskEffect.objects.create(key=key[:200])
    except IntegrityError:
        return False
    return True


def may_replay(user: User) -> bool:
    return bool(getattr(user, "is_active", False) and user.has_perm("core.replay_deadletter"))


def replay(*, actor: User, letter: DeadLetter) -> DeadLetter:
    """Put a given-up task back in the queue: the same row, so the same idempotency keys; its
    attempts count from zero again (the letter keeps the history)."""
    if not may_replay(actor):
        raise PermissionDenied()
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.replayed_at is not None:
            raise InvalidInput("该任务已重新执行过。")
        updated = DBTaskResult.objects.filter(pk=letter.task_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=get_date_max(),
            worker_ids=[],
            started_at=None,
            finished_at=None,
        )
        if not updated:
            raise InvalidInput("该任务已不在失败状态，无需重新执行。")
        letter.replayed_at, letter.replayed_by = timezone.now(), actor
        letter.save(update_fields=["replayed_at", "replayed_by"])
        audit.append(
            "task.replay",
            actor=actor,
            obj=letter,
            summary={"task": letter.task_path, "task_id": str(letter.task_id), "reason": letter.reason},
        )
    return letter


def health(now: dt.datetime | None = None) -> dict[str, Any]:
    """The queue as an operator sees it: waiting tasks and the age of the oldest, running and
    stale ones, unreplayed dead letters, live workers."""
    now = now or timezone.now()
    never = get_date_max()
    due = Q(run_after=never) | Q(run_after__lte=now)
    figures = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
        waiting=Count("pk", filter=due),
        first_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
        first_due=Min("run_after", filter=Q(run_after__lte=now)),
    )
    since = [t for t in (figures["first_enqueued"], figures["first_due"]) if t is not None]
    return {
        "waiting": figures["waiting"],
        "oldest_waiting_seconds": round((now - min(since)).total_seconds(), 1) if since else 0.0,
        "running": DBTaskResult.objects.running().count(),
        "stale": len(_stale(now)),
        "dead_letters": DeadLetter.objects.filter(replayed_at__isnull=True).count(),
        "workers": len(_alive_workers(now)),
    }
