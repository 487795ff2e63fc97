"""Background work (django.tasks, run by the django-tasks-db worker of ``tongban serve``).

``notify_case`` is enqueued inside a case step's transaction (one row) and does the fan-out:
templates, inbox messages, SMS/email deliveries and webhook deliveries, each sent by a task of
its own.

Each task makes one attempt. A failure schedules the next attempt with exponential back-off
(1, 2, 4, 8 … minutes, at most ``MAX_ATTEMPTS``) — deferred on the task queue when the
backend supports it, and in any case picked up again by ``tongban tick``.

Each is safe to run twice (the queue runs a task again when its worker died under it):
``notify_case`` keys its fan-out by its task id, and a delivery is sent only from PENDING,
under a row lock, in the transaction that marks it sent.
"""

from django.db import transaction
from django.tasks import TaskContext, task

from tongban.core import tasks_queue

from . import services


@task(takes_context=True)
def notify_case(context: TaskContext, case_id: int, event: str, snapshot: dict | None = None) -> int:
    """Run twice (its worker died after the fan-out committed), it sends nothing twice: the
    fan-out and its key (this task's id) commit together."""
    with transaction.atomic():
        if not tasks_queue.first_time(f"notifications.notify_case:{context.task_result.id}"):
            return 0
        return services.notify_case_event(case_id, event, snapshot)


@task(takes_context=True)
def notify_joint_submitted(context: TaskContext, joint_id: int, children: list) -> int:
    """A 一件事 submission's one message and its children's webhooks; keyed as ``notify_case``."""
    with transaction.atomic():
        if not tasks_queue.first_time(f"notifications.notify_joint_submitted:{context.task_result.id}"):
            return 0
        return services.notify_joint_submitted_event(joint_id, children)


@task()
def send_delivery(delivery_id: int) -> str:
    return services.attempt_delivery(delivery_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    return services.attempt_webhook(delivery_id)
