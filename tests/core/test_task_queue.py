"""Tasks at least once (issue 19, finding 2): a task left RUNNING by a dead worker is taken up
again after its lease, attempts are limited, given-up tasks are dead letters that staff replay,
a repeated task has its effects once, and the worker outlives a lost database."""

import datetime as dt

import pytest
from django.db import InterfaceError, OperationalError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.cases import conftest as cases
from tests.cases.test_flow import submitted_case
from tests.core import tasks_for_tests
from tests.factories import login_verified
from tongban.cases import services as case_services
from tongban.core import tasks_queue, tasks_worker
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.models import AuditEntry, DeadLetter, TaskEffect, WorkerHeartbeat
from tongban.notifications.models import Delivery, Notification

world = cases.world  # a case with its applicant, department and staff
_fast_password_hashing = cases._fast_password_hashing


@pytest.fixture(autouse=True)
def _in_the_test_transaction(monkeypatch, settings, tmp_path):
    """The worker runs in the test's transaction: no reconnecting, no waiting, no thread."""
    settings.TONGBAN_OUTBOX_DIR = tmp_path / "outbox"
    monkeypatch.setattr(tasks_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(tasks_worker, "close_all_connections", lambda: None)
    waits = []
    monkeypatch.setattr(tasks_worker.time, "sleep", waits.append)
    tasks_for_tests.CALLS.clear()
    return waits


def worker(worker_id: str = "worker-b", **kwargs) -> tasks_worker.Worker:
    return tasks_worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        heartbeat_thread=False,
        **kwargs,
    )


def run_worker(django_capture_on_commit_callbacks, worker_id: str = "worker-b") -> None:
    """Until the queue is empty, tasks enqueued after a commit included."""
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            worker(worker_id).run()
        if not callbacks:
            return


def left_running_by_a_dead_worker(row: DBTaskResult, *, dead: str = "worker-a", ago: float = 2) -> None:
    """As a worker killed with ``kill -9`` in the middle of the task leaves it."""
    row.claim(dead)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - tasks_queue.lease() * ago)


def notify_row(event: str = "submitted") -> DBTaskResult:
    rows = DBTaskResult.objects.filter(task_path="tongban.notifications.tasks.notify_case")
    return next(row for row in rows if row.args_kwargs["args"][1] == event)


