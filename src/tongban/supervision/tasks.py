"""The worker's part of the rollups: read the audit chain from the cursor and count what changed.

``drain_rollups`` is enqueued after every case event (``cases.steps`` event observer, see
``apps.py``) unless one is already waiting to start: a waiting drain claims the cursor after the
event's commit, so it will count the event too. Running one twice, or several at once, counts
nothing twice (each takes the cursor's lock in turn; the later ones find little left).
"""

from django.db.models import Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from . import rollups


@task()
def drain_rollups() -> int:
    return rollups.drain()


def on_case_event(case_id: int, event_id: int) -> None:
    """After a case step committed: let the worker count it (quick; the work is in the task)."""
    due = Q(run_after=get_date_max()) | Q(run_after__lte=timezone.now())  # as the worker's own query
    waiting = DBTaskResult.objects.filter(
        due, status=TaskResultStatus.READY, task_path=drain_rollups.module_path
    )
    if not waiting.exists():
        drain_rollups.enqueue()


def on_case_events(events: list[tuple[int, int]]) -> None:
    """Several events of one transaction (a 一件事 split): one waiting drain counts them all."""
    if events:
        on_case_event(*events[0])
