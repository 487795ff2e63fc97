"""The event observer: a case step enqueues one drain after commit (none while one is waiting),
and the drain counts the step."""

import pytest
from django_tasks_db.models import DBTaskResult

from tongban.supervision import selectors, tasks

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_a_case_event_enqueues_one_waiting_drain(world, django_capture_on_commit_callbacks):
    path = tasks.drain_rollups.module_path
    with django_capture_on_commit_callbacks(execute=True):
        submit(world["item"], world["applicant"])
    assert DBTaskResult.objects.filter(task_path=path).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        submit(world["item"], world["applicant"])
    assert DBTaskResult.objects.filter(task_path=path).count() == 1  # the waiting one will count both
    tasks.drain_rollups.call()
    assert selectors.totals().received == 2
