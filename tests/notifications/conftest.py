from django.db import transaction
from django.test import TestCase

from tests.cases.conftest import _fast_password_hashing, world  # noqa: F401 - shared case fixtures


def run_tasks() -> list[str]:
    """Run every ready task as the worker of ``tongban serve`` does (its own ``run_task``, with
    the status bookkeeping), until none is left; tasks enqueued after a commit run too.
    Returns the task paths in the order they ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = []
    while True:
        with transaction.atomic():
            result = (
                DBTaskResult.objects.ready()
                .filter(backend_name="default")
                .order_by("enqueued_at")
                .get_locked()
            )
            if result is None:
                return ran
            result.claim(worker.worker_id)
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(result)
        ran.append(result.task_path)
