"""Messages about cases: the in-app inbox, SMS and email through the identity gateways, and
signed webhooks to department systems. Sending happens in background tasks with retries.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import gateways, permissions
from tongban.identity.models import StaffRole

from .models import Delivery, MessageTemplate, Notification, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)
WEBHOOK_TIMEOUT = 10
CASE_EVENTS = (
    "submitted",
    "accepted",
    "refused",
    "correction_requested",
    "corrected",
    "special_started",
    "special_ended",
    "forwarded",
    "reviewed",
    "decided",
    "concluded",
    "withdrawn",
)


def _render(text: str, context: dict) -> str:
    try:
        return Template(text).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError:
        logger.warning("message template could not be rendered")
        return text


def _recipients(case: Case) -> list[Any]:
    """The applicant, plus the enterprise's legal representative when an agent applied."""
    people = [case.applicant]
    if case.enterprise_id and case.enterprise.legal_rep_id != case.applicant_id:
        people.append(case.enterprise.legal_rep)
    return people


def on_case_event(sender: Any, case: Case, event: str, actor: User | None = None, **kwargs: Any) -> None:
    """``case_event_recorded`` receiver, inside the step's transaction: one task row, so the
    messages are sent if and only if the step commits, and the fan-out runs in the worker."""
    from .tasks import notify_case

    notify_case.enqueue(case.pk, event, case_snapshot(case))


def case_snapshot(case: Case) -> dict:
    """What the messages say about the case, as it is at the step (the worker may run later)."""
    return {
        "status": case.status,
        "current_step": case.current_step,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "occurred_at": timezone.now().isoformat(),
    }


