"""Tongban's task worker: django-tasks-db's claim, with a heartbeat, leases, retries and
reconnects (``tongban.core.tasks_queue`` says why). Run by ``tongban db_worker``.

A lost database (PostgreSQL restarting, a dropped connection) does not end the process: the
worker closes its connections, waits (0.5 s doubling to 30 s) and carries on; a task that the
outage interrupted counts as a failed attempt once the database is back. A database without
the queue's tables is a mistake no wait repairs: the worker says so and exits with status 1.
"""

import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.management.base import CommandError
from django.db import DatabaseError, OperationalError, close_old_connections, connection, connections
from django.tasks import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as BaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import tasks_queue
from .models import WorkerHeartbeat
from .tasks_queue import DATABASE_DOWN

logger = logging.getLogger("django_tasks_db")
OUTAGE_FIRST_WAIT = 0.5
OUTAGE_MAX_WAIT = 30.0


def close_all_connections() -> None:
    """Drop this thread's connections, broken ones included, so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None


class Worker(BaseWorker):
    def __init__(self, *, ready_file: str = "", heartbeat_thread: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ready_file = ready_file
        self.heartbeat_thread = heartbeat_thread
        self.started_at = timezone.now()
        self.beat_every = tasks_queue.lease().total_seconds() / 3
        self.next_beat = self.next_reclaim = 0.0
        self.outages = 0
        self.interrupted: tuple[Any, BaseException] | None = None
        self.stopped = threading.Event()

    # The loop ------------------------------------------------------------------------------

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # spreads workers started together
        self.until_database(self.check_schema)
        self.until_database(self.beat)
        if self.ready_file:
            Path(self.ready_file).touch()
        beating = threading.Thread(target=self.beat_in_background, daemon=True, name="heartbeat")
        if self.heartbeat_thread:
            beating.start()
        try:
            while self.running:
                try:
                    found = self.step()
                except DATABASE_DOWN as exc:
                    self.wait_for_database(exc)
                    continue
                self.outages = 0
                if self.batch and not found:
                    logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if self.running and not found:
                    time.sleep(self.interval)
        finally:
            self.stopped.set()
            try:
                tasks_queue.forget(self.worker_id)
            except DatabaseError:
                logger.warning("could not remove the heartbeat of worker %s", self.worker_id)

    def step(self) -> bool:
        """One turn: reconnect if need be, settle an interrupted task, reclaim, claim, run."""
        close_old_connections()
        if self.interrupted is not None:
            self.settle_interrupted()
        now = time.monotonic()
        if now >= self.next_beat:
            self.beat()
        if now >= self.next_reclaim:
            tasks_queue.reclaim_stale()
            self.next_reclaim = now + self.beat_every
        row = self.claim()
        if row is None:
            return False
        self.run_task(row)
        return True

    def claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                row = tasks.get_locked()
                if row is not None:
                    row.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise
        return row

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed task. A database outage propagates (the loop waits it out, then
        ``settle_interrupted`` counts the attempt); any other error is a failed attempt."""
        row = db_task_result
        self.running_task = True
        try:
            task = row.task
            result = row.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=result)
            args, kwargs = result.args, result.kwargs
            value = (
                task.call(TaskContext(task_result=result), *args, **kwargs)
                if task.takes_context
                else task.call(*args, **kwargs)
            )
            row.set_successful(value)
            task_finished.send(sender=sender, task_result=row.task_result)
        except DATABASE_DOWN as exc:
            self.interrupted = (row, exc)
            raise
        except (KeyboardInterrupt, SystemExit):
            # A second Ctrl+C aborts the task: it goes back to the queue for the next worker.
            DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY
            )
            raise
        except Exception as exc:
            try:
                self.failed(row, exc)
            except DATABASE_DOWN:
                # Recording the failure lost the database: settle it once it is back.
                self.interrupted = (row, exc)
                raise
        finally:
            self.running_task = False
            self._run_tasks += 1

    def failed(self, row: DBTaskResult, exc: BaseException) -> None:
        outcome = tasks_queue.task_failed(row, exc)
        logger.warning("Task id=%s (%s) failed (%s): %s", row.pk, row.task_path, outcome, exc)
        if outcome == "dead":
            try:
                task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
            except (ImportError, SuspiciousOperation):
                logger.exception("Task id=%s failed unexpectedly", row.pk)

    def settle_interrupted(self) -> None:
        """The task the outage interrupted, if it is still ours, is a failed attempt."""
        row, exc = self.interrupted
        current = DBTaskResult.objects.filter(pk=row.pk).first()
        if (
            current is not None
            and current.status == TaskResultStatus.RUNNING
            and current.worker_ids[-1:] == [self.worker_id]
        ):
            self.failed(current, exc)
        self.interrupted = None

    # The database ----------------------------------------------------------------------------

    def check_schema(self) -> None:
        tables = set(connection.introspection.table_names())
        if not {DBTaskResult._meta.db_table, WorkerHeartbeat._meta.db_table} <= tables:
            raise CommandError("数据库中没有任务队列的表：请先运行 tongban migrate。")

    def until_database(self, action: Any) -> None:
        while True:
            try:
                action()
            except DATABASE_DOWN as exc:
                self.wait_for_database(exc)
                continue
            self.outages = 0
            return

    def wait_for_database(self, exc: BaseException) -> None:
        self.outages += 1
        wait = min(OUTAGE_FIRST_WAIT * 2 ** (self.outages - 1), OUTAGE_MAX_WAIT)
        logger.warning(
            "数据库不可用（%s: %s），%.1f 秒后重试。", type(exc).__name__, str(exc).strip()[:200], wait
        )
        close_all_connections()
        time.sleep(wait)

    def beat(self) -> None:
        tasks_queue.beat(self.worker_id, self.started_at)
        self.next_beat = time.monotonic() + self.beat_every

    def beat_in_background(self) -> None:
        """Keeps the lease while a long task runs; the loop beats by itself between tasks."""
        while not self.stopped.wait(self.beat_every):
            try:
                close_old_connections()
                tasks_queue.beat(self.worker_id, self.started_at)
            except DatabaseError as exc:
                logger.warning("heartbeat failed: %s", type(exc).__name__)
                close_all_connections()
        close_all_connections()