def test_a_task_left_running_by_a_dead_worker_is_run_again_after_its_lease(
    world, django_capture_on_commit_callbacks
):
    submitted_case(world)
    row = notify_row()
    left_running_by_a_dead_worker(row)
    run_worker(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["worker-a", "worker-b"]
    assert Notification.objects.filter(user=world["applicant"], event="submitted").count() == 1


def test_a_running_task_is_left_alone_while_its_lease_holds(world):
    submitted_case(world)
    young = notify_row()
    left_running_by_a_dead_worker(young, ago=0.5)
    assert tasks_queue.reclaim_stale() == 0
    # An old claim whose worker still beats is a long task, not a dead worker.
    DBTaskResult.objects.filter(pk=young.pk).update(started_at=timezone.now() - tasks_queue.lease() * 10)
    tasks_queue.beat("worker-a", timezone.now())
    assert tasks_queue.reclaim_stale() == 0
    assert tasks_queue.health()["stale"] == 0
    WorkerHeartbeat.objects.filter(worker_id="worker-a").update(
        seen_at=timezone.now() - tasks_queue.lease() * 2
    )
    assert tasks_queue.health()["stale"] == 1
    assert tasks_queue.reclaim_stale() == 1
    young.refresh_from_db()
    assert young.status == TaskResultStatus.READY


def test_a_task_whose_workers_keep_dying_becomes_a_dead_letter_that_staff_replay(
    world, django_capture_on_commit_callbacks, staff_admin_client
):
    submitted_case(world)
    row = notify_row()
    for n in range(tasks_queue.max_attempts()):
        left_running_by_a_dead_worker(row, dead=f"killed-{n}")
        assert tasks_queue.reclaim_stale() == 1
        row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    letter = DeadLetter.objects.get()
    assert letter.reason == DeadLetter.Reason.ABANDONED
    assert letter.attempts == tasks_queue.max_attempts()
    assert letter.worker_ids[-1] == f"killed-{tasks_queue.max_attempts() - 1}"
    assert tasks_queue.health()["dead_letters"] == 1
    run_worker(django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()

    page = staff_admin_client.get("/admin/core/deadletter/")
    assert page.status_code == 200
    assert "notify_case" in page.content.decode() and "处理进程多次中断" in page.content.decode()
    answer = staff_admin_client.post(
        "/admin/core/deadletter/", {"action": "replay", "_selected_action": [letter.pk]}, follow=True
    )
    assert "已将 1 个任务放回队列" in answer.content.decode()
    letter.refresh_from_db()
    row.refresh_from_db()
    assert letter.replayed_at is not None and letter.replayed_by.username == "platform-root"
    assert row.status == TaskResultStatus.READY and row.worker_ids == []
    assert AuditEntry.objects.filter(action="task.replay", object_id=str(letter.pk)).exists()
    assert tasks_queue.health()["dead_letters"] == 0
    run_worker(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert Notification.objects.filter(user=world["applicant"], event="submitted").count() == 1
    # A replayed letter is not replayed twice.
    with pytest.raises(InvalidInput):
        tasks_queue.replay(actor=letter.replayed_by, letter=letter)


def test_only_staff_allowed_to_replay_see_and_replay_dead_letters(world, client, django_user_model):
    submitted_case(world)
    row = notify_row()
    row.set_failed(RuntimeError("x"))
    letter = DeadLetter.objects.create(task=row, task_path=row.task_path, reason="failed", attempts=5)
    staff = django_user_model.objects.create_user(username="clerk", password="x", kind="staff", is_staff=True)
    login_verified(client, staff)
    assert client.get("/admin/core/deadletter/").status_code == 403
    with pytest.raises(PermissionDenied):
        tasks_queue.replay(actor=staff, letter=letter)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED


def test_a_task_that_raises_is_retried_with_back_off_then_given_up(django_capture_on_commit_callbacks, db):
    tasks_for_tests.always_fails.enqueue()
    run_worker(django_capture_on_commit_callbacks)
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path == "builtins.RuntimeError"
    assert row.run_after - timezone.now() > dt.timedelta(seconds=5)
    # Not due yet: the worker leaves it.
    run_worker(django_capture_on_commit_callbacks)
    assert tasks_for_tests.CALLS == ["always_fails"]
    for _ in range(tasks_queue.max_attempts() - 1):
        DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
        run_worker(django_capture_on_commit_callbacks)
    assert len(tasks_for_tests.CALLS) == tasks_queue.max_attempts()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    letter = DeadLetter.objects.get()
    assert letter.reason == DeadLetter.Reason.FAILED and "故意失败" in letter.traceback
    assert len(letter.worker_ids) == tasks_queue.max_attempts()


def test_retry_delays_double_and_are_capped():
    assert [tasks_queue.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert tasks_queue.retry_delay(30) == tasks_queue.RETRY_CAP


def test_a_notification_task_run_twice_sends_once(world, django_capture_on_commit_callbacks, tmp_path):
    """The worker died after the fan-out committed but before it marked the task done."""
    case = submitted_case(world)
    case_services.accept_case(actor=world["intake"], case=case)
    run_worker(django_capture_on_commit_callbacks)
    row = notify_row("accepted")
    assert row.status == TaskResultStatus.SUCCESSFUL
    DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.READY)
    left_running_by_a_dead_worker(DBTaskResult.objects.get(pk=row.pk), dead="worker-c")
    run_worker(django_capture_on_commit_callbacks, worker_id="worker-d")
    row.refresh_from_db()
    assert row.worker_ids == ["worker-b", "worker-c", "worker-d"] and row.return_value == 0
    assert Notification.objects.filter(user=world["applicant"], event="accepted").count() == 1
    sms = Delivery.objects.get(event="accepted", channel="sms")
    assert sms.status == Delivery.Status.SENT
    assert TaskEffect.objects.filter(key=f"notifications.notify_case:{row.pk}").count() == 1
    # The SMS task itself, run again, sends nothing more.
    from tongban.notifications.tasks import send_delivery

    send_delivery.enqueue(sms.pk)
    run_worker(django_capture_on_commit_callbacks)
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len([line for line in lines if case.number in line and "受理" in line]) == 1


def test_the_worker_outlives_lost_database_connections(monkeypatch, db, _in_the_test_transaction):
    waits = _in_the_test_transaction
    tasks_for_tests.loses_the_database_once.enqueue()
    real_claim = tasks_worker.Worker.claim
    errors = [OperationalError("could not connect to server"), InterfaceError("connection already closed")]

    def claim(self):
        if errors:
            raise errors.pop(0)
        return real_claim(self)

    monkeypatch.setattr(tasks_worker.Worker, "claim", claim)
    w = worker()
    w.run()
    # Three turns in a row lost the database (two claims, then the task): waits of 0.5, 1 and
    # 2 s; the interrupted task counted as a failed attempt once the database was back.
    assert waits[:3] == [0.5, 1.0, 2.0]
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY and row.exception_class_path.endswith("OperationalError")
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    worker().run()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert tasks_for_tests.CALLS == ["loses_the_database_once"] * 2


def test_health_reports_the_oldest_waiting_task_and_dead_letters(world):
    submitted_case(world)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=3))
    tasks_for_tests.always_fails.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue()
    figures = tasks_queue.health()
    assert figures["waiting"] == 1
    assert 180 <= figures["oldest_waiting_seconds"] < 240
    assert figures["dead_letters"] == 0 and figures["running"] == 0 and figures["workers"] == 0


def test_first_time_is_true_once_per_key(db):
    assert tasks_queue.first_time("k") is True
    assert tasks_queue.first_time("k") is False
    assert tasks_queue.first_time("other") is True


def test_a_failure_the_lost_database_kept_from_being_recorded_is_recorded_once_it_is_back(
    monkeypatch, db, _in_the_test_transaction
):
    tasks_for_tests.always_fails.enqueue()
    real = tasks_queue.task_failed
    outages = [OperationalError("the database system is shutting down")]

    def task_failed(row, exc):
        if outages:
            raise outages.pop()
        return real(row, exc)

    monkeypatch.setattr(tasks_queue, "task_failed", task_failed)
    worker().run()
    assert _in_the_test_transaction[:1] == [0.5]
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY and row.exception_class_path == "builtins.RuntimeError"
    assert tasks_for_tests.CALLS == ["always_fails"]


def test_replaying_writes_the_audit_entry_last(world, staff_admin_client):
    from tests.cases.audit_last import check_audit_last, transactions
    from tongban.identity.models import User

    submitted_case(world)
    row = notify_row()
    row.set_failed(RuntimeError("x"))
    letter = DeadLetter.objects.create(task=row, task_path=row.task_path, reason="failed", attempts=5)
    with transactions() as found:
        tasks_queue.replay(actor=User.objects.get(username="platform-root"), letter=letter)
    check_audit_last(found)


def send_delivery_rows(delivery: Delivery) -> list[DBTaskResult]:
    rows = DBTaskResult.objects.filter(task_path="tongban.notifications.tasks.send_delivery")
    return [row for row in rows if row.args_kwargs["args"] == [delivery.pk]]


def test_the_fan_out_queues_each_delivery_in_its_own_transaction(world):
    """Fault suite: PostgreSQL restarting just after the fan-out committed left its SMS PENDING
    with no task when the SMS task was queued after the commit (and the fan-out's retry sent
    nothing: its effect key had committed). Here no after-commit callback ever runs."""
    case = submitted_case(world)
    case_services.accept_case(actor=world["intake"], case=case)
    worker().run()
    sms = Delivery.objects.get(event="accepted", channel="sms")
    assert sms.status == Delivery.Status.SENT and len(send_delivery_rows(sms)) == 1


def test_a_fan_out_that_lost_the_database_while_queueing_an_sms_is_redone_whole(
    world, monkeypatch, django_capture_on_commit_callbacks, tmp_path
):
    from tongban.core import taskbackends

    case = submitted_case(world)
    case_services.accept_case(actor=world["intake"], case=case)
    real_enqueue = taskbackends.DatabaseBackend.enqueue
    lost = []

    def enqueue(self, task, args, kwargs):
        if task.name == "send_delivery" and not lost:
            lost.append(args)
            raise OperationalError("server closed the connection unexpectedly")
        return real_enqueue(self, task, args, kwargs)

    monkeypatch.setattr(taskbackends.DatabaseBackend, "enqueue", enqueue)
    run_worker(django_capture_on_commit_callbacks)
    assert lost
    # The interrupted fan-out is a failed attempt, tried again after its retry delay.
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
    run_worker(django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=world["applicant"], event="accepted").count() == 1
    sms = Delivery.objects.get(event="accepted", channel="sms")
    assert sms.status == Delivery.Status.SENT and sms.attempts == 1
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len([line for line in lines if case.number in line and "受理" in line]) == 1


def test_tick_queues_a_pending_delivery_that_lost_its_task_and_no_other(world):
    from tongban.notifications import services as notification_services
    from tongban.notifications.tasks import send_delivery

    old = timezone.now() - notification_services.STRAY_AFTER * 2
    stray = Delivery.objects.create(channel="sms", user=world["applicant"], body="甲", event="accepted")
    queued = Delivery.objects.create(channel="sms", user=world["applicant"], body="乙", event="accepted")
    fresh = Delivery.objects.create(channel="sms", user=world["applicant"], body="丙", event="accepted")
    Delivery.objects.filter(pk__in=[stray.pk, queued.pk]).update(created_at=old)
    send_delivery.enqueue(queued.pk)
    assert notification_services.retry_due() == 1
    assert len(send_delivery_rows(stray)) == 1
    assert len(send_delivery_rows(queued)) == 1 and not send_delivery_rows(fresh)
    # Its task now waits: the next tick queues nothing more.
    assert notification_services.retry_due() == 0