@transaction.atomic
def notify_case_event(case_id: int, event: str, snapshot: dict | None = None) -> int:
    """The fan-out (run by the ``notify_case`` task): inbox messages now, SMS, email and webhook
    deliveries as tasks of their own. Returns how many messages and deliveries it made."""
    from .tasks import deliver_webhook, send_delivery

    case = (
        Case.objects.select_related("item", "department", "applicant", "enterprise__legal_rep")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return 0
    snapshot = snapshot or case_snapshot(case)
    case.status, case.current_step = snapshot["status"], snapshot["current_step"]
    case.due_date = dt.date.fromisoformat(snapshot["due_date"]) if snapshot["due_date"] else None
    context = {
        "case": case,
        "item": case.item.name,
        "status": case.get_status_display(),
        "number": case.number,
        "department": case.department.name,
        "applicant_name": case.applicant_name,
        "link": f"/my/cases/{case.number}/",
    }
    templates = list(MessageTemplate.objects.filter(event=event, is_active=True))
    deliveries: list[Delivery] = []
    inbox = 0
    for person in _recipients(case):
        for template in templates:
            subject = _render(template.subject, context)
            body = _render(template.body, context)
            if template.channel == MessageTemplate.Channel.INBOX:
                Notification.objects.create(
                    user=person,
                    title=subject or body[:60],
                    body=body,
                    link=context["link"],
                    event=event,
                    case_number=case.number,
                )
                inbox += 1
            elif template.channel == MessageTemplate.Channel.SMS and person.mobile:
                deliveries.append(Delivery(channel="sms", user=person, body=body, event=event))
            elif template.channel == MessageTemplate.Channel.EMAIL and person.email:
                deliveries.append(
                    Delivery(channel="email", user=person, subject=subject, body=body, event=event)
                )
    created = Delivery.objects.bulk_create(deliveries)
    payload = webhook_payload(case, event, occurred_at=snapshot["occurred_at"])
    hooks = []
    for subscription in WebhookSubscription.objects.filter(department=case.department, is_active=True):
        if not subscription.events or event in subscription.events:
            hooks.append(WebhookDelivery(subscription=subscription, event=event, payload=payload))
    created_hooks = WebhookDelivery.objects.bulk_create(hooks)
    ids = [d.pk for d in created]
    hook_ids = [h.pk for h in created_hooks]
    transaction.on_commit(lambda: [send_delivery.enqueue(pk) for pk in ids])
    transaction.on_commit(lambda: [deliver_webhook.enqueue(pk) for pk in hook_ids])
    return inbox + len(ids) + len(hook_ids)


def on_rectification_completed(sender: Any, rectification: Any, **kwargs: Any) -> None:
    """Invite the person who gave a bad rating to rate again once it has been fixed."""
    rating = rectification.rating
    if rating.rater_id is None:
        return
    Notification.objects.create(
        user_id=rating.rater_id,
        title="差评整改已完成",
        event="rectified",
        link=f"/ratings/re-rate/{rectification.pk}/",
        body=f"{rectification.department.name}已就您的评价完成整改：{rectification.outcome[:100]}。欢迎再次评价。",
        case_number=rating.case.number if rating.case_id else "",
    )


def webhook_payload(case: Case, event: str, *, occurred_at: str | None = None) -> dict:
    """No personal data: the receiving system fetches details through the API with its token."""
    return {
        "event": event,
        "occurred_at": occurred_at or timezone.now().isoformat(),
        "case": {
            "number": case.number,
            "status": case.status,
            "item_code": case.item.code,
            "item_name": case.item.name,
            "department_id": case.department_id,
            "current_step": case.current_step,
            "due_date": case.due_date.isoformat() if case.due_date else None,
        },
    }


def _next_attempt(attempts: int) -> dt.datetime:
    return timezone.now() + BACKOFF_BASE * (2 ** max(attempts - 1, 0))


def _reschedule(task: Any, pk: int, when: dt.datetime) -> None:
    backend = task.get_backend()
    if getattr(backend, "supports_defer", False):
        task.using(run_after=when).enqueue(pk)


def attempt_delivery(delivery_id: int) -> str:
    from .tasks import send_delivery

    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("user").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return "skipped"
        delivery.attempts += 1
        try:
            if delivery.channel == "sms":
                gateways.send_sms(delivery.user.mobile, delivery.body)
            else:
                gateways.send_email(delivery.user.email, delivery.subject, delivery.body)
        except Exception as exc:
            delivery.last_error = f"{type(exc).__name__}"[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = _next_attempt(delivery.attempts)
            delivery.save()
            if delivery.status == Delivery.Status.PENDING:
                transaction.on_commit(
                    lambda: _reschedule(send_delivery, delivery.pk, delivery.next_attempt_at)
                )
            return "retry" if delivery.status == Delivery.Status.PENDING else "failed"
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save()
        return "sent"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Tongban-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def attempt_webhook(delivery_id: int) -> str:
    from .tasks import deliver_webhook

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        subscription = delivery.subscription
        delivery.attempts += 1
        body = json.dumps(
            {**delivery.payload, "delivery_id": delivery.pk}, ensure_ascii=False, sort_keys=True
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - subscribers' URLs are http(s) by URLField
            subscription.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Tongban-Webhook/1",
                "X-Tongban-Event": delivery.event,
                "X-Tongban-Delivery": str(delivery.pk),
                "X-Tongban-Signature": sign(subscription.secret, int(time.time()), body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
                delivery.response_status = response.status
            ok = 200 <= (delivery.response_status or 0) < 300
            error = "" if ok else f"HTTP {delivery.response_status}"
        except urllib.error.HTTPError as exc:
            delivery.response_status, ok, error = exc.code, False, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            ok, error = False, type(exc).__name__
        if ok:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = error[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = _next_attempt(delivery.attempts)
        delivery.save()
        if delivery.status == WebhookDelivery.Status.PENDING:
            transaction.on_commit(lambda: _reschedule(deliver_webhook, delivery.pk, delivery.next_attempt_at))
        return delivery.status


def retry_due() -> int:
    """For ``tongban tick``: enqueue every pending delivery whose next attempt is due."""
    from .tasks import deliver_webhook, send_delivery

    now = timezone.now()
    count = 0
    for pk in Delivery.objects.filter(status="pending", next_attempt_at__lte=now).values_list(
        "pk", flat=True
    ):
        send_delivery.enqueue(pk)
        count += 1
    for pk in WebhookDelivery.objects.filter(status="pending", next_attempt_at__lte=now).values_list(
        "pk", flat=True
    ):
        deliver_webhook.enqueue(pk)
        count += 1
    return count


@transaction.atomic
def mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def subscribe_webhook(
    *,
    actor: User,
    department: Any,
    name: str,
    url: str,
    secret: str,
    events: list[str] | None = None,
) -> WebhookSubscription:
    """Platform admins register a department system's endpoint."""
    if not (getattr(actor, "is_superuser", False) or permissions.has_role(actor, StaffRole.PLATFORM_ADMIN)):
        raise PermissionDenied()
    events = list(events or [])
    unknown = [e for e in events if e not in CASE_EVENTS]
    if unknown:
        raise InvalidInput(f"未知事件：{'、'.join(unknown)}。", field="events")
    if not url.startswith(("https://", "http://")):
        raise InvalidInput("接收地址必须是 http(s) 地址。", field="url")
    if len(secret or "") < 16:
        raise InvalidInput("签名密钥至少 16 个字符。", field="secret")
    return WebhookSubscription.objects.create(
        department=department,
        name=name.strip() or url,
        url=url,
        secret=secret,
        events=events,
        created_by=actor,
    )


@transaction.atomic
def update_template(*, actor: User, template: MessageTemplate, subject: str, body: str) -> MessageTemplate:
    if not (getattr(actor, "is_superuser", False) or permissions.has_role(actor, StaffRole.PLATFORM_ADMIN)):
        raise PermissionDenied()
    try:
        Template(subject)
        Template(body)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"模板语法错误：{exc}", field="body") from exc
    if not body.strip():
        raise InvalidInput("请填写消息内容。", field="body")
    template.subject, template.body = subject, body
    template.save()
    return template
