"""Background work (django.tasks, run by the django-tasks-db worker of ``tongban serve``).

``notify_case`` is enqueued inside a case step's transaction (one row) and does the fan-out:
templates, inbox messages, SMS/email deliveries and webhook deliveries, each sent by a task of
its own.

Each task makes one attempt. A failure schedules the next attempt with exponential back-off
(1, 2, 4, 8 … minutes, at most ``MAX_ATTEMPTS``) — deferred on the task queue when the
backend supports it, and in any case picked up again by ``tongban tick``.
"""

from django.tasks import task

from . import services


@task()
def notify_case(case_id: int, event: str, snapshot: dict | None = None) -> int:
    return services.notify_case_event(case_id, event, snapshot)


@task()
def send_delivery(delivery_id: int) -> str:
    return services.attempt_delivery(delivery_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    return services.attempt_webhook(delivery_id)
