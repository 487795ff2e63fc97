import hashlib
import hmac
import http.server
import json
import threading

import pytest
from django.utils import timezone

from tests.cases.test_flow import submitted_case
from tests.notifications.conftest import run_tasks
from tongban.cases import services as case_services
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.identity import gateways
from tongban.notifications import services
from tongban.notifications.models import Delivery, MessageTemplate, Notification, WebhookDelivery
from tongban.notifications.selectors import inbox, unread_count


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    """The real task backend (django-tasks-db): tests run the worker's step with ``run_tasks``."""
    settings.TONGBAN_OUTBOX_DIR = tmp_path / "outbox"


def test_case_events_reach_the_inbox_and_sms(world, django_capture_on_commit_callbacks, tmp_path):
    w = world
    with django_capture_on_commit_callbacks(execute=True):
        case = submitted_case(w)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.accept_case(actor=w["intake"], case=case)
    # Nothing is sent inside the request: the steps only queued the fan-out for the worker.
    assert not Notification.objects.exists() and not Delivery.objects.exists()
    assert run_tasks().count("tongban.notifications.tasks.notify_case") == 2
    titles = [n.title for n in inbox(w["applicant"])]
    assert titles == ["申请已受理", "申请已提交"]
    assert unread_count(w["applicant"]) == 2
    assert unread_count(w["other"]) == 0
    sms = Delivery.objects.get(channel="sms", event="accepted")
    assert sms.status == Delivery.Status.SENT and sms.attempts == 1
    outbox = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8")
    assert case.number in outbox and w["applicant"].mobile in outbox
    services.mark_read(user=w["applicant"], notification_id=inbox(w["applicant"])[0].pk)
    assert unread_count(w["applicant"]) == 1


def test_other_people_cannot_mark_my_messages(world):
    from tongban.core.errors import NotFound

    submitted_case(world)
    run_tasks()
    note = Notification.objects.filter(user=world["applicant"]).first()
    with pytest.raises(NotFound):
        services.mark_read(user=world["other"], notification_id=note.pk)


def test_failed_sms_is_retried_with_back_off_then_given_up(world, monkeypatch):
    delivery = Delivery.objects.create(channel="sms", user=world["applicant"], body="测试", event="accepted")

    def broken(mobile, content):
        raise gateways.DeliveryFailed()

    monkeypatch.setattr(gateways, "send_sms", broken)
    waits = []
    for _ in range(services.MAX_ATTEMPTS):
        before = timezone.now()
        services.attempt_delivery(delivery.pk)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - before).total_seconds())
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == services.MAX_ATTEMPTS
    assert waits == sorted(waits) and waits[1] > 1.9 * waits[0]
    assert "测试" not in delivery.last_error  # message texts never end up in the error log


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Receiver, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhooks_are_signed_and_logged(world, receiver, admin_user):
    handler, url = receiver
    secret = "s3cret-for-department-system"
    services.subscribe_webhook(
        actor=admin_user,
        department=world["department"],
        name="审批系统",
        url=url,
        secret=secret,
        events=["submitted"],
    )
    case = submitted_case(world)
    assert handler.received == []
    run_tasks()
    headers, body = handler.received[0]
    timestamp, mac = (part.split("=", 1)[1] for part in headers["X-Tongban-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    payload = json.loads(body)
    assert payload["event"] == "submitted" and payload["case"]["number"] == case.number
    assert "applicant" not in json.dumps(payload)
    log = WebhookDelivery.objects.get()
    assert log.status == WebhookDelivery.Status.DELIVERED and log.response_status == 200


def test_webhook_failures_are_retried(world, receiver, admin_user):
    handler, url = receiver
    handler.status = 500
    subscription = services.subscribe_webhook(
        actor=admin_user, department=world["department"], name="x", url=url, secret="0123456789abcdef"
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="accepted", payload={"event": "x"}
    )
    assert services.attempt_webhook(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "HTTP 500" and delivery.next_attempt_at
    handler.status = 204
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.retry_due() == 1
    assert run_tasks() == ["tongban.notifications.tasks.deliver_webhook"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 2


def test_only_platform_admins_subscribe_or_edit_templates(world):
    with pytest.raises(PermissionDenied):
        services.subscribe_webhook(
            actor=world["intake"],
            department=world["department"],
            name="x",
            url="https://example.org/h",
            secret="0123456789abcdef",
        )
    template = MessageTemplate.objects.get(event="accepted", channel="inbox")
    with pytest.raises(PermissionDenied):
        services.update_template(actor=world["applicant"], template=template, subject="x", body="y")


def test_template_edits_are_checked(admin_user):
    template = MessageTemplate.objects.get(event="accepted", channel="inbox")
    with pytest.raises(InvalidInput, match="模板语法错误"):
        services.update_template(actor=admin_user, template=template, subject="x", body="{% if %}")
    with pytest.raises(InvalidInput):
        services.subscribe_webhook(
            actor=admin_user, department=None, name="x", url="ftp://x", secret="0123456789abcdef"
        )
    services.update_template(
        actor=admin_user, template=template, subject="已受理", body="办件 {{ number }} 已受理"
    )
    template.refresh_from_db()
    assert template.body == "办件 {{ number }} 已受理"


def test_inbox_page_lists_only_my_messages(client, world):
    case = submitted_case(world)
    run_tasks()
    assert client.get("/my/inbox/").status_code == 302
    client.force_login(world["other"])
    assert "申请已提交" not in client.get("/my/inbox/").content.decode()
    note = Notification.objects.get(user=world["applicant"])
    assert client.post(f"/my/inbox/{note.pk}/read/").status_code == 404
    client.force_login(world["applicant"])
    page = client.get("/my/inbox/").content.decode()
    assert "申请已提交" in page and case.number in page
    response = client.post(f"/my/inbox/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/my/cases/{case.number}/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_the_fan_out_is_one_task_row_that_commits_or_rolls_back_with_the_step(world, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    case = submitted_case(world)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "tongban.notifications.tasks.notify_case"
    assert queued.args_kwargs["args"][:2] == [case.pk, "submitted"]
    # A step that fails after its event leaves neither the step nor a task behind.

    def failing(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(case_services.audit, "append", failing)
    with pytest.raises(RuntimeError):
        case_services.accept_case(actor=world["intake"], case=case)
    assert DBTaskResult.objects.count() == 1
    case.refresh_from_db()
    assert case.status == "pending_intake"


def test_messages_describe_the_case_as_it_was_at_the_step(world, receiver, admin_user):
    """The worker may run after later steps; each message keeps its own step's state."""
    handler, url = receiver
    services.subscribe_webhook(
        actor=admin_user, department=world["department"], name="x", url=url, secret="0123456789abcdef"
    )
    case = submitted_case(world)
    case_services.accept_case(actor=world["intake"], case=case)
    run_tasks()
    statuses = {json.loads(body)["event"]: json.loads(body)["case"]["status"] for _, body in handler.received}
    assert statuses == {"submitted": "pending_intake", "accepted": "in_review"}
    submitted = Notification.objects.get(user=world["applicant"], event="submitted")
    assert submitted.case_number == case.number


def test_a_task_for_a_case_that_is_gone_does_nothing(world):
    assert services.notify_case_event(999_999_999, "submitted") == 0
    assert not Notification.objects.exists()
