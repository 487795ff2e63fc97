"""The task backend: django-tasks-db, with tasks named in ``OPTIONS["RUN_AT_ONCE"]`` run in the
caller when enqueued (the test settings name the certificates' tasks, so tests written before
those tasks existed still see the licence issued and the wallet file rendered by the step that
enqueues them). A deferred enqueue (``run_after``, a retry) always becomes a row for the worker.
Production settings name nothing: every task runs in the worker.

The options ``LEASE_SECONDS``, ``MAX_ATTEMPTS`` and ``RETRY_SECONDS`` are read by the worker
(``tongban.core.tasks_queue``: leases, retries, dead letters).
"""

from django.tasks import Task, TaskResult
from django.tasks.backends.immediate import ImmediateBackend
from django_tasks_db.backend import DatabaseBackend as _DatabaseBackend


class DatabaseBackend(_DatabaseBackend):
    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.run_at_once = frozenset(self.options.get("RUN_AT_ONCE", ()))
        self._at_once = ImmediateBackend(alias, {"OPTIONS": {}})

    def enqueue(self, task: Task, args: tuple, kwargs: dict) -> TaskResult:
        if task.run_after is None and task.module_path in self.run_at_once:
            return self._at_once.enqueue(task, args, kwargs)
        return super().enqueue(task, args, kwargs)
