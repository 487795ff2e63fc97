"""Background deliveries (django.tasks, run by the django-tasks-db worker).

Each task makes one attempt. A failure schedules the next attempt with exponential back-off
(1, 2, 4, 8 … minutes, at most ``MAX_ATTEMPTS``) — deferred on the task queue when the
backend supports it, and in any case picked up again by ``tongban tick``.
"""

from django.tasks import task

from . import services


@task()
def send_delivery(delivery_id: int) -> str:
    return services.attempt_delivery(delivery_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    return services.attempt_webhook(delivery_id)
